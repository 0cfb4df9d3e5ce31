/**
 * Off-thread hashing for blob writes. A PUT's main-thread work is receiving the HTTP body; MD5
 * (always) and SHA-1/SHA-256 (signed payloads, SHA checksums) cost about as much again, and on
 * one thread the two add up. Here the body is copied into SharedArrayBuffer batches that a worker
 * thread hashes while the main thread receives the next bytes and the libuv pool writes the same
 * batch to disk: receive, hash and write overlap instead of running one after the other.
 *
 * The worker only runs node:crypto hashes (no project modules), so its source is a string run
 * with `eval` and works unchanged from dist/ and under tsx. CRCs stay on the main thread: CRC32
 * is zlib's native (SIMD) code, several times faster than MD5.
 *
 * Workers are unref'd while idle, so an idle pool never keeps the process alive; `close()`
 * terminates them when the service stops.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** node:crypto hash names a job may compute off-thread. */
export type PoolHash = 'md5' | 'sha1' | 'sha256';

/** One body being hashed: feed batches in order, then take the digests (same order as `hashes`). */
export interface HashJob {
  /** Resolves once the worker has hashed `len` bytes of `sab`: only then may the batch be reused. */
  update(sab: SharedArrayBuffer, len: number): Promise<void>;
  digest(): Promise<Buffer[]>;
  /** Drops the job (the body failed); pending updates still settle. */
  abort(): void;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') jobs.set(m.id, m.hashes.map((h) => createHash(h)));
  else if (m.op === 'data') {
    const hs = jobs.get(m.id);
    if (hs) {
      const view = new Uint8Array(m.sab, 0, m.len);
      for (const h of hs) h.update(view);
    }
    parentPort.postMessage({ op: 'ack', id: m.id });
  } else if (m.op === 'end') {
    const hs = jobs.get(m.id);
    jobs.delete(m.id);
    parentPort.postMessage({ op: 'digests', id: m.id, digests: hs ? hs.map((h) => h.digest()) : null });
  } else if (m.op === 'abort') jobs.delete(m.id);
});`;

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  /** Per job: the replies still expected, in order (acks, then the digests). */
  jobs: Map<number, Waiter[]>;
}

export class HashPool {
  private readonly workers: PoolWorker[] = [];
  private nextWorker = 0;
  private nextJob = 0;
  private closed = false;

  /** `size` worker threads at most (started lazily); 0 hashes on the calling thread. */
  constructor(private readonly size: number) {}

  /** Whether jobs run on worker threads (false: size 0, or closed). */
  get threaded(): boolean {
    return this.size > 0 && !this.closed;
  }

  start(hashes: PoolHash[]): HashJob {
    if (this.size === 0 || this.closed) return localJob(hashes);
    const pw = this.pick();
    const id = this.nextJob++;
    const waiters: Waiter[] = [];
    pw.jobs.set(id, waiters);
    pw.worker.ref();
    pw.worker.postMessage({ op: 'open', id, hashes });
    const expect = <T>(): Promise<T> =>
      new Promise<T>((resolve, reject) => waiters.push({ resolve: resolve as (v: unknown) => void, reject }));
    const finish = (): void => {
      pw.jobs.delete(id);
      if (pw.jobs.size === 0) pw.worker.unref();
    };
    return {
      update: (sab, len) => {
        const p = expect<void>();
        pw.worker.postMessage({ op: 'data', id, sab, len });
        return p;
      },
      digest: async () => {
        const p = expect<Uint8Array[] | null>();
        pw.worker.postMessage({ op: 'end', id });
        try {
          const ds = await p;
          if (!ds) throw new Error('hash job was aborted');
          return ds.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength));
        } finally {
          finish();
        }
      },
      abort: () => {
        pw.worker.postMessage({ op: 'abort', id });
        // 'end' of a dropped job answers null after the acks still due: release the job then.
        expect<unknown>().then(finish, finish);
        pw.worker.postMessage({ op: 'end', id });
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((pw) => pw.worker.terminate()));
  }

  private pick(): PoolWorker {
    if (this.workers.length < this.size) {
      const pw = this.spawn();
      this.workers.push(pw);
      return pw;
    }
    return this.workers[this.nextWorker++ % this.workers.length]!;
  }

  private spawn(): PoolWorker {
    // No inherited execArgv: flags such as --input-type=module would turn the CommonJS source
    // into an ES module (no require), and loaders such as tsx are not needed here.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    const pw: PoolWorker = { worker, jobs: new Map() };
    worker.unref();
    worker.on('message', (m: { id: number; op: string; digests?: Uint8Array[] | null }) => {
      const w = pw.jobs.get(m.id)?.shift();
      w?.resolve(m.op === 'digests' ? m.digests : undefined);
    });
    const fail = (err: unknown): void => {
      const i = this.workers.indexOf(pw);
      if (i >= 0) this.workers.splice(i, 1);
      for (const waiters of pw.jobs.values()) for (const w of waiters.splice(0)) w.reject(err);
      pw.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`hash worker exited (${code})`)));
    return pw;
  }
}

/** The same contract computed synchronously on this thread (pool size 0, or after close). */
function localJob(hashes: PoolHash[]): HashJob {
  const hs: Hash[] = hashes.map((h) => createHash(h));
  return {
    update: (sab, len) => {
      const view = new Uint8Array(sab, 0, len);
      for (const h of hs) h.update(view);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(hs.map((h) => h.digest())),
    abort: () => undefined,
  };
}
