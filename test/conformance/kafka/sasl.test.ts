/**
 * SASL against Nimbus with sasl.enabled: kafkajs authenticates with PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512 and can then produce; a wrong password is refused; a client that skips SASL is
 * disconnected before any other API is served.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { requireTool } from '../../helpers/tools.js';
import { startBroker, type TestBroker } from './broker.js';

let broker: TestBroker;
before(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  broker = await startBroker({
    sasl: {
      enabled: true,
      mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
      users: { alice: 'alice-secret' },
    },
  });
});
after(async () => {
  await broker.close();
});

function client(sasl?: SASLOptions): Kafka {
  return new Kafka({
    brokers: [broker.address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...(sasl ? { sasl } : {}),
  });
}

for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
  test(`${mechanism}: authenticates, then produces`, async () => {
    const producer = client({
      mechanism,
      username: 'alice',
      password: 'alice-secret',
    } as SASLOptions).producer();
    await producer.connect();
    const r = await producer.send({ topic: `sasl-${mechanism}`, messages: [{ value: 'authenticated' }] });
    assert.equal(r[0]?.errorCode, 0);
    await producer.disconnect();
  });

  test(`${mechanism}: a wrong password is refused`, async () => {
    const producer = client({ mechanism, username: 'alice', password: 'wrong' } as SASLOptions).producer();
    await assert.rejects(producer.connect(), /SASL|authentication|Authentication/);
    await producer.disconnect();
  });
}

test('without SASL the broker serves nothing but ApiVersions and the handshake', async () => {
  const admin = client().admin();
  await admin.connect(); // kafkajs only exchanges ApiVersions here
  await assert.rejects(admin.listTopics(), 'Metadata before authentication closes the connection');
  await admin.disconnect();
});

function kcat(args: string[], input = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn('kcat', ['-b', broker.address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(input);
  });
}

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
  test(`kcat (librdkafka) authenticates with ${mechanism}`, async (t) => {
    if (!requireTool(t, 'kcat')) return;
    const auth = [
      '-X',
      'security.protocol=SASL_PLAINTEXT',
      '-X',
      `sasl.mechanisms=${mechanism}`,
      '-X',
      'sasl.username=alice',
      '-X',
      'sasl.password=alice-secret',
    ];
    const topic = `kcat-sasl-${mechanism.toLowerCase()}`;
    const p = await kcat([...auth, '-P', '-t', topic], 'hello\n');
    assert.equal(p.code, 0, p.err);
    const c = await kcat([...auth, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
    assert.equal(c.out, 'hello\n');
  });
}
