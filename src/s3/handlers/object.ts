/**
 * Object operations: PutObject, GetObject, HeadObject (Range, conditionals, response-* overrides,
 * partNumber), DeleteObject, CopyObject, and object tagging.
 */
import { S3Error } from '../protocol/errors.js';
import { parseTagging } from '../protocol/bodies.js';
import { XmlWriter } from '../protocol/xml.js';
import { PUT_BYTES_MAX, etagMatches, type PutObjectInput } from '../engine/s3-engine.js';
import type { VersionRow } from '../storage/index-store.js';
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
import { headerTags, objectHeaders, storageClass, storedHeaders, validateTags } from './object-headers.js';
import { checksumDigester, checksumAlgorithm, decodeBody, header } from './wire.js';
import type { Digester } from '../storage/blob-store.js';
import { sendRanges } from '../storage/range-sender.js';

function versioned(ctx: Ctx, bucket: string): boolean {
  return ctx.engine.bucket(bucket).versioning !== '';
}

function versionIdParam(ctx: Ctx): string | null {
  const v = ctx.query.get('versionId');
  return v === null || v === '' ? null : v;
}

export async function putObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  requireLength(ctx);
  const headers = storedHeaders(ctx.req);
  const tags = headerTags(ctx.req);
  const sc = storageClass(ctx.req);
  const ifNoneMatchStar = header(ctx.req, 'if-none-match')?.trim() === '*';
  const ifMatch = header(ctx.req, 'if-match');
  if (header(ctx.req, 'if-none-match') !== undefined && !ifNoneMatchStar) {
    throw new S3Error('NotImplemented', { message: 'If-None-Match on writes only supports *' });
  }
  ctx.engine.precheckWrite(bucket, key, ifNoneMatchStar, ifMatch);
  const body = writeBodyFor(ctx);
  ctx.continueBody();
  // The write body's own object, completed (no spread copies on the PUT path).
  const input: PutObjectInput = Object.assign(body, {
    bucket,
    key,
    headers,
    tags,
    storageClass: sc,
    ifNoneMatchStar,
  });
  if (ifMatch !== undefined) input.ifMatch = ifMatch;
  const v = await ctx.engine.putObject(input);
  sendEmpty(ctx, 200, writeHeaders(ctx, bucket, v));
}

function writeHeaders(ctx: Ctx, bucket: string, v: VersionRow): Record<string, string> {
  const h: Record<string, string> = { etag: v.etag };
  if (versioned(ctx, bucket)) h['x-amz-version-id'] = v.versionId;
  if (v.checksum) {
    h[`x-amz-checksum-${v.checksum.algorithm.toLowerCase()}`] = v.checksum.value;
    h['x-amz-checksum-type'] = v.checksum.type;
  }
  if (v.storageClass !== 'STANDARD') h['x-amz-storage-class'] = v.storageClass;
  return h;
}

// ---- GET / HEAD ------------------------------------------------------------------------------

interface ByteRange {
  start: number;
  end: number;
}

/**
 * `bytes=a-b`, `bytes=a-`, `bytes=-n`. S3 serves one range; a list of several ranges or a header
 * it cannot parse is ignored (the whole object, 200). A syntactically valid single range that
 * starts beyond the object is 416 InvalidRange.
 */
export function parseRange(h: string | undefined, size: number): ByteRange | null {
  if (h === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw invalidRange(size);
    if (size === 0) throw invalidRange(size);
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) throw invalidRange(size);
  return { start, end };
}

function invalidRange(size: number): S3Error {
  return new S3Error('InvalidRange', {
    fields: { RangeRequested: '', ActualObjectSize: size },
    headers: { 'content-range': `bytes */${size}` },
  });
}

/** RFC 7232 precedence, as S3 applies it. Returns 304 or 412, or null to proceed. */
export function checkConditions(
  get: (name: string) => string | undefined,
  v: VersionRow,
  prefix = '',
): 304 | 412 | null {
  const ifMatch = get(`${prefix}if-match`);
  const ifNoneMatch = get(`${prefix}if-none-match`);
  const ifModifiedSince = get(`${prefix}if-modified-since`);
  const ifUnmodifiedSince = get(`${prefix}if-unmodified-since`);
  const lastSec = Math.floor(v.lastModifiedMs / 1000) * 1000;
  if (ifMatch !== undefined && !etagMatches(ifMatch, v.etag)) return 412;
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined) {
    const t = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(t) && lastSec > t) return 412;
  }
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, v.etag)) return 304;
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined) {
    const t = Date.parse(ifModifiedSince);
    if (!Number.isNaN(t) && lastSec <= t) return 304;
  }
  return null;
}

