/**
 * Typed decoders for S3 request bodies (XML → plain objects), built on parseXml.
 *
 * API (each takes the whole body, already bounded by the caller's read, as bytes or string):
 *   parseCompleteMultipartUpload(body) → { parts: CompletedPartInput[] }   ascending, 1..10000
 *   parseDelete(body)                  → { objects: {key, versionId?}[], quiet }   1..1000 objects
 *   parseCreateBucketConfiguration(body) → { locationConstraint? }   (empty body → {})
 *   parseTagging(body, tagsMax)        → Tag[]   (10 for objects, 50 for buckets)
 *   parseVersioningConfiguration(body) → { status?, mfaDelete? }
 *   parseCorsConfiguration(body)       → CorsRule[]
 *   parseLifecycleConfiguration(body)  → LifecycleRule[]
 *   parseWebsiteConfiguration(body)    → WebsiteConfiguration
 * Each body's byte limit is a named constant below; violations are S3Errors with AWS's codes
 * (MalformedXML for shape errors, InvalidPartOrder, InvalidTag, InvalidRequest, InvalidArgument).
 * Element and member names are those of the botocore S3 model (../shared/specs/aws-models/s3).
 */
import { S3Error } from './errors.js';
import { child, children, childText, parseXml, type XmlElement } from './xml.js';

/** 10,000 parts × ~250 bytes each (part number, quoted ETag, one checksum, whitespace). */
export const COMPLETE_MULTIPART_XML_BYTES_MAX = 4 * 1024 * 1024;
/** 1,000 keys of up to 1,024 bytes, allowing for entity-escaped characters. */
export const DELETE_XML_BYTES_MAX = 8 * 1024 * 1024;
/** Bucket configuration documents (CORS, lifecycle, website, tagging, versioning, location). */
export const CONFIG_XML_BYTES_MAX = 1024 * 1024;
export const PARTS_PER_UPLOAD_MAX = 10_000;
export const DELETE_OBJECTS_MAX = 1000;
export const CORS_RULES_MAX = 100;
export const LIFECYCLE_RULES_MAX = 1000;
export const TAG_KEY_LENGTH_MAX = 128;
export const TAG_VALUE_LENGTH_MAX = 256;
export const OBJECT_TAGS_MAX = 10;
export const BUCKET_TAGS_MAX = 50;

type Body = Uint8Array | string;

function malformed(): S3Error {
  return new S3Error('MalformedXML');
}

function root(body: Body, name: string, bytesMax: number): XmlElement {
  const el = parseXml(body, { bytesMax });
  if (el.name !== name) throw malformed();
  return el;
}

function isEmpty(body: Body): boolean {
  return typeof body === 'string'
    ? body.trim() === ''
    : body.byteLength === 0 || Buffer.from(body).toString('utf8').trim() === '';
}

function requiredText(el: XmlElement, name: string): string {
  const t = childText(el, name);
  if (t === undefined) throw malformed();
  return t;
}

function intText(el: XmlElement, name: string): number | undefined {
  const t = childText(el, name);
  if (t === undefined) return undefined;
  const s = t.trim();
  if (!/^-?[0-9]{1,15}$/.test(s)) throw malformed();
  return Number(s);
}

function boolText(el: XmlElement, name: string): boolean | undefined {
  const t = childText(el, name)?.trim();
  if (t === undefined) return undefined;
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw malformed();
}

// ---------------------------------------------------------------- CompleteMultipartUpload

export interface CompletedPartInput {
  readonly partNumber: number;
  /** ETag without surrounding quotes (clients send either form). */
  readonly etag: string;
  readonly checksums: Partial<Record<'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256', string>>;
}

const PART_CHECKSUMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;

