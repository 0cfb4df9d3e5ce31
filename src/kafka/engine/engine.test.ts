/**
 * Proves the engine facade: topic lifecycle and validation (names, partitions increase-only,
 * replication factor on one node, configs with Kafka's defaults), produce/read with the offsets
 * rewritten, idempotent producers (duplicate acknowledged once with the original offset, gaps
 * refused, old epochs fenced, state kept across clean and unclean restarts), the long-poll wake-up,
 * ListOffsets by earliest/latest/timestamp, DeleteRecords, LogAppendTime, and metadata persistence
 * (the cluster id too, drawn lazily on first use).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../platform/clock.js';
import { buildBatch, validateBatch } from '../storage/batch.js';
import { KafkaEngine } from './engine.js';
import { ErrorCode as E } from '../error-codes.js';
import { KafkaEngineError } from './types.js';

function batch(n: number, ts: number, pid = -1n, epoch = -1, seq = -1): Buffer {
  return buildBatch(Buffer.from('records'), { lastOffsetDelta: n - 1, recordCount: n, baseTimestamp: BigInt(ts), maxTimestamp: BigInt(ts), producerId: pid, producerEpoch: epoch, baseSequence: seq });
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaEngineError) return e.errorCode;
    throw e;
  }
  return 0;
}

test('topics: create, validate, describe, alter configs, increase partitions, delete', async () => {
  const engine = await KafkaEngine.open({ dataDir: null, clock: new ManualClock() });
  const t = engine.createTopic({ name: 'orders', numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000' } });
  assert.equal(t.partitions.length, 3);
  assert.deepEqual(t.partitions[2], { partition: 2, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [] });
  assert.equal(code(() => engine.createTopic({ name: 'orders', numPartitions: 1, replicationFactor: 1 })), E.TOPIC_ALREADY_EXISTS);
  assert.equal(code(() => engine.createTopic({ name: 'bad name', numPartitions: 1, replicationFactor: 1 })), E.INVALID_TOPIC_EXCEPTION);
  assert.equal(code(() => engine.createTopic({ name: 'x'.repeat(250), numPartitions: 1, replicationFactor: 1 })), E.INVALID_TOPIC_EXCEPTION);
  assert.equal(code(() => engine.createTopic({ name: 'x'.repeat(249), numPartitions: 1, replicationFactor: 1, validateOnly: true })), 0);
  assert.equal(engine.describeTopic('x'.repeat(249)), null, 'validateOnly creates nothing');
  assert.equal(code(() => engine.createTopic({ name: 'r', numPartitions: 1, replicationFactor: 3 })), E.INVALID_REPLICATION_FACTOR);
  assert.equal(code(() => engine.createTopic({ name: 'p', numPartitions: 0, replicationFactor: 1 })), E.INVALID_PARTITIONS);
  assert.equal(code(() => engine.createTopic({ name: 'c', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': 'soon' } })), E.INVALID_CONFIG);
  assert.equal(code(() => engine.createTopic({ name: 'c', numPartitions: 1, replicationFactor: 1, configs: { 'no.such': '1' } })), E.INVALID_CONFIG);
  const cfg = engine.describeConfigs('topic', 'orders', null);
  const byName = Object.fromEntries(cfg.entries.map((e) => [e.name, e]));
  assert.equal(byName['retention.ms']!.value, '1000');
  assert.equal(byName['retention.ms']!.source, 'TOPIC_CONFIG');
  assert.equal(byName['cleanup.policy']!.value, 'delete');
  assert.equal(byName['cleanup.policy']!.isDefault, true);
  engine.incrementalAlterConfigs('orders', [{ name: 'retention.ms', op: 1, value: null }, { name: 'segment.bytes', op: 0, value: '1048576' }]);
  assert.deepEqual(engine.describeTopic('orders')!.configs, { 'segment.bytes': '1048576' });
  engine.alterConfigs('orders', { 'retention.bytes': '100' });
  assert.deepEqual(engine.describeTopic('orders')!.configs, { 'retention.bytes': '100' });
  assert.equal(code(() => engine.createPartitions('orders', 2)), E.INVALID_PARTITIONS);
  engine.createPartitions('orders', 5);
  assert.equal(engine.describeTopic('orders')!.partitions.length, 5);
  assert.equal(engine.metadataTopic('auto', true).topic?.partitions.length, 1, 'auto-created');
  assert.equal(engine.metadataTopic('nope', false).errorCode, E.UNKNOWN_TOPIC_OR_PARTITION);
  await engine.deleteTopic('orders');
  assert.equal(engine.describeTopic('orders'), null);
  await assert.rejects(engine.deleteTopic('orders'), KafkaEngineError);
  await engine.close();
});

test('produce/read, long-poll wake-up, list offsets, delete records, LogAppendTime', async () => {
  const clock = new ManualClock();
  const engine = await KafkaEngine.open({ dataDir: null, clock });
  engine.createTopic({ name: 't', numPartitions: 2, replicationFactor: 1 });
  const wait = engine.waitForData([{ topic: 't', partition: 1 }], 5000);
  const r1 = await engine.produce('t', 1, batch(3, 1000));
  assert.equal(await wait.promise, 'data');
  const r2 = await engine.produce('t', 1, batch(2, 2000));
  assert.deepEqual([r1.baseOffset, r2.baseOffset], [0, 3]);
  const read = engine.read('t', 1, 4, 1 << 20);
  assert.equal(read.highWatermark, 5);
  assert.equal(validateBatch(read.records, 0).baseOffset, 3n);
  assert.equal(engine.read('t', 1, 9, 100).errorCode, E.OFFSET_OUT_OF_RANGE);
  assert.equal(engine.read('t', 7, 0, 100).errorCode, E.UNKNOWN_TOPIC_OR_PARTITION);
  const idle = engine.waitForData([{ topic: 't', partition: 0 }], 100);
  clock.advance(100);
  assert.equal(await idle.promise, 'timeout');
  assert.equal(engine.listOffsets('t', 1, -2).offset, 0);
  assert.equal(engine.listOffsets('t', 1, -1).offset, 5);
  assert.deepEqual([engine.listOffsets('t', 1, 1500).offset, engine.listOffsets('t', 1, 1500).timestamp], [3, 2000]);
  assert.equal(engine.listOffsets('t', 1, 9999).offset, -1);
  assert.equal(engine.listOffsets('t', 1, -3).timestamp, 2000);
  assert.deepEqual(engine.deleteRecords('t', 1, 3), { errorCode: 0, lowWatermark: 3 });
  assert.equal(engine.deleteRecords('t', 1, 99).errorCode, E.OFFSET_OUT_OF_RANGE);
  assert.equal(engine.listOffsets('t', 1, -2).offset, 3);
  const corrupt = batch(1, 1);
  corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 1;
  assert.equal((await engine.produce('t', 0, corrupt)).errorCode, E.CORRUPT_MESSAGE);
  engine.incrementalAlterConfigs('t', [{ name: 'max.message.bytes', op: 0, value: '60' }]);
  assert.equal((await engine.produce('t', 0, batch(1, 1))).errorCode, E.MESSAGE_TOO_LARGE);
  engine.incrementalAlterConfigs('t', [{ name: 'max.message.bytes', op: 1, value: null }, { name: 'message.timestamp.type', op: 0, value: 'LogAppendTime' }]);
  const lat = await engine.produce('t', 0, batch(1, 5));
  assert.equal(lat.logAppendTimeMs, clock.now());
  const h = validateBatch(engine.read('t', 0, 0, 1000).records, 0);
  assert.equal(h.maxTimestamp, BigInt(clock.now()));
  await engine.close();
});

test('idempotent producer: duplicates once, gaps and old epochs refused, state survives restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-k2-engine-'));
  const clock = new ManualClock();
  let engine = await KafkaEngine.open({ dataDir: dir, clock });
  engine.createTopic({ name: 'idem', numPartitions: 1, replicationFactor: 1 });
  const { producerId: pid, producerEpoch: ep } = engine.initProducerId(null, 60000);
  const P = BigInt(pid);
  assert.equal((await engine.produce('idem', 0, batch(2, 1, P, ep, 0))).baseOffset, 0);
  assert.equal((await engine.produce('idem', 0, batch(3, 1, P, ep, 2))).baseOffset, 2);
  const dup = await engine.produce('idem', 0, batch(3, 1, P, ep, 2));
  assert.deepEqual([dup.errorCode, dup.baseOffset], [E.NONE, 2]);
  assert.equal(engine.listOffsets('idem', 0, -1).offset, 5, 'the duplicate was not written');
  assert.equal((await engine.produce('idem', 0, batch(1, 1, P, ep, 9))).errorCode, E.OUT_OF_ORDER_SEQUENCE_NUMBER);
  await engine.close();
  // Clean restart: the snapshot keeps the state.
  engine = await KafkaEngine.open({ dataDir: dir, clock });
  assert.equal((await engine.produce('idem', 0, batch(3, 1, P, ep, 2))).baseOffset, 2);
  assert.equal((await engine.produce('idem', 0, batch(1, 1, P, ep, 5))).baseOffset, 5);
  const next = engine.initProducerId(null, 60000);
  assert.ok(next.producerId > pid, 'producer ids are never reused across restarts');
  await engine.close();
  // Unclean restart: no marker, no snapshot; state is rebuilt from the log.
  unlinkSync(join(dir, 'idem-0', 'clean-shutdown'));
  unlinkSync(join(dir, 'idem-0', 'producer-state.json'));
  engine = await KafkaEngine.open({ dataDir: dir, clock });
  assert.equal((await engine.produce('idem', 0, batch(1, 1, P, ep, 5))).baseOffset, 5, 'duplicate after crash');
  assert.equal((await engine.produce('idem', 0, batch(1, 1, P, ep, 7))).errorCode, E.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // A new epoch resets sequences; the old epoch is fenced.
  assert.equal((await engine.produce('idem', 0, batch(1, 1, P, ep + 1, 0))).errorCode, E.NONE);
  assert.equal((await engine.produce('idem', 0, batch(1, 1, P, ep, 6))).errorCode, E.INVALID_PRODUCER_EPOCH);
  const txn1 = engine.initProducerId('tx', 60000);
  const txn2 = engine.initProducerId('tx', 60000);
  assert.deepEqual([txn2.producerId, txn2.producerEpoch], [txn1.producerId, txn1.producerEpoch + 1]);
  assert.equal(engine.describeTopic('idem')!.partitions.length, 1, 'topic metadata persisted');
  assert.equal(engine.stats().partitions, 1);
  assert.ok(engine.stats().fsyncs >= 1 && engine.stats().logBytes > 0, JSON.stringify(engine.stats()));
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

test('retention and segment.ms run on clock ticks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-k2-retention-'));
  const clock = new ManualClock(1_000_000);
  const engine = await KafkaEngine.open({ dataDir: dir, clock, retentionCheckIntervalMs: 60_000, rollCheckIntervalMs: 1000 });
  engine.createTopic({ name: 'r', numPartitions: 1, replicationFactor: 1, configs: { 'segment.bytes': '300', 'retention.ms': '10000' } });
  for (let i = 0; i < 10; i++) await engine.produce('r', 0, batch(1, 1_000_000 + i));
  assert.equal(engine.listOffsets('r', 0, -2).offset, 0);
  clock.advance(59_000);
  assert.equal(engine.listOffsets('r', 0, -2).offset, 0, 'nothing before the tick');
  clock.advance(1_000);
  const start = engine.listOffsets('r', 0, -2).offset;
  assert.ok(start > 0 && start < 10, `retention.ms removed old segments, kept the active one (start ${start})`);
  assert.equal(engine.listOffsets('r', 0, -1).offset, 10);
  // retention.bytes: keep at most ~one segment.
  engine.incrementalAlterConfigs('r', [{ name: 'retention.ms', op: 0, value: '-1' }, { name: 'retention.bytes', op: 0, value: '1' }]);
  for (let i = 0; i < 10; i++) await engine.produce('r', 0, batch(1, clock.now()));
  clock.advance(60_000);
  assert.equal(engine.listOffsets('r', 0, -2).offset, 16, 'only the active segment (4 batches of 68 B per 300 B segment) is left');
  // segment.ms: the active segment rolls on the next append after the tick.
  engine.incrementalAlterConfigs('r', [{ name: 'segment.bytes', op: 0, value: '1048576' }, { name: 'segment.ms', op: 0, value: '5000' }]);
  await engine.produce('r', 0, batch(1, clock.now()));
  clock.advance(6_000);
  await engine.produce('r', 0, batch(1, clock.now()));
  const { readdirSync } = await import('node:fs');
  const segs = readdirSync(join(dir, 'r-0')).filter((f) => f.endsWith('.log'));
  assert.ok(segs.includes('00000000000000000021.log'), segs.join(','));
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

test('ListOffsets by timestamp answers at record precision, compressed batches included', async () => {
  const { encodeBatch } = await import('../protocol/records.js');
  const { decompress } = await import('../protocol/compression/index.js');
  const engine = await KafkaEngine.open({ dataDir: null, clock: new ManualClock(), decompress });
  engine.createTopic({ name: 'ts', numPartitions: 2, replicationFactor: 1 });
  const recs = [10, 20, 30, 40].map((t) => ({ value: `at${t}`, timestamp: 1000 + t }));
  await engine.produce('ts', 0, encodeBatch(recs));
  await engine.produce('ts', 1, encodeBatch(recs, { compression: 1 }));
  for (const p of [0, 1]) {
    assert.deepEqual([engine.listOffsets('ts', p, 1025).offset, engine.listOffsets('ts', p, 1025).timestamp], [2, 1030], `partition ${p}`);
    assert.equal(engine.listOffsets('ts', p, 1000).offset, 0);
    assert.equal(engine.listOffsets('ts', p, 1040).offset, 3);
    assert.equal(engine.listOffsets('ts', p, 1041).offset, -1);
  }
  await engine.close();
});

test('the cluster id, drawn on first use, is the same after restarts (shown before or after close)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-engine-cid-'));
  try {
    const open = () => KafkaEngine.open({ dataDir: dir, clock: new ManualClock() });
    const first = await open();
    await first.close(); // never shown: drawn when the cluster file is written at close
    const second = await open();
    const id = second.cluster().clusterId;
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    await second.close();
    const third = await open();
    assert.equal(third.cluster().clusterId, id);
    await third.close();
    const mem = await KafkaEngine.open({ dataDir: null, clock: new ManualClock() });
    assert.equal(mem.cluster().clusterId, mem.cluster().clusterId);
    assert.notEqual(mem.cluster().clusterId, id);
    await mem.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
