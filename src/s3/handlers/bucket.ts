/**
 * Bucket operations: ListBuckets, Create/Delete/Head, GetBucketLocation, versioning, tagging,
 * CORS, policy, lifecycle, website, ACL (fixed owner-full-control), DeleteObjects and the three
 * listings (ListObjects v1, ListObjectsV2, ListObjectVersions).
 */
import { S3Error } from '../protocol/errors.js';
import {
  BUCKET_TAGS_MAX,
  parseCorsConfiguration,
  parseCreateBucketConfiguration,
  parseDelete,
  parseLifecycleConfiguration,
  parseTagging,
  parseVersioningConfiguration,
  parseWebsiteConfiguration,
} from '../protocol/bodies.js';
import { XmlWriter } from '../protocol/xml.js';
import { LIST_KEYS_MAX, type LifecycleRule } from '../engine/s3-engine.js';
import type { VersionRow } from '../storage/index-store.js';
import { type Ctx, isoDate, readSmallBody, requireBucket, sendEmpty, sendXml } from './context.js';
import { tagsXml } from './object.js';
import { decodeBody } from './wire.js';

/** Bucket policies are JSON documents of at most 20 KB in S3. */
export const POLICY_BYTES_MAX = 20 * 1024;
const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';

function body(ctx: Ctx, max?: number): Promise<Buffer> {
  return readSmallBody(ctx, decodeBody(ctx.req, ctx.auth).chunks, max);
}

export function listBuckets(ctx: Ctx): void {
  const w = new XmlWriter('ListAllMyBucketsResult');
  w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close().open('Buckets');
  const prefix = ctx.query.get('prefix') ?? '';
  const max = Math.min(Number(ctx.query.get('max-buckets') ?? '10000') || 10000, 10000);
  const token = ctx.query.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const all = ctx.engine.listBuckets().filter((b) => b.name.startsWith(prefix) && b.name > after);
  const page = all.slice(0, max);
  for (const b of page) {
    w.open('Bucket')
      .leaf('Name', b.name)
      .leaf('CreationDate', isoDate(b.createdMs))
      .leaf('BucketRegion', b.region)
      .close();
  }
  w.close();
  if (all.length > max && page.length > 0) {
    w.leaf('ContinuationToken', Buffer.from(page[page.length - 1]!.name).toString('base64url'));
  }
  if (prefix) w.leaf('Prefix', prefix);
  sendXml(ctx, 200, w.toString());
}

export async function createBucket(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  const cfg = parseCreateBucketConfiguration(await body(ctx));
  await ctx.engine.createBucket(bucket, cfg.locationConstraint ?? null);
  sendEmpty(ctx, 200, { location: `/${bucket}` });
}

export async function deleteBucket(ctx: Ctx): Promise<void> {
  await ctx.engine.deleteBucket(requireBucket(ctx));
  sendEmpty(ctx, 204);
}

