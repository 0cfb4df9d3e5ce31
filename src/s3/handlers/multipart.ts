/**
 * Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts and
 * ListMultipartUploads. Parts are blobs of their own; Complete stitches them into the object by
 * reference (no data copy), so completing a 5 TB upload costs one index transaction.
 */
import { S3Error } from '../protocol/errors.js';
import { parseCompleteMultipartUpload } from '../protocol/bodies.js';
import { XmlWriter } from '../protocol/xml.js';
import { LIST_KEYS_MAX, validatePartNumber } from '../engine/s3-engine.js';
import {
  type Ctx,
  isoDate,
  readSmallBody,
  requireBucket,
  requireKey,
  sendEmpty,
  sendXml,
} from './context.js';
import { requireLength, writeBodyFor } from './body.js';
import { copySourceVersion } from './object.js';
import { headerTags, storageClass, storedHeaders } from './object-headers.js';
import { checksumAlgorithm, checksumDigester, combineChecksums, decodeBody, header } from './wire.js';
import { OWNER_ID } from './bucket.js';

export async function createUpload(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const alg = checksumAlgorithm(header(ctx.req, 'x-amz-checksum-algorithm')) ?? '';
  const type = (header(ctx.req, 'x-amz-checksum-type') ?? '').toUpperCase();
  if (type && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') {
    throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-type header is invalid.' });
  }
  const u = await ctx.engine.createUpload({
    bucket,
    key,
    headers: storedHeaders(ctx.req),
    storageClass: storageClass(ctx.req),
    tags: headerTags(ctx.req),
    checksumAlgorithm: alg,
    checksumType: alg ? type || (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE') : '',
  });
  const h: Record<string, string> = {};
  if (alg) {
    h['x-amz-checksum-algorithm'] = alg;
    h['x-amz-checksum-type'] = u.checksumType;
  }
  const w = new XmlWriter('InitiateMultipartUploadResult')
    .leaf('Bucket', bucket)
    .leaf('Key', key)
    .leaf('UploadId', u.uploadId);
  sendXml(ctx, 200, w.toString(), h);
}

function partNumber(ctx: Ctx): number {
  const n = Number(ctx.query.get('partNumber'));
  validatePartNumber(n);
  return n;
}

export async function uploadPart(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const uploadId = ctx.query.get('uploadId') ?? '';
  const n = partNumber(ctx);
  requireLength(ctx);
  const u = ctx.engine.upload(bucket, key, uploadId);
  const body = writeBodyFor(ctx, u.checksumAlgorithm || null);
  ctx.continueBody();
  const p = await ctx.engine.uploadPart(bucket, key, uploadId, n, body);
  const h: Record<string, string> = { etag: p.etag };
  if (u.checksumAlgorithm && p.checksum)
    h[`x-amz-checksum-${u.checksumAlgorithm.toLowerCase()}`] = p.checksum;
  sendEmpty(ctx, 200, h);
}

export async function uploadPartCopy(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const uploadId = ctx.query.get('uploadId') ?? '';
  const n = partNumber(ctx);
  const u = ctx.engine.upload(bucket, key, uploadId);
  const { v } = copySourceVersion(ctx);
  let start = 0;
  let end = v.size - 1;
  const range = header(ctx.req, 'x-amz-copy-source-range');
  if (range !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= v.size) {
      throw new S3Error('InvalidArgument', {
        message:
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
        fields: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: range },
      });
    }
    start = Number(m[1]);
    end = Number(m[2]);
  }
  const alg = u.checksumAlgorithm ? checksumAlgorithm(u.checksumAlgorithm) : null;
  const d = alg ? checksumDigester(alg) : null;
  const p = await ctx.engine.uploadPart(bucket, key, uploadId, n, {
    body: ctx.engine.openRead(v, start, end),
    digesters: d && alg ? { [alg]: d } : {},
    verify: (w) => {
      const value = alg ? w.digests[alg]?.toString('base64') : undefined;
      return alg && value ? { algorithm: alg, value, type: 'FULL_OBJECT' } : null;
    },
  });
  const w = new XmlWriter('CopyPartResult')
    .leaf('LastModified', isoDate(p.lastModifiedMs))
    .leaf('ETag', p.etag);
  if (alg && p.checksum) w.leaf(`Checksum${alg}`, p.checksum);
  const h: Record<string, string> = {};
  if (v.versionId !== 'null') h['x-amz-copy-source-version-id'] = v.versionId;
  sendXml(ctx, 200, w.toString(), h);
}

