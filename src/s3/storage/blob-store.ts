/**
 * Blob files addressed by random ID, never by object key: keys are arbitrary byte strings (`foo`
 * and `foo/bar` coexist, `//` is kept), which no file system maps faithfully.
 *
 * Durability protocol for one write: stream into `tmp/<id>` while hashing, fsync the file, rename
 * it to `blobs/<shard>/<id>`, fsync the shard directory. Only then does the caller commit the
 * index, so a crash leaves at worst a temp file or an unreferenced blob, both removed by the
 * startup sweep (`sweepTemp` + `sweepOrphans`). Memory per write is bounded by WRITE_BATCH_BYTES.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, type ReadStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes gathered before one writev: big enough to amortise syscalls, small enough to stay flat. */
export const WRITE_BATCH_BYTES = 1024 * 1024;
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

  constructor(root: string) {
    this.blobDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
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
