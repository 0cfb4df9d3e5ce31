/**
 * Log compaction on real segment files: the latest record per key survives with its original
 * offset, tombstones get a delete horizon and go after it, the active segment and young segments
 * (min.compaction.lag.ms) are left alone, the dirty ratio gates passes, rewritten batches keep
 * their offsets, producer fields and codec with a valid CRC, and the log reads the same after
 * clean and unclean restarts and after a crash that left a half-written cleaned copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../platform/clock.js';
import { compress, decompress } from '../protocol/compression/index.js';
import { decodeBatchRecords, decodeRecordSet, encodeBatch, type NewRecord } from '../protocol/records.js';
import { readBatchHeader, splitBatches, validateBatch } from './batch.js';
import { ATTR_DELETE_HORIZON, batchBody, rewriteBatch, walkRecords } from './cleaner.js';
import { CLEANER_CHECKPOINT_FILE, FileLog } from './file-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log.js';
import type { CompactionConfig } from './segment-cleaner.js';

const codecs = { compress, decompress };
const CFG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1, indexIntervalBytes: 100, retentionMs: -1 };
const COMPACT: CompactionConfig = {
  deleteRetentionMs: 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.01,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'nimbus-k2-clean-'));
}

function open(dir: string, clock: ManualClock): FileLog {
  return FileLog.open({ dir: join(dir, 't-0'), topic: 't', partition: 0, config: CFG, clock });
}

async function put(log: FileLog, records: NewRecord[], compression = 0, producerId?: bigint): Promise<void> {
  const idem = producerId === undefined ? {} : { producerId, producerEpoch: 0, baseSequence: 0 };
  const b = encodeBatch(records, { compression, nowMs: 1_000, ...idem });
  await log.append(b, splitBatches(b), 0);
}

/** Every record readable from `from`, as "offset:key=value" ("~" for a tombstone). */
function contents(log: FileLog, from = 0): string[] {
  const out: string[] = [];
  let offset = from;
  while (offset < log.highWatermark()) {
    const r = log.read(offset, 1 << 20);
    if (r.records.length === 0) break;
    for (const b of decodeRecordSet(r.records)) {
      validateBatch(r.records, b.header.position);
      for (const rec of b.records)
        out.push(`${rec.offset}:${rec.key?.toString() ?? ''}=${rec.value?.toString() ?? '~'}`);
      offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

const kv = (key: string, value: string | null): NewRecord => ({ key, value, timestamp: 1_000 });

/** Runs `fn` on a fresh log in a temporary directory, then closes and removes both. */
async function withLog(
  fn: (log: FileLog, clock: ManualClock, dir: string) => Promise<void>,
  clock = new ManualClock(),
): Promise<void> {
  const dir = tmp();
  const log = open(dir, clock);
  try {
    await fn(log, clock, dir);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('rewriteBatch keeps offsets, producer fields, headers and codec, with a valid CRC', () => {
  for (const codec of [0, 1, 2, 3, 4]) {
    const records: NewRecord[] = [
      { key: 'a', value: '1', timestamp: 500, headers: { h: 'x' } },
      { key: 'b', value: '2', timestamp: 700 },
      { key: 'a', value: null, timestamp: 900 },
      { key: 'c', value: '4', timestamp: 800 },
    ];
    const b = encodeBatch(records, {
      compression: codec,
      baseOffset: 40n,
      producerId: 7n,
      producerEpoch: 3,
      baseSequence: 11,
    });
    const h = readBatchHeader(b, 0);
    const body = batchBody(b, h, codecs);
    const all = walkRecords(body, h);
    assert.deepEqual(
      all.map((r) => [r.offset, r.tombstone]),
      [
        [40, false],
        [41, false],
        [42, true],
        [43, false],
      ],
    );
    const out = rewriteBatch(b, h, body, [all[1]!, all[2]!], 5_000, codecs);
    const nh = validateBatch(out, 0);
    assert.equal(nh.baseOffset, 40n);
    assert.equal(nh.lastOffsetDelta, 3, 'the last offset stays, as Kafka overrides it');
    assert.deepEqual([nh.producerId, nh.producerEpoch, nh.baseSequence, nh.recordCount], [7n, 3, 11, 2]);
    assert.equal(nh.attributes & 7, codec);
    assert.equal(nh.attributes & ATTR_DELETE_HORIZON, ATTR_DELETE_HORIZON);
    assert.equal(nh.baseTimestamp, 5_000n, 'baseTimestamp holds the delete horizon');
    assert.equal(nh.maxTimestamp, 900n);
    const d = decodeBatchRecords(out, 0);
    assert.deepEqual(
      d.records.map((r) => [r.offset, r.key?.toString(), r.value?.toString() ?? null, r.timestamp]),
      [
        [41, 'b', '2', 700],
        [42, 'a', null, 900],
      ],
    );
  }
});

test('compaction keeps the latest value per key with original offsets; the active segment is untouched', () =>
  withLog(async (log, clock, dir) => {
    await put(log, [kv('a', 'a1'), kv('b', 'b1')]);
    await put(log, [kv('a', 'a2'), kv('c', 'c1')], 1);
    await put(log, [kv('b', 'b2')]);
    await put(log, [kv('c', 'c2')], 4);
    await put(log, [kv('a', 'a3'), kv('a', 'a4')]); // active segment: never cleaned
    assert.equal(log.segmentCount(), 5);
    const r = log.compact(clock.now(), COMPACT, codecs);
    assert.ok(r !== null && r.cleanedSegments === 2 && r.recordsRemoved === 3, JSON.stringify(r)); // the segments of b2 and c2 stay as they are
    assert.deepEqual(contents(log), ['2:a=a2', '4:b=b2', '5:c=c2', '6:a=a3', '7:a=a4']);
    // A fetch from an offset that was compacted away returns the next batch.
    assert.deepEqual(contents(log, 0).slice(0, 1), ['2:a=a2']);
    assert.equal(readBatchHeader(log.read(1, 1).records, 0).baseOffset, 2n);
    assert.equal(log.compact(clock.now(), COMPACT, codecs), null, 'nothing dirty: no pass');
    await log.close();
    const again = open(dir, clock);
    assert.deepEqual(contents(again), ['2:a=a2', '4:b=b2', '5:c=c2', '6:a=a3', '7:a=a4']);
    await again.close();
  }));

test('tombstones are kept until their delete horizon, then removed', () =>
  withLog(async (log, clock, dir) => {
    await put(log, [kv('a', 'a1'), kv('b', 'b1')]);
    await put(log, [kv('a', null)]);
    await put(log, [kv('z', 'active')]);
    log.compact(clock.now(), COMPACT, codecs);
    assert.deepEqual(contents(log), ['1:b=b1', '2:a=~', '3:z=active']);
    clock.advance(999);
    assert.equal(log.compact(clock.now(), COMPACT, codecs), null, 'horizon not reached yet');
    clock.advance(1);
    const r = log.compact(clock.now(), COMPACT, codecs);
    assert.ok(r !== null && r.recordsRemoved === 1 && r.tombstoneHorizonMs === -1, JSON.stringify(r));
    assert.deepEqual(contents(log), ['1:b=b1', '3:z=active']);
    assert.equal(log.logStartOffset(), 0, 'compaction never moves the log start');
    assert.equal(log.segmentCount(), 2, 'the emptied segment (not the first) is removed');
    assert.equal(readBatchHeader(log.read(2, 1).records, 0).baseOffset, 3n);
    await log.close();
    const again = open(dir, clock);
    assert.deepEqual(contents(again), ['1:b=b1', '3:z=active']);
    assert.equal(again.logEndOffset(), 4);
    await again.close();
  }));

test('min.compaction.lag.ms protects young segments; the dirty ratio gates passes', () =>
  withLog(async (log, clock) => {
    await put(log, [kv('a', 'a1')]);
    await put(log, [kv('a', 'a2')]);
    await put(log, [kv('a', 'a3')]);
    const lagged = { ...COMPACT, minCompactionLagMs: 9_500 };
    assert.equal(
      log.compact(clock.now(), lagged, codecs),
      null,
      'records at t=1000 are younger than 9.5 s at t=10000',
    );
    assert.equal(log.compact(clock.now(), { ...COMPACT, minCleanableDirtyRatio: 1.01 }, codecs), null);
    clock.advance(1_000);
    assert.ok(log.compact(clock.now(), lagged, codecs) !== null);
    assert.deepEqual(contents(log), ['1:a=a2', '2:a=a3']);
  }, new ManualClock(10_000)));

test("an idempotent producer's last batch stays as an empty batch", () =>
  withLog(async (log, clock) => {
    await put(log, [kv('a', 'a1')], 0, 5n);
    await put(log, [kv('a', 'a2')]);
    await put(log, [kv('b', 'active')]);
    log.compact(clock.now(), COMPACT, codecs);
    const first = log.read(0, 1 << 20).records;
    const h = validateBatch(first, 0);
    assert.deepEqual([h.baseOffset, h.recordCount, h.producerId, h.lastOffsetDelta], [0n, 0, 5n, 0]);
    assert.deepEqual(contents(log), ['1:a=a2', '2:b=active']);
  }));

test('after a crash mid-clean (temp copy left, indexes missing) the log opens with either version whole', async () => {
  const dir = tmp();
  const clock = new ManualClock();
  const log = open(dir, clock);
  const pdir = join(dir, 't-0');
  await put(log, [kv('a', 'a1'), kv('b', 'b1')]);
  await put(log, [kv('a', 'a2')]);
  await put(log, [kv('c', 'c1')]);
  log.compact(clock.now(), COMPACT, codecs);
  await put(log, [kv('b', 'b2')]);
  await put(log, [kv('d', 'active')]);
  // No close: an unclean stop. Fake the states a kill -9 can leave during the next pass.
  writeFileSync(join(pdir, '00000000000000000000.log.cleaned'), Buffer.from('torn copy'));
  unlinkSync(join(pdir, '00000000000000000000.index'));
  unlinkSync(join(pdir, '00000000000000000000.timeindex'));
  try {
    const again = open(dir, clock);
    assert.ok(!readdirSync(pdir).some((n) => n.endsWith('.cleaned')), 'leftover temp copy swept');
    assert.deepEqual(contents(again), ['1:b=b1', '2:a=a2', '3:c=c1', '4:b=b2', '5:d=active']);
    assert.equal(again.recovery.truncatedBytes, 0);
    assert.ok(existsSync(join(pdir, CLEANER_CHECKPOINT_FILE)));
    const r = again.compact(clock.now(), COMPACT, codecs);
    assert.ok(r !== null);
    assert.deepEqual(contents(again), ['2:a=a2', '3:c=c1', '4:b=b2', '5:d=active']);
    await again.close();
  } finally {
    await log.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});
