/**
 * Reading client sockets without the stream machinery.
 *
 * A `'data'` listener costs, per read: a fresh ArrayBuffer sized to the read, a Buffer view of it,
 * and a trip through Readable's push/emit/maybeReadMore. For unpipelined Redis traffic (one tiny
 * request per read) that is about a third of the server's user CPU. Node's `onread` socket option
 * instead reads into one caller-owned buffer and calls back directly; the server parses each read
 * synchronously and copies only an incomplete tail (see RespParser.retain).
 *
 * `net.Server` does not take `onread`, so an accepted socket (created paused, `pauseOnConnect`) has
 * its libuv handle moved into a new `net.Socket` that has it. `_handle` is not documented, but it is
 * what Node's own child_process handle passing relies on; if it is ever missing this falls back to
 * `'data'` events, which behave the same, only slower. Checked on Node 20 and 24 by the Redis
 * conformance tests, which all run through this path.
 */
import { Socket } from 'node:net';
import { streamBaseSlot, streamWrapBinding } from './stream-wrap.js';

/** One read buffer shared by every client: reads are parsed before the next one can happen. */
export const SHARED_READ_BUFFER_BYTES = 64 * 1024;

/** Called with the buffer holding the read and its length; valid only during the call. */
export type ReadCallback = (buf: Buffer, n: number) => void;

interface HandleCarrier {
  _handle: { readStart?: unknown } | null;
}

/**
 * Takes over a socket accepted with `pauseOnConnect: true` and starts reading it into `shared`.
 * Returns the socket to use from now on (a new one when the handle was moved).
 */
export function adoptSocket(accepted: Socket, shared: Buffer, onRead: ReadCallback): Socket {
  const carrier = accepted as unknown as HandleCarrier;
  const handle = carrier._handle;
  if (handle === null || typeof handle.readStart !== 'function') {
    accepted.on('data', (chunk: Buffer) => onRead(chunk, chunk.length));
    accepted.resume();
    return accepted;
  }
  carrier._handle = null;
  // With no handle left, destroying the accepted wrapper closes nothing; it only settles the
  // server's connection count.
  accepted.destroy();
  const socket: Socket = new Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: shared,
      callback: (n: number, buf: Uint8Array) => {
        onRead(buf as Buffer, n);
        return true;
      },
    },
  } as unknown as ConstructorParameters<typeof Socket>[0]);
  bypassReadWrapper(handle as unknown as ReadHandle, shared, onRead);
  return socket;
}

interface ReadHandle {
  onread: ((this: ReadHandle, ab: unknown) => unknown) | undefined;
}

/** Node's per-read result slot (`streamBaseState[kReadBytesOrError]`), or null if not exposed. */
const readResult =
  process.env.NIMBUS_REDIS_STREAM_READS === '1' ? null : streamBaseSlot(streamWrapBinding(), 'kReadBytesOrError');

/**
 * Reads with data go straight to `onRead`. libuv calls the handle's `onread` with the byte count
 * in `streamBaseState[kReadBytesOrError]`; Node's own `onStreamRead` then looks up the socket,
 * refreshes its idle timer (Redis sockets have none; `timeout` is the server's own cron), checks
 * `destroyed` and finds the user buffer callback: about a tenth of an unpipelined request's user
 * CPU. End of stream and errors (count <= 0) still go to Node's function, so 'end', 'close' and
 * errors behave as before. Without the internals this leaves Node's reader in place.
 */
function bypassReadWrapper(handle: ReadHandle, shared: Buffer, onRead: ReadCallback): void {
  const rr = readResult;
  const nodeOnRead = handle.onread;
  if (rr === null || typeof nodeOnRead !== 'function') return;
  const { state, index } = rr;
  handle.onread = function (this: ReadHandle, ab: unknown): unknown {
    const n = state[index] as number;
    if (n > 0) {
      onRead(shared, n);
      return undefined;
    }
    return nodeOnRead.call(this, ab);
  };
}
