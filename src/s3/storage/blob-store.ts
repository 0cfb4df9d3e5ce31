/**
 * Blob files addressed by random ID, never by object key: keys are arbitrary byte strings (`foo`
 * and `foo/bar` coexist, `//` is kept), which no file system maps faithfully.
 *
 * Durability protocol for one write: stream into `tmp/<id>` while hashing, fsync the file, rename
 * it to `blobs/<shard>/<id>`, fsync the shard directory. Only then does the caller commit the
 * index, so a crash leaves at worst a temp file or an unreferenced blob, both removed by the
 * startup sweep (`sweepTemp` + `sweepOrphans`). Two pipelines, both with bounded memory:
 * - on the event loop thread (small bodies, or no worker): each chunk is hashed as it arrives and
 *   one writev of about WRITE_BATCH_BYTES is in flight;
 * - on a write worker (bodies of WORKER_MIN_BYTES or more): chunks are gathered into batches of
 *   copied into batches of WRITE_BATCH_BYTES that are moved to a worker, which hashes (MD5, SHA)
 *   and writes them and moves them back; BATCHES_IN_FLIGHT batches per write (see write-pool.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, type ReadStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { READ_CHUNK_BYTES } from './range-sender.js';
import { WritePool, type PoolHash, type WriteJob } from './write-pool.js';

/** Bytes gathered before one disk write and one worker message: amortises syscalls and messages. */
export const WRITE_BATCH_BYTES = 1024 * 1024;
/** Batches of one write being hashed or written at once: memory per write is this many batches. */
export const BATCHES_IN_FLIGHT = 4;
/** Write worker threads at most. */
export const WRITE_WORKERS_MAX = 2;
/**
 * Bodies declared at least this large go through the write worker; below it the hand-off costs
 * more latency than the overlap saves (and most of them are inline or one batch anyway).
 */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/**
 * Fewer CPUs than this: no write worker by default. Measured on the 2-vCPU VM (docs/s3.md): the
 * worker halves the receiving thread's CPU per MiB (3.4-4.2 → 1.9-2.5 ms) but adds 0.5-1 ms/MiB
 * to the process (copy into batches, messages, a third busy thread), and with the client on the
 * other vCPU total CPU, not one thread, sets the pace; same-run throughput was no better.
 */
export const WRITE_WORKER_MIN_CPUS = 4;

/** No worker below WRITE_WORKER_MIN_CPUS; above, one per CPU beyond the second, at most WRITE_WORKERS_MAX. */
export function defaultWriteWorkers(): number {
  const n = availableParallelism();
  return n < WRITE_WORKER_MIN_CPUS ? 0 : Math.min(WRITE_WORKERS_MAX, n - 2);
}
/**
 * A background fdatasync is started after this many bytes, so the disk flushes while the rest of
 * the body is still being hashed and the final fsync finds little left to write.
 */
export const EARLY_SYNC_BYTES = 16 * 1024 * 1024;

/** A streaming digest (MD5, SHA, CRC ...): fed every body chunk once. */
export interface Digester {
  update(chunk: Buffer): void;
  digest(): Buffer;
  /**
   * The node:crypto name of the same hash, when file writes may compute it on the write worker
   * instead (inline bodies still use update/digest here).
   */
  offload?: PoolHash;
}

/** A node:crypto hash as a Digester that blob writes may move to the write worker. */
export function poolableDigester(name: PoolHash): Digester {
  const h = createHash(name);
  return { update: (c) => void h.update(c), digest: () => h.digest(), offload: name };
}

/**
 * Bodies up to this size may be kept inline (in the index) instead of as a file: one WAL fsync
 * shared by a whole group commit instead of a file fsync + a directory fsync per object.
 */
export const INLINE_BYTES_MAX = 64 * 1024;

export interface BlobWriteOptions {
  /** Return small bodies in memory (`inline`) instead of writing a file. */
  allowInline?: boolean;
  /** Extra digests computed in the same pass, keyed by algorithm name. */
  digesters?: Record<string, Digester>;
  /** The body's declared size (Content-Length, x-amz-decoded-content-length), when known. */
  expectedBytes?: number;
  /** The write fails with BlobTooLargeError once the body exceeds this many bytes. */
  maxBytes: number;
}

export interface BlobWriteResult {
  /** The blob file's ID; '' for an inline body (no file). */
  id: string;
  size: number;
  /** The whole body, when it fit in INLINE_BYTES_MAX and inline was allowed (no file written). */
  inline?: Buffer;
  md5: Buffer;
  digests: Record<string, Buffer>;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`body exceeds ${maxBytes} bytes`);
  }
}

const SHARDS = 256;

