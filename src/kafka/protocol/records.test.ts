/**
 * Proves the records codec round-trips keys, values, headers and timestamps through every codec we
 * can encode, that the snappy/lz4/zstd decoders read streams made by the real tools (lz4, zstd
 * CLIs) and xerial framing, and that corrupt batches only throw KafkaProtocolError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fc from 'fast-check';
import { decodeBatchRecords, decodeRecordSet, encodeBatch } from './records.js';
import { decompress } from './compression/index.js';
import { snappyCompressLiteral, snappyDecompress, xerialFrame } from './compression/snappy.js';
import { lz4Decompress, lz4FrameStored } from './compression/lz4.js';
import { KafkaProtocolError } from './errors.js';
import { findTool, requireTool } from '../../../test/helpers/tools.js';

const recordArb = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
    { nil: null },
  ),
  value: fc.option(
    fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
    { nil: null },
  ),
  headers: fc.array(
    fc.record({
      key: fc.string({ unit: 'grapheme', maxLength: 6 }),
      value: fc.option(
        fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)),
        { nil: null },
      ),
    }),
    { maxLength: 3 },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
});

test('records round-trip through none, gzip, snappy and lz4 batches', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 5 }),
      fc.constantFrom(0, 1, 2, 3),
      fc.nat(1000),
      (recs, codec, base) => {
        const batch = encodeBatch(recs, { compression: codec, baseOffset: BigInt(base) });
        const [d] = decodeRecordSet(batch);
        assert.ok(d);
        assert.equal(d.records.length, recs.length);
        d.records.forEach((r: (typeof d.records)[number], i: number) => {
          const want = recs[i]!;
          assert.equal(r.offset, base + i);
          assert.equal(r.timestamp, want.timestamp);
          assert.deepEqual(r.key, want.key);
          assert.deepEqual(r.value, want.value);
          assert.deepEqual(
            r.headers,
            want.headers.map((h) => ({ key: h.key, value: h.value })),
          );
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('snappy: hand-made copies, overlapping copies, xerial framing', () => {
  // "abcd" literal, then copy len 8 offset 4 (tag kind 1: len-4=4 → (4<<2)|1, offset byte 4).
  const raw = Buffer.from([12, 3 << 2, 0x61, 0x62, 0x63, 0x64, (4 << 2) | 1, 4]);
  assert.equal(snappyDecompress(raw).toString(), 'abcdabcdabcd');
  const data = Buffer.from('hello snappy world '.repeat(50));
  assert.deepEqual(snappyDecompress(snappyCompressLiteral(data)), data);
  const framed = xerialFrame([
    snappyCompressLiteral(data.subarray(0, 300)),
    snappyCompressLiteral(data.subarray(300)),
  ]);
  assert.deepEqual(decompress(2, framed), data);
  assert.throws(() => snappyDecompress(Buffer.from([12, (4 << 2) | 1, 9])), KafkaProtocolError);
});

test('lz4: stored frames and frames made by the lz4 CLI', (t) => {
  const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i % 97}\n`).join(''));
  assert.deepEqual(lz4Decompress(lz4FrameStored(data)), data);
  const lz4 = requireTool(t, 'lz4');
  if (!lz4) return;
  for (const args of [['-c'], ['-c', '-BD', '--content-size'], ['-c', '-9', '-BX']]) {
    const r: SpawnSyncReturns<Buffer> = spawnSync(lz4, args, { input: data });
    assert.equal(r.status, 0);
    assert.deepEqual(lz4Decompress(r.stdout as Buffer), data, args.join(' '));
  }
  const back = spawnSync(lz4, ['-d', '-c'], { input: lz4FrameStored(data) });
  assert.equal(back.status, 0, 'the lz4 CLI accepts our stored frame (header checksum)');
  assert.deepEqual(back.stdout, data);
});

test('zstd: frames made by the zstd CLI decode through fzstd', (t) => {
  if (!findTool('zstd')) {
    requireTool(t, 'zstd');
    return;
  }
  const data = Buffer.from('zstd payload '.repeat(400));
  const r = spawnSync('zstd', ['-c', '-q'], { input: data });
  assert.equal(r.status, 0);
  assert.deepEqual(decompress(4, r.stdout), data);
});

test('corrupt batches and compressed payloads only throw KafkaProtocolError', () => {
  const good = encodeBatch([{ key: 'k', value: 'v'.repeat(100), headers: { h: 'x' } }], { compression: 3 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 0, max: 4 }),
      (flips, codec) => {
        const b = Buffer.from(good);
        b.writeInt16BE(codec, 21);
        for (const [at, v] of flips) {
          const i = 61 + (at % (b.length - 61));
          b[i] = v;
        }
        try {
          decodeBatchRecords(b);
        } catch (e) {
          if (!(e instanceof KafkaProtocolError)) throw e;
        }
      },
    ),
    { numRuns: 2000 },
  );
  for (const codec of [1, 2, 3, 4]) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (u) => {
        try {
          decompress(codec, Buffer.from(u));
        } catch (e) {
          if (!(e instanceof KafkaProtocolError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  }
});

/** A legacy (magic 0/1) message; the CRC is not checked by the decoder, so it is left 0. */
function legacyMessage(
  offset: number,
  magic: 0 | 1,
  attributes: number,
  key: Buffer | null,
  value: Buffer | null,
  ts = 1000,
): Buffer {
  const body: Buffer[] = [Buffer.from([magic, attributes])];
  if (magic === 1) {
    const t = Buffer.alloc(8);
    t.writeBigInt64BE(BigInt(ts));
    body.push(t);
  }
  for (const b of [key, value]) {
    const l = Buffer.alloc(4);
    l.writeInt32BE(b === null ? -1 : b.length);
    body.push(l);
    if (b) body.push(b);
  }
  const rest = Buffer.concat(body);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(BigInt(offset), 0);
  head.writeInt32BE(4 + rest.length, 8);
  return Buffer.concat([head, rest]);
}

test('legacy message sets: plain v0/v1 and a gzip wrapper with relative inner offsets', async () => {
  const { gzipSync } = await import('node:zlib');
  const plain = Buffer.concat([
    legacyMessage(5, 0, 0, Buffer.from('a'), Buffer.from('one')),
    legacyMessage(6, 1, 0, null, Buffer.from('two'), 42),
  ]);
  const got = decodeRecordSet(plain).flatMap((b) => b.records);
  assert.deepEqual(
    got.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp]),
    [
      [5, 'a', 'one', -1],
      [6, null, 'two', 42],
    ],
  );
  // Magic 1 wrapper: inner offsets 0..2 relative, the wrapper carries the last absolute offset (12).
  const inner = Buffer.concat([0, 1, 2].map((i) => legacyMessage(i, 1, 0, null, Buffer.from(`in${i}`))));
  const wrapper = legacyMessage(12, 1, 1, null, gzipSync(inner));
  const recs = decodeRecordSet(wrapper).flatMap((b) => b.records);
  assert.deepEqual(
    recs.map((r) => [r.offset, r.value?.toString()]),
    [
      [10, 'in0'],
      [11, 'in1'],
      [12, 'in2'],
    ],
  );
});
