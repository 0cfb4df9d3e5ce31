/**
 * kafkajs 2.2.4 consumer groups against Nimbus: three consumers share six partitions, a fourth
 * joins and later one leaves; after every rebalance each partition is owned by exactly one member,
 * and with offsets committed after processing no message is lost or processed twice. Also seek,
 * pause and resume on a single consumer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startBroker, waitFor, type TestBroker } from './broker.js';

let broker: TestBroker;
let kafka: Kafka;
let producer: Producer;

before(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  broker = await startBroker();
  kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 6 },
      { topic: 'seekable', numPartitions: 1 },
    ],
  });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
});

after(async () => {
  await producer.disconnect();
  await broker.close();
});

interface Member {
  name: string;
  consumer: Consumer;
  /** Partitions of 'orders' from the member's last GROUP_JOIN. */
  assigned: number[];
}

test('consumer group of 3, a 4th joins, one leaves: exclusive ownership, exactly-once processing', async () => {
  const processed = new Map<string, number>(); // "partition:offset" → times processed
  const members: Member[] = [];

  async function addMember(name: string): Promise<Member> {
    const consumer = kafka.consumer({
      groupId: 'orders-group',
      heartbeatInterval: 300,
      sessionTimeout: 10_000,
      maxWaitTimeInMs: 100,
      retry: { retries: 10 },
    });
    const m: Member = { name, consumer, assigned: [] };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.assigned = [...(e.payload.memberAssignment['orders'] ?? [])].sort();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const k = `${partition}:${message.offset}`;
        processed.set(k, (processed.get(k) ?? 0) + 1);
        // Commit after processing: the next offset to read.
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    members.push(m);
    return m;
  }

  /** Waits until the live members' assignments cover the 6 partitions exactly once. */
  async function waitBalanced(live: Member[], what: string): Promise<void> {
    await waitFor(
      () => {
        const all = live.flatMap((m) => m.assigned);
        return all.length === 6 && new Set(all).size === 6 && live.every((m) => m.assigned.length > 0);
      },
      20_000,
      what,
    );
  }

  async function produceBatch(from: number, n: number): Promise<void> {
    await producer.send({
      topic: 'orders',
      messages: Array.from({ length: n }, (_, i) => ({ key: `order-${from + i}`, value: `${from + i}` })),
    });
  }

  const a = await addMember('a');
  const b = await addMember('b');
  const c = await addMember('c');
  await waitBalanced([a, b, c], 'three members sharing six partitions');
  assert.deepEqual([a, b, c].map((m) => m.assigned.length).sort(), [2, 2, 2]);
  await produceBatch(0, 120);
  await waitFor(() => processed.size === 120, 20_000, '120 processed');

  const d = await addMember('d');
  await waitBalanced([a, b, c, d], 'four members after a join');
  await produceBatch(120, 120);
  await waitFor(() => processed.size === 240, 20_000, '240 processed');

  await b.consumer.disconnect(); // LeaveGroup
  b.assigned = [];
  await waitBalanced([a, c, d], 'three members after a leave');
  await produceBatch(240, 120);
  await waitFor(() => processed.size === 360, 20_000, '360 processed');

  for (const m of [a, c, d]) await m.consumer.disconnect();
  const twice = [...processed].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], 'no message processed twice');
  assert.equal(processed.size, 360, 'no message lost');
});

test('seek, pause and resume', async () => {
  await producer.send({
    topic: 'seekable',
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `s${i}` })),
  });
  const consumer = kafka.consumer({ groupId: 'seeker', maxWaitTimeInMs: 100, heartbeatInterval: 300 });
  const seen: string[] = [];
  let paused = false;
  await consumer.connect();
  await consumer.subscribe({ topic: 'seekable', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(message.offset);
      if (message.offset === '4' && !paused) {
        paused = true;
        consumer.pause([{ topic: 'seekable' }]);
      }
    },
  });
  await waitFor(() => paused, 15_000, 'pause at offset 4');
  await new Promise((r) => setTimeout(r, 700));
  assert.deepEqual(seen, ['0', '1', '2', '3', '4'], 'nothing delivered while paused');
  assert.ok(consumer.paused().some((p) => p.topic === 'seekable'));
  consumer.seek({ topic: 'seekable', partition: 0, offset: '2' });
  consumer.resume([{ topic: 'seekable' }]);
  await waitFor(() => seen.length >= 13, 15_000, 'redelivery from offset 2 to the end');
  assert.deepEqual(seen.slice(5), ['2', '3', '4', '5', '6', '7', '8', '9']);
  await consumer.disconnect();
});

test('a parked Fetch (maxWaitTimeInMs 10 s) is woken by produce', async () => {
  const consumer = kafka.consumer({ groupId: 'waker', maxWaitTimeInMs: 10_000, heartbeatInterval: 300 });
  let joined = false;
  let receivedAt = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topic: 'seekable', fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value?.toString() === 'wake-up') receivedAt = Date.now();
    },
  });
  await waitFor(() => joined, 15_000, 'join');
  // Let the consumer resolve its position and park its Fetch.
  await new Promise((r) => setTimeout(r, 1000));
  const sentAt = Date.now();
  await producer.send({ topic: 'seekable', messages: [{ value: 'wake-up' }] });
  await waitFor(() => receivedAt > 0, 9_000, 'delivery before the 10 s max wait');
  assert.ok(receivedAt - sentAt < 2000, `delivered ${receivedAt - sentAt} ms after produce`);
  await consumer.disconnect();
});
