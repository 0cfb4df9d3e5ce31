/** Proves bucket/key extraction for path and virtual-hosted styles keeps keys byte-exact. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { S3Error } from './errors.js';
import { decodeKey, parseQuery, parseS3Address, validateBucketName, validateKey } from './addressing.js';

test('path style: bucket, key, double slashes and leading slash kept', () => {
  assert.deepEqual(parseS3Address('127.0.0.1:4566', '/'), {
    style: 'path',
    website: false,
    rawPath: '/',
    rawQuery: '',
  });
  assert.deepEqual(parseS3Address('localhost:4566', '/b?list-type=2'), {
    style: 'path',
    bucket: 'b',
    website: false,
    rawPath: '/b',
    rawQuery: 'list-type=2',
  });
  assert.equal(parseS3Address('localhost:4566', '/b/').key, undefined);
  assert.equal(parseS3Address('localhost:4566', '/b//x').key, '/x');
  assert.equal(parseS3Address('localhost:4566', '/b/a//b/').key, 'a//b/');
  assert.equal(parseS3Address('localhost', '/b/a%2Fb%20c+d%3D%E2%82%AC').key, 'a/b c+d=€');
  assert.equal(parseS3Address('[::1]:4566', '/b/k').bucket, 'b');
  assert.equal(parseS3Address('s3.localhost.localstack.cloud:4566', '/b/k').bucket, 'b');
  assert.equal(parseS3Address('localhost', 'http://localhost:4566/b/k?x').key, 'k');
});

test('virtual-hosted style for local and AWS host names', () => {
  const cases: [string, string, boolean][] = [
    ['b.localhost:4566', 'b', false],
    ['my.dotted.bucket.localhost', 'my.dotted.bucket', false],
    ['b.s3.localhost.localstack.cloud:4566', 'b', false],
    ['b.s3.localhost', 'b', false],
    ['B.S3.AMAZONAWS.COM', 'b', false],
    ['b.s3.us-east-1.amazonaws.com', 'b', false],
    ['b.s3-us-west-2.amazonaws.com', 'b', false],
    ['b.s3.dualstack.eu-central-1.amazonaws.com', 'b', false],
    ['b.s3-website-us-east-1.amazonaws.com', 'b', true],
    ['b.s3-website.localhost.localstack.cloud:4566', 'b', true],
  ];
  for (const [host, bucket, website] of cases) {
    const a = parseS3Address(host, '//lead?x=1');
    assert.equal(a.style, 'virtual', host);
    assert.equal(a.bucket, bucket, host);
    assert.equal(a.website, website, host);
    assert.equal(a.key, '/lead', host);
  }
  assert.equal(parseS3Address('b.localhost', '/').key, undefined);
  assert.equal(parseS3Address('s3.amazonaws.com', '/b/k').style, 'path');
  assert.equal(parseS3Address('s3.localhost', '/b/k').style, 'path');
  assert.equal(parseS3Address('other.example', '/b/k').style, 'path');
  assert.equal(parseS3Address('b.nimbus.test', '/k', ['nimbus.test']).bucket, 'b');
});

test('bad escapes are InvalidURI', () => {
  for (const raw of ['/b/%', '/b/%zz', '/b/%C3%28']) {
    assert.throws(
      () => parseS3Address('localhost', raw),
      (e: unknown) => e instanceof S3Error && e.code === 'InvalidURI',
    );
  }
});

test('query: order, duplicates, empty values, plus as space', () => {
  assert.deepEqual(parseQuery('uploads&prefix=a+b%2B&x=&x=2'), [
    ['uploads', ''],
    ['prefix', 'a b+'],
    ['x', ''],
    ['x', '2'],
  ]);
});

test('key and bucket name limits', () => {
  validateKey('k'.repeat(1024));
  assert.throws(
    () => validateKey('k'.repeat(1025)),
    (e: unknown) => e instanceof S3Error && e.code === 'KeyTooLongError',
  );
  assert.throws(
    () => validateKey('€'.repeat(342)),
    (e: unknown) => e instanceof S3Error && e.code === 'KeyTooLongError',
  );
  for (const ok of ['abc', 'a'.repeat(63), 'my.bucket-1']) validateBucketName(ok);
  for (const bad of ['ab', 'a'.repeat(64), 'Abc', 'a..b', '-ab', 'ab-', '192.168.1.1', 'xn--ab', 'a_b']) {
    assert.throws(
      () => validateBucketName(bad),
      (e: unknown) => e instanceof S3Error && e.code === 'InvalidBucketName',
      bad,
    );
  }
});

test('fuzz: any key round-trips through encodeURIComponent in both styles', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (key) => {
      const enc = key.split('/').map(encodeURIComponent).join('/');
      assert.equal(parseS3Address('localhost', `/bucket/${enc}?a=b`).key, key);
      assert.equal(parseS3Address('bucket.localhost', `/${enc}`).key, key);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string(), (url, host) => {
      try {
        parseS3Address(host, url);
        decodeKey(url);
        parseQuery(url);
      } catch (e) {
        if (!(e instanceof S3Error)) throw e;
      }
    }),
    { numRuns: 1000 },
  );
});
