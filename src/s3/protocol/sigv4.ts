/**
 * AWS Signature Version 4 for S3: canonicalisation, header and presigned-query verification.
 *
 * API (most callers use authenticate() in auth.ts, which dispatches here):
 *   verifySigV4Header(req, creds) / verifySigV4Query(req, creds) → AuthResult   (throws S3Error)
 *   canonicalUri(rawPath) / canonicalQuery(rawQuery, exclude?) / canonicalHeaders(headers, names)
 *   signingKey(secret, date, region, service) → Buffer    (cached, bounded)
 *   hmacHex(key, data), sha256Hex(data)
 *   EMPTY_SHA256_HEX
 *
 * Canonical request (what both sides hash):
 *   METHOD \n CanonicalURI \n CanonicalQuery \n (name:value\n)* \n SignedHeaders \n PayloadHash
 * String to sign:
 *   AWS4-HMAC-SHA256 \n X-Amz-Date \n yyyymmdd/region/s3/aws4_request \n hex(sha256(canonical request))
 *
 * S3 specifics: the path is URI-encoded once (no double encoding as for other services) and not
 * normalised (`//` and `.` segments stay). We re-encode the decoded path with the SigV4 rules
 * (unreserved A-Z a-z 0-9 - _ . ~ kept, '/' kept, everything else %XX upper-case) as S3 does;
 * when that does not match we also try the path exactly as sent, which accepts clients whose
 * own encoding differs (e.g. a literal '+' or '%2F'), never a signature made without the key.
 * Query parameters are decoded, re-encoded, and sorted by name then value; `a` and `a=` both
 * become `a=`; repeated names all count.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';

export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS allows 15 minutes between the request's date and the server's clock. */
export const CLOCK_SKEW_MS_MAX = 15 * 60 * 1000;
/** Presigned URLs live at most 7 days. */
export const PRESIGN_EXPIRES_SECONDS_MAX = 604_800;
/** Distinct (secret, date, region, service) signing keys kept; one day of traffic needs a handful. */
export const SIGNING_KEY_CACHE_MAX = 256;
export const SIGNED_HEADERS_MAX = 64;

export const PAYLOAD_UNSIGNED = 'UNSIGNED-PAYLOAD';
export const PAYLOAD_STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const PAYLOAD_STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const PAYLOAD_STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const PAYLOAD_STREAMING_ECDSA = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD';
const PAYLOAD_STREAMING_ECDSA_TRAILER = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER';

/** Header values as Node gives them; pass `req.headersDistinct` so repeated headers stay apart. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface AuthRequest {
  readonly method: string;
  /** Path exactly as on the request line (still percent-encoded). */
  readonly rawPath: string;
  /** Query string without '?', exactly as sent. */
  readonly rawQuery: string;
  /** Lower-case header names. */
  readonly headers: HeaderBag;
  /** Bucket named by a virtual-hosted Host header (SigV2 puts it in the signed resource). */
  readonly virtualHostBucket?: string;
}

export interface CredentialStore {
  /** Secret for a known access key, undefined for an unknown one. */
  secretFor(accessKeyId: string): string | undefined;
  /** Unknown keys are InvalidAccessKeyId when strict, accepted unverified otherwise. */
  readonly strict: boolean;
  /** Server time (injected clock), milliseconds since the epoch. */
  readonly nowMs: number;
}

/** How the body must be checked after authentication. */
export type PayloadMode =
  | { readonly kind: 'unsigned' }
  /** The body's SHA-256 must equal this (XAmzContentSHA256Mismatch otherwise); see payload.ts. */
  | { readonly kind: 'sha256'; readonly expectedHex: string }
  /** aws-chunked framing; `signed` chunks carry chained signatures; `trailer` ends with headers. */
  | { readonly kind: 'aws-chunked'; readonly signed: boolean; readonly trailer: boolean };

