/**
 * Presigned POST (browser form upload): policy document decoding, condition checks, signature.
 *
 * API
 *   const form = await readPostForm(req, req.headers['content-type'])    (form-data.ts)
 *   const r = verifyPostPolicy(form.fields, form.file.filename, bucket, creds)
 *     → { scheme: 'anonymous' | 'sigv4-post' | 'sigv2-post', accessKeyId?, verified, key,
 *         contentLengthRange? }          throws S3Error (AccessDenied with AWS's policy messages,
 *                                          InvalidPolicyDocument, InvalidArgument, SignatureDoesNotMatch…)
 *   stream form.file.data to storage, then checkPostContentLength(r, bytes)  (EntityTooSmall/Large)
 *
 * Policy document (base64 JSON): { "expiration": ISO-8601, "conditions": [ ... ] } where a
 * condition is { "field": "value" } (exact), ["eq", "$field", "value"], ["starts-with",
 * "$field", "prefix"] (for Content-Type: every comma-separated value), or
 * ["content-length-range", min, max]. Every form field except policy, x-amz-signature,
 * signature, awsaccesskeyid, file and x-ignore-* must be covered by a condition.
 * SigV4: x-amz-signature = hex(HMAC-SHA256(signingKey(date, region, s3), policyBase64)).
 * SigV2: signature = base64(HMAC-SHA1(secret, policyBase64)).
 * `${filename}` in the key is replaced by the uploaded file's name (after the checks, as S3 does).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';
import { hmacHex, parseAmzDate, signaturesEqual, signingKey, type CredentialStore } from './sigv4.js';

/** Base64 policy text; S3's whole pre-file form data is limited to 20 KB anyway. */
export const POLICY_BYTES_MAX = 20 * 1024;
export const POLICY_CONDITIONS_MAX = 100;

export interface PostPolicyResult {
  readonly scheme: 'anonymous' | 'sigv4-post' | 'sigv2-post';
  readonly accessKeyId?: string;
  readonly verified: boolean;
  /** Object key with `${filename}` substituted. */
  readonly key: string;
  readonly contentLengthRange?: { readonly min: number; readonly max: number };
}

const EXEMPT = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);

function denied(message: string): S3Error {
  return new S3Error('AccessDenied', { message });
}

function invalidPolicy(message: string): S3Error {
  return new S3Error('InvalidPolicyDocument', { message: `Invalid Policy: ${message}` });
}

interface Policy {
  readonly expiration: string;
  readonly conditions: unknown[];
}

function decodePolicy(b64: string): Policy {
  if (b64.length > POLICY_BYTES_MAX)
    throw new S3Error('InvalidPolicyDocument', { message: 'Invalid Policy: Policy is too large.' });
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = doc as Record<string, unknown>;
  if (typeof expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy missing conditions.');
  if (conditions.length > POLICY_CONDITIONS_MAX) throw invalidPolicy('Too many conditions.');
  return { expiration, conditions };
}

function conditionText(c: unknown): string {
  return JSON.stringify(c)
    .replace(/","/g, '", "')
    .replace(/,(?=\d)/g, ', ');
}

type FieldLookup = (name: string) => string | undefined;

/** Checks one condition; returns the field name it covers (if any) and the length range. */
function checkCondition(
  c: unknown,
  get: FieldLookup,
): { covers?: string; range?: { min: number; max: number } } {
  const failed = (): S3Error =>
    denied(`Invalid according to Policy: Policy Condition failed: ${conditionText(c)}`);
  if (Array.isArray(c)) {
    const [op, a, b] = c as unknown[];
    if (typeof op !== 'string') throw invalidPolicy('Invalid condition.');
    const opName = op.toLowerCase();
    if (opName === 'content-length-range') {
      const min = Number(a);
      const max = Number(b);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min)
        throw invalidPolicy('Invalid content-length-range.');
      return { range: { min, max } };
    }
    if (
      (opName !== 'eq' && opName !== 'starts-with') ||
      typeof a !== 'string' ||
      !a.startsWith('$') ||
      typeof b !== 'string'
    )
      throw invalidPolicy(`Invalid condition: ${conditionText(c)}`);
    const name = a.slice(1).toLowerCase();
    const value = get(name) ?? '';
    const ok =
      opName === 'eq'
        ? value === b
        : name === 'content-type'
          ? value.split(',').every((v) => v.trim().startsWith(b))
          : value.startsWith(b);
    if (!ok) throw failed();
    return { covers: name };
  }
  if (typeof c === 'object' && c !== null) {
    const entries = Object.entries(c as Record<string, unknown>);
    if (entries.length !== 1 || typeof entries[0]![1] !== 'string')
      throw invalidPolicy(`Invalid condition: ${conditionText(c)}`);
    const [rawName, expected] = entries[0] as [string, string];
    const name = rawName.replace(/^\$/, '').toLowerCase();
    if ((get(name) ?? '') !== expected) throw failed();
    return { covers: name };
  }
  throw invalidPolicy('Invalid condition.');
}

