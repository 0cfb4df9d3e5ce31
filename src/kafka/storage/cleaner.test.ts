/**
 * The cleaner's record walker and batch rewriter, by property: random batches re-encoded with a
 * random subset of their records decode to exactly that subset (offsets, timestamps, keys, values,
 * headers) under every codec, with a valid CRC; random and mutated record sections only ever make
 * walkRecords throw RecordFormatError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compress, decompress } from '../protocol/compression/index.js';
import { decodeBatchRecords, encodeBatch } from '../protocol/records.js';
import { BATCH_HEADER_BYTES, buildBatch, readBatchHeader, validateBatch } from './batch.js';
import { RecordFormatError, batchBody, rewriteBatch, walkRecords } from './cleaner.js';

const codecs = { compress, decompress };
const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const record = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  timestamp: fc.integer({ min: 0, max: 2 ** 41 }),
  headers: fc.array(
    fc
      .tuple(fc.string({ maxLength: 8 }), fc.option(bytes, { nil: null }))
      .map(([key, value]) => ({ key, value })),
    { maxLength: 3 },
  ),
});

test('rewriteBatch(subset) decodes to that subset, for every codec', () => {
  fc.assert(
    fc.property(
      fc.array(record, { minLength: 1, maxLength: 20 }),
      fc.constantFrom(0, 1, 2, 3, 4),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
      fc.option(fc.integer({ min: 0, max: 2 ** 42 }), { nil: null }),
      (records, codec, base, keepMask, horizon) => {
        const b = encodeBatch(records, { compression: codec, baseOffset: BigInt(base) });
        const h = readBatchHeader(b, 0);
        const body = batchBody(b, h, codecs);
        const all = walkRecords(body, h);
        assert.equal(all.length, records.length);
        const kept = all.filter((_, i) => keepMask[i]);
        const out = rewriteBatch(b, h, body, kept, horizon ?? -1, codecs);
        const nh = validateBatch(out, 0);
        assert.equal(nh.baseOffset, BigInt(base));
        assert.equal(nh.lastOffsetDelta, records.length - 1);
        const decoded = decodeBatchRecords(out, 0).records;
        const want = records.filter((_, i) => keepMask[i]);
        assert.deepEqual(
          decoded.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
          want.map((r) => [base + records.indexOf(r), r.timestamp, r.key, r.value, r.headers]),
        );
      },
    ),
    { numRuns: 150 },
  );
});

test('walkRecords on random or mutated record sections throws only RecordFormatError', () => {
  const good = encodeBatch(
    [
      { key: 'a', value: 'b', headers: { h: 'v' } },
      { key: null, value: null },
    ],
    { nowMs: 5 },
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        fc
          .tuple(fc.nat(good.length - BATCH_HEADER_BYTES - 1), fc.integer({ min: 0, max: 255 }))
          .map(([i, v]) => {
            const m = Buffer.from(good.subarray(BATCH_HEADER_BYTES));
            m[i] = v;
            return m;
          }),
      ),
      fc.integer({ min: 0, max: 50 }),
      (section, count) => {
        const b = buildBatch(section, {
          lastOffsetDelta: Math.max(0, count - 1),
          recordCount: count,
          baseTimestamp: 0n,
          maxTimestamp: 0n,
        });
        const h = readBatchHeader(b, 0);
        try {
          for (const r of walkRecords(batchBody(b, h, codecs), h))
            assert.ok(r.end <= section.length && r.attrPos < r.end);
        } catch (e) {
          assert.ok(e instanceof RecordFormatError, String(e));
        }
      },
    ),
    { numRuns: 500 },
  );
});
