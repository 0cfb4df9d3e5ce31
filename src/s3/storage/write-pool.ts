/**
 * Blob writes on a worker thread. A large PUT's main-thread work is receiving the HTTP body; MD5
 * (always) and SHA-1/SHA-256 (signed payloads, SHA checksums) cost about as much again, and on one
 * thread the two add up (a node:http sink that MD5s what it receives peaks near 300 MiB/s here,
 * which is ~55 % of min(disk, MD5)). Here the main thread copies body chunks into batch buffers
 * of about 1 MiB (a plain memcpy, ~0.05 ms/MiB) and *moves* each full batch to the worker
 * (postMessage transfer: no second copy, no SharedArrayBuffer). The worker hashes the batch while
 * the libuv pool writes it to the file descriptor the main thread opened, then moves the buffer
 * back with its acknowledgement, so a write uses a fixed ring of batches: memory stays flat
 * without waiting for any garbage collection (moving the HTTP chunks themselves left freeing them
 * to the worker's GC: +80 MiB RSS instead of +36 during 64 MiB PUTs).
 *
 * Session 2 measured a SharedArrayBuffer design (copy every chunk into a shared batch, hash on
 * the worker, write from the main thread) as ~50 % more CPU per MiB on 2 vCPUs: `perf` shows the
 * copy into shared memory (V8's relaxed_memmove) at ~10 % of server samples. Moving whole
 * ArrayBuffers avoids that copy.
 *
 * The worker only runs node:crypto and node:fs (no project modules), so its source is a string run
 * with `eval` and works unchanged from dist/ and under tsx. Workers are unref'd while idle, so an
 * idle pool never keeps the process alive; `close()` terminates them when the service stops.
 */
import { createHash, type Hash } from 'node:crypto';
import { writev } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** node:crypto hash names a job may compute off-thread. */
export type PoolHash = 'md5' | 'sha1' | 'sha256';

/** One file being written: send batches in order, then take the digests (same order as `hashes`). */
export interface WriteJob {
  /**
   * Hashes `buf[0, len)` and writes it at `position`. `buf` is moved to the worker (detached here)
   * and comes back, written and hashed, as the resolved value. Write errors surface in digest().
   */
  write(buf: ArrayBuffer, len: number, position: number): Promise<ArrayBuffer>;
  /** Waits for every write and early sync, then returns the digests or throws the first write error. */
  digest(): Promise<Buffer[]>;
  /** Drops the job (the body failed): resolves once nothing of it touches the file any more. */
  abort(): Promise<void>;
}

export interface WriteJobOptions {
  hashes: PoolHash[];
  /** Open for writing by the caller, who closes it only after digest() or abort() settled. */
  fd: number;
  /** A background fdatasync is started after this many bytes written (see blob-store.ts). */
  earlySyncBytes: number;
}

/**
 * Worker side. Per job: hashes, a FIFO of batches written one at a time (several positioned writes
 * to one file at once contend for the inode lock in the kernel), an early fdatasync, the first
 * write error. 'end' is answered once nothing is in flight, so the main thread may then close the fd.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { writev, fdatasync } = require('node:fs');
const jobs = new Map();
function writeAll(fd, bufs, position, cb) {
  writev(fd, bufs, position, (err, n) => {
    if (err) return cb(err);
    let total = 0;
    for (const b of bufs) total += b.byteLength;
    if (n >= total) return cb(null);
    if (n === 0) return cb(new Error('short write'));
    const rest = [];
    let skip = n;
    for (const b of bufs) {
      if (skip >= b.byteLength) { skip -= b.byteLength; continue; }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    writeAll(fd, rest, position + n, cb);
  });
}
function pump(j) {
  if (j.writing || j.queue.length === 0) return;
  const { buf, position, bytes } = j.queue.shift();
  j.writing = true;
  const done = (err) => {
    j.writing = false;
    if (err && !j.error) j.error = err;
    parentPort.postMessage({ op: 'ack', id: j.id, buf: buf.buffer }, [buf.buffer]);
    j.unsynced += bytes;
    if (!j.error && !j.aborted && j.syncing === false && j.unsynced >= j.earlySyncBytes) {
      j.unsynced = 0;
      j.syncing = true;
      // Errors here are only a head start lost: the final fsync on the main thread reports them.
      fdatasync(j.fd, () => { j.syncing = false; finish(j); });
    }
    pump(j);
    finish(j);
  };
  if (j.error || j.aborted) return done(null);
  writeAll(j.fd, [buf], position, done);
}
function finish(j) {
  if (!j.ending || j.writing || j.syncing || j.queue.length > 0) return;
  jobs.delete(j.id);
  const err = j.error ? { message: j.error.message, code: j.error.code } : null;
  const digests = j.aborted || err ? null : j.hashes.map((h) => h.digest());
  parentPort.postMessage({ op: 'done', id: j.id, digests, err });
}
parentPort.on('message', (m) => {
  if (m.op === 'open') {
    jobs.set(m.id, { id: m.id, fd: m.fd, hashes: m.hashes.map((h) => createHash(h)), queue: [],
      writing: false, syncing: false, unsynced: 0, earlySyncBytes: m.earlySyncBytes,
      error: null, aborted: false, ending: false });
    return;
  }
  const j = jobs.get(m.id);
  if (!j) return;
  if (m.op === 'data') {
    const buf = new Uint8Array(m.buf, 0, m.len);
    j.queue.push({ buf, position: m.position, bytes: m.len });
    pump(j);
    // Hash while the libuv pool writes the same bytes (a failed or aborted job sent the buffer
    // straight back, and its digests are never used).
    if (!j.aborted && !j.error) for (const h of j.hashes) h.update(buf);
  } else if (m.op === 'abort') {
    j.aborted = true;
  } else if (m.op === 'end') {
    j.ending = true;
    finish(j);
  }
});`;

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  /** Per job: the replies still expected, in order (one ack per batch, then 'done'). */
  jobs: Map<number, Waiter[]>;
  /** Set when the worker failed or exited: every reply still expected or asked for rejects with it. */
  dead: unknown;
}

