/**
 * Blob files addressed by random ID, never by object key: keys are arbitrary byte strings (`foo`
 * and `foo/bar` coexist, `//` is kept), which no file system maps faithfully.
 *
 * Durability protocol for one write: stream into `tmp/<id>` while hashing, fsync the file, rename
 * it to `blobs/<shard>/<id>`, fsync the shard directory. Only then does the caller commit the
 * index, so a crash leaves at worst a temp file or an unreferenced blob, both removed by the
 * startup sweep (`sweepTemp` + `sweepOrphans`). Two pipelines, both with bounded memory:
 * - on the event loop thread (default below HASH_WORKER_MIN_CPUS): each chunk is hashed as it
 *   arrives and one writev of about WRITE_BATCH_BYTES is in flight;
 * - with hash workers: chunks are copied into shared batches that a worker hashes (MD5, SHA)
 *   while the same batch is written, BATCHES_IN_FLIGHT × WRITE_BATCH_BYTES per write.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, type ReadStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { HashPool, type HashJob, type PoolHash } from './hash-pool.js';

/** Bytes gathered before one disk write and one hash message: amortises syscalls and messages. */
export const WRITE_BATCH_BYTES = 1024 * 1024;
/** Batches of one write being hashed or written at once: memory per write is this many batches. */
export const BATCHES_IN_FLIGHT = 4;
/** Hash worker threads at most. */
export const HASH_WORKERS_MAX = 2;
/**
 * Fewer CPUs than this: no hash worker. Measured on a 2-vCPU VM, the worker made a PUT cost
 * ~50 % more CPU (the hand-off, the copy into shared batches, and two busy threads on sibling
 * vCPUs) and was no faster, since the load generator and the kernel's writeback need the
 * second vCPU too. With 4+ CPUs the hash runs beside the receiving thread.
 */
export const HASH_WORKER_MIN_CPUS = 4;

function defaultHashWorkers(): number {
  const n = availableParallelism();
  return n < HASH_WORKER_MIN_CPUS ? 0 : Math.min(HASH_WORKERS_MAX, n - 2);
}
/**
 * A background fdatasync is started after this many bytes, so the disk flushes while the rest of
 * the body is still being hashed and the final fsync finds little left to write.
 */
export const EARLY_SYNC_BYTES = 16 * 1024 * 1024;
/** Read-side chunk size for GET bodies. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** A streaming digest (MD5, SHA, CRC ...): fed every body chunk once. */
export interface Digester {
  update(chunk: Buffer): void;
  digest(): Buffer;
  /**
   * The node:crypto name of the same hash, when file writes may compute it on the hash worker
   * instead (inline bodies still use update/digest here).
   */
  offload?: PoolHash;
}

/** A node:crypto hash as a Digester that blob writes may move to the hash worker. */
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
  /** The write fails with BlobTooLargeError once the body exceeds this many bytes. */
  maxBytes: number;
}

export interface BlobWriteResult {
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
  private readonly hashes: HashPool;
  private readonly batches: Batch[] = [];

  /** `hashWorkers`: threads for MD5/SHA of file writes (0: hash on the event loop thread). */
  constructor(root: string, hashWorkers = defaultHashWorkers()) {
    this.blobDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
    this.hashes = new HashPool(hashWorkers);
  }

  /** Stops the hash workers (idle workers never hold the process open; this frees them early). */
  async close(): Promise<void> {
    await this.hashes.close();
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
    const id = randomBytes(16).toString('hex');
    const it = source[Symbol.asyncIterator]();
    let head: Buffer[] = [];
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
          return { id, size: inline.length, inline, md5, digests };
        }
        head.push(r.value);
        n += r.value.length;
        if (n > INLINE_BYTES_MAX) break;
      }
    }
    const rest: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const h = head.shift();
          if (h) return { done: false, value: h };
          head = [];
          return it.next();
        },
      }),
    };
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
    if (!this.hashes.threaded) return this.fillOnThread(fh, source, opts);
    const entries = Object.entries(opts.digesters ?? {});
    const local = entries.filter(([, d]) => d.offload === undefined);
    const pooled = entries.filter(([, d]) => d.offload !== undefined);
    const job = this.hashes.start(['md5', ...pooled.map(([, d]) => d.offload!)]);
    const out = new BatchWriter(fh, job, this.batches);
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
        for (const [, d] of local) d.update(chunk);
        await out.push(chunk);
      }
      await out.finish();
    } catch (err) {
      job.abort();
      // Settle the in-flight writes before the caller closes the file; their errors are secondary.
      await out.settle();
      throw err;
    }
    const [md5, ...pooledDigests] = await job.digest();
    const digests: Record<string, Buffer> = {};
    for (const [name, d] of local) digests[name] = d.digest();
    pooled.forEach(([name], i) => (digests[name] = pooledDigests[i]!));
    return { size, md5: md5!, digests };
  }

  /**
   * The single-thread pipeline: hash each chunk as it arrives, one writev of the gathered chunks
   * in flight (no copy). Used when there is no hash worker.
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

/** Writes all of `buf` at `position` (pwrite: batches in flight may complete in any order). */
async function writeAt(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const r = await fh.write(buf, done, buf.length - done, position + done);
    done += r.bytesWritten;
  }
}

