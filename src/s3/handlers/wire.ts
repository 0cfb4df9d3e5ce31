/**
 * The seam between the HTTP handlers and the wire-protocol modules in ../protocol (addressing,
 * SigV4/SigV2 verification, the aws-chunked decoder, checksums). Handlers only call the functions
 * here, so each protocol module plugs in at one place as it lands.
 *
 * Where a protocol module is not available yet, the fallback here is deliberately minimal and
 * named as such (see FALLBACKS); it never claims to verify what it does not verify.
 */
import type { IncomingMessage } from 'node:http';
import { parseS3Address } from '../protocol/addressing.js';
import { authenticate as verifyRequest, staticCredentials } from '../protocol/auth.js';
import {
  CHECKSUM_ALGORITHMS,
  combineCrc,
  compositeChecksum,
  createChecksum,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from '../protocol/checksums.js';
import { S3Error } from '../protocol/errors.js';
import type { Digester } from '../storage/blob-store.js';

/** What is still a local stand-in for a protocol module (reported by /_nimbus health, docs). */
export const FALLBACKS: readonly string[] = ['aws-chunked-signatures'];

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

/** Bucket and key via ../protocol/addressing (path style, bucket.localhost, *.localstack.cloud ...). */
export function resolveAddress(req: IncomingMessage): Address & { website: boolean; rawPath: string; rawQuery: string; virtual: boolean } {
  const a = parseS3Address(req.headers.host, req.url ?? '/');
  return { bucket: a.bucket ?? null, key: a.key ?? null, website: a.website, rawPath: a.rawPath, rawQuery: a.rawQuery, virtual: a.style === 'virtual' };
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

/**
 * Verifies the request's signature (SigV4 header or query, SigV2) with ../protocol/auth on
 * headers alone, and reports how the payload must be checked. Throws S3Error on bad auth.
 */
export function authenticate(
  req: IncomingMessage,
  addr: { rawPath: string; rawQuery: string; virtual: boolean; bucket: string | null },
  creds: Credentials,
  nowMs: number,
): AuthResult {
  const store = staticCredentials({ [creds.accessKeyId]: creds.secretAccessKey }, { strict: creds.strictAuth, nowMs });
  const r = verifyRequest(
    {
      method: req.method ?? 'GET',
      rawPath: addr.rawPath,
      rawQuery: addr.rawQuery,
      headers: req.headersDistinct,
      ...(addr.virtual && addr.bucket ? { virtualHostBucket: addr.bucket } : {}),
    },
    store,
  );
  const accessKeyId = r.scheme === 'anonymous' ? null : (r.accessKeyId ?? null);
  switch (r.payload.kind) {
    case 'unsigned':
      return { accessKeyId, payload: 'unsigned' };
    case 'sha256':
      return { accessKeyId, payload: 'signed', payloadSha256: r.payload.expectedHex };
    case 'aws-chunked':
      if (!r.payload.signed) return { accessKeyId, payload: 'streaming-unsigned-trailer' };
      return { accessKeyId, payload: r.payload.trailer ? 'streaming-signed-trailer' : 'streaming-signed' };
  }
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

export { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm };

export function checksumAlgorithm(s: string | undefined): ChecksumAlgorithm | null {
  if (!s) return null;
  const alg = parseChecksumAlgorithm(s);
  if (alg) return alg;
  throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-algorithm header is invalid.' });
}

/** A streaming digester for an algorithm (../protocol/checksums). */
export function checksumDigester(alg: ChecksumAlgorithm): Digester {
  const h = createChecksum(alg);
  return { update: (c) => h.update(c), digest: () => h.digest() };
}

/**
 * The multipart object's checksum. COMPOSITE: checksum of the concatenated part checksums plus
 * `-N`. FULL_OBJECT (CRC family): the parts' CRCs combined into the CRC of the whole object.
 */
export function combineChecksums(alg: string, type: string, parts: Array<{ checksum: string; size: number }>): string | null {
  const a = parseChecksumAlgorithm(alg);
  if (!a || parts.length === 0 || parts.some((p) => !p.checksum)) return null;
  if (type !== 'FULL_OBJECT') return compositeChecksum(a, parts.map((p) => p.checksum));
  if (a === 'SHA1' || a === 'SHA256') return null;
  let crc: Buffer = Buffer.from(parts[0]!.checksum, 'base64');
  for (const p of parts.slice(1)) crc = combineCrc(a, crc, Buffer.from(p.checksum, 'base64'), p.size);
  return crc.toString('base64');
}
