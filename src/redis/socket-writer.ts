/**
 * Writing replies straight to the socket's libuv handle.
 *
 * `socket.write()` runs every reply through Writable's bookkeeping (write request objects, the
 * write callback, an `afterWrite` tick) before the handle's `writeLatin1String`. For unpipelined
 * Redis traffic that is about 1.5 µs of a request's CPU, roughly a tenth of its cost (measured
 * with a PING server: 4.3 µs user CPU per request through `socket.write`, 3.0 µs through the
 * handle, 2.2 µs for redis-server). This writer calls the handle directly when the stream has
 * nothing queued, and otherwise uses `socket.write`, so bytes never overtake each other: libuv
 * keeps its own write queue in order, and `socket.end()` shuts down only after it drains.
 *
 * The write request class comes from Node's `stream_wrap` binding (stream-wrap.ts), which Node deprecates in
 * documentation only (DEP0111) and still ships in Node 20 and 24. If it is missing, or a handle
 * lacks `writeLatin1String`, every write goes through `socket.write`; behaviour is the same, only
 * slower. `NIMBUS_REDIS_STREAM_WRITES=1` forces that path, and so does `forceStreamWrites()` for
 * the back-pressure test that runs both.
 */
import type { Socket } from 'node:net';
import { streamBaseSlot, streamWrapBinding } from './stream-wrap.js';

interface WriteReq {
  oncomplete: (status: number) => void;
}
interface StreamHandle {
  writeLatin1String(req: WriteReq, s: string): number;
  writeQueueSize: number;
}
type WriteReqCtor = new () => WriteReq;
/** The binding, unless `NIMBUS_REDIS_STREAM_WRITES=1` forces the public path. */
const binding = process.env.NIMBUS_REDIS_STREAM_WRITES === '1' ? null : streamWrapBinding();

/**
 * Node's per-write result flags: `streamBaseState[kLastWriteWasAsync]` is 0 when the last write
 * went to the kernel at once, in which case libuv never took hold of the request object and the
 * next write may use it again (saving an object instantiation per reply).
 */
const lastWriteState = streamBaseSlot(binding, 'kLastWriteWasAsync');

const loadedWriteWrap: WriteReqCtor | null =
  typeof binding?.WriteWrap === 'function' ? (binding.WriteWrap as WriteReqCtor) : null;
let WriteWrap = loadedWriteWrap;

/** Sockets accepted from now on write through `socket.write` (true) or directly when possible. */
export function forceStreamWrites(on: boolean): void {
  WriteWrap = on ? null : loadedWriteWrap;
}

export class SocketWriter {
  private readonly handle: StreamHandle | null;
  /** The write request class this socket was set up with (forceStreamWrites may change it later). */
  private readonly Wrap: WriteReqCtor | null;
  private readonly oncomplete: (status: number) => void;
  /** A request object the kernel-completed last write left unused (see lastWriteState). */
  private spare: WriteReq | null = null;

  /**
   * `onDrained` runs when a write that libuv had to queue (the peer was not reading) completes and
   * nothing is left queued, like the stream's 'drain'.
   */
  constructor(
    private readonly socket: Socket,
    onDrained: () => void,
  ) {
    const h = (socket as unknown as { _handle: Partial<StreamHandle> | null })._handle;
    this.Wrap = WriteWrap;
    this.handle = this.Wrap !== null && h !== null && typeof h.writeLatin1String === 'function' ? (h as StreamHandle) : null;
    this.oncomplete = (status: number) => {
      if (status < 0) socket.destroy();
      else if (this.pendingBytes() === 0) onDrained();
    };
  }

  /** Writes a binary (latin1) string. */
  write(s: string): void {
    const socket = this.socket;
    const h = this.handle;
    if (h === null || socket.writableLength > 0 || socket.destroyed || socket.writableEnded) {
      socket.write(s, 'latin1');
      return;
    }
    let req = this.spare;
    if (req === null) {
      req = new (this.Wrap as WriteReqCtor)();
      req.oncomplete = this.oncomplete;
    }
    this.spare = null;
    if (h.writeLatin1String(req, s) < 0) {
      socket.destroy();
      return;
    }
    const lw = lastWriteState;
    if (lw !== null && lw.state[lw.index] === 0) this.spare = req;
  }

  /** Bytes accepted but not yet handed to the kernel (libuv's queue plus the stream's). */
  pendingBytes(): number {
    return (this.handle?.writeQueueSize ?? 0) + this.socket.writableLength;
  }
}
