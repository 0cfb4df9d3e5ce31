/**
 * GET bodies: byte ranges of blob files written to a response from a small ring of reused
 * buffers. A buffer is read (libuv pool), written to the response in file order, and read again
 * only once the socket has taken its bytes (the write callback); so at most READ_AHEAD buffers
 * are out at a time, reads overlap the sending, and the ring itself is the back-pressure: no
 * 'drain' wait and no promise per chunk.
 *
 * `createReadStream().pipe(res)` (session 2) paused the file stream whenever the socket was full,
 * read the next chunk only after 'drain' and allocated a buffer per read. Session 3's sender kept
 * 3 reads of 256 KiB ahead but awaited a promise per chunk and 'drain' before each next write.
 * Measured in three runs with curl as the client (so that the client is not the limit; node:http
 * as the client is itself the limit at 1-2 ms of CPU per MiB), server CPU per MiB of a 64 MiB
 * GET: session 3's sender 0.75-0.78 ms, this ring with 256 KiB × 3 0.62-0.71, with 1 MiB × 2
 * 0.37-0.39 (1 MiB × 1 0.40-0.47, 512 KiB × 1 0.46-0.51). Bigger chunks mean fewer pool round
 * trips, syscalls and wake-ups; more buffers ahead keep the socket full, which `strace` shows as
 * partial writes, EAGAIN and POLLOUT re-arming when the client is slow. See docs/s3.md.
 */
import { read } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Bytes per file read and per socket write. */
export const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * Buffers per response: being read, or written and not yet taken by the socket (a response holds
 * READ_AHEAD × READ_CHUNK_BYTES, twice that briefly where one range hands over to the next).
 */
export const READ_AHEAD = 2;
/** Free read buffers kept per response between its ranges (beyond it they are left to the GC). */
const FREE_BUFFERS_MAX = READ_AHEAD;

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
    const fh = await open(r.path, 'r');
    try {
      // The fd must outlive every read: RangeSend settles only when none is in flight.
      await new RangeSend(fh.fd, r, out, free).done;
    } finally {
      await fh.close();
    }
  }
}

/** One read chunk, in file order: filled by its read, then written. */
interface Slot {
  buf: Buffer;
  n: number;
  ready: boolean;
}

/** The ring for one range. `done` settles once every chunk is written (or `out` closed) and no read is in flight. */
class RangeSend {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: unknown) => void;
  private pos: number;
  private readonly stop: number;
  /** Reads in flight or finished and waiting for their turn, in file order. */
  private readonly queue: Slot[] = [];
  private readsInFlight = 0;
  /** Buffers read or written and not yet taken by the socket. */
  private held = 0;
  private error: unknown = null;
  private closed = false;

  constructor(
    private readonly fd: number,
    r: FileRange,
    private readonly out: Writable,
    private readonly free: Buffer[],
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.pos = r.from;
    this.stop = r.to + 1;
    this.onClose = this.onClose.bind(this);
    out.once('close', this.onClose);
    this.fill();
    this.settle();
  }

  /** Starts reads until READ_AHEAD buffers are out or the range is all read. */
  private fill(): void {
    while (this.held < READ_AHEAD && this.pos < this.stop && !this.closed && this.error === null) {
      const n = Math.min(READ_CHUNK_BYTES, this.stop - this.pos);
      const buf = (n === READ_CHUNK_BYTES && this.free.pop()) || Buffer.allocUnsafeSlow(n);
      const slot: Slot = { buf, n, ready: false };
      this.queue.push(slot);
      this.held++;
      this.readsInFlight++;
      this.readInto(slot, 0, this.pos);
      this.pos += n;
    }
  }

  /** Reads slot bytes [got, n) at `position + got`; a short read continues, end of file is an error. */
  private readInto(slot: Slot, got: number, position: number): void {
    read(this.fd, slot.buf, got, slot.n - got, position + got, (err, k) => {
      if (!err && k === 0) err = new Error(`blob ended ${slot.n - got} bytes early`);
      if (!err && got + k < slot.n) return this.readInto(slot, got + k, position);
      this.readsInFlight--;
      if (err) this.error ??= err;
      else slot.ready = true;
      this.pump();
    });
  }

  /** Writes the chunks that are read, in order, then settles if nothing is left. */
  private pump(): void {
    if (this.out.destroyed) this.closed = true;
    while (this.queue[0]?.ready && !this.closed && this.error === null) {
      const { buf, n } = this.queue.shift()!;
      this.out.write(n === buf.length ? buf : buf.subarray(0, n), (err) => {
        // The socket has the bytes (or failed): the buffer may be read into again.
        if (err) this.closed = true;
        this.held--;
        if (buf.length === READ_CHUNK_BYTES && this.free.length < FREE_BUFFERS_MAX) this.free.push(buf);
        this.fill();
      });
    }
    this.settle();
  }

  private onClose(): void {
    this.closed = true;
    this.settle();
  }

  private settle(): void {
    if (this.readsInFlight > 0) return;
    const finished = this.closed || this.error !== null || (this.pos >= this.stop && this.queue.length === 0);
    if (!finished) return;
    this.out.off('close', this.onClose);
    if (this.error !== null) this.reject(this.error);
    else this.resolve();
  }
}
