/**
 * Proves: CRC-32C matches the standard check value and chains; batch framing round-trips; every
 * corruption (flipped byte under the CRC, truncation, bad length/magic) is a BatchError and never
 * another exception; baseOffset/leaderEpoch rewrites keep the CRC valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c } from './crc32c.js';
import {
  BatchError,
  buildBatch,
  scanBatches,
  setBaseOffset,
  setLeaderEpoch,
  splitBatches,
  validateBatch,
  batchNextOffset,
} from './batch.js';

function sample(n = 3, payload = 'hello'): Buffer {
  return buildBatch(Buffer.from(payload), {
    lastOffsetDelta: n - 1,
    recordCount: n,
    baseTimestamp: 1000n,
    maxTimestamp: 1005n,
  });
}

test('crc32c check value and chaining', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa); // RFC 3720 test vector
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const b = Buffer.from('the quick brown fox jumps over the lazy dog!!');
  for (let k = 0; k <= b.length; k++) assert.equal(crc32c(b, k, b.length, crc32c(b, 0, k)), crc32c(b));
});

test('build/validate round trip and rewrites keep CRC', () => {
  const b = sample(5);
  const h = validateBatch(b, 0);
  assert.equal(h.recordCount, 5);
  assert.equal(h.sizeBytes, b.length);
  assert.equal(batchNextOffset(h), 5n);
  setBaseOffset(b, 0, 1234n);
  setLeaderEpoch(b, 0, 7);
  const h2 = validateBatch(b, 0);
  assert.equal(h2.baseOffset, 1234n);
  assert.equal(h2.partitionLeaderEpoch, 7);
});

test('splitBatches handles several batches, rejects trailing garbage', () => {
  const blob = Buffer.concat([sample(1), sample(2), sample(3)]);
  assert.equal(splitBatches(blob).length, 3);
  assert.throws(() => splitBatches(Buffer.concat([blob, Buffer.from([1, 2, 3])])), BatchError);
  assert.throws(() => splitBatches(blob, { maxBatches: 2 }), BatchError);
  const big = sample(1, 'x'.repeat(200));
  assert.throws(() => splitBatches(big, { maxBatchBytes: big.length - 1 }), (e: BatchError) => e.tooLarge);
  assert.equal(splitBatches(big, { maxBatchBytes: big.length }).length, 1);
});

test('any single-byte change under the CRC is detected', () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const b = sample(2, 'payload-bytes');
      const at = 21 + (i % (b.length - 21));
      b[at] = b[at]! ^ x;
      assert.throws(() => validateBatch(b, 0), BatchError);
    }),
  );
});

test('random bytes and truncations never throw anything but BatchError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const r = scanBatches(buf);
      assert.ok(r.validEnd <= buf.length);
      try {
        splitBatches(buf);
      } catch (e) {
        assert.ok(e instanceof BatchError);
      }
    }),
  );
  const good = Buffer.concat([sample(1), sample(4)]);
  for (let cut = 0; cut < good.length; cut++) {
    const r = scanBatches(good.subarray(0, cut));
    assert.ok(r.validEnd === 0 || r.validEnd === sample(1).length);
    assert.equal(r.error === null, cut === 0 || cut === sample(1).length);
  }
});