interface DoneReply {
  digests: Uint8Array[] | null;
  err: { message: string; code?: string } | null;
}

export class WritePool {
  private readonly workers: PoolWorker[] = [];
  private nextWorker = 0;
  private nextJob = 0;
  private closed = false;

  /** `size` worker threads at most (started lazily); 0 means every job runs on the calling thread. */
  constructor(private readonly size: number) {}

  /** Whether jobs run on worker threads (false: size 0, or closed). */
  get threaded(): boolean {
    return this.size > 0 && !this.closed;
  }

  start(opts: WriteJobOptions): WriteJob {
    if (!this.threaded) return localJob(opts);
    const pw = this.pick();
    const id = this.nextJob++;
    const waiters: Waiter[] = [];
    pw.jobs.set(id, waiters);
    pw.worker.ref();
    pw.worker.postMessage({
      op: 'open',
      id,
      hashes: opts.hashes,
      fd: opts.fd,
      earlySyncBytes: opts.earlySyncBytes,
    });
    const expect = <T>(): Promise<T> =>
      pw.dead !== undefined
        ? Promise.reject(pw.dead)
        : new Promise<T>((resolve, reject) =>
            waiters.push({ resolve: resolve as (v: unknown) => void, reject }),
          );
    let ended: Promise<DoneReply> | null = null;
    const end = (): Promise<DoneReply> => {
      if (ended) return ended;
      const p = expect<DoneReply>();
      pw.worker.postMessage({ op: 'end', id });
      ended = p.finally(() => {
        pw.jobs.delete(id);
        if (pw.jobs.size === 0) pw.worker.unref();
      });
      return ended;
    };
    return {
      write: (buf, len, position) => {
        const p = expect<ArrayBuffer>();
        pw.worker.postMessage({ op: 'data', id, buf, len, position }, [buf]);
        return p;
      },
      digest: async () => {
        const r = await end();
        if (r.err) throw Object.assign(new Error(r.err.message), r.err.code ? { code: r.err.code } : {});
        if (!r.digests) throw new Error('write job was aborted');
        return r.digests.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength));
      },
      abort: async () => {
        pw.worker.postMessage({ op: 'abort', id });
        await end().catch(() => undefined);
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
    const pw: PoolWorker = { worker, jobs: new Map(), dead: undefined };
    worker.unref();
    worker.on('message', (m: { id: number; op: string; buf?: ArrayBuffer } & DoneReply) => {
      const w = pw.jobs.get(m.id)?.shift();
      w?.resolve(m.op === 'done' ? { digests: m.digests, err: m.err } : m.buf);
    });
    const fail = (err: unknown): void => {
      pw.dead ??= err;
      const i = this.workers.indexOf(pw);
      if (i >= 0) this.workers.splice(i, 1);
      for (const waiters of pw.jobs.values()) for (const w of waiters.splice(0)) w.reject(err);
      pw.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`blob write worker exited (${code})`)));
    return pw;
  }
}

/** The same contract on this thread (pool size 0, or after close): hash, then write. */
function localJob(opts: WriteJobOptions): WriteJob {
  const hs: Hash[] = opts.hashes.map((h) => createHash(h));
  let error: unknown = null;
  let last: Promise<void> = Promise.resolve();
  return {
    write: async (buf, len, position) => {
      const view = Buffer.from(buf, 0, len);
      for (const h of hs) h.update(view);
      last = last
        .then(() => writeAllAt(opts.fd, [view], position))
        .catch((err: unknown) => void (error ??= err));
      await last;
      return buf;
    },
    digest: async () => {
      await last;
      if (error) throw error;
      return hs.map((h) => h.digest());
    },
    abort: () => last,
  };
}

/** writev at `position` until every byte is written (a short write continues where it stopped). */
export async function writeAllAt(fd: number, bufs: Buffer[], position: number): Promise<void> {
  let rest = bufs;
  let pos = position;
  for (;;) {
    let total = 0;
    for (const b of rest) total += b.length;
    if (total === 0) return;
    const n = await new Promise<number>((resolve, reject) =>
      writev(fd, rest, pos, (err, written) => (err ? reject(err) : resolve(written))),
    );
    if (n === 0) throw new Error('short write');
    pos += n;
    rest = skipBytes(rest, n);
  }
}

/** `bufs` without their first `n` bytes (what a short write already wrote). */
export function skipBytes(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
