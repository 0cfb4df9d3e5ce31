// Proves the stream engine follows Redis's ID rules, that the chunked index answers ranges
// exactly like a sorted array under random adds / deletes / trims (fast-check model test), and
// that consumer groups keep PEL, last_id, entries_read and lag as Redis 7 does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Stream, StreamError, type ConsumerGroup, type Consumer } from './stream.js';
import { compareIds, formatId, parseId, parseXaddId, MAX_ID, MIN_ID, type StreamId } from './stream-id.js';
import { IdMap } from './stream-index.js';

const id = (s: string): StreamId => parseId(s) as StreamId;
const ids = (es: Array<[StreamId, unknown]>): string[] => es.map(([i]) => formatId(i));

function add(s: Stream, spec: string, now = 0, fields = ['f', 'v']): string {
  const nid = s.nextId(parseXaddId(spec) ?? assert.fail('bad spec'), now);
  s.add(nid, fields);
  return formatId(nid);
}

test('ID parsing', () => {
  assert.deepEqual(parseId('5-3'), { ms: 5, seq: 3 });
  assert.deepEqual(parseId('5'), { ms: 5, seq: 0 });
  assert.deepEqual(parseId('5', Number.MAX_SAFE_INTEGER), { ms: 5, seq: Number.MAX_SAFE_INTEGER });
  assert.equal(parseId('-'), null);
  assert.deepEqual(parseId('-', 0, true), MIN_ID);
  assert.deepEqual(parseId('+', 0, true), MAX_ID);
  for (const bad of ['', 'a', '1-', '-1', '1-a', '1.5', '99999999999999999999', ' 1'])
    assert.equal(parseId(bad), null, bad);
  assert.deepEqual(parseXaddId('*'), { kind: 'auto' });
  assert.deepEqual(parseXaddId('7-*'), { kind: 'autoSeq', ms: 7 });
});

test('XADD ID rules: *, ms-*, explicit, monotonic, 0-0', () => {
  const s = new Stream();
  assert.throws(
    () => s.nextId({ kind: 'explicit', id: MIN_ID }, 0),
    (e: StreamError) => /greater than 0-0/.test(e.reply),
  );
  assert.equal(add(s, '*', 1000), '1000-0');
  assert.equal(add(s, '*', 1000), '1000-1');
  assert.equal(add(s, '*', 999), '1000-2'); // clock went backwards: stays monotonic
  assert.equal(add(s, '1000-*'), '1000-3');
  assert.equal(add(s, '2000-*'), '2000-0');
  assert.throws(() => add(s, '1500-*'), /equal or smaller/);
  assert.throws(() => add(s, '2000-0'), /equal or smaller/);
  assert.equal(add(s, '2000-5'), '2000-5');
  assert.equal(s.length, 6);
  assert.equal(s.entriesAdded, 6);
  assert.equal(formatId(s.lastId), '2000-5');
  assert.equal(formatId(s.firstId), '1000-0');
});

test('XRANGE / XREVRANGE with counts; XDEL; trims', () => {
  const s = new Stream();
  for (let i = 1; i <= 250; i++) add(s, `${i}-0`);
  assert.deepEqual(ids(s.range(id('10'), id('12'), 0)), ['10-0', '11-0', '12-0']);
  assert.deepEqual(ids(s.range(MIN_ID, MAX_ID, 2)), ['1-0', '2-0']);
  assert.deepEqual(ids(s.range(MIN_ID, MAX_ID, 2, true)), ['250-0', '249-0']);
  assert.deepEqual(ids(s.range(id('100'), id('98'), 0, true)), []);
  assert.deepEqual(ids(s.range(id('98'), id('100'), 0, true)), ['100-0', '99-0', '98-0']);
  assert.equal(s.delete([id('99-0'), id('99-0'), id('7777-0')]), 1);
  assert.deepEqual(ids(s.range(id('98'), id('100'), 0)), ['98-0', '100-0']);
  assert.equal(formatId(s.maxDeletedId), '99-0');
  // approximate MAXLEN removes whole chunks only (100 entries each)
  assert.equal(s.trim({ strategy: { kind: 'maxlen', maxLen: 180 }, approx: true, limit: 0 }), 0);
  assert.equal(s.trim({ strategy: { kind: 'maxlen', maxLen: 140 }, approx: true, limit: 0 }), 99);
  assert.equal(s.length, 150);
  assert.equal(s.trim({ strategy: { kind: 'maxlen', maxLen: 100 }, approx: false, limit: 0 }), 50);
  assert.equal(formatId(s.firstId), '151-0');
  assert.equal(s.trim({ strategy: { kind: 'minid', minId: id('200') }, approx: false, limit: 0 }), 49);
  assert.equal(formatId(s.firstId), '200-0');
  assert.equal(s.entriesAdded, 250);
});

