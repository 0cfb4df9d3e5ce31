/**
 * The seam between the HTTP handlers and the wire-protocol modules in ../protocol (addressing,
 * SigV4/SigV2 verification, the aws-chunked decoder, checksums). Handlers only call the functions
 * here, so each protocol module plugs in at one place as it lands.
 *
 * Where a protocol module is not available yet, the fallback here is deliberately minimal and
 * named as such (see FALLBACKS); it never claims to verify what it does not verify.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import * as zlib from 'node:zlib';
import { S3Error } from '../protocol/errors.js';
import type { Digester } from '../storage/blob-store.js';

/** What is still a local stand-in for a protocol module (reported by /_nimbus health, docs). */
export const FALLBACKS: readonly string[] = ['sigv4-verify', 'aws-chunked-signatures', 'crc32c', 'crc64nvme'];

/** Largest aws-chunked chunk header line (size + extensions), bytes. */
export const CHUNK_HEADER_BYTES_MAX = 4096;
/** Largest trailer section, bytes. */
export const TRAILER_BYTES_MAX = 16 * 1024;
/** Largest declared chunk, bytes (S3 clients use 64 KiB .. 8 MiB). */
export const CHUNK_BYTES_MAX = 64 * 1024 * 1024;

export interface Address {
  bucket: string | null;
  key: string | null;
}

/**
 * Path-style `/bucket/key` or virtual-hosted `bucket.localhost`, `bucket.s3.<anything>`,
 * `bucket.s3.localhost.localstack.cloud`. The raw path is split before percent-decoding so keys
 * keep `//`, a leading `/` and encoded slashes.
 */
export function resolveAddress(req: IncomingMessage): Address {
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const vbucket = virtualBucket(host);
  if (vbucket !== null) {
    const key = rawPath.length > 1 ? decodePath(rawPath.slice(1)) : null;
    return { bucket: vbucket, key };
  }
  const p = rawPath.slice(1);
  if (p === '') return { bucket: null, key: null };
  const slash = p.indexOf('/');
  if (slash < 0) return { bucket: decodePath(p), key: null };
  const key = p.slice(slash + 1);
  return { bucket: decodePath(p.slice(0, slash)), key: key === '' ? null : decodePath(key) };
}

const VHOST_SUFFIXES = ['.s3.localhost.localstack.cloud', '.localhost', '.s3.amazonaws.com'];

function virtualBucket(host: string): string | null {
  for (const s of VHOST_SUFFIXES) {
    if (host.endsWith(s) && host.length > s.length) return host.slice(0, -s.length);
  }
  const m = /^(.+)\.s3[.-][a-z0-9.-]+$/.exec(host);
  if (m && !/^\d+\.\d+\.\d+$/.test(m[1] ?? '')) return m[1] ?? null;
  return null;
}

