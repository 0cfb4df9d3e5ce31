/**
 * The request-header parsers in the object handlers: Range (single range served, multi-range and
 * garbage ignored, unsatisfiable → InvalidRange), x-amz-copy-source, and conditional precedence.
 * Arbitrary input never throws anything but an S3Error (fast-check).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { S3Error } from '../protocol/errors.js';
import type { VersionRow } from '../storage/index-store.js';
import { checkConditions, parseCopySource, parseRange } from './object.js';

const row = (etag: string, lastModifiedMs: number): VersionRow => ({
  id: 1,
  bucket: 'b',
  key: 'k',
  versionId: 'null',
  isLatest: true,
  deleteMarker: false,
  size: 10,
  etag,
  lastModifiedMs,
  storageClass: 'STANDARD',
  headers: {},
  checksum: null,
  tags: [],
  segments: [],
  partSizes: [],
});

describe('parseRange', () => {
  it('serves single ranges and clamps the end', () => {
    assert.deepEqual(parseRange('bytes=2-4', 10), { start: 2, end: 4 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
  });
  it('ignores multi-range and malformed headers (whole object)', () => {
    assert.equal(parseRange('bytes=0-1,3-4', 10), null);
    assert.equal(parseRange('items=0-1', 10), null);
    assert.equal(parseRange('bytes=5-2', 10), null);
    assert.equal(parseRange(undefined, 10), null);
  });
  it('answers InvalidRange (416) for unsatisfiable ranges', () => {
    for (const h of ['bytes=10-', 'bytes=10-20', 'bytes=-0']) {
      assert.throws(
        () => parseRange(h, 10),
        (e: unknown) =>
          e instanceof S3Error && e.status === 416 && e.headers['content-range'] === 'bytes */10',
      );
    }
    assert.throws(
      () => parseRange('bytes=0-', 0),
      (e: unknown) => e instanceof S3Error && e.code === 'InvalidRange',
    );
  });
  it('never throws anything but S3Error, and returned ranges lie inside the object', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^bytes=\d{0,4}-\d{0,4}$/)),
        fc.nat(5000),
        (h, size) => {
          try {
            const r = parseRange(h, size);
            if (r) assert.ok(r.start >= 0 && r.start <= r.end && r.end < size);
          } catch (e) {
            assert.ok(e instanceof S3Error);
          }
        },
      ),
    );
  });
});

describe('parseCopySource', () => {
  it('decodes bucket, key and versionId', () => {
    assert.deepEqual(parseCopySource('/b/a%2Fb%3Fc?versionId=v1'), {
      bucket: 'b',
      key: 'a/b?c',
      versionId: 'v1',
    });
    assert.deepEqual(parseCopySource('b//lead'), { bucket: 'b', key: '/lead', versionId: null });
  });
  it('rejects garbage with S3Error only', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseCopySource(s);
        } catch (e) {
          assert.ok(e instanceof S3Error);
        }
      }),
    );
  });
});

describe('checkConditions', () => {
  const v = row('"abc"', Date.UTC(2025, 0, 1, 12, 0, 0, 500));
  const h = (o: Record<string, string>) => (n: string) => o[n];
  it('follows RFC 7232 precedence as S3 does', () => {
    assert.equal(checkConditions(h({ 'if-match': '"abc"' }), v), null);
    assert.equal(checkConditions(h({ 'if-match': '"zzz"' }), v), 412);
    assert.equal(checkConditions(h({ 'if-none-match': 'abc' }), v), 304);
    assert.equal(checkConditions(h({ 'if-none-match': '*' }), v), 304);
    const at = new Date(Date.UTC(2025, 0, 1, 12, 0, 0)).toUTCString();
    assert.equal(checkConditions(h({ 'if-modified-since': at }), v), 304, 'second precision');
    assert.equal(
      checkConditions(h({ 'if-unmodified-since': new Date(Date.UTC(2024, 0, 1)).toUTCString() }), v),
      412,
    );
    // If-Match true wins over a failing If-Unmodified-Since; If-None-Match false wins over If-Modified-Since.
    assert.equal(
      checkConditions(h({ 'if-match': '"abc"', 'if-unmodified-since': new Date(0).toUTCString() }), v),
      null,
    );
    assert.equal(checkConditions(h({ 'if-none-match': '"zzz"', 'if-modified-since': at }), v), null);
    assert.equal(checkConditions(h({ 'x-amz-copy-source-if-match': '"zzz"' }), v, 'x-amz-copy-source-'), 412);
  });
});
