/**
 * Fuzz: authenticate() on arbitrary header values and query strings (mutations of real signed
 * requests and random text) returns a result or throws an S3Error, never anything else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authenticate, staticCredentials } from './auth.js';
import { S3Error } from './errors.js';
import type { AuthRequest } from './sigv4.js';

const NOW = Date.UTC(2025, 0, 1);
const AUTH_V4 =
  'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=' +
  'ab'.repeat(32);

function mutate(s: string, i: number, ch: string): string {
  if (s.length === 0) return ch;
  const at = i % s.length;
  return s.slice(0, at) + ch + s.slice(at + 1);
}

test('fuzz: authenticate never throws anything but S3Error', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom(AUTH_V4, 'AWS test:abc', 'AWS ', 'AWS4-HMAC-SHA256 ', 'AWS4-ECDSA-P256-SHA256 x'),
  );
  const query = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.constantFrom(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00',
      'AWSAccessKeyId=test&Expires=1&Signature=x',
      'X-Amz-Signature=&X-Amz-Expires=-1',
    ),
  );
  fc.assert(
    fc.property(
      text,
      fc.nat(),
      fc.string({ maxLength: 3 }),
      query,
      fc.constantFrom('20250101T000000Z', '2025', '', 'Wed, 01 Jan 2025 00:00:00 GMT'),
      fc.constantFrom(
        'UNSIGNED-PAYLOAD',
        'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x',
      ),
      fc.boolean(),
      (auth, at, ch, q, date, sha, withAuth) => {
        const headers: Record<string, string> = {
          host: 'localhost',
          'x-amz-date': date,
          'x-amz-content-sha256': sha,
          date,
        };
        if (withAuth) headers.authorization = mutate(auth, at, ch);
        const req: AuthRequest = {
          method: 'GET',
          rawPath: '/b/k',
          rawQuery: withAuth ? '' : mutate(q, at, ch),
          headers,
        };
        for (const strict of [true, false]) {
          try {
            const r = authenticate(req, staticCredentials({ test: 'test' }, { strict, nowMs: NOW }));
            assert.equal(typeof r.verified, 'boolean');
          } catch (e) {
            if (!(e instanceof S3Error)) throw e;
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});
