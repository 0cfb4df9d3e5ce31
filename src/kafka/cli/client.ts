/**
 * A small Kafka client for the `nimbus kafka` CLI, speaking the wire protocol through K1's
 * generated codecs (src/kafka/protocol/). One connection to the bootstrap server, which is fine on
 * a single-node cluster (the coordinator and every leader are that node); requests are pipelined
 * by correlation id. Versions are negotiated with ApiVersions v0: min(our preferred, broker max).
 *
 * Response frame: size:int32, correlation_id:int32, [tagged fields when the response header is v1],
 * body (decoded by API_CODECS.get(apiKey).readResponse).
 */
import { connect, type Socket } from 'node:net';
import { responseHeaderVersion } from '../protocol/frame.js';
import { encodeRequestFrame } from '../protocol/request-frame.js';
import { API_CODECS, ApiKey } from '../protocol/messages.generated.js';
import { Reader } from '../protocol/reader.js';

/** Largest response frame accepted (Fetch responses are bounded by the request's max bytes). */
export const RESPONSE_BYTES_MAX = 128 * 1024 * 1024;
/** Requests in flight on one connection. */
export const IN_FLIGHT_MAX = 1024;
export { DEFAULT_BOOTSTRAP } from './defaults.js';

/** Api keys by name (the generated table; the client uses the ones in PREFERRED below). */
export const API = ApiKey;

/** The newest version of each API this client was written against. */
const PREFERRED: Record<number, number> = {
  [API.Produce]: 9,
  [API.Fetch]: 11,
  [API.ListOffsets]: 5,
  [API.Metadata]: 12,
  [API.OffsetCommit]: 8,
  [API.OffsetFetch]: 7,
  [API.FindCoordinator]: 3,
  [API.JoinGroup]: 7,
  [API.Heartbeat]: 4,
  [API.LeaveGroup]: 4,
  [API.SyncGroup]: 5,
  [API.DescribeGroups]: 5,
  [API.ListGroups]: 4,
  [API.ApiVersions]: 0,
  [API.CreateTopics]: 5,
  [API.DeleteTopics]: 5,
  [API.InitProducerId]: 4,
  [API.DescribeConfigs]: 3,
  [API.CreatePartitions]: 2,
  [API.DeleteGroups]: 2,
};

export class KafkaClientError extends Error {
  constructor(
    message: string,
    readonly errorCode = -1,
  ) {
    super(message);
    this.name = 'KafkaClientError';
  }
}

interface Pending {
  apiKey: number;
  version: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export function parseBootstrap(s: string): { host: string; port: number } {
  const first = s.split(',')[0]!.trim();
  const i = first.lastIndexOf(':');
  if (i <= 0) throw new KafkaClientError(`bad --bootstrap-server ${s}: expected host:port`);
  const port = Number(first.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new KafkaClientError(`bad port in ${s}`);
  return { host: first.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export class KafkaClient {
  private readonly pending = new Map<number, Pending>();
  private readonly versions = new Map<number, { min: number; max: number }>();
  private nextCorrelation = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly clientId: string,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.failAll(e));
    socket.on('close', () => this.failAll(new KafkaClientError('connection closed by the broker')));
  }

  static async connect(bootstrap: string, clientId = 'nimbus-cli', timeoutMs = 10_000): Promise<KafkaClient> {
    const { host, port } = parseBootstrap(bootstrap);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new KafkaClientError(`timed out connecting to ${host}:${port}`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new KafkaClientError(`cannot connect to ${host}:${port}: ${e.message}`));
      });
    });
    socket.setNoDelay(true);
    const c = new KafkaClient(socket, clientId);
    const av = (await c.send(API.ApiVersions, 0, {})) as {
      errorCode: number;
      apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
    };
    if (av.errorCode !== 0)
      throw new KafkaClientError(`ApiVersions failed with error ${av.errorCode}`, av.errorCode);
    for (const k of av.apiKeys) c.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    return c;
  }

  /** Sends a request at the negotiated version and resolves with the decoded response body. */
  async request<T>(apiKey: number, body: unknown): Promise<T> {
    const range = this.versions.get(apiKey);
    const codec = API_CODECS.get(apiKey);
    if (!range || !codec)
      throw new KafkaClientError(`the broker does not support API ${codec?.name ?? apiKey}`);
    const version = Math.min(PREFERRED[apiKey] ?? codec.maxVersion, range.max, codec.maxVersion);
    if (version < range.min) throw new KafkaClientError(`no common version for ${codec.name}`);
    return (await this.send(apiKey, version, body)) as T;
  }

  versionOf(apiKey: number): number {
    const range = this.versions.get(apiKey);
    return Math.min(PREFERRED[apiKey] ?? 0, range?.max ?? 0);
  }

  private send(apiKey: number, version: number, body: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new KafkaClientError('client closed'));
    if (this.pending.size >= IN_FLIGHT_MAX)
      return Promise.reject(new KafkaClientError('too many requests in flight'));
    const correlationId = this.nextCorrelation++ & 0x7fffffff;
    const frame = encodeRequestFrame(apiKey, version, correlationId, this.clientId, body);
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve, reject });
      this.socket.write(frame);
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendNoResponse(apiKey: number, body: unknown): void {
    const range = this.versions.get(apiKey)!;
    const version = Math.min(PREFERRED[apiKey] ?? 0, range.max);
    this.socket.write(
      encodeRequestFrame(apiKey, version, this.nextCorrelation++ & 0x7fffffff, this.clientId, body),
    );
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    for (;;) {
      if (this.buffered < 4) return;
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [head];
      const size = head.readInt32BE(0);
      if (size < 4 || size > RESPONSE_BYTES_MAX) {
        this.failAll(new KafkaClientError(`bad response frame size ${size}`));
        this.socket.destroy();
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    try {
      const r = new Reader(frame, 4);
      if (responseHeaderVersion(p.apiKey, p.version) >= 1) {
        const n = r.taggedCount();
        for (let i = 0; i < n; i++) {
          r.uvarint();
          r.seek(r.taggedEnd());
        }
      }
      p.resolve(API_CODECS.get(p.apiKey)!.readResponse(r, p.version));
    } catch (e) {
      p.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.closed = true;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** Kafka's Java client murmur2 (Utils.murmur2), as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rem = length % 4;
  // Java's switch falls through 3 → 2 → 1.
  if (rem >= 3) h ^= data[tail + 2]! << 16;
  if (rem >= 2) h ^= data[tail + 1]! << 8;
  if (rem >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java default partitioner for keyed records: toPositive(murmur2(key)) % partitions. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

/** Kafka prints topic ids as URL-safe base64 of the 16 UUID bytes. */
export function uuidToBase64(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}
