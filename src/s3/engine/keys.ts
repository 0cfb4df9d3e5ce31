/**
 * Key and name rules, and byte-order helpers for listing. S3 sorts keys by their UTF-8 bytes; for
 * valid strings that is code-point order, which SQLite's BINARY collation gives us directly.
 */
import { S3Error } from '../protocol/errors.js';

/** S3's key length limit, in UTF-8 bytes. */
export const KEY_BYTES_MAX = 1024;
/** S3's user-metadata limit (x-amz-meta-* names + values), in bytes. */
export const USER_METADATA_BYTES_MAX = 2048;

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_RE = /^\d+\.\d+\.\d+\.\d+$/;

export function validateBucketName(name: string): void {
  if (!BUCKET_RE.test(name) || IPV4_RE.test(name) || name.includes('..')) {
    throw new S3Error('InvalidBucketName', { fields: { BucketName: name } });
  }
}

export function validateKey(key: string): void {
  if (key.length === 0) throw new S3Error('InvalidArgument', { message: 'Object key must not be empty' });
  if (Buffer.byteLength(key, 'utf8') > KEY_BYTES_MAX) {
    throw new S3Error('KeyTooLongError', {
      fields: { MaxSizeAllowed: KEY_BYTES_MAX, Size: Buffer.byteLength(key, 'utf8') },
    });
  }
}

/**
 * The smallest string greater than every string starting with `prefix`, or null when none exists
 * (prefix made only of U+10FFFF). Bumps the last code point, skipping the surrogate range.
 */
export function prefixSuccessor(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last >= 0x10ffff) continue;
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return cps.join('') + String.fromCodePoint(next);
  }
  return null;
}

/** Byte-order comparison of two keys (UTF-8 memcmp). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