export async function completeUpload(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const uploadId = ctx.query.get('uploadId') ?? '';
  const u = ctx.engine.upload(bucket, key, uploadId);
  const raw = await readSmallBody(ctx, decodeBody(ctx.req, ctx.auth).chunks);
  const { parts } = parseCompleteMultipartUpload(raw);
  const ifNoneMatchStar = header(ctx.req, 'if-none-match')?.trim() === '*';
  const ifMatch = header(ctx.req, 'if-match');
  // Keep the connection alive while a big index commit runs: S3 sends the 200 early and streams
  // whitespace; our commit is one transaction, so a plain reply is fine.
  const v = await ctx.engine.completeUpload(
    bucket,
    key,
    uploadId,
    parts.map((p) => {
      const cs = u.checksumAlgorithm
        ? p.checksums[u.checksumAlgorithm as keyof typeof p.checksums]
        : undefined;
      return cs !== undefined
        ? { partNumber: p.partNumber, etag: p.etag, checksum: cs }
        : { partNumber: p.partNumber, etag: p.etag };
    }),
    combineChecksums,
    ifMatch !== undefined ? { ifNoneMatchStar, ifMatch } : { ifNoneMatchStar },
  );
  const h: Record<string, string> = {};
  if (ctx.engine.bucket(bucket).versioning !== '') h['x-amz-version-id'] = v.versionId;
  const proto = 'http';
  const host = ctx.req.headers.host ?? 'localhost';
  const w = new XmlWriter('CompleteMultipartUploadResult')
    .leaf('Location', `${proto}://${host}/${bucket}/${encodeURIComponent(key)}`)
    .leaf('Bucket', bucket)
    .leaf('Key', key)
    .leaf('ETag', v.etag);
  if (v.checksum)
    w.leaf(`Checksum${v.checksum.algorithm}`, v.checksum.value).leaf('ChecksumType', v.checksum.type);
  sendXml(ctx, 200, w.toString(), h);
}

export async function abortUpload(ctx: Ctx): Promise<void> {
  await ctx.engine.abortUpload(requireBucket(ctx), requireKey(ctx), ctx.query.get('uploadId') ?? '');
  sendEmpty(ctx, 204);
}

export function listParts(ctx: Ctx): void {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const uploadId = ctx.query.get('uploadId') ?? '';
  const marker = Number(ctx.query.get('part-number-marker') ?? '0') || 0;
  const max = Math.min(Number(ctx.query.get('max-parts') ?? '1000') || 1000, LIST_KEYS_MAX);
  const r = ctx.engine.listParts(bucket, key, uploadId, marker, max);
  const w = new XmlWriter('ListPartsResult')
    .leaf('Bucket', bucket)
    .leaf('Key', key)
    .leaf('UploadId', uploadId);
  w.leaf('PartNumberMarker', marker);
  const last = r.parts[r.parts.length - 1];
  if (last) w.leaf('NextPartNumberMarker', last.partNumber);
  w.leaf('MaxParts', max).leaf('IsTruncated', r.isTruncated);
  if (r.upload.checksumAlgorithm)
    w.leaf('ChecksumAlgorithm', r.upload.checksumAlgorithm).leaf('ChecksumType', r.upload.checksumType);
  w.open('Initiator').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
  w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
  w.leaf('StorageClass', r.upload.storageClass);
  for (const p of r.parts) {
    w.open('Part')
      .leaf('PartNumber', p.partNumber)
      .leaf('LastModified', isoDate(p.lastModifiedMs))
      .leaf('ETag', p.etag)
      .leaf('Size', p.size);
    if (r.upload.checksumAlgorithm && p.checksum) w.leaf(`Checksum${r.upload.checksumAlgorithm}`, p.checksum);
    w.close();
  }
  sendXml(ctx, 200, w.toString());
}

export function listUploads(ctx: Ctx): void {
  const bucket = requireBucket(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const max = Math.min(Number(ctx.query.get('max-uploads') ?? '1000') || 1000, LIST_KEYS_MAX);
  const r = ctx.engine.listUploads(bucket, prefix, delimiter, keyMarker, uploadIdMarker, max);
  const w = new XmlWriter('ListMultipartUploadsResult')
    .leaf('Bucket', bucket)
    .leaf('KeyMarker', keyMarker)
    .leaf('UploadIdMarker', uploadIdMarker);
  const last = r.uploads[r.uploads.length - 1];
  if (r.isTruncated && last) w.leaf('NextKeyMarker', last.key).leaf('NextUploadIdMarker', last.uploadId);
  w.leaf('Prefix', prefix);
  if (delimiter) w.leaf('Delimiter', delimiter);
  w.leaf('MaxUploads', max).leaf('IsTruncated', r.isTruncated);
  for (const u of r.uploads) {
    w.open('Upload').leaf('Key', u.key).leaf('UploadId', u.uploadId);
    w.open('Initiator').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
    w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
    w.leaf('StorageClass', u.storageClass).leaf('Initiated', isoDate(u.initiatedMs));
    if (u.checksumAlgorithm)
      w.leaf('ChecksumAlgorithm', u.checksumAlgorithm).leaf('ChecksumType', u.checksumType);
    w.close();
  }
  for (const p of r.commonPrefixes) w.open('CommonPrefixes').leaf('Prefix', p).close();
  sendXml(ctx, 200, w.toString());
}
