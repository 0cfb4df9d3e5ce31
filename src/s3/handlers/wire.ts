/**
 * The seam between the HTTP handlers and the wire-protocol modules in ../protocol (addressing,
 * SigV4/SigV2 verification, the aws-chunked decoder, checksums). Handlers only call the functions
 * here, so the protocol layer plugs in at one place.
 */
import type { IncomingMessage } from 'node:http';
import { parseS3Address } from '../protocol/addressing.js';
import {
  authenticate as verifyRequest,
  staticCredentials,
  type AuthResult as ProtocolAuthResult,
} from '../protocol/auth.js';
import { awsChunkedOptions, decodeAwsChunked } from '../protocol/aws-chunked.js';
import {
  CHECKSUM_ALGORITHMS,
  combineCrc,
  compositeChecksum,
  createChecksum,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from '../protocol/checksums.js';
import { S3Error } from '../protocol/errors.js';
import { bodyChunks } from './body-chunks.js';
import { poolableDigester, type Digester } from '../storage/blob-store.js';

export interface Address {
  bucket: string | null;
  key: string | null;
}

/** Bucket and key via ../protocol/addressing (path style, bucket.localhost, *.localstack.cloud ...). */
export function resolveAddress(
  req: IncomingMessage,
): Address & { website: boolean; rawPath: string; rawQuery: string; virtual: boolean } {
  const a = parseS3Address(req.headers.host, req.url ?? '/');
  return {
    bucket: a.bucket ?? null,
    key: a.key ?? null,
    website: a.website,
    rawPath: a.rawPath,
    rawQuery: a.rawQuery,
    virtual: a.style === 'virtual',
  };
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
  /** The protocol layer's result (chunk-signing context for the aws-chunked decoder). */
  raw?: ProtocolAuthResult;
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
  const store = staticCredentials(
    { [creds.accessKeyId]: creds.secretAccessKey },
    { strict: creds.strictAuth, nowMs },
  );
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
      return { accessKeyId, raw: r, payload: 'unsigned' };
    case 'sha256':
      return { accessKeyId, raw: r, payload: 'signed', payloadSha256: r.payload.expectedHex };
    case 'aws-chunked':
      if (!r.payload.signed) return { accessKeyId, raw: r, payload: 'streaming-unsigned-trailer' };
      return {
        accessKeyId,
        raw: r,
        payload: r.payload.trailer ? 'streaming-signed-trailer' : 'streaming-signed',
      };
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
  return (
    auth.payload.startsWith('streaming-') || /\baws-chunked\b/.test(header(req, 'content-encoding') ?? '')
  );
}

/**
 * The request body with aws-chunked framing removed when present (../protocol/aws-chunked:
 * chunk and trailer signatures verified, decoded length checked). The trailer checksum is compared
 * by the caller, which hashes the body anyway.
 */
export function decodeBody(req: IncomingMessage, auth: AuthResult): DecodedBody {
  const opts = auth.raw ? awsChunkedOptions(auth.raw, req.headersDistinct, false) : undefined;
  if (!opts) return { chunks: bodyChunks(req), trailers: new Map() };
  const d = decodeAwsChunked(bodyChunks(req), opts);
  return { chunks: d.chunks, trailers: d.trailers };
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
  // SHA checksums may run on the write worker; CRCs are cheap enough for the event loop.
  if (alg === 'SHA1') return poolableDigester('sha1');
  if (alg === 'SHA256') return poolableDigester('sha256');
  const h = createChecksum(alg);
  return { update: (c) => h.update(c), digest: () => h.digest() };
}

/**
 * The multipart object's checksum. COMPOSITE: checksum of the concatenated part checksums plus
 * `-N`. FULL_OBJECT (CRC family): the parts' CRCs combined into the CRC of the whole object.
 */
export function combineChecksums(
  alg: string,
  type: string,
  parts: Array<{ checksum: string; size: number }>,
): string | null {
  const a = parseChecksumAlgorithm(alg);
  if (!a || parts.length === 0 || parts.some((p) => !p.checksum)) return null;
  if (type !== 'FULL_OBJECT')
    return compositeChecksum(
      a,
      parts.map((p) => p.checksum),
    );
  if (a === 'SHA1' || a === 'SHA256') return null;
  let crc: Buffer = Buffer.from(parts[0]!.checksum, 'base64');
  for (const p of parts.slice(1)) crc = combineCrc(a, crc, Buffer.from(p.checksum, 'base64'), p.size);
  return crc.toString('base64');
}