export function parseCompleteMultipartUpload(body: Body): { parts: CompletedPartInput[] } {
  const el = root(body, 'CompleteMultipartUpload', COMPLETE_MULTIPART_XML_BYTES_MAX);
  const partEls = children(el, 'Part');
  if (partEls.length === 0 || partEls.length > PARTS_PER_UPLOAD_MAX) throw malformed();
  const parts: CompletedPartInput[] = [];
  let last = 0;
  for (const p of partEls) {
    const partNumber = intText(p, 'PartNumber');
    if (partNumber === undefined) throw malformed();
    if (partNumber < 1 || partNumber > PARTS_PER_UPLOAD_MAX) {
      throw new S3Error('InvalidArgument', {
        message: 'Part number must be an integer between 1 and 10000, inclusive',
        fields: { ArgumentName: 'partNumber', ArgumentValue: String(partNumber) },
      });
    }
    if (partNumber <= last) throw new S3Error('InvalidPartOrder');
    last = partNumber;
    const etag = requiredText(p, 'ETag')
      .trim()
      .replace(/^"(.*)"$/s, '$1');
    const checksums: Record<string, string> = {};
    for (const alg of PART_CHECKSUMS) {
      const v = childText(p, `Checksum${alg}`);
      if (v !== undefined) checksums[alg] = v.trim();
    }
    parts.push({ partNumber, etag, checksums });
  }
  return { parts };
}

// ---------------------------------------------------------------- Delete (DeleteObjects)

export interface DeleteObjectInput {
  readonly key: string;
  readonly versionId?: string;
}

export function parseDelete(body: Body): { objects: DeleteObjectInput[]; quiet: boolean } {
  const el = root(body, 'Delete', DELETE_XML_BYTES_MAX);
  const objEls = children(el, 'Object');
  if (objEls.length === 0 || objEls.length > DELETE_OBJECTS_MAX) throw malformed();
  const objects = objEls.map((o): DeleteObjectInput => {
    // Keys are taken verbatim: leading/trailing spaces are part of the key.
    const key = requiredText(o, 'Key');
    const versionId = childText(o, 'VersionId');
    return versionId === undefined ? { key } : { key, versionId: versionId.trim() };
  });
  return { objects, quiet: boolText(el, 'Quiet') ?? false };
}

// ---------------------------------------------------------------- CreateBucketConfiguration

export function parseCreateBucketConfiguration(body: Body): { locationConstraint?: string } {
  if (isEmpty(body)) return {};
  const el = root(body, 'CreateBucketConfiguration', CONFIG_XML_BYTES_MAX);
  const lc = childText(el, 'LocationConstraint')?.trim();
  return lc === undefined || lc === '' ? {} : { locationConstraint: lc };
}

// ---------------------------------------------------------------- Tagging

export interface Tag {
  readonly key: string;
  readonly value: string;
}

function invalidTag(message: string): S3Error {
  return new S3Error('InvalidTag', { message });
}

export function parseTagging(body: Body, tagsMax: number = OBJECT_TAGS_MAX): Tag[] {
  const el = root(body, 'Tagging', CONFIG_XML_BYTES_MAX);
  const set = child(el, 'TagSet');
  if (!set) throw malformed();
  const tags = children(set, 'Tag').map((t) => ({
    key: requiredText(t, 'Key'),
    value: requiredText(t, 'Value'),
  }));
  if (tags.length > tagsMax)
    throw new S3Error('BadRequest', { message: `Object tags cannot be greater than ${tagsMax}` });
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.key.length === 0 || t.key.length > TAG_KEY_LENGTH_MAX)
      invalidThrow('The TagKey you have provided is invalid');
    if (t.value.length > TAG_VALUE_LENGTH_MAX) invalidThrow('The TagValue you have provided is invalid');
    if (seen.has(t.key)) invalidThrow('Cannot provide multiple Tags with the same key');
    seen.add(t.key);
  }
  return tags;
}

function invalidThrow(message: string): never {
  throw invalidTag(message);
}

// ---------------------------------------------------------------- VersioningConfiguration

export function parseVersioningConfiguration(body: Body): {
  status?: 'Enabled' | 'Suspended';
  mfaDelete?: 'Enabled' | 'Disabled';
} {
  const el = root(body, 'VersioningConfiguration', CONFIG_XML_BYTES_MAX);
  const out: { status?: 'Enabled' | 'Suspended'; mfaDelete?: 'Enabled' | 'Disabled' } = {};
  const status = childText(el, 'Status')?.trim();
  if (status !== undefined) {
    if (status !== 'Enabled' && status !== 'Suspended') throw malformed();
    out.status = status;
  }
  const mfa = childText(el, 'MfaDelete')?.trim();
  if (mfa !== undefined) {
    if (mfa !== 'Enabled' && mfa !== 'Disabled') throw malformed();
    out.mfaDelete = mfa;
  }
  return out;
}

// ---------------------------------------------------------------- CORSConfiguration