/** A reusable SharedArrayBuffer batch: written to disk and hashed by a worker at the same time. */
interface Batch {
  sab: SharedArrayBuffer;
  buf: Buffer;
  /** Settles when both the hash and the disk write of its current contents are done. */
  busy: Promise<void> | null;
}

/** Free batches kept for reuse across writes (beyond it they are left to the GC). */
const FREE_BATCHES_MAX = 4 * BATCHES_IN_FLIGHT;

/**
 * Copies a body into a ring of BATCHES_IN_FLIGHT batches. A full batch is handed at once to the
 * hash worker and to a positioned disk write; the main thread goes on filling the next batch and
 * waits only when the whole ring is busy, so memory per write is the ring, whatever the size.
 */
class BatchWriter {
  private readonly ring: Batch[] = [];
  private slot = 0;
  private fill = 0;
  private position = 0;
  private unsynced = 0;
  private syncing: Promise<void> | null = null;
  /**
   * Disk writes run one after another: several positioned writes to one file at once contend
   * for the inode lock in the kernel and cost more CPU than they save; hashing still overlaps.
   */
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly fh: FileHandle,
    private readonly job: HashJob,
    private readonly free: Batch[],
  ) {}

  async push(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const b = await this.current();
      const n = Math.min(chunk.length - off, WRITE_BATCH_BYTES - this.fill);
      chunk.copy(b.buf, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === WRITE_BATCH_BYTES) this.submit(b);
    }
  }

  /** Submits the partial last batch and waits for every write, hash and early sync. */
  async finish(): Promise<void> {
    if (this.fill > 0) this.submit(await this.current());
    const results = await Promise.allSettled(this.ring.map((b) => b.busy));
    if (this.syncing) await this.syncing;
    this.release();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** After a failure: waits for whatever is in flight, ignoring its errors. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.ring.map((b) => b.busy));
    if (this.syncing) await this.syncing;
    this.release();
  }

  /** The batch being filled; waits for it to be free when the ring has come round to it. */
  private async current(): Promise<Batch> {
    let b = this.ring[this.slot];
    if (!b) {
      b = this.free.pop() ?? newBatch();
      b.busy = null;
      this.ring.push(b);
    } else if (b.busy && this.fill === 0) {
      const busy = b.busy;
      b.busy = null;
      await busy;
    }
    return b;
  }

  private submit(b: Batch): void {
    const len = this.fill;
    const position = this.position;
    // A failed write fails its own batch; the next write still runs (and fails or not on its own).
    const write = this.lastWrite
      .catch(() => undefined)
      .then(() => writeAt(this.fh, b.buf.subarray(0, len), position));
    this.lastWrite = write;
    const busy = Promise.all([this.job.update(b.sab, len), write]).then(() => undefined);
    busy.catch(() => undefined); // awaited later; this only marks it handled meanwhile
    b.busy = busy;
    this.position += len;
    this.fill = 0;
    this.slot = (this.slot + 1) % BATCHES_IN_FLIGHT;
    this.unsynced += len;
    if (this.unsynced >= EARLY_SYNC_BYTES && this.syncing === null) {
      this.unsynced = 0;
      // Errors here are only a head start lost: the final fsync reports real failures.
      this.syncing = this.fh
        .datasync()
        .catch(() => undefined)
        .finally(() => (this.syncing = null));
    }
  }

  private release(): void {
    for (const b of this.ring.splice(0)) {
      b.busy = null;
      if (this.free.length < FREE_BATCHES_MAX) this.free.push(b);
    }
  }
}

function newBatch(): Batch {
  const sab = new SharedArrayBuffer(WRITE_BATCH_BYTES);
  return { sab, buf: Buffer.from(sab), busy: null };
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