export function headBucket(ctx: Ctx): void {
  const b = ctx.engine.bucket(requireBucket(ctx));
  sendEmpty(ctx, 200, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' });
}

export function getLocation(ctx: Ctx): void {
  const b = ctx.engine.bucket(requireBucket(ctx));
  const w = new XmlWriter('LocationConstraint');
  // us-east-1 is reported as an empty constraint, as S3 does.
  sendXml(ctx, 200, w.raw(b.region === 'us-east-1' ? '' : escapeText(b.region)).toString());
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function getVersioning(ctx: Ctx): void {
  const b = ctx.engine.bucket(requireBucket(ctx));
  const w = new XmlWriter('VersioningConfiguration');
  if (b.versioning) w.leaf('Status', b.versioning);
  sendXml(ctx, 200, w.toString());
}

export async function putVersioning(ctx: Ctx): Promise<void> {
  const cfg = parseVersioningConfiguration(await body(ctx));
  if (!cfg.status) throw new S3Error('IllegalVersioningConfigurationException');
  await ctx.engine.setVersioning(requireBucket(ctx), cfg.status);
  sendEmpty(ctx, 200);
}

export function getAcl(ctx: Ctx): void {
  if (ctx.key !== null) ctx.engine.resolve(requireBucket(ctx), ctx.key, ctx.query.get('versionId') || null);
  else ctx.engine.bucket(requireBucket(ctx));
  const w = new XmlWriter('AccessControlPolicy');
  w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
  w.open('AccessControlList').raw(
    `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${OWNER_ID}</ID><DisplayName>nimbus</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>`,
  );
  sendXml(ctx, 200, w.toString());
}

/** ACLs are accepted and ignored (access control arrives with IAM); the body is drained. */
export async function putAcl(ctx: Ctx): Promise<void> {
  if (ctx.key !== null) ctx.engine.resolve(requireBucket(ctx), ctx.key, null);
  else ctx.engine.bucket(requireBucket(ctx));
  await body(ctx);
  sendEmpty(ctx, 200);
}

// ---- stored configurations ---------------------------------------------------------------------

interface ConfigKind {
  /** Index key of the raw document. */
  kind: string;
  missing:
    | 'NoSuchTagSet'
    | 'NoSuchCORSConfiguration'
    | 'NoSuchBucketPolicy'
    | 'NoSuchLifecycleConfiguration'
    | 'NoSuchWebsiteConfiguration';
  /** Validates the document and returns derived entries to store beside it (parsed JSON). */
  parse(raw: Buffer): Record<string, string>;
  contentType: string;
  okStatus: number;
}

export const CONFIGS: Record<string, ConfigKind> = {
  tagging: {
    kind: 'tagging',
    missing: 'NoSuchTagSet',
    parse: (raw) => {
      const tags = parseTagging(raw, BUCKET_TAGS_MAX);
      return { tagging: tagsXml(tags.map((t) => [t.key, t.value])) };
    },
    contentType: 'application/xml',
    okStatus: 204,
  },
  cors: {
    kind: 'cors',
    missing: 'NoSuchCORSConfiguration',
    parse: (raw) => ({ 'cors.json': JSON.stringify(parseCorsConfiguration(raw)) }),
    contentType: 'application/xml',
    okStatus: 200,
  },
  policy: {
    kind: 'policy',
    missing: 'NoSuchBucketPolicy',
    parse: (raw) => {
      const text = raw.toString('utf8');
      try {
        const doc: unknown = JSON.parse(text);
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object');
      } catch {
        throw new S3Error('MalformedPolicy', {
          message: "Policies must be valid JSON and the first byte must be '{'",
        });
      }
      return {};
    },
    contentType: 'application/json',
    okStatus: 204,
  },
  lifecycle: {
    kind: 'lifecycle',
    missing: 'NoSuchLifecycleConfiguration',
    parse: (raw) => ({
      'lifecycle.json': JSON.stringify(parseLifecycleConfiguration(raw).map(toEngineRule)),
    }),
    contentType: 'application/xml',
    okStatus: 200,
  },
  website: {
    kind: 'website',
    missing: 'NoSuchWebsiteConfiguration',
    parse: (raw) => ({ 'website.json': JSON.stringify(parseWebsiteConfiguration(raw)) }),
    contentType: 'application/xml',
    okStatus: 200,
  },
};

function toEngineRule(r: ReturnType<typeof parseLifecycleConfiguration>[number]): LifecycleRule {
  const out: LifecycleRule = {
    id: r.id ?? '',
    enabled: r.status === 'Enabled',
    prefix: r.filter.prefix ?? '',
    tags: r.filter.tags.map((t) => [t.key, t.value]),
  };
  if (r.expiration?.days !== undefined) out.expirationDays = r.expiration.days;
  if (r.expiration?.date !== undefined) {
    const t = Date.parse(r.expiration.date);
    if (Number.isNaN(t)) throw new S3Error('MalformedXML');
    out.expirationDateMs = t;
  }
  if (r.abortIncompleteMultipartUploadDays !== undefined)
    out.abortIncompleteDays = r.abortIncompleteMultipartUploadDays;
  return out;
}

export function getConfig(ctx: Ctx, name: string): void {
  const c = CONFIGS[name]!;
  const bucket = requireBucket(ctx);
  const doc = ctx.engine.getConfig(bucket, c.kind);
  if (doc === null) throw new S3Error(c.missing, { fields: { BucketName: bucket } });
  const buf = Buffer.from(doc, 'utf8');
  ctx.res.writeHead(200, { 'content-type': c.contentType, 'content-length': buf.length });
  ctx.res.end(buf);
}

export async function putConfig(ctx: Ctx, name: string): Promise<void> {
  const c = CONFIGS[name]!;
  const bucket = requireBucket(ctx);
  ctx.engine.bucket(bucket);
  const raw = await body(ctx, name === 'policy' ? POLICY_BYTES_MAX : undefined);
  const derived = c.parse(raw);
  await ctx.engine.putConfigs(bucket, { [c.kind]: raw.toString('utf8'), ...derived });
  sendEmpty(ctx, c.okStatus);
}

export async function deleteConfig(ctx: Ctx, name: string): Promise<void> {
  const c = CONFIGS[name]!;
  await ctx.engine.deleteConfigs(requireBucket(ctx), [c.kind, `${c.kind}.json`]);
  sendEmpty(ctx, 204);
}

// ---- DeleteObjects ---------------------------------------------------------------------------------

export async function deleteObjects(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  ctx.engine.bucket(bucket);
  const req = parseDelete(await body(ctx));
  const results = await ctx.engine.deleteObjects(
    bucket,
    req.objects.map((o) => ({ key: o.key, versionId: o.versionId ?? null })),
  );
  const w = new XmlWriter('DeleteResult');
  for (const r of results) {
    if (r.error) {
      w.open('Error').leaf('Key', r.key);
      if (r.versionId) w.leaf('VersionId', r.versionId);
      w.leaf('Code', r.error.code).leaf('Message', r.error.message).close();
      continue;
    }
    if (req.quiet) continue;
    w.open('Deleted').leaf('Key', r.key);
    if (r.versionId) w.leaf('VersionId', r.versionId);
    if (r.result?.deleteMarker) {
      w.leaf('DeleteMarker', 'true');
      if (r.result.versionId && !r.versionId) w.leaf('DeleteMarkerVersionId', r.result.versionId);
    }
    w.close();
  }
  sendXml(ctx, 200, w.toString());
}

// ---- listings --------------------------------------------------------------------------------------

function maxKeys(ctx: Ctx, name = 'max-keys'): number {
  const raw = ctx.query.get(name);
  if (raw === null) return LIST_KEYS_MAX;
  if (!/^\d+$/.test(raw)) {
    throw new S3Error('InvalidArgument', {
      message: 'Provided max-keys not an integer or within integer range',
      fields: { ArgumentName: name, ArgumentValue: raw },
    });
  }
  return Math.min(Number(raw), LIST_KEYS_MAX);
}

function encodingType(ctx: Ctx): (s: string) => string {
  const e = ctx.query.get('encoding-type');
  if (e === null) return (s) => s;
  if (e !== 'url')
    throw new S3Error('InvalidArgument', {
      message: 'Invalid Encoding Method specified in Request',
      fields: { ArgumentName: 'encoding-type', ArgumentValue: e },
    });
  // S3 encodes like application/x-www-form-urlencoded but keeps '/' readable.
  return (s) =>
    encodeURIComponent(s)
      .replace(/%2F/g, '/')
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function contentsXml(w: XmlWriter, v: VersionRow, enc: (s: string) => string, owner: boolean): void {
  w.leaf('Key', enc(v.key))
    .leaf('LastModified', isoDate(v.lastModifiedMs))
    .leaf('ETag', v.etag)
    .leaf('Size', v.size);
  if (v.checksum) w.leaf('ChecksumAlgorithm', v.checksum.algorithm).leaf('ChecksumType', v.checksum.type);
  if (owner) w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
  w.leaf('StorageClass', v.storageClass);
}

export function listObjectsV1(ctx: Ctx): void {
  const bucket = requireBucket(ctx);
  const enc = encodingType(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const marker = ctx.query.get('marker') ?? '';
  const mk = maxKeys(ctx);
  const r = ctx.engine.listObjects({ bucket, prefix, delimiter, after: marker, maxKeys: mk });
  const w = new XmlWriter('ListBucketResult');
  w.leaf('Name', bucket).leaf('Prefix', enc(prefix)).leaf('Marker', enc(marker)).leaf('MaxKeys', mk);
  if (delimiter) w.leaf('Delimiter', enc(delimiter));
  if (ctx.query.has('encoding-type')) w.leaf('EncodingType', 'url');
  w.leaf('IsTruncated', r.isTruncated);
  if (r.isTruncated && delimiter && r.last !== null) w.leaf('NextMarker', enc(r.last));
  for (const v of r.contents) {
    w.open('Contents');
    contentsXml(w, v, enc, true);
    w.close();
  }
  for (const p of r.commonPrefixes) w.open('CommonPrefixes').leaf('Prefix', enc(p)).close();
  sendXml(ctx, 200, w.toString());
}

export function listObjectsV2(ctx: Ctx): void {
  const bucket = requireBucket(ctx);
  const enc = encodingType(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const startAfter = ctx.query.get('start-after') ?? '';
  const token = ctx.query.get('continuation-token');
  let after = startAfter;
  if (token !== null) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!decoded.startsWith('k:'))
      throw new S3Error('InvalidArgument', {
        message: 'The continuation token provided is incorrect',
        fields: { ArgumentName: 'continuation-token' },
      });
    after = decoded.slice(2);
  }
  const mk = maxKeys(ctx);
  const r = ctx.engine.listObjects({ bucket, prefix, delimiter, after, maxKeys: mk });
  const w = new XmlWriter('ListBucketResult');
  w.leaf('Name', bucket).leaf('Prefix', enc(prefix));
  if (delimiter) w.leaf('Delimiter', enc(delimiter));
  w.leaf('MaxKeys', mk);
  if (ctx.query.has('encoding-type')) w.leaf('EncodingType', 'url');
  w.leaf('KeyCount', r.contents.length + r.commonPrefixes.length);
  if (token !== null) w.leaf('ContinuationToken', token);
  if (startAfter) w.leaf('StartAfter', enc(startAfter));
  w.leaf('IsTruncated', r.isTruncated);
  if (r.isTruncated && r.last !== null)
    w.leaf('NextContinuationToken', Buffer.from(`k:${r.last}`).toString('base64url'));
  const owner = ctx.query.get('fetch-owner') === 'true';
  for (const v of r.contents) {
    w.open('Contents');
    contentsXml(w, v, enc, owner);
    w.close();
  }
  for (const p of r.commonPrefixes) w.open('CommonPrefixes').leaf('Prefix', enc(p)).close();
  sendXml(ctx, 200, w.toString());
}

export function listObjectVersions(ctx: Ctx): void {
  const bucket = requireBucket(ctx);
  const enc = encodingType(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  const mk = maxKeys(ctx);
  const r = ctx.engine.listVersions({
    bucket,
    prefix,
    delimiter,
    after: keyMarker,
    versionIdMarker,
    maxKeys: mk,
  });
  const w = new XmlWriter('ListVersionsResult');
  w.leaf('Name', bucket)
    .leaf('Prefix', enc(prefix))
    .leaf('KeyMarker', enc(keyMarker))
    .leaf('VersionIdMarker', versionIdMarker);
  if (r.isTruncated) {
    if (r.nextKeyMarker !== null) w.leaf('NextKeyMarker', enc(r.nextKeyMarker));
    if (r.nextVersionIdMarker !== null) w.leaf('NextVersionIdMarker', r.nextVersionIdMarker);
  }
  w.leaf('MaxKeys', mk);
  if (delimiter) w.leaf('Delimiter', enc(delimiter));
  if (ctx.query.has('encoding-type')) w.leaf('EncodingType', 'url');
  w.leaf('IsTruncated', r.isTruncated);
  for (const v of r.versions) {
    if (v.deleteMarker) {
      w.open('DeleteMarker')
        .leaf('Key', enc(v.key))
        .leaf('VersionId', v.versionId)
        .leaf('IsLatest', v.isLatest)
        .leaf('LastModified', isoDate(v.lastModifiedMs));
      w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close().close();
      continue;
    }
    w.open('Version').leaf('Key', enc(v.key)).leaf('VersionId', v.versionId).leaf('IsLatest', v.isLatest);
    w.leaf('LastModified', isoDate(v.lastModifiedMs)).leaf('ETag', v.etag).leaf('Size', v.size);
    if (v.checksum) w.leaf('ChecksumAlgorithm', v.checksum.algorithm).leaf('ChecksumType', v.checksum.type);
    w.open('Owner').leaf('ID', OWNER_ID).leaf('DisplayName', 'nimbus').close();
    w.leaf('StorageClass', v.storageClass).close();
  }
  for (const p of r.commonPrefixes) w.open('CommonPrefixes').leaf('Prefix', enc(p)).close();
  sendXml(ctx, 200, w.toString());
}

export { OWNER_ID };
