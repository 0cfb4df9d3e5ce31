/**
 * Proves: streams (entries over several listpack nodes, same/different field layouts, consumer
 * groups with pending entries and consumers, invalid entries_read, empty streams) round-trip
 * through our RDB writer and reader; real redis-server 7 loads our streams with groups and PEL
 * intact; we read the streams real Redis writes (including XDEL tombstones) and its DUMP payloads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createDumpPayload, parseDumpPayload, readRdb, writeRdb } from './rdb.js';
import type { RdbEntry, RdbStreamEntry, RdbStreamValue } from './value-model.js';
import { startRealRedis } from './real-redis-harness.js';
import { requireTool } from '../../../test/helpers/tools.js';
import { crc64 } from './crc64.js';
import { RdbFormatError } from './errors.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const NOW = 1_700_000_000_000;

function sampleStream(): RdbStreamValue {
  const entries: RdbStreamEntry[] = [];
  for (let i = 0; i < 250; i++) {
    const fields =
      i % 7 === 3 ? [b('other'), b(`x${i}`)] : [b('temp'), b(String(20 + (i % 10))), b('city'), b(`c${i}`)];
    entries.push({ id: { ms: NOW + Math.floor(i / 3), seq: i % 3 }, fields });
  }
  const last = entries[249]!.id;
  return {
    type: 'stream',
    entries,
    lastId: last,
    maxDeletedId: { ms: NOW - 5, seq: 0 },
    entriesAdded: 260,
    groups: [
      {
        name: b('g1'),
        lastId: entries[10]!.id,
        entriesRead: 11,
        pending: [
          { id: entries[5]!.id, consumer: b('alice'), deliveryTimeMs: NOW + 100, deliveryCount: 2 },
          { id: entries[9]!.id, consumer: b('bob'), deliveryTimeMs: NOW + 200, deliveryCount: 1 },
          { id: entries[10]!.id, consumer: b('alice'), deliveryTimeMs: NOW + 300, deliveryCount: 1 },
        ],
        consumers: [
          { name: b('alice'), seenTimeMs: NOW + 300, activeTimeMs: NOW + 300 },
          { name: b('bob'), seenTimeMs: NOW + 200, activeTimeMs: NOW + 200 },
          { name: b('idle'), seenTimeMs: NOW + 50, activeTimeMs: NOW + 50 },
        ],
      },
      { name: b('7'), lastId: { ms: 0, seq: 0 }, entriesRead: null, pending: [], consumers: [] },
    ],
  };
}

const emptyStream: RdbStreamValue = {
  type: 'stream',
  entries: [],
  lastId: { ms: 5, seq: 1 },
  maxDeletedId: { ms: 5, seq: 1 },
  entriesAdded: 1,
  groups: [{ name: b('g'), lastId: { ms: 5, seq: 1 }, entriesRead: 1, pending: [], consumers: [] }],
};

test('streams round-trip through RDB and DUMP', () => {
  const entries: RdbEntry[] = [
    { db: 0, key: b('s'), value: sampleStream(), expireAtMs: null },
    { db: 0, key: b('empty'), value: emptyStream, expireAtMs: NOW + 1000 },
  ];
  const img = readRdb(writeRdb(entries, { ctimeSec: 0, usedMemBytes: 0 }));
  assert.deepEqual(img.entries, entries);
  assert.deepEqual(parseDumpPayload(createDumpPayload(sampleStream())), sampleStream());
});

test('property: arbitrary streams round-trip', () => {
  const arb = fc
    .array(
      fc.record({
        gap: fc.integer({ min: 0, max: 3 }),
        seq: fc.integer({ min: 0, max: 70_000 }),
        fields: fc.array(fc.uint8Array({ maxLength: 6 }), { minLength: 0, maxLength: 3 }),
      }),
      { maxLength: 230 },
    )
    .map((rows): RdbStreamValue => {
      let ms = 1;
      let prevSeq = -1;
      const entries = rows.map((r) => {
        ms += r.gap;
        const seq = r.gap === 0 ? prevSeq + 1 : r.seq;
        prevSeq = seq;
        const flat: Buffer[] = [];
        for (const f of r.fields) flat.push(Buffer.from(f), Buffer.from(f).reverse());
        return { id: { ms, seq }, fields: flat };
      });
      const lastId = entries.at(-1)?.id ?? { ms: 0, seq: 0 };
      return {
        type: 'stream',
        entries,
        lastId,
        maxDeletedId: { ms: 0, seq: 0 },
        entriesAdded: entries.length,
        groups: [],
      };
    });
  fc.assert(
    fc.property(arb, (v) => {
      assert.deepEqual(parseDumpPayload(createDumpPayload(v)), v);
    }),
    { numRuns: 150 },
  );
});

test('real redis-server 7 loads our streams with groups and pending entries', async (t) => {
  if (!requireTool(t, 'redis-server') || !requireTool(t, 'redis-check-rdb')) return;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-stream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stream = sampleStream();
  writeFileSync(
    join(dir, 'dump.rdb'),
    writeRdb(
      [
        { db: 0, key: b('s'), value: stream, expireAtMs: null },
        { db: 0, key: b('empty'), value: emptyStream, expireAtMs: null },
      ],
      { ctimeSec: NOW / 1000, usedMemBytes: 0 },
    ),
  );
  const check = spawnSync('redis-check-rdb', [join(dir, 'dump.rdb')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const real = await startRealRedis(dir, ['--dbfilename', 'dump.rdb', '--sanitize-dump-payload', 'yes']);
  t.after(() => real.stop());
  const c = real.client;
  assert.equal(await c.xlen('s'), 250);
  const all = (await c.xrange('s', '-', '+')) as Array<[string, string[]]>;
  assert.equal(all.length, 250);
  all.forEach(([id, fields], i) => {
    const e = stream.entries[i]!;
    assert.equal(id, `${e.id.ms}-${e.id.seq}`);
    assert.deepEqual(fields, e.fields.map(String));
  });
  const pending = (await c.xpending('s', 'g1', '-', '+', 10)) as Array<[string, string, number, number]>;
  assert.deepEqual(
    pending.map(([id, consumer, , count]) => [id, consumer, count]),
    stream.groups[0]!.pending.map((p) => [`${p.id.ms}-${p.id.seq}`, p.consumer.toString(), p.deliveryCount]),
  );
  const groups = (await c.xinfo('GROUPS', 's')) as unknown[][];
  const g1 = groups.find((g) => g[1] === 'g1') as unknown[];
  assert.deepEqual(g1.slice(0, 8), [
    'name',
    'g1',
    'consumers',
    3,
    'pending',
    3,
    'last-delivered-id',
    `${NOW + 3}-1`,
  ]);
  assert.equal(await c.xlen('empty'), 0);
  // XADD continues after our last ID, so lastId was loaded.
  await assert.rejects(c.xadd('s', `${NOW}-0`, 'f', 'v'), /equal or smaller/);
});

test('we read streams real redis-server writes, including tombstones and DUMP', async (t) => {
  if (!requireTool(t, 'redis-server')) return;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-stream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const real = await startRealRedis(dir, ['--dbfilename', 'real.rdb']);
  t.after(() => real.stop());
  const c = real.client;
  for (let i = 1; i <= 150; i++)
    await c.xadd('s', `${i}-1`, 'a', String(i), ...(i % 5 === 0 ? ['b', 'x'] : []));
  await c.xdel('s', '2-1', '100-1');
  await c.xgroup('CREATE', 's', 'grp', '0');
  await c.xreadgroup('GROUP', 'grp', 'worker', 'COUNT', 3, 'STREAMS', 's', '>');
  await c.save();
  const img = readRdb(readFileSync(join(dir, 'real.rdb')));
  const v = img.entries[0]?.value;
  assert.ok(v?.type === 'stream');
  assert.equal(v.entries.length, 148);
  assert.deepEqual(v.entries[1], { id: { ms: 3, seq: 1 }, fields: [b('a'), b('3')] });
  assert.deepEqual(v.entries[3], { id: { ms: 5, seq: 1 }, fields: [b('a'), b('5'), b('b'), b('x')] });
  assert.deepEqual(v.lastId, { ms: 150, seq: 1 });
  assert.deepEqual(v.maxDeletedId, { ms: 100, seq: 1 });
  assert.equal(v.entriesAdded, 150);
  const g = v.groups[0]!;
  assert.equal(g.name.toString(), 'grp');
  assert.deepEqual(g.lastId, { ms: 4, seq: 1 });
  // With tombstones before the group's position Redis cannot count reads: entries_read is -1 (null).
  assert.equal(g.entriesRead, null);
  assert.equal(((await c.xinfo('GROUPS', 's')) as unknown[][])[0]?.[9], null);
  assert.deepEqual(
    g.pending.map((p) => [p.id.ms, p.consumer.toString(), p.deliveryCount]),
    [
      [1, 'worker', 1],
      [3, 'worker', 1],
      [4, 'worker', 1],
    ],
  );
  assert.deepEqual(parseDumpPayload(await c.dumpBuffer('s')), v);
});

test('fuzz: corrupted stream payloads (CRC re-sealed) give RdbFormatError only', () => {
  const seed = createDumpPayload(sampleStream());
  const footer = seed.length - 10;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (muts) => {
        const p = Buffer.from(seed);
        for (const [at, v] of muts) p[at % footer] = v;
        p.writeBigUInt64LE(crc64(p, 0, footer + 2), footer + 2);
        try {
          parseDumpPayload(p);
        } catch (e) {
          if (!(e instanceof RdbFormatError)) throw e;
        }
      },
    ),
    { numRuns: 300 },
  );
});
