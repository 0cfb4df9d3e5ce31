/**
 * Where an S3 request points: bucket and key from the Host header and the raw request target.
 *
 * API
 *   parseS3Address(host, rawUrl, baseDomains?) → { style, bucket?, key?, website, rawPath, rawQuery }
 *   splitUrl(rawUrl) → { rawPath, rawQuery }
 *   parseQuery(rawQuery) → [name, value][]   decoded, order and duplicates kept, '+' means space
 *   queryMap(pairs) → Map (first value wins), for handlers reading ?prefix=, ?uploadId= …
 *   decodeKey(rawSegment) → string            strict percent-decoding (InvalidURI on bad escapes)
 *   validateBucketName(name) → throws InvalidBucketName (rules for CreateBucket)
 *   validateKey(key) → throws KeyTooLongError above 1,024 UTF-8 bytes
 *   DEFAULT_BASE_DOMAINS
 *
 * Virtual-hosted style: the host (port stripped, lower-cased) is `<bucket>.<base>` for a known base
 * domain, longest base first, so `b.s3.localhost.localstack.cloud` yields bucket `b` and not
 * `b.s3`. AWS hosts (`b.s3.amazonaws.com`, `b.s3.us-east-1.amazonaws.com`, `b.s3-us-west-2…`,
 * dualstack) are recognised by pattern. `s3-website` hosts set `website` (static hosting).
 * Anything else (IP literals, plain `localhost`, other names) is path style.
 *
 * Keys come from the raw path, never a normalised URL: `/b//x` is key `/x` and `/b/a%2Fb` is `a/b`;
 * `+` in a path is a literal plus (only query strings treat it as a space).
 */
import { S3Error } from './errors.js';

export const KEY_BYTES_MAX = 1024;
export const BUCKET_NAME_LENGTH_MIN = 3;
export const BUCKET_NAME_LENGTH_MAX = 63;
/** Query strings are bounded by the HTTP server's header limit; this caps pairs we materialise. */
export const QUERY_PAIRS_MAX = 1000;

export const DEFAULT_BASE_DOMAINS: readonly string[] = [
  's3-website.localhost.localstack.cloud',
  's3.localhost.localstack.cloud',
  'localhost.localstack.cloud',
  's3-website.localhost',
  's3.localhost',
  'localhost',
];

export interface S3Address {
  readonly style: 'path' | 'virtual';
  /** Absent for service-level requests (ListBuckets). */
  readonly bucket?: string;
  /** Absent for bucket-level requests; may be '' never (empty key means bucket request). */
  readonly key?: string;
  /** The request came through a static-website host name. */
  readonly website: boolean;
  readonly rawPath: string;
  readonly rawQuery: string;
}

const AWS_VHOST =
  /^(.+)\.(s3(?:-website)?)(?:[.-](?:dualstack|[a-z]{2}(?:-gov)?-[a-z]+-\d))*\.amazonaws\.com(?:\.cn)?$/;

export function splitUrl(rawUrl: string): { rawPath: string; rawQuery: string } {
  const q = rawUrl.indexOf('?');
  let rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  // Absolute-form request targets (proxies) carry scheme and host; keep only the path. (Origin
  // form, i.e. nearly every request, starts with '/' and skips the regex.)
  const abs = rawPath.startsWith('/') ? null : /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(rawPath);
  if (abs) rawPath = rawPath.slice(abs[0].length) || '/';
  return { rawPath, rawQuery: q < 0 ? '' : rawUrl.slice(q + 1) };
}