export interface CorsRule {
  readonly id?: string;
  readonly allowedMethods: string[];
  readonly allowedOrigins: string[];
  readonly allowedHeaders: string[];
  readonly exposeHeaders: string[];
  readonly maxAgeSeconds?: number;
}

const CORS_METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);

export function parseCorsConfiguration(body: Body): CorsRule[] {
  const el = root(body, 'CORSConfiguration', CONFIG_XML_BYTES_MAX);
  const ruleEls = children(el, 'CORSRule');
  if (ruleEls.length === 0 || ruleEls.length > CORS_RULES_MAX) throw malformed();
  return ruleEls.map(corsRule);
}

function texts(el: XmlElement, name: string): string[] {
  return children(el, name).map((c) => c.text.trim());
}

function corsRule(r: XmlElement): CorsRule {
  const allowedMethods = texts(r, 'AllowedMethod');
  const allowedOrigins = texts(r, 'AllowedOrigin');
  if (allowedMethods.length === 0 || allowedOrigins.length === 0) throw malformed();
  for (const m of allowedMethods) {
    if (!CORS_METHODS.has(m)) {
      throw new S3Error('InvalidRequest', {
        message: `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
      });
    }
  }
  const rule: { -readonly [K in keyof CorsRule]: CorsRule[K] } = {
    allowedMethods,
    allowedOrigins,
    allowedHeaders: texts(r, 'AllowedHeader'),
    exposeHeaders: texts(r, 'ExposeHeader'),
  };
  const id = childText(r, 'ID');
  if (id !== undefined) rule.id = id;
  const maxAge = intText(r, 'MaxAgeSeconds');
  if (maxAge !== undefined) rule.maxAgeSeconds = maxAge;
  return rule;
}

// ---------------------------------------------------------------- LifecycleConfiguration

export interface LifecycleFilter {
  readonly prefix?: string;
  readonly tags: Tag[];
  readonly objectSizeGreaterThan?: number;
  readonly objectSizeLessThan?: number;
}

export interface LifecycleRule {
  readonly id?: string;
  readonly status: 'Enabled' | 'Disabled';
  /** Legacy top-level Prefix and Filter (plain or And) folded into one filter. */
  readonly filter: LifecycleFilter;
  readonly expiration?: { days?: number; date?: string; expiredObjectDeleteMarker?: boolean };
  readonly noncurrentVersionExpiration?: { noncurrentDays?: number; newerNoncurrentVersions?: number };
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Transitions are stored and echoed but have no effect (one storage tier). */
  readonly transitions: { days?: number; date?: string; storageClass?: string }[];
}

export function parseLifecycleConfiguration(body: Body): LifecycleRule[] {
  const el = root(body, 'LifecycleConfiguration', CONFIG_XML_BYTES_MAX);
  const ruleEls = children(el, 'Rule');
  if (ruleEls.length === 0 || ruleEls.length > LIFECYCLE_RULES_MAX) throw malformed();
  return ruleEls.map(lifecycleRule);
}

function lifecycleRule(r: XmlElement): LifecycleRule {
  const status = requiredText(r, 'Status').trim();
  if (status !== 'Enabled' && status !== 'Disabled') throw malformed();
  const rule: { -readonly [K in keyof LifecycleRule]: LifecycleRule[K] } = {
    status,
    filter: lifecycleFilter(r),
    transitions: children(r, 'Transition').map((t) =>
      dropUndefined({
        days: intText(t, 'Days'),
        date: childText(t, 'Date')?.trim(),
        storageClass: childText(t, 'StorageClass')?.trim(),
      }),
    ),
  };
  const id = childText(r, 'ID');
  if (id !== undefined) rule.id = id;
  const exp = child(r, 'Expiration');
  if (exp) {
    rule.expiration = dropUndefined({
      days: intText(exp, 'Days'),
      date: childText(exp, 'Date')?.trim(),
      expiredObjectDeleteMarker: boolText(exp, 'ExpiredObjectDeleteMarker'),
    });
    if (rule.expiration.days !== undefined && rule.expiration.days <= 0) {
      throw new S3Error('InvalidArgument', {
        message: "'Days' for Expiration action must be a positive integer",
      });
    }
  }
  const nve = child(r, 'NoncurrentVersionExpiration');
  if (nve)
    rule.noncurrentVersionExpiration = dropUndefined({
      noncurrentDays: intText(nve, 'NoncurrentDays'),
      newerNoncurrentVersions: intText(nve, 'NewerNoncurrentVersions'),
    });
  const abort = child(r, 'AbortIncompleteMultipartUpload');
  const abortDays = abort ? intText(abort, 'DaysAfterInitiation') : undefined;
  if (abortDays !== undefined) rule.abortIncompleteMultipartUploadDays = abortDays;
  return rule;
}

function lifecycleFilter(r: XmlElement): LifecycleFilter {
  const legacyPrefix = childText(r, 'Prefix');
  const f = child(r, 'Filter');
  if (!f) return legacyPrefix === undefined ? { tags: [] } : { prefix: legacyPrefix, tags: [] };
  if (legacyPrefix !== undefined) throw malformed();
  const src = child(f, 'And') ?? f;
  const tags = children(src, 'Tag').map((t) => ({
    key: requiredText(t, 'Key'),
    value: requiredText(t, 'Value'),
  }));
  return dropUndefined({
    prefix: childText(src, 'Prefix'),
    tags,
    objectSizeGreaterThan: intText(src, 'ObjectSizeGreaterThan'),
    objectSizeLessThan: intText(src, 'ObjectSizeLessThan'),
  }) as LifecycleFilter;
}

/** exactOptionalPropertyTypes: optional members must be absent, not undefined. */
function dropUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

// ---------------------------------------------------------------- WebsiteConfiguration

export interface RoutingRule {
  readonly condition?: { httpErrorCodeReturnedEquals?: string; keyPrefixEquals?: string };
  readonly redirect: {
    hostName?: string;
    httpRedirectCode?: string;
    protocol?: string;
    replaceKeyPrefixWith?: string;
    replaceKeyWith?: string;
  };
}

export interface WebsiteConfiguration {
  readonly indexDocumentSuffix?: string;
  readonly errorDocumentKey?: string;
  readonly redirectAllRequestsTo?: { hostName: string; protocol?: string };
  readonly routingRules: RoutingRule[];
}

export function parseWebsiteConfiguration(body: Body): WebsiteConfiguration {
  const el = root(body, 'WebsiteConfiguration', CONFIG_XML_BYTES_MAX);
  const out: { -readonly [K in keyof WebsiteConfiguration]: WebsiteConfiguration[K] } = { routingRules: [] };
  const index = child(el, 'IndexDocument');
  if (index) {
    const suffix = requiredText(index, 'Suffix');
    if (suffix === '' || suffix.includes('/')) {
      throw new S3Error('InvalidArgument', { message: 'The IndexDocument Suffix is not well formed' });
    }
    out.indexDocumentSuffix = suffix;
  }
  const error = child(el, 'ErrorDocument');
  if (error) out.errorDocumentKey = requiredText(error, 'Key');
  const redirectAll = child(el, 'RedirectAllRequestsTo');
  if (redirectAll) {
    const hostName = requiredText(redirectAll, 'HostName').trim();
    const protocol = childText(redirectAll, 'Protocol')?.trim();
    out.redirectAllRequestsTo = protocol === undefined ? { hostName } : { hostName, protocol };
  }
  if (!index && !redirectAll) {
    throw new S3Error('InvalidArgument', {
      message: 'A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty',
    });
  }
  const rules = child(el, 'RoutingRules');
  if (rules) out.routingRules = children(rules, 'RoutingRule').map(routingRule);
  return out;
}

function routingRule(r: XmlElement): RoutingRule {
  const redirect = child(r, 'Redirect');
  if (!redirect) throw malformed();
  const cond = child(r, 'Condition');
  const rule: { -readonly [K in keyof RoutingRule]: RoutingRule[K] } = {
    redirect: dropUndefined({
      hostName: childText(redirect, 'HostName')?.trim(),
      httpRedirectCode: childText(redirect, 'HttpRedirectCode')?.trim(),
      protocol: childText(redirect, 'Protocol')?.trim(),
      replaceKeyPrefixWith: childText(redirect, 'ReplaceKeyPrefixWith'),
      replaceKeyWith: childText(redirect, 'ReplaceKeyWith'),
    }),
  };
  if (cond) {
    rule.condition = dropUndefined({
      httpErrorCodeReturnedEquals: childText(cond, 'HttpErrorCodeReturnedEquals')?.trim(),
      keyPrefixEquals: childText(cond, 'KeyPrefixEquals'),
    });
  }
  return rule;
}
