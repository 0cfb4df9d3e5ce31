/**
 * Fault tests for the Kafka broker's storage, against the real Nimbus Kafka service in a child
 * process, over real sockets:
 * - kill -9 while several producers stream acks=-1 batches (each batch carries its producer's
 *   record numbers); after a restart on the same data dir every acknowledged batch is at the offset
 *   it was acknowledged with, each producer's records are in order, no offset is used twice, and
 *   the log keeps growing from where the recovered log ends (no reuse after restart either).
 * - a torn last batch (the segment cut mid-batch, as a crash mid-write leaves it) is truncated at
 *   start and the broker serves everything before it.
 * A kill -9 cannot drop the page cache, so this proves "acknowledged ⇒ written and recoverable";
 * the fsync-before-ack ordering is the FileLog writer loop's (group commit) and is unit-tested.
 *
 * The same file is the child: with NIMBUS_KAFKA_FAULT_CHILD set it runs the broker and prints its
 * address instead of defining tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandalone } from '../../src/platform/testing.js';
import { kafkaService } from '../../src/kafka/index.js';
import { API, KafkaClient } from '../../src/kafka/cli/client.js';
import { encodeBatch, decodeRecordSet } from '../../src/kafka/protocol/records.js';

const CHILD_ENV = 'NIMBUS_KAFKA_FAULT_CHILD';
const START_TIMEOUT_MS = 15_000;
const PRODUCERS = 6;
const RECORDS_PER_BATCH = 5;
const TOPIC = 'crash';

if (process.env[CHILD_ENV]) {
  const s = await startStandalone(kafkaService, { dataDir: process.env.NIMBUS_FAULT_DIR as string, config: { autoCreateTopics: true } });
  process.stdout.write(`READY ${s.service.endpoints().kafka}\n`);
} else {
  defineTests();
}

interface Child {
  proc: ChildProcess;
  bootstrap: string;
  exited: Promise<void>;
}

function loaderArgs(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    const arg = a[i] as string;
    if (/^--(import|require|loader|experimental-loader)$/.test(arg) || arg === '-r') out.push(arg, a[++i] as string);
    else if (/^--(import|require|loader|experimental-loader)=/.test(arg)) out.push(arg);
  }
  return out;
}

async function startChild(dir: string): Promise<Child> {
  const proc = spawn(process.execPath, [...loaderArgs(), fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_ENV]: '1', NIMBUS_FAULT_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${err}`)), START_TIMEOUT_MS);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY kafka:\/\/([\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
  return { proc, bootstrap, exited };
}

async function stop(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}

interface Ack {
  producer: number;
  first: number;
  baseOffset: number;
}

async function createTopic(c: KafkaClient): Promise<void> {
  const r = await c.request<{ topics: { errorCode: number }[] }>(API.CreateTopics, {
    topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '65536' }] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(r.topics[0]!.errorCode, 0);
}

function produceBody(producer: number, first: number): unknown {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `p${producer}`, value: `${producer}:${first + i}` }));
  return { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeBatch(records) }] }] };
}

/** Each producer sends batches one after another (so its own order is defined); kill after killAfter acks. */
async function produceUntilKilled(child: Child, killAfter: number): Promise<Ack[]> {
  const c = await KafkaClient.connect(child.bootstrap, 'fault-producer');
  await createTopic(c);
  const acks: Ack[] = [];
  let stopped = false;
  const worker = async (producer: number): Promise<void> => {
    let first = 0;
    while (!stopped) {
      try {
        const r = await c.request<{ responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] }>(API.Produce, produceBody(producer, first));
        const pr = r.responses[0]!.partitionResponses[0]!;
        assert.equal(pr.errorCode, 0);
        acks.push({ producer, first, baseOffset: Number(pr.baseOffset) });
        first += RECORDS_PER_BATCH;
      } catch {
        stopped = true; // the broker died
      }
      if (acks.length >= killAfter && child.proc.exitCode === null && !child.proc.killed) child.proc.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, (_, p) => worker(p)));
  await child.exited;
  c.close();
  return acks;
}

/** Reads the whole partition: offset → value. */
async function readAll(c: KafkaClient): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let offset = 0;
  for (;;) {
    const r = await c.request<{ responses: { partitions: { errorCode: number; highWatermark: bigint; records: Buffer | null }[] }[] }>(API.Fetch, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 4 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = r.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    if (!p.records || p.records.length === 0) return out;
    for (const b of decodeRecordSet(p.records)) {
      for (const rec of b.records) {
        assert.ok(!out.has(rec.offset), `offset ${rec.offset} returned twice`);
        out.set(rec.offset, rec.value!.toString());
        offset = rec.offset + 1;
      }
    }
    if (offset >= Number(p.highWatermark)) return out;
  }
}

function defineTests(): void {
  test('kill -9 during acks=-1 production: every acknowledged record survives, in order, no offset reused', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-kafka-kill9-'));
    try {
      const acks = await produceUntilKilled(await startChild(dir), 400);
      assert.ok(acks.length >= 400, `only ${acks.length} acks before the kill`);
      const child = await startChild(dir);
      const c = await KafkaClient.connect(child.bootstrap, 'fault-reader');
      try {
        const log = await readAll(c);
        // Offsets are contiguous from 0: nothing lost in the middle, nothing doubled.
        const offsets = [...log.keys()];
        assert.deepEqual(offsets, Array.from({ length: offsets.length }, (_, i) => i));
        // Every acknowledged record is at the offset it was acknowledged with.
        for (const a of acks) {
          for (let i = 0; i < RECORDS_PER_BATCH; i++) {
            assert.equal(log.get(a.baseOffset + i), `${a.producer}:${a.first + i}`, `acked record ${a.producer}:${a.first + i}`);
          }
        }
        // Each producer's records appear in the order it sent them, without gaps up to its last ack.
        const seen = new Map<number, number>();
        for (const v of log.values()) {
          const [p, n] = v.split(':').map(Number) as [number, number];
          assert.equal(n, seen.get(p) ?? 0, `producer ${p} out of order`);
          seen.set(p, n + 1);
        }
        // After the restart new records get fresh offsets.
        const end = offsets.length;
        const r = await c.request<{ responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] }>(API.Produce, produceBody(99, 0));
        assert.equal(Number(r.responses[0]!.partitionResponses[0]!.baseOffset), end);
      } finally {
        c.close();
        await stop(child);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a torn last batch is truncated at start; everything before it is served', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-kafka-torn-'));
    try {
      let child = await startChild(dir);
      let c = await KafkaClient.connect(child.bootstrap, 'fault-writer');
      await createTopic(c);
      for (let i = 0; i < 20; i++) await c.request(API.Produce, produceBody(0, i * RECORDS_PER_BATCH));
      c.close();
      await stop(child);
      const seg = join(dir, `${TOPIC}-0`, '00000000000000000000.log');
      truncateSync(seg, statSync(seg).size - 7);
      child = await startChild(dir);
      c = await KafkaClient.connect(child.bootstrap, 'fault-reader');
      try {
        const log = await readAll(c);
        assert.equal(log.size, 19 * RECORDS_PER_BATCH, 'the torn 20th batch is gone, the 19 before it stay');
        assert.equal(log.get(19 * RECORDS_PER_BATCH - 1), `0:${19 * RECORDS_PER_BATCH - 1}`);
        const r = await c.request<{ responses: { partitionResponses: { baseOffset: bigint }[] }[] }>(API.Produce, produceBody(1, 0));
        assert.equal(Number(r.responses[0]!.partitionResponses[0]!.baseOffset), 19 * RECORDS_PER_BATCH);
      } finally {
        c.close();
        await stop(child);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