function checkConditions(
  policy: Policy,
  fields: ReadonlyMap<string, string>,
  bucket: string,
  nowMs: number,
): { min: number; max: number } | undefined {
  const expires = Date.parse(policy.expiration);
  if (!Number.isFinite(expires)) throw invalidPolicy('Invalid expiration.');
  if (nowMs > expires) throw denied('Invalid according to Policy: Policy expired.');
  const get: FieldLookup = (name) => (name === 'bucket' ? bucket : fields.get(name));
  const covered = new Set<string>(['bucket']);
  let range: { min: number; max: number } | undefined;
  for (const c of policy.conditions) {
    const r = checkCondition(c, get);
    if (r.covers !== undefined) covered.add(r.covers);
    if (r.range) range = r.range;
  }
  for (const name of fields.keys()) {
    if (!EXEMPT.has(name) && !name.startsWith('x-ignore-') && !covered.has(name)) {
      throw denied(`Invalid according to Policy: Extra input fields: ${name}`);
    }
  }
  return range;
}

function secretFor(accessKeyId: string, creds: CredentialStore): string | undefined {
  const secret = creds.secretFor(accessKeyId);
  if (secret === undefined && creds.strict)
    throw new S3Error('InvalidAccessKeyId', { fields: { AWSAccessKeyId: accessKeyId } });
  return secret;
}

function verifyV4(
  fields: ReadonlyMap<string, string>,
  policyB64: string,
  creds: CredentialStore,
): { accessKeyId: string; verified: boolean } {
  const algorithm = fields.get('x-amz-algorithm');
  const credential = fields.get('x-amz-credential');
  const amzDate = fields.get('x-amz-date');
  const signature = fields.get('x-amz-signature');
  if (algorithm !== 'AWS4-HMAC-SHA256')
    throw new S3Error('InvalidArgument', {
      message: 'POST form fields x-amz-algorithm must be AWS4-HMAC-SHA256',
      fields: { ArgumentName: 'x-amz-algorithm', ArgumentValue: algorithm ?? '' },
    });
  const parts = (credential ?? '').split('/');
  const n = parts.length;
  if (n < 5 || parts[n - 1] !== 'aws4_request' || !/^\d{8}$/.test(parts[n - 4]!)) {
    throw new S3Error('InvalidArgument', {
      message: 'Invalid argument.',
      fields: { ArgumentName: 'x-amz-credential', ArgumentValue: credential ?? '' },
    });
  }
  if (amzDate === undefined || parseAmzDate(amzDate) === undefined) {
    throw new S3Error('InvalidArgument', {
      message: 'Invalid argument.',
      fields: { ArgumentName: 'x-amz-date', ArgumentValue: amzDate ?? '' },
    });
  }
  if (!signature) throw denied("Bucket POST must contain a field named 'x-amz-signature'.");
  const accessKeyId = parts.slice(0, n - 4).join('/');
  const secret = secretFor(accessKeyId, creds);
  if (secret === undefined) return { accessKeyId, verified: false };
  const key = signingKey(secret, parts[n - 4]!, parts[n - 3]!, parts[n - 2]!);
  if (!signaturesEqual(hmacHex(key, policyB64), signature.toLowerCase())) {
    throw new S3Error('SignatureDoesNotMatch', {
      fields: { AWSAccessKeyId: accessKeyId, StringToSign: policyB64, SignatureProvided: signature },
    });
  }
  return { accessKeyId, verified: true };
}

function verifyV2(
  fields: ReadonlyMap<string, string>,
  policyB64: string,
  creds: CredentialStore,
): { accessKeyId: string; verified: boolean } {
  const accessKeyId = fields.get('awsaccesskeyid')!;
  const signature = fields.get('signature');
  if (!signature) throw denied("Bucket POST must contain a field named 'Signature'.");
  const secret = secretFor(accessKeyId, creds);
  if (secret === undefined) return { accessKeyId, verified: false };
  const expected = Buffer.from(createHmac('sha1', secret).update(policyB64).digest('base64'));
  const got = Buffer.from(signature);
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
    throw new S3Error('SignatureDoesNotMatch', {
      fields: { AWSAccessKeyId: accessKeyId, StringToSign: policyB64, SignatureProvided: signature },
    });
  }
  return { accessKeyId, verified: true };
}

export function verifyPostPolicy(
  fields: ReadonlyMap<string, string>,
  filename: string,
  bucket: string,
  creds: CredentialStore,
): PostPolicyResult {
  const rawKey = fields.get('key');
  if (rawKey === undefined) {
    throw new S3Error('InvalidArgument', {
      message:
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      fields: { ArgumentName: 'key', ArgumentValue: '' },
    });
  }
  const key = rawKey.split('${filename}').join(filename);
  const policyB64 = fields.get('policy');
  if (policyB64 === undefined) return { scheme: 'anonymous', verified: false, key };
  const policy = decodePolicy(policyB64);
  const isV2 = fields.has('awsaccesskeyid') && !fields.has('x-amz-credential');
  const auth = isV2 ? verifyV2(fields, policyB64, creds) : verifyV4(fields, policyB64, creds);
  const range = checkConditions(policy, fields, bucket, creds.nowMs);
  const base = {
    scheme: isV2 ? ('sigv2-post' as const) : ('sigv4-post' as const),
    accessKeyId: auth.accessKeyId,
    verified: auth.verified,
    key,
  };
  return range ? { ...base, contentLengthRange: range } : base;
}

/** After the file is stored: S3 checks content-length-range against the actual size. */
export function checkPostContentLength(r: PostPolicyResult, bytes: number): void {
  const range = r.contentLengthRange;
  if (!range) return;
  if (bytes < range.min)
    throw new S3Error('EntityTooSmall', { fields: { ProposedSize: bytes, MinSizeAllowed: range.min } });
  if (bytes > range.max)
    throw new S3Error('EntityTooLarge', { fields: { ProposedSize: bytes, MaxSizeAllowed: range.max } });
}