export async function getObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const v = ctx.engine.resolve(bucket, key, versionIdParam(ctx));
  await serveVersion(ctx, bucket, v, 200);
}

/** Sends a version's bytes (or only headers for HEAD) honouring conditionals, Range and partNumber. */
export async function serveVersion(ctx: Ctx, bucket: string, v: VersionRow, okStatus: number): Promise<void> {
  const headers = objectHeaders(
    v,
    versioned(ctx, bucket),
    ctx.query,
    header(ctx.req, 'x-amz-checksum-mode') === 'ENABLED',
  );
  const cond = checkConditions((n) => header(ctx.req, n), v);
  if (cond === 304) {
    ctx.res.writeHead(304, { etag: v.etag, 'last-modified': headers['last-modified'] ?? '' });
    ctx.res.end();
    return;
  }
  if (cond === 412) throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-Match' } });
  let range = parseRange(header(ctx.req, 'range'), v.size);
  const partParam = ctx.query.get('partNumber');
  if (partParam !== null) {
    range = partRange(v, partParam);
    headers['x-amz-mp-parts-count'] = String(Math.max(1, v.partSizes.length));
  }
  let status = okStatus;
  let start = 0;
  let end = v.size - 1;
  if (range) {
    status = 206;
    start = range.start;
    end = range.end;
    headers['content-range'] = `bytes ${start}-${end}/${v.size}`;
    // A range's checksum is not the object's checksum.
    for (const h of Object.keys(headers)) if (h.startsWith('x-amz-checksum-')) delete headers[h];
  }
  headers['content-length'] = String(Math.max(0, end - start + 1));
  if (ctx.method === 'HEAD' || end < start) {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const inline = ctx.engine.inlineBody(v, start, end);
  ctx.res.writeHead(status, headers);
  if (inline) {
    ctx.res.end(inline);
    return;
  }
  const files = ctx.engine.fileRanges(v, start, end);
  if (files) {
    try {
      await sendRanges(files.ranges, ctx.res);
      if (!ctx.res.destroyed) ctx.res.end();
    } catch {
      // The disk failed mid-body: nothing more can be said on this socket.
      ctx.res.destroy();
    } finally {
      files.release();
    }
    return;
  }
  const stream = ctx.engine.openRead(v, start, end);
  // pipe + close handling rather than stream/promises pipeline, whose AbortController costs a
  // DOMException per response.
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stream.destroy();
      resolve();
    };
    // The client went away or the disk failed mid-body: nothing more can be said on this socket.
    stream.once('error', () => ctx.res.destroy());
    ctx.res.once('close', done);
    stream.pipe(ctx.res);
  });
}

function partRange(v: VersionRow, param: string): ByteRange | null {
  const n = Number(param);
  const parts = v.partSizes.length > 0 ? v.partSizes : [v.size];
  if (!Number.isInteger(n) || n < 1 || n > parts.length) {
    if (Number.isInteger(n) && n >= 1 && n <= 10_000) throw invalidRange(v.size);
    throw new S3Error('InvalidArgument', {
      message: 'Part number must be an integer between 1 and 10000, inclusive',
    });
  }
  if (v.partSizes.length === 0) return null;
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += parts[i] ?? 0;
  return { start, end: start + (parts[n - 1] ?? 0) - 1 };
}

// ---- DELETE ----------------------------------------------------------------------------------

export async function deleteObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const ifMatch = header(ctx.req, 'if-match');
  if (ifMatch !== undefined) {
    const cur = ctx.engine.index.latest(bucket, key);
    if (!cur || cur.deleteMarker) throw new S3Error('NoSuchKey', { fields: { Key: key } });
    if (!etagMatches(ifMatch, cur.etag))
      throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-Match' } });
  }
  const r = await ctx.engine.deleteObject(bucket, key, versionIdParam(ctx));
  const h: Record<string, string> = {};
  if (r.versionId !== null && (versioned(ctx, bucket) || r.versionId !== 'null'))
    h['x-amz-version-id'] = r.versionId;
  if (r.deleteMarker) h['x-amz-delete-marker'] = 'true';
  sendEmpty(ctx, 204, h);
}

// ---- COPY ------------------------------------------------------------------------------------

export interface CopySource {
  bucket: string;
  key: string;
  versionId: string | null;
}

