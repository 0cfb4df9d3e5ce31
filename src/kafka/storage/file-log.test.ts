/**
 * Proves the partition log contract on both implementations (FileLog and MemoryLog): offsets
 * assigned in order under concurrent appends (group commit), reads return whole batches from the
 * batch containing the offset and at least one batch, segments roll by size and time, DeleteRecords
 * and retention move logStartOffset, offset-for-timestamp; and for FileLog, clean and unclean
 * restarts, with fuzzed torn/corrupt tails always recovered to a valid prefix without a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ManualClock } from '../../platform/clock.js';
import { buildBatch, splitBatches, validateBatch } from './batch.js';
import { FileLog } from './file-log.js';
import { DEFAULT_LOG_CONFIG, OffsetOutOfRangeError, type LogConfig, type PartitionLog } from './log.js';
import { MemoryLog } from './memory-log.js';

function batch(records: number, ts: number, payloadBytes = 50): Buffer {
  return buildBatch(Buffer.alloc(payloadBytes, records), {
    lastOffsetDelta: records - 1,
    recordCount: records,
    baseTimestamp: BigInt(ts),
    maxTimestamp: BigInt(ts + records - 1),
  });
}

async function put(log: PartitionLog, b: Buffer) {
  return log.append(b, splitBatches(b), 0);
}

function offsetsIn(records: Buffer): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < records.length) {
    const h = validateBatch(records, p);
    out.push(Number(h.baseOffset));
    p += h.sizeBytes;
  }
  return out;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'nimbus-k2-log-'));
}

const SMALL: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 200, retentionMs: -1 };

type Factory = (cfg: LogConfig, clock: ManualClock, dir: string) => PartitionLog;
const impls: [string, Factory][] = [
  ['file', (cfg, clock, dir) => FileLog.open({ dir: join(dir, 't-0'), topic: 't', partition: 0, config: cfg, clock })],
  ['memory', (cfg) => new MemoryLog('t', 0, cfg)],
];

for (const [name, make] of impls) {
  test(`${name}: concurrent appends get consecutive offsets; reads return whole batches`, async () => {
    const dir = tmp();
    const clock = new ManualClock();
    const log = make(SMALL, clock, dir);
    let advances = 0;
    log.onAdvance(() => advances++);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => put(log, batch((i % 3) + 1, 1000 + i))));
    let expect = 0;
    for (const [i, r] of results.entries()) {
      assert.equal(r.baseOffset, expect);
      expect += (i % 3) + 1;
    }
    assert.equal(log.highWatermark(), expect);
    assert.ok(advances >= 1);
    // Every offset is found in the first batch returned.
    for (let o = 0; o < expect; o++) {
      const r = log.read(o, 1);
      const h = validateBatch(r.records, 0);
      assert.ok(Number(h.baseOffset) <= o && o <= Number(h.baseOffset) + h.lastOffsetDelta, `offset ${o}`);
      assert.equal(r.records.length, h.sizeBytes, 'maxBytes 1 still returns exactly one whole batch');
    }
    const all = log.read(0, 1 << 20);
    assert.ok(offsetsIn(all.records).length >= 1);
    assert.equal(log.read(expect, 100).records.length, 0);
    assert.throws(() => log.read(expect + 1, 100), OffsetOutOfRangeError);
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${name}: deleteRecords, retention by bytes and time, offsetForTimestamp`, async () => {
    const dir = tmp();
    const clock = new ManualClock();
    const log = make(SMALL, clock, dir);
    for (let i = 0; i < 30; i++) await put(log, batch(2, 10_000 + i * 100));
    assert.equal(log.logEndOffset(), 60);
    assert.deepEqual(log.offsetForTimestamp(10_000), { offset: 0, timestamp: 10_001 });
    assert.equal(log.offsetForTimestamp(10_250)?.offset, 6);
    assert.equal(log.offsetForTimestamp(99_999), null);
    assert.equal(log.maxTimestamp()?.timestamp, 10_000 + 29 * 100 + 1);
    assert.equal(log.deleteRecordsBefore(13), 13);
    assert.throws(() => log.read(12, 100), OffsetOutOfRangeError);
    assert.ok(offsetsIn(log.read(13, 1).records)[0]! <= 13);
    assert.throws(() => log.deleteRecordsBefore(61), OffsetOutOfRangeError);
    log.updateConfig({ ...SMALL, retentionBytes: 400 });
    const r = log.applyRetention(clock.now());
    assert.ok(r.deletedSegments > 0);
    assert.ok(log.sizeBytes() < 400 + 1000);
    assert.ok(log.logStartOffset() > 13);
    log.updateConfig({ ...SMALL, retentionMs: 1000 });
    log.applyRetention(10_000 + 29 * 100 + 1 + 1001);
    assert.ok(log.logStartOffset() <= 60);
    assert.equal(log.logEndOffset(), 60);
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

test('file: segments roll by size and by time, named by base offset, with indexes', async () => {
  const dir = tmp();
  const clock = new ManualClock();
  const log = FileLog.open({ dir: join(dir, 't-0'), topic: 't', partition: 0, config: SMALL, clock });
  for (let i = 0; i < 20; i++) await put(log, batch(1, i));
  assert.ok(log.segmentCount() > 1);
  const n = log.segmentCount();
  log.updateConfig({ ...SMALL, segmentBytes: 1 << 20, segmentMs: 1000 });
  clock.advance(1001);
  log.maybeRollByTime(clock.now());
  await put(log, batch(1, 99));
  assert.equal(log.segmentCount(), n + 1);
  const files = readdirSync(join(dir, 't-0'));
  assert.ok(files.includes('00000000000000000000.log'));
  assert.ok(files.includes('00000000000000000000.index'));
  assert.ok(files.includes('00000000000000000000.timeindex'));
  assert.ok(files.includes('00000000000000000020.log'));
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

test('file: clean and unclean restart keep every acknowledged batch', async () => {
  const dir = tmp();
  const clock = new ManualClock();
  const pdir = join(dir, 't-0');
  const open = () => FileLog.open({ dir: pdir, topic: 't', partition: 0, config: SMALL, clock });
  let log = open();
  for (let i = 0; i < 25; i++) await put(log, batch(3, i));
  log.deleteRecordsBefore(4);
  await log.close();
  log = open();
  assert.equal(log.wasCleanShutdown, true);
  assert.equal(log.logEndOffset(), 75);
  assert.equal(log.logStartOffset(), 4);
  assert.deepEqual(offsetsIn(log.read(74, 1).records), [72]);
  await put(log, batch(1, 100));
  await log.close();
  // Unclean: remove the marker and the active segment's indexes, as after kill -9.
  unlinkSync(join(pdir, 'clean-shutdown'));
  log = open();
  assert.equal(log.wasCleanShutdown, false);
  assert.equal(log.logEndOffset(), 76);
  assert.equal(log.recovery.truncatedBytes, 0);
  assert.equal(offsetsIn(log.read(75, 1).records)[0], 75);
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

test('file: fuzzed torn and corrupt tails recover to a valid prefix', async () => {
  const clock = new ManualClock();
  const base = tmp();
  const src = join(base, 'src');
  let log = FileLog.open({ dir: src, topic: 't', partition: 0, config: DEFAULT_LOG_CONFIG, clock });
  const ends: number[] = [];
  const nexts: number[] = [];
  let size = 0;
  for (let i = 0; i < 12; i++) {
    const b = batch((i % 4) + 1, i, 20 + i * 7);
    const r = await put(log, b);
    size += b.length;
    ends.push(size);
    nexts.push(r.lastOffset + 1);
  }
  await log.close();
  const segFile = '00000000000000000000.log';
  const pristine = readFileSync(join(src, segFile));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: pristine.length }),
      fc.uint8Array({ maxLength: 80 }),
      fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
      async (cut, junk, flip) => {
        const d = join(base, `r${run++}`);
        const bytes = Buffer.concat([pristine.subarray(0, cut), Buffer.from(junk)]);
        if (flip && bytes.length > 0) {
          const at = flip[0] % bytes.length;
          bytes[at] = bytes[at]! ^ flip[1];
        }
        const { mkdirSync } = await import('node:fs');
        mkdirSync(d);
        writeFileSync(join(d, segFile), bytes);
        const l = FileLog.open({ dir: d, topic: 't', partition: 0, config: DEFAULT_LOG_CONFIG, clock });
        const keptBytes = statSync(join(d, segFile)).size;
        // What survives is exactly a prefix of whole original batches, and the offsets match.
        const k = ends.indexOf(keptBytes);
        assert.ok(keptBytes === 0 || k >= 0, `kept ${keptBytes} bytes is not a batch boundary`);
        assert.ok(keptBytes <= cut || (cut === pristine.length && keptBytes === pristine.length));
        assert.equal(l.logEndOffset(), keptBytes === 0 ? 0 : nexts[k]!);
        if (l.logEndOffset() > 0) assert.ok(l.read(0, 1 << 20).records.length <= keptBytes);
        await l.close();
        rmSync(d, { recursive: true, force: true });
      },
    ),
    { numRuns: 80 },
  );
  // The torn case is reported.
  const d = join(base, 'torn');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(d);
  writeFileSync(join(d, segFile), pristine);
  truncateSync(join(d, segFile), pristine.length - 5);
  log = FileLog.open({ dir: d, topic: 't', partition: 0, config: DEFAULT_LOG_CONFIG, clock });
  assert.ok(log.recovery.truncatedBytes > 0);
  assert.ok(log.recovery.reason);
  assert.equal(log.logEndOffset(), nexts[10]);
  await log.close();
  appendFileSync(join(d, segFile), Buffer.alloc(3));
  rmSync(base, { recursive: true, force: true });
});

test('file: concurrent appends share fsyncs (group commit); relaxed mode acknowledges without fsync', async () => {
  const dir = tmp();
  const clock = new ManualClock();
  const log = FileLog.open({ dir: join(dir, 't-0'), topic: 't', partition: 0, config: DEFAULT_LOG_CONFIG, clock });
  await Promise.all(Array.from({ length: 50 }, (_, i) => put(log, batch(1, i))));
  assert.equal(log.stats.appends, 50);
  assert.ok(log.stats.fsyncs >= 1 && log.stats.fsyncs < 50, `${log.stats.fsyncs} fsyncs for 50 concurrent appends`);
  assert.equal(log.stats.fsyncs, log.stats.writeGroups, 'strict mode: one fsync per write group');
  log.updateConfig({ ...DEFAULT_LOG_CONFIG, flushMessages: Number.MAX_SAFE_INTEGER });
  const before = log.stats.fsyncs;
  await Promise.all(Array.from({ length: 10 }, (_, i) => put(log, batch(1, i))));
  assert.equal(log.stats.fsyncs, before);
  assert.equal(log.highWatermark(), 60);
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

test('file: pipelined group commit acknowledges in order, each ack after its data is readable and the HW covers it', async () => {
  const dir = tmp();
  const clock = new ManualClock();
  const log = FileLog.open({ dir: join(dir, 't-0'), topic: 't', partition: 0, config: SMALL, clock });
  const acked: number[] = [];
  const pending: Promise<void>[] = [];
  // Appends trickle in (one per macrotask) so later groups are usually written while earlier fsyncs run
  // and segments roll (SMALL has 1000-byte segments) in the middle of the pipeline.
  for (let i = 0; i < 60; i++) {
    pending.push(
      put(log, batch((i % 4) + 1, 1000 + i)).then((r) => {
        assert.ok(log.highWatermark() >= r.lastOffset + 1, 'HW covers an acknowledged append');
        const got = log.read(r.baseOffset, 1).records;
        assert.equal(offsetsIn(got)[0], r.baseOffset, 'an acknowledged batch is readable');
        acked.push(r.baseOffset);
      }),
    );
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  assert.deepEqual(acked, [...acked].sort((a, b) => a - b), 'acknowledged in offset order');
  assert.equal(acked.length, 60);
  assert.equal(log.stats.fsyncs, log.stats.writeGroups);
  assert.ok(log.segmentCount() > 1);
  await log.close();
  const reopened = FileLog.open({ dir: join(dir, 't-0'), topic: 't', partition: 0, config: SMALL, clock });
  assert.equal(reopened.highWatermark(), log.highWatermark());
  await reopened.close();
  rmSync(dir, { recursive: true, force: true });
});
