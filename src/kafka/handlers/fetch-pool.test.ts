/**
 * Proves that Fetch's pooled read buffers are never reused while a response still needs them:
 * several connections fetch megabyte-sized ranges of one partition at once, over and over, with
 * long responses in flight, and every batch that arrives must still pass its CRC-32C and carry
 * the offsets that were asked for. (A buffer handed to another read before its response had been
 * written would show up here as a bad CRC or a wrong offset.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startStandalone } from '../../platform/testing.js';
import { kafkaService } from '../index.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import { readFetchResponse } from '../protocol/messages.generated.js';
import { Reader } from '../protocol/reader.js';
import { encodeBatch } from '../protocol/records.js';
import { encodeRequestFrame } from '../protocol/request-frame.js';
import { splitBatches } from '../storage/batch.js';

const BATCHES = 24;
const RECORDS_PER_BATCH = 300;
const RECORD_BYTES = 1000;
const CONNECTIONS = 3;
const FETCHES_PER_CONNECTION = 16;

/** Sends one frame at a time and resolves with each response body. */
function client(address: string): Promise<{ send: (f: Buffer) => Promise<Buffer>; socket: Socket }> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const waiters: ((b: Buffer) => void)[] = [];
    const socket = connect(Number(port), host, () =>
      resolve({
        socket,
        send: (f) =>
          new Promise((r) => {
            waiters.push(r);
            socket.write(f);
          }),
      }),
    );
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const n = buf.readInt32BE(0);
        waiters.shift()?.(buf.subarray(4, 4 + n));
        buf = buf.subarray(4 + n);
      }
    });
    socket.once('error', reject);
  });
}

async function produceBatches(address: string, topic: string, batches: number): Promise<void> {
  const producer = await client(address);
  await producer.send(
    encodeRequestFrame(ApiKey.CreateTopics, 7, 0, 'pool', {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 1000,
    }),
  );
  for (let b = 0; b < batches; b++) {
    const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
      value: Buffer.alloc(RECORD_BYTES, (b * RECORDS_PER_BATCH + i) & 0xff),
    }));
    await producer.send(
      encodeRequestFrame(ApiKey.Produce, 9, b, 'pool', {
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeBatch(records) }] }],
      }),
    );
  }
  producer.socket.destroy();
}

function fetchFrame(topic: string, offset: number, partitionMaxBytes: number): Buffer {
  return encodeRequestFrame(ApiKey.Fetch, 11, 1, 'pool', {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 64 * 1024 * 1024,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes }] }],
  });
}

/** The batches of a Fetch response, checked (framing, CRC-32C) and contiguous from `offset`. */
function checkedBatches(resp: Buffer, offset: number): number {
  const part = readFetchResponse(new Reader(resp, 4), 11).responses[0]!.partitions[0]!;
  assert.equal(part.errorCode, 0);
  const batches = splitBatches(part.records ?? Buffer.alloc(0)); // checks every CRC-32C
  assert.equal(Number(batches[0]!.baseOffset), offset);
  for (let k = 1; k < batches.length; k++) {
    assert.equal(Number(batches[k]!.baseOffset), Number(batches[k - 1]!.baseOffset) + RECORDS_PER_BATCH);
  }
  return (part.records ?? Buffer.alloc(0)).length;
}

test('a read buffer is not reused while its response still waits in a stalled socket', async () => {
  const s = await startStandalone(kafkaService, { config: { numPartitions: 1 } });
  try {
    const address = s.service.endpoints().kafka!.replace('kafka://', '');
    await produceBatches(address, 'stall', 60);
    // A asks for ~15 MB and does not read: the kernel's socket buffers hold less, so the broker's
    // write stays pending. B then reads ~15 MB (the same pool size class) from elsewhere.
    const a = await client(address);
    a.socket.pause();
    const aResp = a.send(fetchFrame('stall', 0, 15_000_000));
    await new Promise((r) => setTimeout(r, 200));
    const b = await client(address);
    assert.ok(
      checkedBatches(
        await b.send(fetchFrame('stall', 10 * RECORDS_PER_BATCH, 15_000_000)),
        10 * RECORDS_PER_BATCH,
      ) > 10_000_000,
    );
    a.socket.resume();
    assert.ok(checkedBatches(await aResp, 0) > 10_000_000);
    a.socket.destroy();
    b.socket.destroy();
  } finally {
    await s.close();
  }
});

test('concurrent Fetches of pooled reads always carry intact batches', async () => {
  const s = await startStandalone(kafkaService, { config: { numPartitions: 1 } });
  try {
    const address = s.service.endpoints().kafka!.replace('kafka://', '');
    await produceBatches(address, 'pool', BATCHES);
    const fetchers = await Promise.all(Array.from({ length: CONNECTIONS }, () => client(address)));
    await Promise.all(
      fetchers.map(async (c, ci) => {
        for (let i = 0; i < FETCHES_PER_CONNECTION; i++) {
          const offset = ((ci * 7 + i * 5) % (BATCHES - 10)) * RECORDS_PER_BATCH;
          const bytes = checkedBatches(await c.send(fetchFrame('pool', offset, 3_000_000)), offset);
          assert.ok(bytes > 1_000_000, 'a read big enough for the pool');
        }
        c.socket.destroy();
      }),
    );
  } finally {
    await s.close();
  }
});
