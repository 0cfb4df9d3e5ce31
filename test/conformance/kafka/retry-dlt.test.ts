/**
 * The handbook's retry and dead-letter pattern with kafkajs against Nimbus: a consumer of
 * `email.send` fails on some messages, retries each with exponential backoff, and after the last
 * attempt publishes the original message (key, value and headers intact, plus error headers) to
 * `email.send.dlt`, then commits so the partition moves on. Good messages are sent exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { startBroker, waitFor, type TestBroker } from './broker.js';

const ATTEMPTS_MAX = 4;
const BACKOFF_BASE_MS = 10;

let broker: TestBroker;
before(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  broker = await startBroker();
});
after(async () => {
  await broker.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('email.send → retries with backoff → email.send.dlt with the original message', async () => {
  const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'email.send', numPartitions: 2 },
      { topic: 'email.send.dlt', numPartitions: 1 },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const sent: string[] = [];
  const attemptsByKey = new Map<string, number[]>();
  /** The "mail server": addresses at bad.example always fail. */
  async function sendEmail(to: string): Promise<void> {
    if (to.endsWith('@bad.example')) throw new Error(`550 mailbox unavailable: ${to}`);
    sent.push(to);
  }

  const worker = kafka.consumer({ groupId: 'email-workers', maxWaitTimeInMs: 100, heartbeatInterval: 300 });
  await worker.connect();
  await worker.subscribe({ topic: 'email.send', fromBeginning: true });
  await worker.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const key = message.key?.toString() ?? '';
      const to = JSON.parse(message.value?.toString() ?? '{}').to as string;
      let lastError: Error | null = null;
      for (let attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
        attemptsByKey.set(key, [...(attemptsByKey.get(key) ?? []), Date.now()]);
        try {
          await sendEmail(to);
          lastError = null;
          break;
        } catch (e) {
          lastError = e as Error;
          if (attempt < ATTEMPTS_MAX) await sleep(BACKOFF_BASE_MS * 2 ** (attempt - 1));
        }
      }
      if (lastError) {
        const headers: IHeaders = {
          ...(message.headers ?? {}),
          'dlt.original.topic': topic,
          'dlt.original.partition': String(partition),
          'dlt.original.offset': message.offset,
          'dlt.error': lastError.message,
          'dlt.attempts': String(ATTEMPTS_MAX),
        };
        await producer.send({
          topic: 'email.send.dlt',
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers, timestamp: message.timestamp }],
        });
      }
      await worker.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
    },
  });

  const emails = ['ann@ok.example', 'bob@bad.example', 'cy@ok.example', 'dee@bad.example', 'eve@ok.example'];
  await producer.send({
    topic: 'email.send',
    acks: -1,
    messages: emails.map((to, i) => ({
      key: `mail-${i}`,
      value: JSON.stringify({ to, subject: `hello ${i}` }),
      headers: { 'trace-id': `t${i}` },
    })),
  });

  const dead: { key: string; value: string; headers: Record<string, string> }[] = [];
  const auditor = kafka.consumer({ groupId: 'dlt-auditor', maxWaitTimeInMs: 100 });
  await auditor.connect();
  await auditor.subscribe({ topic: 'email.send.dlt', fromBeginning: true });
  await auditor.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      dead.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers });
    },
  });
  try {
    await waitFor(
      () => dead.length === 2 && sent.length === 3,
      20_000,
      'two dead letters and three sent emails',
    );
    assert.deepEqual(sent.sort(), ['ann@ok.example', 'cy@ok.example', 'eve@ok.example']);
    const bob = dead.find((d) => d.key === 'mail-1');
    assert.ok(bob, 'bob is dead-lettered');
    assert.equal(
      bob.value,
      JSON.stringify({ to: 'bob@bad.example', subject: 'hello 1' }),
      'original value intact',
    );
    assert.equal(bob.headers['trace-id'], 't1', 'original headers intact');
    assert.equal(bob.headers['dlt.original.topic'], 'email.send');
    assert.equal(bob.headers['dlt.attempts'], String(ATTEMPTS_MAX));
    assert.match(bob.headers['dlt.error'] ?? '', /550 mailbox unavailable/);
    const times = attemptsByKey.get('mail-1')!;
    assert.equal(times.length, ATTEMPTS_MAX);
    // Exponential backoff: each gap at least the scheduled delay (10, 20, 40 ms).
    for (let i = 1; i < times.length; i++)
      assert.ok(times[i]! - times[i - 1]! >= BACKOFF_BASE_MS * 2 ** (i - 1) - 2);
    const committed = await (async () => {
      const a = kafka.admin();
      await a.connect();
      const o = await a.fetchOffsets({ groupId: 'email-workers', topics: ['email.send'] });
      await a.disconnect();
      return o[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
    })();
    assert.equal(committed, 5, 'every message, dead or delivered, is committed');
  } finally {
    await auditor.disconnect();
    await worker.disconnect();
    await producer.disconnect();
  }
});