function hostName(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h; // IPv6 literal: always path style
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** Distinct Host headers whose virtual-host answer is remembered (per base-domain list). */
export const HOST_CACHE_ENTRIES_MAX = 256;

type VirtualHost = { readonly bucket: string; readonly website: boolean } | undefined;

/**
 * Host header → virtualHostBucket answer, for the default base domains only. A server sees a
 * handful of hosts, each on every request; the answer is a pure function of the header, so it is
 * computed once. Emptied when full, so a client cycling through hosts costs a recompute, no memory.
 */
const hostCache = new Map<string, VirtualHost>();

/** Returns the bucket named by a virtual-hosted Host header, or undefined for path style. */
export function virtualHostBucket(
  host: string | undefined,
  baseDomains: readonly string[] = DEFAULT_BASE_DOMAINS,
): VirtualHost {
  if (host === undefined || baseDomains !== DEFAULT_BASE_DOMAINS)
    return computeVirtualHost(host, baseDomains);
  if (hostCache.has(host)) return hostCache.get(host);
  const r = computeVirtualHost(host, baseDomains);
  if (hostCache.size >= HOST_CACHE_ENTRIES_MAX) hostCache.clear();
  hostCache.set(host, r === undefined ? r : Object.freeze(r));
  return r;
}

function computeVirtualHost(host: string | undefined, baseDomains: readonly string[]): VirtualHost {
  const h = hostName(host);
  if (h === '' || /^[\d.]+$/.test(h) || h.startsWith('[')) return undefined;
  const aws = AWS_VHOST.exec(h);
  if (aws) return { bucket: aws[1]!, website: aws[2] === 's3-website' };
  // A host that is itself a base domain (s3.localhost, s3.localhost.localstack.cloud) is path style.
  if (baseDomains.includes(h)) return undefined;
  let best: string | undefined;
  for (const base of baseDomains) {
    if (
      h.length > base.length + 1 &&
      h.endsWith('.' + base) &&
      (best === undefined || base.length > best.length)
    )
      best = base;
  }
  if (best === undefined) return undefined;
  return { bucket: h.slice(0, h.length - best.length - 1), website: best.startsWith('s3-website.') };
}

export function parseS3Address(
  host: string | undefined,
  rawUrl: string,
  baseDomains: readonly string[] = DEFAULT_BASE_DOMAINS,
): S3Address {
  const { rawPath, rawQuery } = splitUrl(rawUrl);
  if (!rawPath.startsWith('/')) throw new S3Error('InvalidURI');
  const vhost = virtualHostBucket(host, baseDomains);
  // Objects built whole, not spread from a base: a spread here cost more than the parsing.
  if (vhost) {
    const rawKey = rawPath.slice(1);
    const { bucket, website } = vhost;
    if (rawKey === '') return { style: 'virtual', bucket, website, rawPath, rawQuery };
    return { style: 'virtual', bucket, key: decodeKey(rawKey), website, rawPath, rawQuery };
  }
  const slash = rawPath.indexOf('/', 1);
  const rawBucket = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
  if (rawBucket === '') return { style: 'path', website: false, rawPath, rawQuery };
  const bucket = decodeKey(rawBucket);
  const rawKey = slash < 0 ? '' : rawPath.slice(slash + 1);
  if (rawKey === '') return { style: 'path', bucket, website: false, rawPath, rawQuery };
  return { style: 'path', bucket, key: decodeKey(rawKey), website: false, rawPath, rawQuery };
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** Strict percent-decoding of a path segment; bad escapes or invalid UTF-8 are InvalidURI. */
export function decodeKey(raw: string): string {
  if (raw.indexOf('%') < 0) return raw;
  const bytes = Buffer.from(raw, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x25) {
      out[n++] = c;
      continue;
    }
    const hi = hexVal(bytes[i + 1]);
    const lo = hexVal(bytes[i + 2]);
    if (hi < 0 || lo < 0) throw new S3Error('InvalidURI');
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  try {
    return utf8Fatal.decode(out.subarray(0, n));
  } catch {
    throw new S3Error('InvalidURI');
  }
}

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decoded query pairs in wire order; `a&b=` gives [['a',''],['b','']]. */
export function parseQuery(rawQuery: string): [string, string][] {
  const out: [string, string][] = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    if (out.length >= QUERY_PAIRS_MAX)
      throw new S3Error('InvalidArgument', { message: 'Too many query parameters' });
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([decodeKey(name.replace(/\+/g, ' ')), decodeKey(value.replace(/\+/g, ' '))]);
  }
  return out;
}

export function queryMap(pairs: readonly [string, string][]): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of pairs) if (!m.has(k)) m.set(k, v);
  return m;
}

export function validateKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > KEY_BYTES_MAX) {
    throw new S3Error('KeyTooLongError', {
      fields: { MaxSizeAllowed: KEY_BYTES_MAX, Size: Buffer.byteLength(key, 'utf8') },
    });
  }
}

/** The rules AWS enforces for new general-purpose buckets. */
export function validateBucketName(name: string): void {
  const ok =
    name.length >= BUCKET_NAME_LENGTH_MIN &&
    name.length <= BUCKET_NAME_LENGTH_MAX &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3');
  if (!ok) throw new S3Error('InvalidBucketName', { fields: { BucketName: name } });
}