/** What aws-chunked.ts needs to verify chunk and trailer signatures. */
export interface ChunkSigningContext {
  readonly signingKey: Buffer;
  readonly seedSignature: string;
  readonly amzDate: string;
  /** `yyyymmdd/region/s3/aws4_request` */
  readonly scope: string;
}

export interface AuthResult {
  readonly scheme: 'anonymous' | 'sigv4-header' | 'sigv4-query' | 'sigv2-header' | 'sigv2-query';
  readonly accessKeyId?: string;
  /** False for anonymous requests and for unknown keys accepted without verification. */
  readonly verified: boolean;
  readonly region?: string;
  readonly payload: PayloadMode;
  /** Present when the payload is signed aws-chunked and the signature was verified. */
  readonly chunkSigning?: ChunkSigningContext;
}

// ---------------------------------------------------------------- crypto helpers

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function hmacHex(key: string | Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

const keyCache = new Map<string, Buffer>();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  if (keyCache.size >= SIGNING_KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(id, key);
  return key;
}

/** Constant-time comparison of two lower-case hex signatures. */
export function signaturesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

// ---------------------------------------------------------------- canonicalisation

const HEX = '0123456789ABCDEF';

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** SigV4 URI encoding of a decoded string; '/' kept when `keepSlash`. */
export function uriEncode(s: string, keepSlash: boolean): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isUnreserved(c) && !(keepSlash && c === 0x2f)) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (isUnreserved(b) || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Lenient percent-decoding: malformed escapes stay literal (canonicalisation must not throw). */
function decodeLenient(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function canonicalUri(rawPath: string): string {
  return uriEncode(decodeLenient(rawPath), true) || '/';
}

/** Canonical query string; `exclude` drops a parameter (X-Amz-Signature for presigned URLs). */
export function canonicalQuery(rawQuery: string, exclude?: string, plusIsSpace = false): string {
  if (rawQuery === '') return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const dec = (x: string): string => decodeLenient(plusIsSpace ? x.replace(/\+/g, ' ') : x);
    const name = dec(rawName);
    if (name === exclude) continue;
    pairs.push([uriEncode(name, false), uriEncode(dec(rawValue), false)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Trims and collapses runs of whitespace, joins repeated headers with ','. */
export function canonicalHeaderValue(v: string | readonly string[] | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return collapse(v);
  return v.map(collapse).join(',');
}

const NEEDS_COLLAPSE = /\s\s|[\t\n\r\f\v]/;

/** Trim and collapse whitespace runs; most values need neither, so test before replacing. */
function collapse(x: string): string {
  const t = x.trim();
  return NEEDS_COLLAPSE.test(t) ? t.replace(/\s+/g, ' ') : t;
}

export function canonicalHeaders(headers: HeaderBag, signedNames: readonly string[]): string {
  let out = '';
  for (const name of signedNames) out += `${name}:${canonicalHeaderValue(headers[name])}\n`;
  return out;
}

export function headerString(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

// ---------------------------------------------------------------- dates

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses `yyyymmddThhmmssZ`; undefined if malformed. */
export function parseAmzDate(s: string): number | undefined {
  const m = AMZ_DATE.exec(s);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isFinite(t) ? t : undefined;
}

export function toAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `requestTime` is echoed as sent (x-amz-date or Date), as S3 does. */
function checkSkew(requestMs: number, nowMs: number, requestTime: string): void {
  if (Math.abs(requestMs - nowMs) > CLOCK_SKEW_MS_MAX) {
    throw new S3Error('RequestTimeTooSkewed', {
      fields: {
        RequestTime: requestTime,
        ServerTime: isoSeconds(nowMs),
        MaxAllowedSkewMilliseconds: CLOCK_SKEW_MS_MAX,
      },
    });
  }
}

// ---------------------------------------------------------------- credential scope

interface Scope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

function parseCredential(cred: string, inQuery: boolean): Scope {
  // The access key itself may not contain '/', so split from the right.
  const parts = cred.split('/');
  const n = parts.length;
  const bad = (): S3Error =>
    inQuery
      ? new S3Error('AuthorizationQueryParametersError', {
          message:
            'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        })
      : new S3Error('AuthorizationHeaderMalformed', {
          message:
            'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        });
  if (n < 5 || parts[n - 1] !== 'aws4_request') throw bad();
  const scope = {
    accessKeyId: parts.slice(0, n - 4).join('/'),
    date: parts[n - 4]!,
    region: parts[n - 3]!,
    service: parts[n - 2]!,
  };
  if (scope.accessKeyId === '' || !/^\d{8}$/.test(scope.date) || scope.region === '') throw bad();
  if (scope.service !== 's3') {
    const message = `${inQuery ? 'Error parsing the X-Amz-Credential parameter' : 'The authorization header is malformed'}; incorrect service "${scope.service}". This endpoint belongs to "s3".`;
    throw new S3Error(inQuery ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed', {
      message,
    });
  }
  return scope;
}

function scopeString(s: Scope): string {
  return `${s.date}/${s.region}/${s.service}/aws4_request`;
}

// ---------------------------------------------------------------- payload mode

function payloadMode(value: string): PayloadMode {
  switch (value) {
    case PAYLOAD_UNSIGNED:
      return { kind: 'unsigned' };
    case PAYLOAD_STREAMING_SIGNED:
      return { kind: 'aws-chunked', signed: true, trailer: false };
    case PAYLOAD_STREAMING_SIGNED_TRAILER:
      return { kind: 'aws-chunked', signed: true, trailer: true };
    case PAYLOAD_STREAMING_UNSIGNED_TRAILER:
      return { kind: 'aws-chunked', signed: false, trailer: true };
    case PAYLOAD_STREAMING_ECDSA:
    case PAYLOAD_STREAMING_ECDSA_TRAILER:
      throw new S3Error('NotImplemented', {
        message: 'SigV4a (ECDSA) streaming signatures are not implemented',
      });
  }
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'sha256', expectedHex: value.toLowerCase() };
  throw new S3Error('InvalidArgument', {
    message:
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    fields: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
  });
}

// ---------------------------------------------------------------- verification core

interface SignInput {
  readonly req: AuthRequest;
  readonly scope: Scope;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
  readonly provided: string;
  /** Parameter excluded from the canonical query (presigned: X-Amz-Signature). */
  readonly excludeQuery?: string;
}

function canonicalRequest(input: SignInput, uri: string, query: string): string {
  const { req, signedHeaders } = input;
  return `${req.method}\n${uri}\n${query}\n${canonicalHeaders(req.headers, signedHeaders)}\n${signedHeaders.join(';')}\n${input.payloadHash}`;
}

function stringToSign(input: SignInput, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${input.amzDate}\n${scopeString(input.scope)}\n${sha256Hex(canonical)}`;
}

function spacedHex(s: string): string {
  return Buffer.from(s, 'utf8')
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

/** Verifies the signature, trying S3's canonical URI first and the path as sent second. */
function verifySignature(input: SignInput, secret: string): Buffer {
  const key = signingKey(secret, input.scope.date, input.scope.region, input.scope.service);
  const { rawPath, rawQuery } = input.req;
  const provided = input.provided.toLowerCase();
  const uri = canonicalUri(rawPath);
  const query = canonicalQuery(rawQuery, input.excludeQuery);
  const canonical = canonicalRequest(input, uri, query);
  const sts = stringToSign(input, canonical);
  if (signaturesEqual(hmacHex(key, sts), provided)) return key;
  // Only on a mismatch: the path as sent and '+' as space in the query (see the file comment).
  const altUri = rawPath || '/';
  const altQuery = canonicalQuery(rawQuery, input.excludeQuery, true);
  if (altUri !== uri || altQuery !== query) {
    if (
      signaturesEqual(hmacHex(key, stringToSign(input, canonicalRequest(input, altUri, altQuery))), provided)
    )
      return key;
  }
  const first = { canonical, sts };
  throw new S3Error('SignatureDoesNotMatch', {
    fields: {
      AWSAccessKeyId: input.scope.accessKeyId,
      StringToSign: first.sts,
      SignatureProvided: input.provided,
      StringToSignBytes: spacedHex(first.sts),
      CanonicalRequest: first.canonical,
      CanonicalRequestBytes: spacedHex(first.canonical),
    },
  });
}

function lookupSecret(accessKeyId: string, creds: CredentialStore): string | undefined {
  const secret = creds.secretFor(accessKeyId);
  if (secret === undefined && creds.strict)
    throw new S3Error('InvalidAccessKeyId', { fields: { AWSAccessKeyId: accessKeyId } });
  return secret;
}

function parseSignedHeaders(list: string, inQuery: boolean): string[] {
  const names = list.split(';');
  const ok =
    names.length <= SIGNED_HEADERS_MAX &&
    /^[a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*$/.test(list) &&
    names.includes('host');
  if (!ok) {
    const message = inQuery
      ? 'Query-string authentication requires the Host header to be signed'
      : 'The authorization header is malformed; SignedHeaders must include host.';
    throw new S3Error(inQuery ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed', {
      message,
    });
  }
  // Canonical order is sorted; clients already send them sorted, but do not rely on it.
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) return names.sort();
  return names;
}

// ---------------------------------------------------------------- header auth

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (comma or space separated). */
export function parseAuthorizationV4(value: string): {
  credential: string;
  signedHeaders: string;
  signature: string;
} {
  const body = value.slice(SIGV4_ALGORITHM.length);
  const fields = new Map<string, string>();
  for (const piece of body.split(/[,\s]+/)) {
    const eq = piece.indexOf('=');
    if (eq > 0) fields.set(piece.slice(0, eq), piece.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature || !/^[0-9a-fA-F]{64}$/.test(signature)) {
    throw new S3Error('AuthorizationHeaderMalformed', {
      message: `The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.`,
    });
  }
  return { credential, signedHeaders, signature };
}

export function verifySigV4Header(
  req: AuthRequest,
  authorization: string,
  creds: CredentialStore,
): AuthResult {
  const auth = parseAuthorizationV4(authorization);
  const scope = parseCredential(auth.credential, false);
  const amzDate = headerString(req.headers, 'x-amz-date') ?? '';
  let requestMs = parseAmzDate(amzDate);
  let dateForScope = amzDate;
  if (requestMs === undefined) {
    // SigV4 also allows the Date header when x-amz-date is absent.
    const date = headerString(req.headers, 'date');
    requestMs = date !== undefined && amzDate === '' ? Date.parse(date) : NaN;
    if (!Number.isFinite(requestMs))
      throw new S3Error('AccessDenied', {
        message: 'AWS authentication requires a valid Date or x-amz-date header',
      });
    dateForScope = toAmzDate(requestMs);
  }
  if (dateForScope.slice(0, 8) !== scope.date) {
    throw new S3Error('AuthorizationHeaderMalformed', {
      message: `The authorization header is malformed; Invalid credential date "${scope.date}". This date is not the same as X-Amz-Date: "${dateForScope.slice(0, 8)}".`,
    });
  }
  const contentSha = headerString(req.headers, 'x-amz-content-sha256');
  if (contentSha === undefined)
    throw new S3Error('InvalidRequest', {
      message: 'Missing required header for this request: x-amz-content-sha256',
    });
  const payload = payloadMode(contentSha.trim());
  const secret = lookupSecret(scope.accessKeyId, creds);
  checkSkew(requestMs, creds.nowMs, amzDate !== '' ? amzDate : (headerString(req.headers, 'date') ?? ''));
  const base = {
    scheme: 'sigv4-header' as const,
    accessKeyId: scope.accessKeyId,
    region: scope.region,
    payload,
  };
  if (secret === undefined) return { ...base, verified: false };
  const key = verifySignature(
    {
      req,
      scope,
      amzDate: headerString(req.headers, 'x-amz-date') ?? dateForScope,
      signedHeaders: parseSignedHeaders(auth.signedHeaders, false),
      payloadHash: contentSha.trim(),
      provided: auth.signature,
    },
    secret,
  );
  const signedChunks = payload.kind === 'aws-chunked' && payload.signed;
  return signedChunks
    ? {
        ...base,
        verified: true,
        chunkSigning: {
          signingKey: key,
          seedSignature: auth.signature.toLowerCase(),
          amzDate: dateForScope,
          scope: scopeString(scope),
        },
      }
    : { ...base, verified: true };
}

// ---------------------------------------------------------------- presigned query auth

export function verifySigV4Query(
  req: AuthRequest,
  query: ReadonlyMap<string, string>,
  creds: CredentialStore,
): AuthResult {
  const need = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Expires',
  ] as const;
  for (const name of need) if (!query.has(name)) throw new S3Error('AuthorizationQueryParametersError');
  if (query.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    });
  }
  const scope = parseCredential(query.get('X-Amz-Credential')!, true);
  const amzDate = query.get('X-Amz-Date')!;
  const requestMs = parseAmzDate(amzDate);
  if (requestMs === undefined) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
    });
  }
  if (amzDate.slice(0, 8) !== scope.date) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message: `Invalid credential date "${scope.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    });
  }
  const expiresS = parseExpires(query.get('X-Amz-Expires')!);
  const signature = query.get('X-Amz-Signature')!;
  const secret = lookupSecret(scope.accessKeyId, creds);
  checkPresignWindow(requestMs, expiresS, creds.nowMs);
  const payloadHash =
    query.get('X-Amz-Content-Sha256') ??
    headerString(req.headers, 'x-amz-content-sha256')?.trim() ??
    PAYLOAD_UNSIGNED;
  const payload = payloadMode(payloadHash);
  const base = {
    scheme: 'sigv4-query' as const,
    accessKeyId: scope.accessKeyId,
    region: scope.region,
    payload,
  };
  if (secret === undefined) return { ...base, verified: false };
  verifySignature(
    {
      req,
      scope,
      amzDate,
      signedHeaders: parseSignedHeaders(query.get('X-Amz-SignedHeaders')!, true),
      payloadHash,
      provided: signature,
      excludeQuery: 'X-Amz-Signature',
    },
    secret,
  );
  return { ...base, verified: true };
}

function parseExpires(s: string): number {
  if (!/^-?\d{1,12}$/.test(s))
    throw new S3Error('AuthorizationQueryParametersError', { message: 'X-Amz-Expires should be a number' });
  const v = Number(s);
  if (v < 0)
    throw new S3Error('AuthorizationQueryParametersError', { message: 'X-Amz-Expires must be non-negative' });
  if (v > PRESIGN_EXPIRES_SECONDS_MAX) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message:
        'X-Amz-Expires must be less than a week (in seconds) that is; the given X-Amz-Expires must be less than 604800 seconds',
    });
  }
  return v;
}

function checkPresignWindow(requestMs: number, expiresS: number, nowMs: number): void {
  const expiresAtMs = requestMs + expiresS * 1000;
  if (nowMs > expiresAtMs) {
    throw new S3Error('AccessDenied', {
      message: 'Request has expired',
      fields: { 'X-Amz-Expires': expiresS, Expires: isoSeconds(expiresAtMs), ServerTime: isoSeconds(nowMs) },
    });
  }
  if (requestMs - nowMs > CLOCK_SKEW_MS_MAX) {
    throw new S3Error('AccessDenied', {
      message: 'Request is not valid yet',
      fields: { 'X-Amz-Date': toAmzDate(requestMs), ServerTime: isoSeconds(nowMs) },
    });
  }
}
