/**
 * The engine's side of compaction: keyless records (compressed or not) are refused on a compacted
 * topic with INVALID_RECORD and nothing is written; the cleaner runs on the engine clock's ticks
 * (log.cleaner.backoff.ms) only for topics whose cleanup.policy includes compact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../platform/clock.js';
import { compress, decompress } from '../protocol/compression/index.js';
import { decodeRecordSet, encodeBatch, type NewRecord } from '../protocol/records.js';
import { ErrorCode as E } from '../error-codes.js';
import { KafkaEngine } from './engine.js';

const CONFIGS = { 'cleanup.policy': 'compact', 'segment.bytes': '14', 'min.cleanable.dirty.ratio': '0' };

/** Every record of partition 0 (a read stops at a segment end, so this reads on from there). */
function values(engine: KafkaEngine, topic: string): string[] {
  const out: string[] = [];
  for (let offset = 0; ;) {
    const r = engine.read(topic, 0, offset, 1 << 20);
    if (r.records.length === 0) return out;
    for (const b of decodeRecordSet(r.records)) {
      for (const x of b.records)
        out.push(`${x.offset}:${x.key?.toString() ?? ''}=${x.value?.toString() ?? '~'}`);
      offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
    }
  }
}

for (const storage of ['file', 'memory'] as const)
  test(`${storage}: keyless records are refused on compacted topics; the cleaner runs on clock ticks`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-k2-engine-compact-'));
    const clock = new ManualClock();
    const engine = await KafkaEngine.open({
      dataDir: storage === 'file' ? dir : null,
      clock,
      decompress,
      compress,
      cleanerIntervalMs: 1000,
    });
    try {
      engine.createTopic({ name: 'c', numPartitions: 1, replicationFactor: 1, configs: CONFIGS });
      const broker = engine.describeConfigs('broker', '1', ['log.cleaner.backoff.ms', 'log.cleanup.policy']);
      assert.deepEqual(
        broker.entries.map((e) => [e.name, e.value]),
        [
          ['log.cleaner.backoff.ms', '1000'],
          ['log.cleanup.policy', 'delete'],
        ],
      );
      assert.equal(engine.describeConfigs('topic', 'c', ['cleanup.policy']).entries[0]!.value, 'compact');
      engine.createTopic({
        name: 'd',
        numPartitions: 1,
        replicationFactor: 1,
        configs: { 'segment.bytes': '14' },
      });
      for (const codec of [0, 1, 3]) {
        const r = await engine.produce(
          'c',
          0,
          encodeBatch([{ key: 'k', value: 'x' }, { value: 'no key' }], { compression: codec }),
        );
        assert.equal(r.errorCode, E.INVALID_RECORD, `codec ${codec}`);
        assert.match(r.errorMessage ?? '', /Compacted topic cannot accept message without key in topic partition c-0/);
      assert.deepEqual(r.recordErrors?.map((e) => e.batchIndex), [1], 'the second record has no key');
      }
      assert.equal(
        (await engine.produce('d', 0, encodeBatch([{ value: 'no key' }]))).errorCode,
        E.NONE,
        'delete topics take keyless records',
      );
      const history: NewRecord[] = [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
        { key: 'b', value: '3' },
      ];
      for (const topic of ['c', 'd']) {
        for (const rec of history)
          assert.equal(
            (await engine.produce(topic, 0, encodeBatch([rec], { compression: 1, nowMs: clock.now() })))
              .errorCode,
            E.NONE,
          );
      }
      assert.deepEqual(values(engine, 'c'), ['0:a=1', '1:a=2', '2:b=3']);
      clock.advance(1000);
      assert.deepEqual(values(engine, 'c'), ['1:a=2', '2:b=3'], 'the tick compacted the closed segments');
      assert.deepEqual(
        values(engine, 'd'),
        ['0:=no key', '1:a=1', '2:a=2', '3:b=3'],
        'delete topics are never compacted',
      );
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
