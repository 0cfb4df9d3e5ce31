/**
 * kafkajs 2.2.4 against Nimbus: producing with acks 0, 1 and -1, uncompressed and gzip (the
 * codecs kafkajs has built in), reading everything back with keys and headers; the admin client
 * creating, describing, altering and deleting topics, partitions, configs, records, offsets and
 * groups.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { startBroker, waitFor, type TestBroker } from './broker.js';

let broker: TestBroker;
let kafka: Kafka;
let admin: Admin;

before(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  broker = await startBroker();
  kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING, clientId: 'conformance' });
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin.disconnect();
  await broker.close();
});

async function readAll(
  topic: string,
  expected: number,
): Promise<{ key: string | null; value: string; headers: Record<string, string> }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const out: { key: string | null; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers });
    },
  });
  try {
    await waitFor(() => out.length >= expected, 15_000, `${expected} messages on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

for (const acks of [0, 1, -1]) {
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    test(`produce acks=${acks} compression=${CompressionTypes[compression] ?? compression} and read back`, async () => {
      const topic = `acks${acks < 0 ? 'all' : acks}-c${compression}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const messages = Array.from({ length: 50 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        headers: { n: String(i) },
      }));
      const res = await producer.send({ topic, acks, compression, messages });
      if (acks !== 0) {
        assert.ok(res.length > 0);
        for (const r of res) assert.equal(r.errorCode, 0);
      }
      await producer.disconnect();
      const got = await readAll(topic, 50);
      assert.equal(got.length, 50);
      const sorted = got.sort((a, b) => Number(a.headers.n) - Number(b.headers.n));
      sorted.forEach((m, i) => {
        assert.equal(m.key, `k${i}`);
        assert.equal(m.value, `v${i}`);
      });
    });
  }
}

test('idempotent producer: sends succeed and nothing is duplicated', async () => {
  const topic = 'idempotent';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < 5; i++)
    await producer.send({ topic, acks: -1, messages: [{ value: `m${i}` }, { value: `m${i}b` }] });
  await producer.disconnect();
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.equal(offsets[0]?.high, '10');
});

test('admin: topics, metadata, partitions, configs, records, offsets, cluster', async () => {
  await admin.createTopics({
    topics: [{ topic: 'adm', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
  });
  assert.ok((await admin.listTopics()).includes('adm'));
  const created = await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 2 }] });
  assert.equal(created, false, 'creating an existing topic reports false');
  const md = await admin.fetchTopicMetadata({ topics: ['adm'] });
  assert.equal(md.topics[0]?.partitions.length, 2);

  await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 4 }] });
  assert.equal((await admin.fetchTopicMetadata({ topics: ['adm'] })).topics[0]?.partitions.length, 4);
  await assert.rejects(
    admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 2 }] }),
    /partitions/i,
  );

  const cfg = await admin.describeConfigs({
    resources: [{ type: 2, name: 'adm', configNames: ['retention.ms'] }],
    includeSynonyms: false,
  });
  assert.equal(
    cfg.resources[0]?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue,
    '3600000',
  );
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: 2, name: 'adm', configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
  });
  const cfg2 = await admin.describeConfigs({
    resources: [{ type: 2, name: 'adm', configNames: ['retention.ms'] }],
    includeSynonyms: false,
  });
  assert.equal(cfg2.resources[0]?.configEntries[0]?.configValue, '7200000');

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'adm',
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `x${i}`, partition: 0 })),
  });
  await producer.disconnect();
  const before = await admin.fetchTopicOffsets('adm');
  assert.deepEqual(
    before.find((p) => p.partition === 0),
    { partition: 0, offset: '10', high: '10', low: '0' },
  );
  await admin.deleteTopicRecords({ topic: 'adm', partitions: [{ partition: 0, offset: '4' }] });
  const afterDel = await admin.fetchTopicOffsets('adm');
  assert.equal(afterDel.find((p) => p.partition === 0)?.low, '4');
  const byTs = await admin.fetchTopicOffsetsByTimestamp('adm', Date.now() + 60_000);
  assert.equal(byTs.find((p) => p.partition === 0)?.offset, '10', 'a future timestamp resolves to the end');

  await admin.setOffsets({ groupId: 'adm-group', topic: 'adm', partitions: [{ partition: 0, offset: '7' }] });
  const fetched = await admin.fetchOffsets({ groupId: 'adm-group', topics: ['adm'] });
  assert.equal(fetched[0]?.partitions.find((p) => p.partition === 0)?.offset, '7');
  // (admin.resetOffsets goes through the same kafkajs path as setOffsets, and each costs ~5 s of
  // kafkajs's paused-consumer sleep, so only setOffsets is exercised here.)

  const cluster = await admin.describeCluster();
  assert.equal(cluster.brokers.length, 1);
  assert.equal(`${cluster.brokers[0]?.host}:${cluster.brokers[0]?.port}`, broker.address);

  await admin.deleteTopics({ topics: ['adm'] });
  assert.ok(!(await admin.listTopics()).includes('adm'));
});

test('admin: groups are listed, described and deleted', async () => {
  const topic = 'grp-admin';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const consumer = kafka.consumer({ groupId: 'described', maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.run({ eachMessage: async () => {} });
  await waitFor(() => joined, 15_000, 'group join');
  const listed = await admin.listGroups();
  assert.ok(listed.groups.some((g) => g.groupId === 'described' && g.protocolType === 'consumer'));
  const desc = await admin.describeGroups(['described']);
  assert.equal(desc.groups[0]?.state, 'Stable');
  assert.equal(desc.groups[0]?.members.length, 1);
  await assert.rejects(
    admin.deleteGroups(['described']),
    (e: { groups?: { errorCode: number }[] }) => e.groups?.[0]?.errorCode === 68,
  );
  await consumer.disconnect();
  await admin.deleteGroups(['described']);
  const after = await admin.listGroups();
  assert.ok(!after.groups.some((g) => g.groupId === 'described'));
});

test('autoCreateTopics=false: producing to an unknown topic fails instead of creating it', async () => {
  const strict = await startBroker({ autoCreateTopics: false });
  try {
    const k = new Kafka({
      brokers: [strict.address],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    const p = k.producer();
    await p.connect();
    await assert.rejects(p.send({ topic: 'never-made', messages: [{ value: 'x' }] }));
    await p.disconnect();
    const a = k.admin();
    await a.connect();
    assert.ok(!(await a.listTopics()).includes('never-made'));
    await a.disconnect();
  } finally {
    await strict.close();
  }
});
