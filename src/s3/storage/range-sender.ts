/**
 * GET bodies: byte ranges of blob files written to a response with a small read-ahead and reused
 * buffers. `fs.createReadStream(...).pipe(res)` paused the file stream every time the socket was
 * full and read the next chunk only after 'drain', allocated a fresh buffer per read, and ran
 * Readable/pipe machinery per chunk (about a quarter of a GET's main-thread samples in `perf`,
 * next to the unavoidable copy into the socket). Here READ_AHEAD reads are in flight while the
 * socket drains, and a buffer goes back to the free list once the socket has taken its bytes
 * (the write callback), so a GET allocates at most READ_AHEAD + what the socket holds.
 */
import { read, type promises } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Bytes per file read and per socket write (256 KiB measured fastest over loopback here). */
export const READ_CHUNK_BYTES = 256 * 1024;
/** File reads in flight ahead of the socket. */
export const READ_AHEAD = 3;
/** Free read buffers kept per response (beyond it they are left to the GC). */
const FREE_BUFFERS_MAX = 2 * READ_AHEAD;

/** Bytes [from, to] (inclusive) of one file. */
export interface FileRange {
  path: string;
  from: number;
  to: number;
}

/**
 * Writes the ranges, in order, to `out` without ending it. Resolves early when `out` is destroyed
 * (the client went away); rejects on a read error (the caller can only destroy the response).
 */
export async function sendRanges(ranges: FileRange[], out: Writable): Promise<void> {
  const free: Buffer[] = [];
  for (const r of ranges) {
    if (out.destroyed) return;
    await sendRange(r, out, free);
  }
}

async function sendRange(r: FileRange, out: Writable, free: Buffer[]): Promise<void> {
  const fh = await open(r.path, 'r');
  const reads: Array<Promise<Buffer>> = [];
  let pos = r.from;
  const stop = r.to + 1;
  const startRead = (): void => {
    const n = Math.min(READ_CHUNK_BYTES, stop - pos);
    const buf = free.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
    const p = readFully(fh, buf, n, pos);
    p.catch(() => undefined); // awaited in order below; this only marks it handled meanwhile
    reads.push(p);
    pos += n;
  };
  try {
    while (reads.length < READ_AHEAD && pos < stop) startRead();
    while (reads.length > 0) {
      const chunk = await reads.shift()!;
      if (pos < stop) startRead();
      if (out.destroyed) return;
      const whole = Buffer.from(chunk.buffer, chunk.byteOffset, READ_CHUNK_BYTES);
      const ok = out.write(chunk, () => {
        if (free.length < FREE_BUFFERS_MAX) free.push(whole);
      });
      if (!ok && !out.destroyed) await drained(out);
    }
  } finally {
    // The fd must outlive every read still in flight.
    await Promise.allSettled(reads);
    await fh.close();
  }
}

/** Reads exactly `n` bytes at `position` into `buf` (a file shorter than that is an error). */
function readFully(fh: promises.FileHandle, buf: Buffer, n: number, position: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const step = (): void => {
      read(fh.fd, buf, got, n - got, position + got, (err, k) => {
        if (err) return reject(err);
        if (k === 0) return reject(new Error(`blob ended ${n - got} bytes early`));
        got += k;
        if (got < n) step();
        else resolve(buf.subarray(0, n));
      });
    };
    step();
  });
}

/** Resolves on 'drain', or on 'close' when the socket goes away first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