test('IdMap equals a sorted-array model under random operations', () => {
  const op = fc.oneof(
    fc.record({ t: fc.constant('set' as const), ms: fc.nat(400), seq: fc.nat(3) }),
    fc.record({ t: fc.constant('del' as const), ms: fc.nat(400), seq: fc.nat(3) }),
    fc.record({ t: fc.constant('trim' as const), n: fc.nat(60), whole: fc.boolean() }),
    fc.record({ t: fc.constant('range' as const), a: fc.nat(400), b: fc.nat(400), rev: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const m = new IdMap<number>();
      let model: StreamId[] = [];
      for (const o of ops) {
        if (o.t === 'set') {
          const k = { ms: o.ms, seq: o.seq };
          m.set(k, o.ms);
          if (!model.some((x) => compareIds(x, k) === 0)) model.push(k);
          model.sort(compareIds);
        } else if (o.t === 'del') {
          const k = { ms: o.ms, seq: o.seq };
          const had = model.some((x) => compareIds(x, k) === 0);
          assert.equal(m.delete(k), had);
          model = model.filter((x) => compareIds(x, k) !== 0);
        } else if (o.t === 'trim') {
          const removed = m.trimHead(o.n, o.whole);
          if (!o.whole) assert.equal(removed, Math.min(o.n, model.length));
          model = model.slice(removed);
        } else {
          const a = { ms: Math.min(o.a, o.b), seq: 0 };
          const b = { ms: Math.max(o.a, o.b), seq: 3 };
          const got = [...(o.rev ? m.rangeRev(a, b) : m.range(a, b))].map(([k]) => formatId(k));
          let want = model.filter((x) => compareIds(x, a) >= 0 && compareIds(x, b) <= 0).map(formatId);
          if (o.rev) want = want.reverse();
          assert.deepEqual(got, want);
        }
        assert.equal(m.size, model.length);
      }
    }),
    { numRuns: 150 },
  );
});

function group(s: Stream, name = 'g', last = MIN_ID): ConsumerGroup {
  return s.createGroup(name, last, null) ?? assert.fail('group exists');
}
function consumer(s: Stream, g: ConsumerGroup, name: string, now = 0): Consumer {
  return s.consumer(g, name, now, true).consumer as Consumer;
}

test('consumer groups: XREADGROUP >, history, XACK, XPENDING', () => {
  const s = new Stream();
  for (let i = 1; i <= 5; i++) add(s, `${i}-0`);
  const g = group(s);
  assert.equal(s.createGroup('g', MIN_ID, null), null);
  const alice = consumer(s, g, 'alice');
  const bob = consumer(s, g, 'bob');
  assert.deepEqual(ids(s.readNew(g, alice, 2, false, 100)), ['1-0', '2-0']);
  assert.deepEqual(ids(s.readNew(g, bob, 0, false, 200)), ['3-0', '4-0', '5-0']);
  assert.deepEqual(ids(s.readNew(g, bob, 0, false, 200)), []);
  assert.equal(formatId(g.lastId), '5-0');
  assert.equal(g.entriesRead, 5);
  assert.equal(s.groupLag(g), 0);
  const sum = s.pendingSummary(g);
  assert.equal(sum.count, 5);
  assert.deepEqual([formatId(sum.minId as StreamId), formatId(sum.maxId as StreamId)], ['1-0', '5-0']);
  assert.deepEqual(sum.consumers, [
    ['alice', 2],
    ['bob', 3],
  ]);
  // history re-delivers own pending entries and bumps delivery counts
  assert.deepEqual(ids(s.readHistory(g, alice, MIN_ID, 0, 300) as Array<[StreamId, unknown]>), [
    '1-0',
    '2-0',
  ]);
  const ext = s.pendingRange(g, MIN_ID, MAX_ID, 10, null, 0, 1000);
  assert.deepEqual(
    ext.map((e) => [formatId(e.id), e.consumer, e.idleMs, e.deliveries]),
    [
      ['1-0', 'alice', 700, 2],
      ['2-0', 'alice', 700, 2],
      ['3-0', 'bob', 800, 1],
      ['4-0', 'bob', 800, 1],
      ['5-0', 'bob', 800, 1],
    ],
  );
  assert.equal(s.pendingRange(g, MIN_ID, MAX_ID, 10, bob, 0, 1000).length, 3);
  assert.equal(s.ack(g, [id('1-0'), id('1-0'), id('3-0')]), 2);
  assert.equal(s.pendingSummary(g).count, 3);
  // deleted entries show up as null in history
  s.delete([id('2-0')]);
  assert.deepEqual(s.readHistory(g, alice, MIN_ID, 0, 400), [[id('2-0'), null]]);
  assert.equal(s.deleteConsumer(g, 'bob'), 2);
  assert.equal(s.pendingSummary(g).count, 1);
  // NOACK leaves the PEL alone
  add(s, '6-0');
  assert.deepEqual(ids(s.readNew(g, alice, 0, true, 500)), ['6-0']);
  assert.equal(s.pendingSummary(g).count, 1);
});

