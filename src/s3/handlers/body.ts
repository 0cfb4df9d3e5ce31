/**
 * The PUT/UploadPart body pipeline: strip aws-chunked framing, hash in the same pass as the disk
 * write (MD5 always, SHA-256 for signed payloads, the requested x-amz-checksum algorithm), then
 * verify Content-MD5, the signed payload hash and the checksum (header or trailer) before the
 * index commit. A mismatch removes the blob and answers AWS's error.
 */
import type { WriteBody } from '../engine/s3-engine.js';
import { S3Error } from '../protocol/errors.js';
import type { StoredChecksum } from '../storage/index-store.js';
import { poolableDigester, type Digester } from '../storage/blob-store.js';
import type { Ctx } from './context.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumAlgorithm,
  checksumDigester,
  decodeBody,
  header,
  isChunked,
  type ChecksumAlgorithm,
} from './wire.js';

/** Content-Length is required for non-chunked bodies, as S3 does. */
export function requireLength(ctx: Ctx): void {
  if (isChunked(ctx.auth, ctx.req)) return;
  if (ctx.req.headers['content-length'] === undefined && ctx.req.headers['transfer-encoding'] === undefined) {
    throw new S3Error('MissingContentLength');
  }
}

/**
 * The checksum value a request declares for `alg`: a header, or the same name as a query parameter
 * of a presigned URL (the JS SDK signs the CRC32 of an empty body into presigned PUT URLs, and S3
 * then refuses any other body with BadDigest).
 */
function declaredValue(ctx: Ctx, alg: ChecksumAlgorithm): string | undefined {
  const name = `x-amz-checksum-${alg.toLowerCase()}`;
  return header(ctx.req, name) ?? ctx.query.get(name) ?? undefined;
}

/** Which checksum algorithm the request carries or asks for (header or query value, trailer or SDK hint). */
function requestedAlgorithm(ctx: Ctx): ChecksumAlgorithm | null {
  for (const alg of CHECKSUM_ALGORITHMS) {
    if (declaredValue(ctx, alg) !== undefined) return alg;
  }
  const trailer = header(ctx.req, 'x-amz-trailer');
  if (trailer) {
    const m = /^x-amz-checksum-([a-z0-9]+)$/i.exec(trailer.trim());
    if (m) return checksumAlgorithm(m[1]);
  }
  return checksumAlgorithm(
    header(ctx.req, 'x-amz-sdk-checksum-algorithm') ?? header(ctx.req, 'x-amz-checksum-algorithm'),
  );
}

export function writeBodyFor(ctx: Ctx, forcedAlgorithm: string | null = null): WriteBody {
  const decoded = decodeBody(ctx.req, ctx.auth);
  const alg = requestedAlgorithm(ctx) ?? (forcedAlgorithm ? checksumAlgorithm(forcedAlgorithm) : null);
  const digesters: Record<string, Digester> = {};
  if (ctx.auth.payload === 'signed') digesters.payloadSha256 = poolableDigester('sha256');
  const d = alg ? checksumDigester(alg) : null;
  if (alg && d) digesters[alg] = d;
  const md5Header = header(ctx.req, 'content-md5');
  if (md5Header !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5Header)) throw new S3Error('InvalidDigest');
  const declared = header(ctx.req, 'x-amz-decoded-content-length');
  const expectedBytes = Number(declared ?? header(ctx.req, 'content-length') ?? 0);
  return {
    body: decoded.chunks,
    digesters,
    ...(Number.isSafeInteger(expectedBytes) && expectedBytes > 0 ? { expectedBytes } : {}),

    verify: (w): StoredChecksum | null => {
      if (declared !== undefined && Number(declared) !== w.size) throw new S3Error('IncompleteBody');
      if (md5Header !== undefined && md5Header !== w.md5.toString('base64')) throw new S3Error('BadDigest');
      const sha = w.digests.payloadSha256;
      if (sha && ctx.auth.payloadSha256 && sha.toString('hex') !== ctx.auth.payloadSha256) {
        throw new S3Error('XAmzContentSHA256Mismatch', {
          fields: {
            ClientComputedContentSHA256: ctx.auth.payloadSha256,
            S3ComputedContentSHA256: sha.toString('hex'),
          },
        });
      }
      if (!alg) return null;
      const name = `x-amz-checksum-${alg.toLowerCase()}`;
      const claimed = declaredValue(ctx, alg) ?? decoded.trailers.get(name);
      const computed = w.digests[alg]?.toString('base64');
      if (claimed !== undefined && computed !== undefined && claimed !== computed) {
        throw new S3Error('BadDigest', {
          message: `The ${alg} you specified did not match the calculated checksum.`,
        });
      }
      const value = computed ?? claimed;
      return value === undefined ? null : { algorithm: alg, value, type: 'FULL_OBJECT' };
    },
  };
}
