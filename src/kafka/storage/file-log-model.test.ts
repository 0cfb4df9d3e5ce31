/**
 * Model-based test of FileLog: random sequences of appends (random batch sizes and record counts),
 * reads at random offsets and byte limits, DeleteRecords, retention by bytes, segment rolls (tiny
 * random segment.bytes and index intervals) and clean or unclean restarts are checked against a
 * plain array model: every read starts with the batch holding the offset, returns contiguous whole
 * batches within the byte limit (or exactly one batch), and offsets/start/end match the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ManualClock } from '../../platform/clock.js';
import { buildBatch, splitBatches, validateBatch } from './batch.js';
import { FileLog } from './file-log.js';
import { DEFAULT_LOG_CONFIG, OffsetOutOfRangeError, type LogConfig } from './log.js';

type Op =
  | { kind: 'append'; records: number; payload: number }
  | { kind: 'read'; at: number; maxBytes: number }
  | { kind: 'delete'; at: number }
  | { kind: 'retention'; bytes: number }
  | { kind: 'restart'; clean: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), records: fc.integer({ min: 1, max: 5 }), payload: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retention' as const), bytes: fc.integer({ min: 0, max: 800 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), clean: fc.boolean() }) },
);

test('FileLog matches a simple model under random operations and restarts', async () => {
  const base = mkdtempSync(join(tmpdir(), 'nimbus-k2-model-'));
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.integer({ min: 100, max: 700 }), fc.integer({ min: 0, max: 300 }), async (ops, segmentBytes, indexIntervalBytes) => {
        const dir = join(base, `r${run++}`);
        const cfg: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes, indexIntervalBytes, retentionMs: -1 };
        const clock = new ManualClock();
        const open = () => FileLog.open({ dir, topic: 't', partition: 0, config: cfg, clock });
        let log = open();
        let end = 0;
        let start = 0;
        for (const o of ops) {
          if (o.kind === 'append') {
            const b = buildBatch(Buffer.alloc(o.payload, 7), { lastOffsetDelta: o.records - 1, recordCount: o.records, baseTimestamp: 0n, maxTimestamp: 0n });
            const r = await log.append(b, splitBatches(b), 0);
            assert.equal(r.baseOffset, end);
            end += o.records;
          } else if (o.kind === 'read') {
            const at = start + Math.floor(o.at * (end - start));
            if (at >= end) {
              assert.equal(log.read(at, o.maxBytes).records.length, 0);
              continue;
            }
            const r = log.read(at, o.maxBytes);
            let p = 0;
            let expect = -1;
            while (p < r.records.length) {
              const h = validateBatch(r.records, p);
              const bo = Number(h.baseOffset);
              if (p === 0) assert.ok(bo <= at && at <= bo + h.lastOffsetDelta, `batch ${bo}+${h.lastOffsetDelta} holds ${at}`);
              else assert.equal(bo, expect, 'contiguous');
              expect = bo + h.lastOffsetDelta + 1;
              p += h.sizeBytes;
            }
            assert.ok(p > 0, 'at least one batch');
            assert.ok(r.records.length <= o.maxBytes || validateBatch(r.records, 0).sizeBytes === r.records.length);
          } else if (o.kind === 'delete') {
            const at = start + Math.floor(o.at * (end - start + 1));
            start = Math.max(start, log.deleteRecordsBefore(at));
            assert.equal(start, Math.max(at, start));
            if (start > 0) assert.throws(() => log.read(start - 1, 10), OffsetOutOfRangeError);
          } else if (o.kind === 'retention') {
            log.updateConfig({ ...cfg, retentionBytes: o.bytes });
            log.applyRetention(clock.now());
            log.updateConfig(cfg);
            assert.ok(log.logStartOffset() >= start);
            start = log.logStartOffset();
          } else {
            await log.close();
            if (!o.clean) unlinkSync(join(dir, 'clean-shutdown'));
            else assert.ok(existsSync(join(dir, 'clean-shutdown')));
            log = open();
          }
          assert.equal(log.logEndOffset(), end);
          assert.equal(log.highWatermark(), end);
          assert.equal(log.logStartOffset(), start);
        }
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