function decodePath(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

// ---- auth ----------------------------------------------------------------------------------

export type PayloadMode =
  | 'none'
  | 'signed'
  | 'unsigned'
  | 'streaming-signed'
  | 'streaming-signed-trailer'
  | 'streaming-unsigned-trailer';

export interface AuthResult {
  /** null for anonymous requests. */
  accessKeyId: string | null;
  payload: PayloadMode;
  /** Hex SHA-256 the body must hash to (payload 'signed'). */
  payloadSha256?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  strictAuth: boolean;
  region: string;
}

/** Reads who signed the request and how its payload is protected. Throws S3Error on bad auth. */
export function authenticate(req: IncomingMessage, query: URLSearchParams, creds: Credentials, nowMs: number): AuthResult {
  const auth = req.headers.authorization;
  const sha = header(req, 'x-amz-content-sha256');
  let accessKeyId: string | null = null;
  if (auth) {
    const m = /Credential=([^/,\s]+)/.exec(auth) ?? /^AWS ([^:]+):/.exec(auth);
    if (!m) throw new S3Error('AuthorizationHeaderMalformed');
    accessKeyId = m[1] ?? null;
  } else if (query.has('X-Amz-Credential')) {
    accessKeyId = (query.get('X-Amz-Credential') ?? '').split('/')[0] ?? null;
    const date = query.get('X-Amz-Date') ?? '';
    const expires = Number(query.get('X-Amz-Expires') ?? '0');
    const t = parseAmzDate(date);
    if (t !== null && nowMs > t + expires * 1000) {
      throw new S3Error('AccessDenied', {
        message: 'Request has expired',
        fields: { 'X-Amz-Expires': expires, Expires: new Date(t + expires * 1000).toISOString(), ServerTime: new Date(nowMs).toISOString() },
      });
    }
  } else if (query.has('AWSAccessKeyId')) {
    accessKeyId = query.get('AWSAccessKeyId');
  }
  if (accessKeyId !== null && accessKeyId !== creds.accessKeyId && creds.strictAuth) {
    throw new S3Error('InvalidAccessKeyId', { fields: { AWSAccessKeyId: accessKeyId } });
  }
  return { accessKeyId, ...payloadMode(sha, auth !== undefined) };
}

function payloadMode(sha: string | undefined, headerAuth: boolean): Omit<AuthResult, 'accessKeyId'> {
  switch (sha) {
    case undefined:
      return { payload: headerAuth ? 'none' : 'unsigned' };
    case 'UNSIGNED-PAYLOAD':
      return { payload: 'unsigned' };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
      return { payload: 'streaming-signed' };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { payload: 'streaming-signed-trailer' };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { payload: 'streaming-unsigned-trailer' };
    default:
      if (!/^[0-9a-f]{64}$/.test(sha)) {
        throw new S3Error('InvalidArgument', { message: 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or a valid sha256 value.' });
      }
      return { payload: 'signed', payloadSha256: sha };
  }
}

function parseAmzDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

// ---- bodies ----------------------------------------------------------------------------------

export interface DecodedBody {
  chunks: AsyncIterable<Buffer>;
  /** Trailing headers (aws-chunked trailers), available once `chunks` is exhausted. */
  trailers: Map<string, string>;
}

export function isChunked(auth: AuthResult, req: IncomingMessage): boolean {
  return auth.payload.startsWith('streaming-') || /\baws-chunked\b/.test(header(req, 'content-encoding') ?? '');
}

/** The request body with aws-chunked framing removed when present. */
export function decodeBody(req: IncomingMessage, auth: AuthResult): DecodedBody {
  const trailers = new Map<string, string>();
  if (!isChunked(auth, req)) return { chunks: req, trailers };
  return { chunks: awsChunked(req, trailers), trailers };
}

/**
 * aws-chunked framing:  chunk := hex-size [';' ext] CRLF data CRLF ; last := '0' [';' ext] CRLF
 * then trailer lines `name:value` CRLF, ending with an empty line (CRLF). Parsed with an explicit
 * state machine over arbitrary network chunk boundaries; payload slices are zero-copy.
 */
async function* awsChunked(src: AsyncIterable<Buffer>, trailers: Map<string, string>): AsyncGenerator<Buffer> {
  let state: 'head' | 'data' | 'data-crlf' | 'trailer' | 'done' = 'head';
  let line: Buffer = Buffer.alloc(0);
  let remaining = 0;
  for await (const buf of src as AsyncIterable<Buffer>) {
    let pos = 0;
    while (pos < buf.length) {
      if (state === 'data') {
        const n = Math.min(remaining, buf.length - pos);
        yield buf.subarray(pos, pos + n);
        pos += n;
        remaining -= n;
        if (remaining === 0) state = 'data-crlf';
        continue;
      }
      if (state === 'done') {
        pos = buf.length;
        break;
      }
      const nl = buf.indexOf(10, pos);
      const end = nl < 0 ? buf.length : nl + 1;
      line = line.length ? Buffer.concat([line, buf.subarray(pos, end)]) : buf.subarray(pos, end);
      pos = end;
      if (line.length > (state === 'trailer' ? TRAILER_BYTES_MAX : CHUNK_HEADER_BYTES_MAX)) throw incomplete();
      if (nl < 0) {
        line = Buffer.from(line);
        continue;
      }
      const text = line.toString('latin1').replace(/\r?\n$/, '');
      line = Buffer.alloc(0);
      if (state === 'data-crlf') {
        if (text !== '') throw incomplete();
        state = 'head';
      } else if (state === 'head') {
        const size = parseInt(text.split(';')[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0 || size > CHUNK_BYTES_MAX || !/^[0-9a-fA-F]+/.test(text)) throw incomplete();
        if (size === 0) state = 'trailer';
        else {
          remaining = size;
          state = 'data';
        }
      } else if (state === 'trailer') {
        if (text === '') state = 'done';
        else {
          const c = text.indexOf(':');
          if (c < 0) throw incomplete();
          trailers.set(text.slice(0, c).trim().toLowerCase(), text.slice(c + 1).trim());
        }
      }
    }
  }
  if (state !== 'done' && state !== 'trailer') throw incomplete();
}

function incomplete(): S3Error {
  return new S3Error('IncompleteBody', { message: 'The request body is not valid aws-chunked encoding' });
}

// ---- checksums -------------------------------------------------------------------------------

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function checksumAlgorithm(s: string | undefined): ChecksumAlgorithm | null {
  if (!s) return null;
  const up = s.toUpperCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(up)) return up as ChecksumAlgorithm;
  throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-algorithm header is invalid.' });
}

/** A streaming digester for an algorithm, or null where we cannot compute it yet. */
export function checksumDigester(alg: ChecksumAlgorithm): Digester | null {
  switch (alg) {
    case 'SHA1':
      return createHash('sha1');
    case 'SHA256':
      return createHash('sha256');
    case 'CRC32':
      return crc32Digester();
    default:
      return null;
  }
}

type Crc32Fn = (data: Buffer, value?: number) => number;

function crc32Digester(): Digester | null {
  const fn = (zlib as unknown as { crc32?: Crc32Fn }).crc32;
  if (!fn) return null;
  let v = 0;
  return {
    update: (chunk) => {
      v = fn(chunk, v);
    },
    digest: () => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v >>> 0);
      return b;
    },
  };
}

/**
 * The multipart object's checksum. COMPOSITE: checksum of the concatenated part checksums plus
 * `-N`. FULL_OBJECT (CRC family) needs CRC combination, not available here yet: null.
 */
export function combineChecksums(alg: string, type: string, parts: Array<{ checksum: string; size: number }>): string | null {
  if (type === 'FULL_OBJECT') return null;
  if (parts.some((p) => !p.checksum)) return null;
  const d = checksumDigester(alg as ChecksumAlgorithm);
  if (!d) return null;
  for (const p of parts) d.update(Buffer.from(p.checksum, 'base64'));
  return `${d.digest().toString('base64')}-${parts.length}`;
}
