/**
 * The wire rules no client library lets us break on purpose, checked over raw sockets:
 *   - ApiVersions advertises min version 0 for every API, and derives max from the handlers;
 *   - an unsupported ApiVersions version gets a v0 body with error 35 and the key list;
 *   - the ApiVersions v3 response header has no tagged-field byte;
 *   - responses come back in request order even when an earlier one (a Fetch long poll) is slow,
 *     and a produce wakes that long poll before its max wait;
 *   - an oversized frame size closes the connection; random and mutated frames never crash the
 *     broker, which keeps serving other connections with stable memory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { encodeRequestFrame } from '../../../src/kafka/protocol/request-frame.js';
import {
  ApiKey,
  readApiVersionsResponse,
  readFetchResponse,
  readProduceResponse,
  readMetadataResponse,
  API_CODECS,
} from '../../../src/kafka/protocol/messages.generated.js';
import { Reader } from '../../../src/kafka/protocol/reader.js';
import { encodeBatch } from '../../../src/kafka/protocol/records.js';
import { startBroker, type TestBroker } from './broker.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker({ maxRequestBytes: 1024 * 1024 });
});
after(async () => {
  await broker.close();
});

/** A minimal client: writes frames, reads size-prefixed responses in order. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: ((b: Buffer) => void)[] = [];
  closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const n = this.buf.readInt32BE(0);
        const frame = this.buf.subarray(4, 4 + n);
        this.buf = this.buf.subarray(4 + n);
        this.waiters.shift()?.(frame);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.on('close', () => r()));
  }
  static open(): Promise<RawClient> {
    const [host, port] = broker.address.split(':') as [string, string];
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  next(): Promise<Buffer> {
    return new Promise((r) => this.waiters.push(r));
  }
  send(frame: Buffer): Promise<Buffer> {
    const p = this.next();
    this.socket.write(frame);
    return p;
  }
  close(): void {
    this.socket.destroy();
  }
}

test('ApiVersions: every API from v0, max from the handlers', async () => {
  const c = await RawClient.open();
  const resp = await c.send(
    encodeRequestFrame(ApiKey.ApiVersions, 3, 7, 'wire', {
      clientSoftwareName: 'wire',
      clientSoftwareVersion: '1',
    }),
  );
  assert.equal(resp.readInt32BE(0), 7, 'correlation id');
  // v3 body directly after the 4-byte correlation id: no header tagged fields.
  const body = readApiVersionsResponse(new Reader(resp, 4), 3);
  assert.equal(body.errorCode, 0);
  assert.ok(body.apiKeys.length >= 30);
  for (const k of body.apiKeys) assert.equal(k.minVersion, 0, `api ${k.apiKey} min version`);
  const produce = body.apiKeys.find((k) => k.apiKey === ApiKey.Produce);
  assert.equal(produce?.maxVersion, 11);
  assert.ok(!body.apiKeys.some((k) => k.apiKey === ApiKey.EndTxn), 'transactions are not advertised');
  c.close();
});

test('ApiVersions with an unknown version: v0 body, error 35, key list', async () => {
  const c = await RawClient.open();
  // Version 99 of ApiVersions, header v2 layout as a newer client would send.
  const w = Buffer.alloc(4 + 2 + 2 + 4 + 2 + 4 + 1 + 3);
  let o = 4;
  o = w.writeInt16BE(18, o);
  o = w.writeInt16BE(99, o);
  o = w.writeInt32BE(42, o);
  o = w.writeInt16BE(4, o);
  w.write('wire', o);
  w.writeInt32BE(w.length - 4, 0);
  const resp = await c.send(w);
  assert.equal(resp.readInt32BE(0), 42);
  const body = readApiVersionsResponse(new Reader(resp, 4), 0);
  assert.equal(body.errorCode, 35);
  assert.ok(body.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion === 4));
  c.close();
});

test('responses keep request order; produce wakes a parked Fetch', async () => {
  const admin = await RawClient.open();
  await admin.send(
    encodeRequestFrame(ApiKey.CreateTopics, 7, 1, 'wire', {
      topics: [{ name: 'wake', numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 1000,
    }),
  );
  const c = await RawClient.open();
  const started = Date.now();
  const fetchV = 12;
  const fetchResp = c.next();
  c.socket.write(
    encodeRequestFrame(ApiKey.Fetch, fetchV, 100, 'wire', {
      replicaId: -1,
      maxWaitMs: 5000,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [
        { topic: 'wake', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    }),
  );
  // Pipelined behind the parked Fetch on the same connection.
  const versionsResp = c.next();
  c.socket.write(encodeRequestFrame(ApiKey.ApiVersions, 0, 101, 'wire', {}));
  let versionsAt = 0;
  void versionsResp.then(() => (versionsAt = Date.now()));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(versionsAt, 0, 'ApiVersions waits behind the Fetch');
  const batch = encodeBatch([{ key: 'k', value: 'woke' }]);
  const produced = await admin.send(
    encodeRequestFrame(ApiKey.Produce, 9, 2, 'wire', {
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'wake', partitionData: [{ index: 0, records: batch }] }],
    }),
  );
  const pr = readProduceResponse(new Reader(produced, 5), 9);
  assert.equal(pr.responses[0]?.partitionResponses[0]?.errorCode, 0);
  const f = await fetchResp;
  assert.equal(f.readInt32BE(0), 100);
  const fr = readFetchResponse(new Reader(f, 5), fetchV);
  assert.ok(Date.now() - started < 4000, 'woken before max wait');
  assert.ok((fr.responses[0]?.partitions[0]?.records?.length ?? 0) > 0);
  const v = await versionsResp;
  assert.equal(v.readInt32BE(0), 101);
  c.close();
  admin.close();
});

test('a frame over maxRequestBytes closes the connection', async () => {
  const c = await RawClient.open();
  const b = Buffer.alloc(4);
  b.writeInt32BE(1024 * 1024 + 1, 0);
  c.socket.write(b);
  await c.closed;
  const ok = await RawClient.open();
  const r = await ok.send(encodeRequestFrame(ApiKey.ApiVersions, 0, 1, 'x', {}));
  assert.equal(r.readInt32BE(0), 1, 'the broker still serves');
  ok.close();
});

test('random and mutated frames never crash the broker or grow its memory', async () => {
  const keys = [...API_CODECS.keys()];
  const valid = [
    encodeRequestFrame(ApiKey.Metadata, 9, 1, 'fuzz', { topics: null }),
    encodeRequestFrame(ApiKey.Produce, 9, 2, 'fuzz', {
      acks: 1,
      timeoutMs: 100,
      topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: encodeBatch([{ value: 'v' }]) }] }],
    }),
    encodeRequestFrame(ApiKey.JoinGroup, 6, 3, 'fuzz', {
      groupId: 'g',
      sessionTimeoutMs: 6000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [],
    }),
    encodeRequestFrame(ApiKey.OffsetCommit, 8, 4, 'fuzz', {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, committedOffset: 1n }] }],
    }),
  ];
  const frameArb = fc.oneof(
    fc
      .tuple(fc.constantFrom(...keys), fc.integer({ min: -1, max: 20 }), fc.uint8Array({ maxLength: 200 }))
      .map(([k, v, body]) => {
        const b = Buffer.alloc(4 + 8 + body.length);
        b.writeInt32BE(8 + body.length, 0);
        b.writeInt16BE(k, 4);
        b.writeInt16BE(v, 6);
        b.writeInt32BE(9, 8);
        Buffer.from(body).copy(b, 12);
        return b;
      }),
    fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
      )
      .map(([f, flips]) => {
        const b = Buffer.from(f);
        for (const [at, v] of flips) b[4 + (at % (b.length - 4))] = v;
        b.writeInt32BE(b.length - 4, 0);
        return b;
      }),
  );
  const samples = fc.sample(frameArb, { numRuns: 600, seed: 42 });
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < samples.length; i += 20) {
    const c = await RawClient.open();
    for (const f of samples.slice(i, i + 20)) c.socket.write(f);
    // Either the broker answers or closes; give it a moment, then move on.
    await Promise.race([c.closed, new Promise((r) => setTimeout(r, 30))]);
    c.close();
  }
  const probe = await RawClient.open();
  const r = await probe.send(encodeRequestFrame(ApiKey.ApiVersions, 3, 5, 'probe', {}));
  assert.equal(r.readInt32BE(0), 5, 'the broker still answers');
  probe.close();
  global.gc?.();
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 64 * 1024 * 1024, `heap grew ${grown} bytes`);
});

test('frames split byte by byte and several frames in one write are both parsed', async () => {
  const c = await RawClient.open();
  const a = encodeRequestFrame(ApiKey.ApiVersions, 0, 11, 'split', {});
  const first = c.next();
  for (const byte of a) {
    c.socket.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal((await first).readInt32BE(0), 11);
  const replies = [c.next(), c.next(), c.next()];
  c.socket.write(
    Buffer.concat([12, 13, 14].map((id) => encodeRequestFrame(ApiKey.ApiVersions, 0, id, 'batch', {}))),
  );
  assert.deepEqual(
    (await Promise.all(replies)).map((r) => r.readInt32BE(0)),
    [12, 13, 14],
  );
  c.close();
});

test('connections beyond maxConnections are refused', async () => {
  const small = await startBroker({ maxConnections: 2 });
  const [host, port] = small.address.split(':') as [string, string];
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => resolve(s));
      s.once('error', reject);
    });
  const s1 = await open();
  const s2 = await open();
  const s3 = await open();
  const closed = await Promise.race([
    new Promise<boolean>((r) => s3.once('close', () => r(true))),
    new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
  ]);
  assert.equal(closed, true, 'the third connection is dropped');
  for (const s of [s1, s2, s3]) s.destroy();
  await small.close();
});

test('Fetch: the first non-empty partition may exceed maxBytes, later ones stay within it', async () => {
  const c = await RawClient.open();
  await c.send(
    encodeRequestFrame(ApiKey.CreateTopics, 7, 1, 'wire', {
      topics: [{ name: 'budget', numPartitions: 2, replicationFactor: 1 }],
      timeoutMs: 1000,
    }),
  );
  const big = encodeBatch([{ value: Buffer.alloc(2000, 1) }]);
  for (const index of [0, 1]) {
    const batch = Buffer.from(big);
    await c.send(
      encodeRequestFrame(ApiKey.Produce, 9, 2, 'wire', {
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 'budget', partitionData: [{ index, records: batch }] }],
      }),
    );
  }
  const resp = await c.send(
    encodeRequestFrame(ApiKey.Fetch, 11, 3, 'wire', {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1000,
      topics: [
        {
          topic: 'budget',
          partitions: [
            { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000 },
            { partition: 1, fetchOffset: 0n, partitionMaxBytes: 1000 },
          ],
        },
      ],
    }),
  );
  const fr = readFetchResponse(new Reader(resp, 4), 11);
  const parts = fr.responses[0]!.partitions;
  assert.ok((parts[0]?.records?.length ?? 0) > 1000, 'the first batch comes whole, over the limit');
  assert.equal(parts[1]?.records?.length ?? 0, 0, 'the second partition waits for the next fetch');
  assert.equal(parts[1]?.highWatermark, 1n);
  c.close();
});

test('Metadata does not create topics when the request forbids it', async () => {
  const c = await RawClient.open();
  const resp = await c.send(
    encodeRequestFrame(ApiKey.Metadata, 9, 4, 'wire', {
      topics: [{ name: 'not-created' }],
      allowAutoTopicCreation: false,
    }),
  );
  const md = readMetadataResponse(new Reader(resp, 5), 9);
  assert.equal(md.topics[0]?.errorCode, 3);
  const again = await c.send(
    encodeRequestFrame(ApiKey.Metadata, 9, 5, 'wire', {
      topics: [{ name: 'created' }],
      allowAutoTopicCreation: true,
    }),
  );
  assert.equal(readMetadataResponse(new Reader(again, 5), 9).topics[0]?.errorCode, 0);
  c.close();
});
