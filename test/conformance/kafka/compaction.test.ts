/**
 * cleanup.policy=compact with real clients: kafkajs 2.2.4 creates a compacted topic (tiny
 * segment.bytes, so every batch gets its own segment), produces several values per key, with
 * several codecs, plus a tombstone; the broker's cleaner, running on its clock ticks, keeps only
 * the latest value per key at its original offset and removes the tombstone after
 * delete.retention.ms. kafkajs and kcat then read the compacted log from the beginning. A keyless
 * record is refused, and AlterConfigs turns compaction on for an existing topic.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { requireTool } from '../../helpers/tools.js';
import type { KafkaEngine } from '../../../src/kafka/engine/engine.js';
import type { LazyService } from '../../../src/platform/lazy-service.js';
import type { KafkaService } from '../../../src/kafka/index.js';
import { readBatchHeader } from '../../../src/kafka/storage/batch.js';
import { API, KafkaClient } from '../../../src/kafka/cli/client.js';
import { encodeBatch } from '../../../src/kafka/protocol/records.js';
import { startBroker, waitFor, type TestBroker } from './broker.js';

let broker: TestBroker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

const COMPACTED = {
  'cleanup.policy': 'compact',
  'segment.bytes': '100',
  'min.cleanable.dirty.ratio': '0.01',
  'delete.retention.ms': '0',
  'min.compaction.lag.ms': '0',
};

before(async () => {
  // The cleaner runs on the broker clock's ticks, every 50 ms here (Kafka's default is 15 s).
  broker = await startBroker({ cleanerBackoffMs: 50 });
  kafka = new Kafka({
    brokers: [broker.address],
    clientId: 'compaction-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
});
after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.close();
});

function engine(): KafkaEngine {
  const e = (broker.standalone.service as LazyService<KafkaService>).loaded?.kafkaEngine;
  assert.ok(e, 'the broker is running');
  return e;
}

/** Reads the whole partition with a kafkajs consumer group: "offset key=value" lines. */
async function consumeAll(topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `g-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(`${message.offset} ${message.key?.toString() ?? ''}=${message.value?.toString() ?? '~'}`);
      },
    });
    await waitFor(() => seen.length >= expected, 15_000, `${expected} messages from ${topic}`);
    // Anything extra (a record compaction should have removed) would arrive right behind.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

async function produceHistory(topic: string): Promise<void> {
  const codecs = [CompressionTypes.None, CompressionTypes.GZIP];
  let i = 0;
  for (const round of [1, 2, 3]) {
    for (const key of ['k0', 'k1', 'k2']) {
      // One send per record: each is its own batch, so each lands in its own segment.
      await producer.send({
        topic,
        acks: -1,
        compression: codecs[i++ % 2]!,
        messages: [{ key, value: `${key}-v${round}` }],
      });
    }
  }
  await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value: null }] }); // tombstone, offset 9
  await producer.send({ topic, acks: -1, messages: [{ key: 'k2', value: 'k2-v4' }] }); // offset 10
  await producer.send({ topic, acks: -1, messages: [{ key: 'tail', value: 'active' }] }); // offset 11, active segment
}

/** The log's first batch starts past offset 0 once the cleaner has removed the old records. */
function firstBatchOffset(topic: string): number {
  const r = engine().read(topic, 0, 0, 1);
  return r.records.length === 0 ? -1 : Number(readBatchHeader(r.records, 0).baseOffset);
}

test('kafkajs: a compacted topic keeps the latest value per key at its original offset; the tombstone goes', async () => {
  const topic = 'compacted-users';
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: Object.entries(COMPACTED).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
  });
  assert.equal(described.resources[0]!.configEntries[0]!.configValue, 'compact');
  await produceHistory(topic);
  // Two cleaner passes: the first sets the tombstone's delete horizon (now + 0 ms), a later one drops it.
  await waitFor(() => firstBatchOffset(topic) === 6, 10_000, 'the cleaner to compact');
  const expected = ['6 k0=k0-v3', '10 k2=k2-v4', '11 tail=active'];
  await waitFor(
    () => engine().read(topic, 0, 7, 1 << 20).records.length > 0 && firstBatchAfter(topic, 7) === 10,
    10_000,
    'the tombstone to go',
  );
  const seen = await consumeAll(topic, expected.length);
  assert.deepEqual(seen, expected);
});

function firstBatchAfter(topic: string, offset: number): number {
  return Number(readBatchHeader(engine().read(topic, 0, offset, 1).records, 0).baseOffset);
}

test('kafkajs: a record without a key is refused on a compacted topic (CORRUPT_MESSAGE before Produce v8)', async () => {
  const topic = 'compacted-keyless';
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }] },
    ],
  });
  await assert.rejects(
    producer.send({ topic, acks: -1, messages: [{ value: 'no key' }] }),
    (e: Error & { type?: string }) => {
      assert.equal(e.type ?? (e as { cause?: { type?: string } }).cause?.type, 'CORRUPT_MESSAGE', String(e));
      return true;
    },
  );
  await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'keyed' }] });
  assert.equal(engine().read(topic, 0, 0, 1 << 20).highWatermark, 1, 'only the keyed record was written');
});

test('Produce v9 (raw client): a keyless record gets INVALID_RECORD with a record error', async () => {
  const c = await KafkaClient.connect(broker.address, 'compaction-raw');
  try {
    assert.equal(c.versionOf(API.Produce), 9);
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5_000,
      topicData: [
        {
          name: 'compacted-keyless',
          partitionData: [
            { index: 0, records: encodeBatch([{ key: 'k', value: '1' }, { value: 'no key' }]) },
          ],
        },
      ],
    };
    const r = await c.request<{
      responses: {
        partitionResponses: {
          errorCode: number;
          errorMessage: string | null;
          recordErrors: { batchIndex: number }[];
        }[];
      }[];
    }>(API.Produce, body);
    const p = r.responses[0]!.partitionResponses[0]!;
    assert.equal(p.errorCode, 87, 'INVALID_RECORD');
    assert.match(p.errorMessage ?? '', /Compacted topic cannot accept message without key/);
    assert.deepEqual(
      p.recordErrors.map((e) => e.batchIndex),
      [1],
    );
  } finally {
    c.close();
  }
});

test('kafkajs: AlterConfigs turns compaction on for an existing topic', async () => {
  const topic = 'altered-to-compact';
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '100' }] }],
  });
  await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '1' }] });
  await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '2' }] });
  await producer.send({ topic, acks: -1, messages: [{ key: 'b', value: 'active' }] });
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(firstBatchOffset(topic), 0, 'cleanup.policy=delete: nothing is compacted');
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: 2,
        name: topic,
        configEntries: Object.entries(COMPACTED).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  await waitFor(() => firstBatchOffset(topic) === 1, 10_000, 'the cleaner to compact after AlterConfigs');
});

test('kcat: reads the compacted log with its gaps', async (t: TestContext) => {
  if (!requireTool(t, 'kcat')) return;
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(
      'kcat',
      [
        '-b',
        broker.address,
        '-C',
        '-t',
        'compacted-users',
        '-o',
        'beginning',
        '-e',
        '-q',
        '-Z',
        '-f',
        '%o %k=%s\\n',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`kcat exited ${code}: ${stderr}`));
    });
  });
  assert.deepEqual(out.trim().split('\n'), ['6 k0=k0-v3', '10 k2=k2-v4', '11 tail=active']);
});
