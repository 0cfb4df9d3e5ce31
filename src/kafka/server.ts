/**
 * The Kafka socket loop: frames in, handler calls, frames out.
 *
 * - Frames are `size:int32 payload`; a size above `maxRequestBytes` or below the header size
 *   closes the connection, as Kafka does (there is no way to answer a frame we will not read).
 * - Requests on one connection are dispatched in arrival order as soon as they are complete, so a
 *   handler's synchronous part (offset assignment in Produce) keeps the client's order, while slow
 *   handlers (Fetch long polls, fsync-ed produces sharing one group commit) run concurrently.
 *   Responses always leave in request order: each request owns a slot in a FIFO, flushed from the
 *   head as slots fill.
 * - The first request for an API may have to wait for its handler and codec modules to load
 *   (Dispatcher.prepare). Later frames of that connection queue behind it (counted as in flight),
 *   so dispatch order stays arrival order; frames already received are still dispatched if the
 *   client closes meanwhile (a Produce with acks=0 followed by a close is not lost).
 * - Back-pressure: reading pauses while a connection has INFLIGHT_REQUESTS_MAX requests in flight
 *   or more than WRITE_BUFFER_HIGH_BYTES waiting in the socket, and resumes when both drain.
 * - Bad input (undecodable body, unknown api key, unsupported version other than ApiVersions)
 *   closes the connection and is logged; it never throws out of the loop.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../platform/logger.js';
import type { MetricsScope } from '../platform/metrics.js';
import { KafkaProtocolError } from './protocol/errors.js';
import {
  encodeResponseFrame,
  parseRequestFrame,
  responseHeaderVersion,
  type RequestFrame,
} from './protocol/frame.js';
import type { Writer } from './protocol/writer.js';

/** Requests one connection may have in flight before we stop reading from it. */
export const INFLIGHT_REQUESTS_MAX = 128;
/** Bytes queued in a socket's write buffer before we stop reading more requests from it. */
export const WRITE_BUFFER_HIGH_BYTES = 16 * 1024 * 1024;
const SIZE_PREFIX_BYTES = 4;
const REQUEST_HEADER_MIN_BYTES = 8;

/** What a dispatcher returns: a body writer, or NO_RESPONSE (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');
export type BodyWriter = (w: Writer) => void;
export type DispatchResult = BodyWriter | typeof NO_RESPONSE;

export interface ConnectionState {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  clientId: string | null;
  /** SASL: the authenticated principal, or null. */
  principal: string | null;
  /** Per-connection SASL exchange state owned by the SASL handlers. */
  sasl: unknown;
  /** Closes the connection after the pending responses are written. */
  closeAfterFlush(): void;
}

export interface Dispatcher {
  /**
   * Null when `frame` can be dispatched now, or a promise that settles when it can (the modules
   * of its API are loading). Optional: without it every frame is dispatched at once.
   */
  prepare?(frame: RequestFrame): Promise<void> | null;
  /**
   * Handles one parsed request. Runs synchronously up to its first await in arrival order.
   * Throwing KafkaProtocolError closes the connection; any other error is logged and closes it too.
   * `afterWrite` registers a function to run once this request's response has been handed to the
   * kernel (buffers it refers to may then be reused); it never runs if the connection dies first.
   */
  dispatch(
    frame: RequestFrame,
    conn: ConnectionState,
    afterWrite?: (release: () => void) => void,
  ): DispatchResult | Promise<DispatchResult>;
}

export interface KafkaServerOptions {
  maxRequestBytes: number;
  maxConnections: number;
  logger: Logger;
  metrics: MetricsScope;
}

interface Slot {
  done: boolean;
  out: Buffer[] | null;
  /** Run once `out` is written (Dispatcher.dispatch's afterWrite). */
  afterWrite: (() => void)[] | null;
}

