/**
 * AWS Signature Version 2 (HMAC-SHA1), which s3cmd and old SDKs still send.
 *
 * API
 *   verifySigV2Header(req, authorization, creds) → AuthResult   `Authorization: AWS AKID:signature`
 *   verifySigV2Query(req, query, creds) → AuthResult            `?AWSAccessKeyId=…&Expires=…&Signature=…`
 *   sigV2StringToSign(req, dateOrExpires) / sigV2CanonicalResource(req)
 *
 * String to sign:
 *   VERB \n Content-MD5 \n Content-Type \n Date (or Expires; empty when x-amz-date is sent) \n
 *   (x-amz-name:value\n sorted by name, repeated values joined with ',') CanonicalizedResource
 * CanonicalizedResource = ['/' bucket when virtual-hosted] + raw path + sub-resources (the fixed
 * list below) sorted by name, as `?name` or `?name=value` (values decoded), joined with '&'.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';
import {
  canonicalUri,
  CLOCK_SKEW_MS_MAX,
  headerString,
  type AuthRequest,
  type AuthResult,
  type CredentialStore,
} from './sigv4.js';

/** Query parameters that are part of the V2 signed resource (botocore and s3cmd agree on these). */
const SUB_RESOURCES = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'delete',
  'encryption',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'select',
  'select-type',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * `rawValues` keeps sub-resource values as sent (s3cmd signs them percent-encoded) instead of
 * decoded (the AWS description); `path` overrides the raw path (for the re-encoded variant).
 */
export function sigV2CanonicalResource(
  req: AuthRequest,
  rawValues = false,
  path: string = req.rawPath,
): string {
  let out = (req.virtualHostBucket !== undefined ? `/${req.virtualHostBucket}` : '') + (path || '/');
  const subs: [string, string | undefined][] = [];
  for (const part of req.rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    if (SUB_RESOURCES.has(name))
      subs.push([name, eq < 0 ? undefined : rawValues ? part.slice(eq + 1) : decode(part.slice(eq + 1))]);
  }
  if (subs.length > 0) {
    subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out += '?' + subs.map(([n, v]) => (v === undefined || v === '' ? n : `${n}=${v}`)).join('&');
  }
  return out;
}

export function sigV2StringToSign(
  req: AuthRequest,
  dateLine: string,
  resource: string = sigV2CanonicalResource(req),
): string {
  const amz: [string, string][] = [];
  for (const name of Object.keys(req.headers)) {
    if (!name.startsWith('x-amz-')) continue;
    const v = req.headers[name];
    if (v === undefined) continue;
    const values = typeof v === 'string' ? [v] : v;
    amz.push([name, values.map((x) => x.trim()).join(',')]);
  }
  amz.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let s = `${req.method}\n${headerString(req.headers, 'content-md5') ?? ''}\n${headerString(req.headers, 'content-type') ?? ''}\n${dateLine}\n`;
  for (const [n, v] of amz) s += `${n}:${v}\n`;
  return s + resource;
}

function sign(secret: string, sts: string): string {
  return createHmac('sha1', secret).update(sts, 'utf8').digest('base64');
}

function check(
  req: AuthRequest,
  accessKeyId: string,
  provided: string,
  dateLine: string,
  secret: string,
): void {
  const got = Buffer.from(provided);
  const resources = new Set([
    sigV2CanonicalResource(req),
    sigV2CanonicalResource(req, true, canonicalUri(req.rawPath)),
  ]);
  let sts = '';
  for (const resource of resources) {
    const candidate = sigV2StringToSign(req, dateLine, resource);
    sts ||= candidate;
    const expected = Buffer.from(sign(secret, candidate));
    if (expected.length === got.length && timingSafeEqual(expected, got)) return;
  }
  {
    throw new S3Error('SignatureDoesNotMatch', {
      fields: {
        AWSAccessKeyId: accessKeyId,
        StringToSign: sts,
        SignatureProvided: provided,
        StringToSignBytes: Buffer.from(sts)
          .toString('hex')
          .replace(/(..)(?!$)/g, '$1 '),
      },
    });
  }
}

function secretOrThrow(accessKeyId: string, creds: CredentialStore): string | undefined {
  const secret = creds.secretFor(accessKeyId);
  if (secret === undefined && creds.strict)
    throw new S3Error('InvalidAccessKeyId', { fields: { AWSAccessKeyId: accessKeyId } });
  return secret;
}

export function verifySigV2Header(
  req: AuthRequest,
  authorization: string,
  creds: CredentialStore,
): AuthResult {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m)
    throw new S3Error('InvalidArgument', {
      message: 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature',
      fields: { ArgumentName: 'Authorization', ArgumentValue: authorization },
    });
  const [, accessKeyId, signature] = m as unknown as [string, string, string];
  const amzDate = headerString(req.headers, 'x-amz-date');
  const date = headerString(req.headers, 'date');
  const ms = Date.parse(amzDate ?? date ?? '');
  if (!Number.isFinite(ms))
    throw new S3Error('AccessDenied', {
      message: 'AWS authentication requires a valid Date or x-amz-date header',
    });
  const secret = secretOrThrow(accessKeyId, creds);
  if (Math.abs(ms - creds.nowMs) > CLOCK_SKEW_MS_MAX) {
    throw new S3Error('RequestTimeTooSkewed', {
      fields: {
        RequestTime: amzDate ?? date ?? '',
        ServerTime: new Date(creds.nowMs).toISOString(),
        MaxAllowedSkewMilliseconds: CLOCK_SKEW_MS_MAX,
      },
    });
  }
  const result = { scheme: 'sigv2-header' as const, accessKeyId, payload: { kind: 'unsigned' as const } };
  if (secret === undefined) return { ...result, verified: false };
  // With x-amz-date present, the Date line is empty (the x-amz-date header is signed instead).
  check(req, accessKeyId, signature, amzDate !== undefined ? '' : (date ?? ''), secret);
  return { ...result, verified: true };
}

export function verifySigV2Query(
  req: AuthRequest,
  query: ReadonlyMap<string, string>,
  creds: CredentialStore,
): AuthResult {
  const accessKeyId = query.get('AWSAccessKeyId');
  const signature = query.get('Signature');
  const expires = query.get('Expires');
  if (!accessKeyId || !signature || expires === undefined || !/^\d{1,12}$/.test(expires)) {
    throw new S3Error('AccessDenied', {
      message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
    });
  }
  const secret = secretOrThrow(accessKeyId, creds);
  const expiresMs = Number(expires) * 1000;
  if (creds.nowMs > expiresMs) {
    throw new S3Error('AccessDenied', {
      message: 'Request has expired',
      fields: { Expires: new Date(expiresMs).toISOString(), ServerTime: new Date(creds.nowMs).toISOString() },
    });
  }
  const result = { scheme: 'sigv2-query' as const, accessKeyId, payload: { kind: 'unsigned' as const } };
  if (secret === undefined) return { ...result, verified: false };
  check(req, accessKeyId, signature, expires, secret);
  return { ...result, verified: true };
}