export class BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private readonly pool: WritePool;
  private readonly freeBatches: ArrayBuffer[] = [];

  /** `writeWorkers`: threads that hash and write large bodies (0: all on the event loop thread). */
  constructor(root: string, writeWorkers = defaultWriteWorkers()) {
    this.blobDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
    this.pool = new WritePool(writeWorkers);
  }

  /** Stops the write workers (idle workers never hold the process open; this frees them early). */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Creates the folders (idempotent). */
  init(): void {
    mkdirSync(this.tmpDir, { recursive: true });
    for (let i = 0; i < SHARDS; i++) mkdirSync(join(this.blobDir, shardOf(i)), { recursive: true });
  }

  /** Removes temp files left by writes that never finished (crash or aborted upload). */
  sweepTemp(): number {
    let n = 0;
    for (const f of readdirSync(this.tmpDir)) {
      rmSync(join(this.tmpDir, f), { force: true });
      n++;
    }
    return n;
  }

  /** Removes blobs the index does not reference (written before a crash, index never committed). */
  sweepOrphans(isReferenced: (id: string) => boolean): number {
    let n = 0;
    for (let i = 0; i < SHARDS; i++) {
      const dir = join(this.blobDir, shardOf(i));
      for (const f of readdirSync(dir)) {
        if (isReferenced(f)) continue;
        rmSync(join(dir, f), { force: true });
        n++;
      }
    }
    return n;
  }

  path(id: string): string {
    return join(this.blobDir, id.slice(0, 2), id);
  }

  /** Streams `source` into a new durable blob. On any error the temp file is removed. */
  async write(source: AsyncIterable<Buffer>, opts: BlobWriteOptions): Promise<BlobWriteResult> {
    const it = source[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    if (opts.allowInline) {
      // Read up to INLINE_BYTES_MAX + 1 bytes before deciding between inline and a file.
      let n = 0;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          const inline = Buffer.concat(head);
          if (inline.length > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
          const md5 = createHash('md5').update(inline).digest();
          const digests: Record<string, Buffer> = {};
          for (const [name, d] of Object.entries(opts.digesters ?? {})) {
            d.update(inline);
            digests[name] = d.digest();
          }
          // No file, so no blob ID: the index names inline bodies itself.
          return { id: '', size: inline.length, inline, md5, digests };
        }
        head.push(r.value);
        n += r.value.length;
        if (n > INLINE_BYTES_MAX) break;
      }
    }
    // The chunks read ahead, then the source's own iterator (returned as is: no extra promise per chunk).
    const rest: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: (): Promise<IteratorResult<Buffer>> => {
          const h = head.shift();
          return h ? Promise.resolve({ done: false, value: h }) : it.next();
        },
      }),
    };
    const id = randomBytes(16).toString('hex');
    const tmp = join(this.tmpDir, id);
    const fh = await open(tmp, 'w');
    try {
      const r = await this.fill(fh, rest, opts);
      await fh.sync();
      await fh.close();
      await rename(tmp, this.path(id));
      await syncDir(join(this.blobDir, id.slice(0, 2)));
      return { id, ...r };
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  private async fill(
    fh: FileHandle,
    source: AsyncIterable<Buffer>,
    opts: BlobWriteOptions,
  ): Promise<Omit<BlobWriteResult, 'id'>> {
    const useWorker = this.pool.threaded && (opts.expectedBytes ?? 0) >= WORKER_MIN_BYTES;
    return useWorker ? this.fillOnWorker(fh, source, opts) : this.fillOnThread(fh, source, opts);
  }

  /**
   * The worker pipeline: CRCs and other non-poolable digests here, then each chunk copied into a
   * batch; full batches go to the write worker, which hashes (MD5, SHA) and writes them and hands
   * the buffer back. At most BATCHES_IN_FLIGHT batches per write.
   */
  private async fillOnWorker(
    fh: FileHandle,
    source: AsyncIterable<Buffer>,
    opts: BlobWriteOptions,
  ): Promise<Omit<BlobWriteResult, 'id'>> {
    const entries = Object.entries(opts.digesters ?? {});
    const local = entries.filter(([, d]) => d.offload === undefined);
    const pooled = entries.filter(([, d]) => d.offload !== undefined);
    const job = this.pool.start({
      hashes: ['md5', ...pooled.map(([, d]) => d.offload!)],
      fd: fh.fd,
      earlySyncBytes: EARLY_SYNC_BYTES,
    });
    const batches = new BatchRing(job, this.freeBatches);
    try {
      for await (const chunk of source) {
        if (batches.size + chunk.length > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
        for (const [, d] of local) d.update(chunk);
        const full = batches.push(chunk);
        if (full) await full;
      }
      await batches.finish();
    } catch (err) {
      // Nothing of this job may touch the fd once the caller closes it.
      await job.abort();
      batches.release();
      throw err;
    }
    batches.release();
    const [md5, ...pooledDigests] = await job.digest();
    const digests: Record<string, Buffer> = {};
    for (const [name, d] of local) digests[name] = d.digest();
    pooled.forEach(([name], i) => (digests[name] = pooledDigests[i]!));
    return { size: batches.size, md5: md5!, digests };
  }

  /**
   * The single-thread pipeline: hash each chunk as it arrives, one writev of the gathered chunks
   * in flight (no copy). Used for small bodies and when there is no write worker.
   */
  private async fillOnThread(
    fh: FileHandle,
    source: AsyncIterable<Buffer>,
    opts: BlobWriteOptions,
  ): Promise<Omit<BlobWriteResult, 'id'>> {
    const md5 = createHash('md5');
    const digesters = Object.entries(opts.digesters ?? {});
    let size = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    // One writev in flight while the next batch is hashed: disk and CPU overlap, memory stays at
    // about two batches.
    let pending: Promise<unknown> = Promise.resolve();
    let syncing: Promise<unknown> | null = null;
    let unsynced = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
        md5.update(chunk);
        for (const [, d] of digesters) d.update(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH_BYTES) {
          await pending;
          pending = writeAll(fh, batch);
          unsynced += batchBytes;
          batch = [];
          batchBytes = 0;
          if (unsynced >= EARLY_SYNC_BYTES && syncing === null) {
            unsynced = 0;
            // Errors here are only a head start lost: the final fsync reports real failures.
            const started: Promise<unknown> = pending
              .then(() => fh.datasync())
              .catch(() => undefined)
              .finally(() => {
                if (syncing === started) syncing = null;
              });
            syncing = started;
          }
        }
      }
    } catch (err) {
      // Settle the in-flight write before the caller closes the file; its error is secondary.
      await pending.catch(() => undefined);
      throw err;
    }
    await pending;
    if (syncing) await syncing;
    if (batch.length > 0) await writeAll(fh, batch);
    const digests: Record<string, Buffer> = {};
    for (const [name, d] of digesters) digests[name] = d.digest();
    return { size, md5: md5.digest(), digests };
  }

  /** A stream of bytes [start, end] (inclusive) of a blob. */
  read(id: string, start: number, end: number): ReadStream {
    return createReadStream(this.path(id), { start, end, highWaterMark: READ_CHUNK_BYTES });
  }

  async remove(id: string): Promise<void> {
    await unlink(this.path(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let total = 0;
  for (const b of bufs) total += b.length;
  let written = 0;
  let rest = bufs;
  while (written < total) {
    const r = await fh.writev(rest);
    written += r.bytesWritten;
    if (written < total) rest = [Buffer.concat(rest).subarray(r.bytesWritten)];
  }
}

/** Free batch buffers kept for reuse across writes (beyond it they are left to the GC). */
const FREE_BATCHES_MAX = 4 * BATCHES_IN_FLIGHT;

/**
 * The main-thread side of a worker write: fills a batch buffer, hands it to the worker when full
 * and takes it back with the worker's acknowledgement; waits only when BATCHES_IN_FLIGHT are out.
 */
class BatchRing {
  /** Bytes accepted so far (sent or in the current batch). */
  size = 0;
  private current: Buffer | null = null;
  private fill = 0;
  private position = 0;
  private readonly inFlight: Array<Promise<ArrayBuffer>> = [];

  constructor(
    private readonly job: WriteJob,
    private readonly free: ArrayBuffer[],
  ) {}

  /**
   * Copies `chunk` into batches; returns a promise only when it has to wait for a batch to come
   * back (most chunks need no await: one promise per chunk is measurable at 16+ chunks per MiB).
   */
  push(chunk: Buffer): Promise<void> | undefined {
    this.size += chunk.length;
    return this.copyFrom(chunk, 0);
  }

  private copyFrom(chunk: Buffer, start: number): Promise<void> | undefined {
    let off = start;
    while (off < chunk.length) {
      if (!this.current) {
        if (this.inFlight.length >= BATCHES_IN_FLIGHT) {
          return this.inFlight.shift()!.then((ab) => {
            this.recycle(ab);
            return this.copyFrom(chunk, off);
          });
        }
        this.current = Buffer.from(this.free.pop() ?? new ArrayBuffer(WRITE_BATCH_BYTES));
      }
      const n = chunk.copy(this.current, this.fill, off);
      this.fill += n;
      off += n;
      if (this.fill === this.current.length) this.send();
    }
    return undefined;
  }

  /** Sends the partial last batch and waits for every batch to come back. */
  async finish(): Promise<void> {
    if (this.fill > 0) this.send();
    while (this.inFlight.length > 0) this.recycle(await this.inFlight.shift()!);
  }

  /** Returns the current batch to the free list (after finish or an abort). */
  release(): void {
    if (this.current) this.recycle(this.current.buffer as ArrayBuffer);
    this.current = null;
  }

  private send(): void {
    const b = this.current!;
    const p = this.job.write(b.buffer as ArrayBuffer, this.fill, this.position);
    p.catch(() => undefined); // awaited in copyFrom()/finish(); this only marks it handled meanwhile
    this.inFlight.push(p);
    this.position += this.fill;
    this.fill = 0;
    this.current = null;
  }

  private recycle(ab: ArrayBuffer): void {
    if (ab.byteLength === WRITE_BATCH_BYTES && this.free.length < FREE_BATCHES_MAX) this.free.push(ab);
  }
}

/** fsync a directory so a rename inside it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function shardOf(i: number): string {
  return i.toString(16).padStart(2, '0');
}