class Connection implements ConnectionState {
  clientId: string | null = null;
  principal: string | null = null;
  sasl: unknown = null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly slots: Slot[] = [];
  private inflight = 0;
  private paused = false;
  /** Parsed frames not yet dispatched: the head waits for Dispatcher.prepare, the rest behind it. */
  private readonly queued: RequestFrame[] = [];
  private closing = false;
  private closed = false;
  /** We destroyed the connection (bad input, server stopping): queued frames are dropped. */
  private aborted = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly server: KafkaServer,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      server.onClose(this);
    });
  }

  closeAfterFlush(): void {
    this.closing = true;
    this.flush();
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.server.logger.debug({ conn: this.id, clientId: this.clientId, reason }, 'kafka: closing connection');
    this.closed = true;
    this.aborted = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drainFrames();
  }

  /** Extracts and dispatches every complete frame, unless paused. */
  private drainFrames(): void {
    while (!this.paused && !this.closed && this.buffered >= SIZE_PREFIX_BYTES) {
      const size = this.peekSize();
      if (size < REQUEST_HEADER_MIN_BYTES || size > this.server.opts.maxRequestBytes) {
        this.server.metricFrameRejected.inc();
        this.destroy(
          `frame size ${size} outside [${REQUEST_HEADER_MIN_BYTES}, ${this.server.opts.maxRequestBytes}]`,
        );
        return;
      }
      if (this.buffered < SIZE_PREFIX_BYTES + size) return;
      const payload = this.take(SIZE_PREFIX_BYTES + size).subarray(SIZE_PREFIX_BYTES);
      this.handleFrame(payload);
      if (this.inflight >= INFLIGHT_REQUESTS_MAX) this.pause();
    }
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= SIZE_PREFIX_BYTES) return first.readInt32BE(0);
    return this.take(SIZE_PREFIX_BYTES, true).readInt32BE(0);
  }

  /** Removes (or with peek, copies) the next n bytes; zero-copy when they sit in one chunk. */
  private take(n: number, peek = false): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (peek) return first;
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i]!;
      const m = Math.min(n - filled, c.length);
      c.copy(out, filled, 0, m);
      filled += m;
      if (peek) {
        i++;
        continue;
      }
      if (m === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(m);
    }
    if (!peek) this.buffered -= n;
    return out;
  }

  private handleFrame(payload: Buffer): void {
    let frame: RequestFrame;
    try {
      frame = parseRequestFrame(payload);
    } catch (e) {
      this.destroy(`bad request header: ${(e as Error).message}`);
      return;
    }
    if (frame.clientId !== null) this.clientId = frame.clientId;
    this.server.metricRequests.inc(1, { api: frame.api?.name ?? String(frame.apiKey) });
    this.inflight++;
    this.queued.push(frame);
    if (this.queued.length === 1) this.dispatchQueued();
  }

  /** Dispatches queued frames in order, stopping at one whose API is still loading. */
  private dispatchQueued(): void {
    while (this.queued.length > 0 && !this.aborted) {
      const frame = this.queued[0]!;
      const ready = this.server.dispatcher.prepare?.(frame) ?? null;
      if (ready !== null) {
        ready.then(
          () => this.dispatchQueued(),
          (e: unknown) => this.fail(frame, e),
        );
        return;
      }
      this.queued.shift();
      this.dispatchFrame(frame);
    }
  }

  private dispatchFrame(frame: RequestFrame): void {
    const slot: Slot = { done: false, out: null, afterWrite: null };
    this.slots.push(slot);
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = this.server.dispatcher.dispatch(frame, this, (fn) => (slot.afterWrite ??= []).push(fn));
    } catch (e) {
      this.fail(frame, e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, frame, r),
        (e: unknown) => this.fail(frame, e),
      );
    } else this.complete(slot, frame, result);
  }

  private complete(slot: Slot, frame: RequestFrame, r: DispatchResult): void {
    if (this.closed) return;
    if (r !== NO_RESPONSE) {
      try {
        slot.out = encodeResponseFrame(
          frame.apiKey,
          responseHeaderVersion(frame.apiKey, frame.apiVersion),
          frame.correlationId,
          r,
        );
      } catch (e) {
        this.fail(frame, e);
        return;
      }
    }
    slot.done = true;
    this.inflight--;
    this.flush();
  }

  private fail(frame: RequestFrame, e: unknown): void {
    if (e instanceof KafkaProtocolError) {
      this.destroy(`${frame.api?.name ?? frame.apiKey} v${frame.apiVersion}: ${e.message}`);
      return;
    }
    this.server.logger.error(
      { err: e, api: frame.api?.name ?? frame.apiKey, version: frame.apiVersion, clientId: this.clientId },
      'kafka: handler failed; closing the connection',
    );
    this.destroy('handler error');
  }

  /** Writes every finished response at the head of the queue, in order. */
  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const s = this.slots.shift()!;
      if (s.out) {
        if (!wrote) this.socket.cork();
        wrote = true;
        const last = s.out.length - 1;
        for (let i = 0; i < last; i++) this.socket.write(s.out[i]!);
        // Writes complete in order: the last one's callback means the whole response is out.
        const after = s.afterWrite;
        if (after) {
          this.socket.write(s.out[last]!, (err) => {
            if (!err) for (const f of after) f();
          });
        } else this.socket.write(s.out[last]!);
      } else s.afterWrite?.forEach((f) => f());
    }
    if (wrote) this.socket.uncork();
    if (this.closing && this.slots.length === 0) {
      this.socket.end();
      return;
    }
    this.maybeResume();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (this.socket.writableLength > WRITE_BUFFER_HIGH_BYTES) {
      this.pause();
      return;
    }
    if (!this.paused || this.inflight >= INFLIGHT_REQUESTS_MAX || this.closed) return;
    this.paused = false;
    this.socket.resume();
    this.drainFrames();
  }
}

export class KafkaServer {
  readonly net: Server;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  readonly metricRequests;
  readonly metricFrameRejected;

  constructor(
    readonly opts: KafkaServerOptions,
    readonly dispatcher: Dispatcher,
  ) {
    this.metricRequests = opts.metrics.counter('requests_total', 'Kafka requests received, by API');
    this.metricFrameRejected = opts.metrics.counter('frames_rejected_total', 'Frames refused for their size');
    opts.metrics.gaugeFn('connections', 'Open Kafka connections', () => this.connections.size);
    this.net = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.net.maxConnections = opts.maxConnections;
  }

  get logger(): Logger {
    return this.opts.logger;
  }

  private onConnection(socket: Socket): void {
    const conn = new Connection(this.nextId++, socket, this);
    this.connections.add(conn);
  }

  onClose(conn: Connection): void {
    this.connections.delete(conn);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const c of this.connections) c.destroy('server stopping');
    this.connections.clear();
    await closed;
  }
}
