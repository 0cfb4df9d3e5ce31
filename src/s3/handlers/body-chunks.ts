/**
 * Async iteration over a request body's chunks exactly as node:http delivers them. Node's own
 * `for await (const c of req)` is an async generator that calls `req.read()`, which concatenates
 * (copies) every chunk buffered while the consumer was busy into one Buffer, and costs a generator
 * resumption per chunk. Here chunks arrive through 'data' events into a short queue (the stream is
 * paused once BODY_QUEUE_CHUNKS_MAX are waiting, resumed when the consumer catches up), and each
 * next() returns a settled promise when a chunk is already there.
 *
 * Errors: the stream's 'error', or a 'close' before 'end' (client went away), reject the pending
 * or next next(). Leaving the loop early (break/throw) removes the listeners and leaves the stream
 * paused, so the caller decides whether to drain or destroy it; a no-op 'error' listener stays,
 * so an error after that (the client going away while the reply is sent) is not an uncaught one.
 */
import type { Readable } from 'node:stream';

/** Chunks queued before the stream is paused (node:http chunks are up to 64 KiB: ~1 MiB). */
export const BODY_QUEUE_CHUNKS_MAX = 16;

const ignoreError = (): void => undefined;

export function bodyChunks(stream: Readable): AsyncIterable<Buffer> {
  return { [Symbol.asyncIterator]: () => new BodyIterator(stream) };
}

class BodyIterator implements AsyncIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: Error | null = null;
  private waiter: { resolve(r: IteratorResult<Buffer>): void; reject(e: unknown): void } | null = null;
  private readonly onData = (chunk: Buffer): void => {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ done: false, value: chunk });
      return;
    }
    this.queue.push(chunk);
    if (this.queue.length >= BODY_QUEUE_CHUNKS_MAX) this.stream.pause();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.settleWaiter();
  };
  private readonly onError = (err: Error): void => {
    this.failure ??= err;
    this.settleWaiter();
  };
  private readonly onClose = (): void => {
    if (!this.ended) this.onError(new Error('request body closed before its end'));
  };

  constructor(private readonly stream: Readable) {
    if (stream.listeners('error').indexOf(ignoreError) < 0) stream.on('error', ignoreError);
    if (stream.readableEnded) {
      this.ended = true;
      return;
    }
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    if (stream.destroyed) this.onClose();
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.queue.shift();
    if (chunk) {
      if (this.queue.length < BODY_QUEUE_CHUNKS_MAX / 2 && this.stream.isPaused() && !this.ended) {
        this.stream.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.failure) return this.finish(Promise.reject(this.failure));
    if (this.ended) return this.finish(Promise.resolve({ done: true, value: undefined }));
    if (this.stream.isPaused()) this.stream.resume();
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.detach();
    this.stream.pause();
    return Promise.resolve({ done: true, value: undefined });
  }

  private settleWaiter(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    if (this.failure) {
      this.detach();
      w.reject(this.failure);
    } else if (this.ended && this.queue.length === 0) {
      this.detach();
      w.resolve({ done: true, value: undefined });
    }
  }

  private finish<T>(p: Promise<T>): Promise<T> {
    this.detach();
    return p;
  }

  private detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.off('close', this.onClose);
  }
}