export function parseCopySource(raw: string): CopySource {
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new S3Error('InvalidArgument', { message: 'Invalid copy source encoding' });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error('InvalidArgument', {
      message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    });
  }
  const versionId = params.get('versionId');
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId: versionId || null };
}

/** Resolves the copy source and applies x-amz-copy-source-if-* conditions (all 412 on failure). */
export function copySourceVersion(ctx: Ctx): { src: CopySource; v: VersionRow } {
  const src = parseCopySource(header(ctx.req, 'x-amz-copy-source') ?? '');
  const v = ctx.engine.resolve(src.bucket, src.key, src.versionId);
  const cond = checkConditions((n) => header(ctx.req, n), v, 'x-amz-copy-source-');
  if (cond !== null)
    throw new S3Error('PreconditionFailed', { fields: { Condition: 'x-amz-copy-source-If-Match' } });
  return { src, v };
}

export async function copyObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const { src, v } = copySourceVersion(ctx);
  const replace = header(ctx.req, 'x-amz-metadata-directive') === 'REPLACE';
  const replaceTags = header(ctx.req, 'x-amz-tagging-directive') === 'REPLACE';
  const sc = header(ctx.req, 'x-amz-storage-class') ? storageClass(ctx.req) : v.storageClass;
  if (
    src.bucket === bucket &&
    src.key === key &&
    !replace &&
    sc === v.storageClass &&
    src.versionId === null
  ) {
    throw new S3Error('InvalidRequest', {
      message:
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    });
  }
  const alg =
    checksumAlgorithm(header(ctx.req, 'x-amz-checksum-algorithm')) ??
    (v.checksum?.algorithm as string | undefined) ??
    null;
  const d: Digester | null = alg ? checksumDigester(checksumAlgorithm(alg)!) : null;
  const digesters: Record<string, Digester> = d && alg ? { [alg]: d } : {};
  const body = ctx.engine.openRead(v, 0, v.size - 1);
  const out = await ctx.engine.putObject({
    bucket,
    key,
    headers: replace ? storedHeaders(ctx.req) : v.headers,
    tags: replaceTags ? headerTags(ctx.req) : v.tags,
    storageClass: sc,
    body,
    digesters,
    verify: (w) => {
      if (!alg) return null;
      const value = w.digests[alg]?.toString('base64');
      return value ? { algorithm: alg, value, type: 'FULL_OBJECT' } : null;
    },
  });
  const h: Record<string, string> = {};
  if (versioned(ctx, bucket)) h['x-amz-version-id'] = out.versionId;
  if (v.versionId !== 'null') h['x-amz-copy-source-version-id'] = v.versionId;
  const w = new XmlWriter('CopyObjectResult')
    .leaf('LastModified', isoDate(out.lastModifiedMs))
    .leaf('ETag', out.etag);
  if (out.checksum) w.leaf(`Checksum${out.checksum.algorithm}`, out.checksum.value);
  sendXml(ctx, 200, w.toString(), h);
}

// ---- tagging ---------------------------------------------------------------------------------

export function getObjectTagging(ctx: Ctx): void {
  const v = ctx.engine.resolve(requireBucket(ctx), requireKey(ctx), versionIdParam(ctx));
  sendXml(ctx, 200, tagsXml(v.tags), versioned(ctx, v.bucket) ? { 'x-amz-version-id': v.versionId } : {});
}

export function tagsXml(tags: Array<[string, string]>): string {
  const w = new XmlWriter('Tagging').open('TagSet');
  for (const [k, val] of tags) w.open('Tag').leaf('Key', k).leaf('Value', val).close();
  return w.toString();
}

export async function putObjectTagging(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  ctx.engine.resolve(bucket, key, versionIdParam(ctx));
  const raw = await readSmallBody(ctx, decodeBody(ctx.req, ctx.auth).chunks);
  const tags = validateTags(parseTagging(raw).map((t) => [t.key, t.value]));
  const v = await ctx.engine.setTags(bucket, key, versionIdParam(ctx), tags);
  sendEmpty(ctx, 200, versioned(ctx, bucket) ? { 'x-amz-version-id': v.versionId } : {});
}

export async function deleteObjectTagging(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const v = await ctx.engine.setTags(bucket, requireKey(ctx), versionIdParam(ctx), []);
  sendEmpty(ctx, 204, versioned(ctx, bucket) ? { 'x-amz-version-id': v.versionId } : {});
}

export { PUT_BYTES_MAX };
