/**
 * kafkajs ships only gzip; snappy, lz4 and zstd come from codec plugins. Here Nimbus's own codecs
 * are registered as those plugins: kafkajs produces snappy (raw and xerial-framed) and lz4 batches
 * with our encoders, the broker stores them as received, kcat (librdkafka's decoders) reads them
 * back — proving our encoders emit valid streams — and kafkajs consumes kcat's zstd batches through
 * our zstd decoder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { compress, decompress } from '../../../src/kafka/protocol/compression/index.js';
import { snappyCompressLiteral, xerialFrame } from '../../../src/kafka/protocol/compression/snappy.js';
import { findTool, requireTool } from '../../helpers/tools.js';
import { startBroker, waitFor, type TestBroker } from './broker.js';

let broker: TestBroker;
let kafka: Kafka;
let xerial = false;

function codec(type: number) {
  return () => ({
    compress: async (encoder: { buffer: Buffer }) =>
      type === 2 && xerial
        ? xerialFrame([snappyCompressLiteral(encoder.buffer)])
        : compress(type, encoder.buffer),
    decompress: async (buf: Buffer) => decompress(type, buf),
  });
}

// CommonJS export that Node's ESM named-export detection misses.
const { CompressionCodecs } = kafkajs;

before(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  CompressionCodecs[CompressionTypes.Snappy] = codec(2);
  CompressionCodecs[CompressionTypes.LZ4] = codec(3);
  CompressionCodecs[CompressionTypes.ZSTD] = codec(4);
  broker = await startBroker();
  kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
});
after(async () => {
  await broker.close();
});

function kcat(args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('kcat', ['-b', broker.address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kcat ${code}: ${err}`))));
    p.stdin.end(input);
  });
}

for (const [name, type, framed] of [
  ['snappy (raw)', CompressionTypes.Snappy, false],
  ['snappy (xerial framing)', CompressionTypes.Snappy, true],
  ['lz4', CompressionTypes.LZ4, false],
] as const) {
  test(`kafkajs produces ${name} with our encoder; kcat reads it back`, async (t) => {
    if (!requireTool(t, 'kcat')) return;
    xerial = framed;
    const topic = `kjs-${name.replace(/[^a-z0-9]/g, '-')}`;
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i}`,
      value: `value ${i} `.repeat(20),
    }));
    await producer.send({ topic, compression: type, messages });
    await producer.disconnect();
    const out = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\n']);
    assert.deepEqual(
      out.split('\n').slice(0, -1),
      messages.map((m) => `${m.key}=${m.value}`),
    );
  });
}

test('kafkajs consumes zstd batches written by kcat through our zstd decoder', async (t) => {
  if (!findTool('kcat')) {
    requireTool(t, 'kcat');
    return;
  }
  await kcat(
    ['-P', '-t', 'zstd-in', '-z', 'zstd', '-K', ':'],
    Array.from({ length: 50 }, (_, i) => `k${i}:z${i}`).join('\n') + '\n',
  );
  const consumer = kafka.consumer({ groupId: 'zstd-reader', maxWaitTimeInMs: 100 });
  const got: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'zstd-in', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) =>
      void got.push(`${message.key?.toString()}=${message.value?.toString()}`),
  });
  try {
    await waitFor(() => got.length >= 50, 15_000, '50 zstd messages');
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => `k${i}=z${i}`),
  );
});