test('XCLAIM and XAUTOCLAIM', () => {
  const s = new Stream();
  for (let i = 1; i <= 6; i++) add(s, `${i}-0`);
  const g = group(s);
  const a = consumer(s, g, 'a');
  const b = consumer(s, g, 'b');
  s.readNew(g, a, 0, false, 0);
  // not idle enough
  assert.equal(
    s.claim(g, b, [id('1-0')], { minIdleMs: 100, force: false, justId: false }, 50).claimed.length,
    0,
  );
  const r = s.claim(
    g,
    b,
    [id('1-0'), id('2-0'), id('99-0')],
    { minIdleMs: 100, force: false, justId: false },
    200,
  );
  assert.deepEqual(ids(r.claimed), ['1-0', '2-0']);
  assert.equal(a.pel.size, 4);
  assert.equal(b.pel.size, 2);
  assert.equal(g.pel.get(id('1-0'))?.deliveryCount, 2);
  // JUSTID does not bump the count; RETRYCOUNT sets it
  s.claim(g, a, [id('1-0')], { minIdleMs: 0, force: false, justId: true }, 300);
  assert.equal(g.pel.get(id('1-0'))?.deliveryCount, 2);
  s.claim(g, a, [id('1-0')], { minIdleMs: 0, force: false, justId: false, retryCount: 9 }, 300);
  assert.equal(g.pel.get(id('1-0'))?.deliveryCount, 9);
  // a deleted entry is dropped from the PEL and reported
  s.delete([id('3-0')]);
  const ac = s.autoClaim(g, b, 50, MIN_ID, 2, false, 1000);
  assert.deepEqual(ids(ac.claimed), ['1-0', '2-0']);
  assert.equal(formatId(ac.nextId), '3-0');
  const ac2 = s.autoClaim(g, b, 50, ac.nextId, 10, false, 1000);
  assert.deepEqual(ids(ac2.claimed), ['4-0', '5-0', '6-0']);
  assert.deepEqual(ac2.deleted.map(formatId), ['3-0']);
  assert.equal(formatId(ac2.nextId), '0-0');
  assert.equal(g.pel.size, 5);
  assert.equal(b.pel.size, 5);
  // FORCE creates a PEL entry for an unclaimed existing entry
  s.ack(g, [id('6-0')]);
  assert.equal(
    s.claim(g, a, [id('6-0')], { minIdleMs: 0, force: true, justId: false }, 2000).claimed.length,
    1,
  );
});

test('lag and entries_read follow Redis 7 estimates', () => {
  const s = new Stream();
  for (let i = 1; i <= 5; i++) add(s, `${i}-0`);
  const g = group(s, 'g', MIN_ID);
  g.entriesRead = 0;
  assert.equal(s.groupLag(g), 5);
  const c = consumer(s, g, 'c');
  s.readNew(g, c, 2, false, 0);
  assert.equal(s.groupLag(g), 3);
  s.delete([id('4-0')]);
  assert.equal(s.groupLag(g), null); // a tombstone ahead makes it unknown
  const late = group(s, 'late', s.lastId);
  late.entriesRead = s.estimateEntriesRead(s.lastId);
  assert.equal(s.groupLag(late), 0);
  assert.equal(new Stream().groupLag(group(new Stream())), 0);
});

test('clone is deep', () => {
  const s = new Stream();
  add(s, '1-0');
  const g = group(s);
  s.readNew(g, consumer(s, g, 'c'), 0, false, 0);
  const t = s.clone();
  add(s, '2-0');
  s.ack(g, [id('1-0')]);
  assert.equal(t.length, 1);
  assert.equal(t.groups.get('g')?.pel.size, 1);
  assert.equal(t.groups.get('g')?.consumers.get('c')?.pel.size, 1);
});

test('persistence codec round-trips entries, counters, groups and PELs', async () => {
  const { streamToRdb, streamFromRdb } = await import('./stream-codec.js');
  const s = new Stream();
  for (let i = 1; i <= 3; i++) add(s, `${i}-0`, 0, ['f', `v${i}`]);
  s.delete([id('2-0')]);
  const g = group(s);
  const c = consumer(s, g, 'c', 5);
  s.readNew(g, c, 1, false, 10);
  const back = streamFromRdb(streamToRdb(s));
  assert.deepEqual(streamToRdb(back), streamToRdb(s));
  assert.equal(back.length, 2);
  assert.equal(formatId(back.maxDeletedId), '2-0');
  assert.equal(back.groups.get('g')?.consumers.get('c')?.pel.size, 1);
});

test('ID parsers never throw on arbitrary input', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      parseId(s);
      parseId(s, 5, true);
      parseXaddId(s);
    }),
    { numRuns: 500 },
  );
});
