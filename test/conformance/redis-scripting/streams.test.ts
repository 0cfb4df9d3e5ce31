// Proves the stream commands and blocking commands over real sockets with ioredis: XADD ID rules
// and trimming, ranges, consumer groups (XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO),
// XREAD BLOCK woken by XADD, and BLPOP/BRPOP/BLMOVE/BZPOPMIN served first-come-first-served,
// with fractional timeouts, MULTI non-blocking behaviour, CLIENT UNBLOCK and disconnect cleanup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisUnderTest } from './harness.js';
import { blockedClients } from '../../../src/redis/commands/streams-blocking.js';

let r: RedisUnderTest;
let io: Redis;
const extra: Redis[] = [];

function client(): Redis {
  const c = new Redis({ port: r.port, maxRetriesPerRequest: 0 });
  extra.push(c);
  return c;
}

before(async () => {
  r = await startRedis();
  io = client();
});
after(async () => {
  for (const c of extra) c.disconnect();
  await r.close();
});

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Waits until `n` clients are blocked on the server (instead of guessing with a sleep). */
async function blocked(n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (blockedClients(r.server) < n) {
    if (Date.now() > deadline) assert.fail(`expected ${n} blocked clients, have ${blockedClients(r.server)}`);
    await sleep(5);
  }
}

test('XADD / XLEN / XRANGE / XREVRANGE / XDEL / XTRIM', async () => {
  assert.equal(await io.xadd('s1', '1-1', 'a', '1'), '1-1');
  assert.equal(await io.xadd('s1', '1-*', 'a', '2'), '1-2');
  assert.match((await io.xadd('s1', '*', 'a', '3')) as string, /^\d{13}-0$/);
  await assert.rejects(io.xadd('s1', '1-1', 'a', 'x'), /equal or smaller than the target stream top item/);
  await assert.rejects(io.xadd('s0', '0-0', 'a', 'x'), /must be greater than 0-0/);
  await assert.rejects(io.xadd('s0', 'bad', 'a', 'x'), /Invalid stream ID/);
  await assert.rejects(io.call('XADD', 's0', '*', 'a'), /wrong number of arguments for 'xadd'/);
  assert.equal(await io.call('XADD', 'nostream', 'NOMKSTREAM', '*', 'a', '1'), null);
  assert.equal(await io.exists('nostream'), 0);
  assert.equal(await io.xlen('s1'), 3);
  assert.deepEqual(await io.xrange('s1', '-', '+', 'COUNT', 2), [
    ['1-1', ['a', '1']],
    ['1-2', ['a', '2']],
  ]);
  assert.deepEqual(
    (await io.xrange('s1', '(1-1', '1')).map(([id]) => id),
    ['1-2'],
  );
  assert.deepEqual((await io.xrevrange('s1', '+', '-', 'COUNT', 1)).length, 1);
  assert.equal(await io.xdel('s1', '1-1', '9-9'), 1);
  for (let i = 0; i < 20; i++) await io.xadd('s2', 'MAXLEN', '=', '5', '*', 'i', String(i));
  assert.equal(await io.xlen('s2'), 5);
  assert.equal(await io.xtrim('s2', 'MAXLEN', 2), 3);
  await io.set('str', 'x');
  await assert.rejects(io.xadd('str', '*', 'a', '1'), /WRONGTYPE/);
});

test('consumer groups: XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO', async () => {
  await assert.rejects(io.xgroup('CREATE', 'g-s', 'grp', '$'), /requires the key to exist/);
  assert.equal(await io.xgroup('CREATE', 'g-s', 'grp', '$', 'MKSTREAM'), 'OK');
  await assert.rejects(io.xgroup('CREATE', 'g-s', 'grp', '$'), /BUSYGROUP/);
  for (let i = 1; i <= 4; i++) await io.xadd('g-s', `${i}-0`, 'n', String(i));
  const got = (await io.xreadgroup('GROUP', 'grp', 'alice', 'COUNT', 3, 'STREAMS', 'g-s', '>')) as Array<
    [string, Array<[string, string[]]>]
  >;
  assert.deepEqual(
    got[0]?.[1].map(([id]) => id),
    ['1-0', '2-0', '3-0'],
  );
  assert.equal(await io.xack('g-s', 'grp', '1-0'), 1);
  const summary = (await io.xpending('g-s', 'grp')) as unknown[];
  assert.deepEqual(summary, [2, '2-0', '3-0', [['alice', '2']]]);
  const ext = (await io.xpending('g-s', 'grp', '-', '+', 10)) as Array<[string, string, number, number]>;
  assert.deepEqual(
    ext.map(([id, who, , n]) => [id, who, n]),
    [
      ['2-0', 'alice', 1],
      ['3-0', 'alice', 1],
    ],
  );
  const claimed = (await io.xclaim('g-s', 'grp', 'bob', 0, '2-0')) as Array<[string, string[]]>;
  assert.deepEqual(claimed, [['2-0', ['n', '2']]]);
  const auto = (await io.xautoclaim('g-s', 'grp', 'bob', 0, '0-0', 'COUNT', 10)) as [
    string,
    Array<[string, string[]]>,
    string[],
  ];
  assert.deepEqual([auto[0], auto[1].map(([id]) => id), auto[2]], ['0-0', ['2-0', '3-0'], []]);
  const groups = (await io.xinfo('GROUPS', 'g-s')) as unknown[][];
  assert.deepEqual(groups[0]?.slice(0, 10), [
    'name',
    'grp',
    'consumers',
    2,
    'pending',
    2,
    'last-delivered-id',
    '3-0',
    'entries-read',
    3,
  ]);
  assert.deepEqual(groups[0]?.slice(10), ['lag', 1]);
  const info = (await io.xinfo('STREAM', 'g-s')) as unknown[];
  assert.deepEqual(info.slice(0, 2), ['length', 4]);
  assert.equal(info[info.indexOf('entries-added') + 1], 4);
  const consumers = (await io.xinfo('CONSUMERS', 'g-s', 'grp')) as unknown[][];
  assert.deepEqual(
    consumers.map((x) => [x[1], x[3]]),
    [
      ['alice', 0],
      ['bob', 2],
    ],
  );
  await assert.rejects(io.xreadgroup('GROUP', 'nope', 'c', 'STREAMS', 'g-s', '>'), /NOGROUP/);
  assert.equal(await io.xgroup('DELCONSUMER', 'g-s', 'grp', 'bob'), 2);
  assert.equal(await io.xgroup('DESTROY', 'g-s', 'grp'), 1);
});

test('XREAD BLOCK is woken by XADD; XREADGROUP BLOCK too; timeouts return nil', async () => {
  const blocker = client();
  const pending = blocker.xread('BLOCK', 5000, 'STREAMS', 'bs', '$');
  await blocked(1);
  await io.xadd('bs', '5-0', 'k', 'v');
  assert.deepEqual(await pending, [['bs', [['5-0', ['k', 'v']]]]]);
  assert.equal(await blocker.xread('BLOCK', 50, 'STREAMS', 'bs', '$'), null);
  await io.xgroup('CREATE', 'bs', 'g', '$');
  const pg = blocker.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 5000, 'STREAMS', 'bs', '>');
  await blocked(1);
  await io.xadd('bs', '6-0', 'k', 'w');
  assert.deepEqual(await pg, [['bs', [['6-0', ['k', 'w']]]]]);
  assert.deepEqual(
    await io.xpending('g-none-check', 'g').catch((e: Error) => e.message),
    "NOGROUP No such key 'g-none-check' or consumer group 'g'",
  );
});

test('BLPOP: immediate, woken in FIFO order, fractional timeout, pipelined requests wait', async () => {
  await io.rpush('q0', 'x');
  assert.deepEqual(await io.blpop('q0', 1), ['q0', 'x']);
  const a = client();
  const b = client();
  const pa = a.blpop('q1', 'q2', 5);
  await blocked(1);
  const pb = b.blpop('q2', 5);
  await blocked(2);
  await io.rpush('q2', 'first', 'second');
  assert.deepEqual(await pa, ['q2', 'first']);
  assert.deepEqual(await pb, ['q2', 'second']);
  const t0 = Date.now();
  assert.equal(await a.blpop('empty', 0.15), null);
  assert.ok(Date.now() - t0 >= 140);
  // a pipeline behind a blocked BLPOP runs only after it is served, in order
  const pipe = a.pipeline().blpop('q3', 5).get('after').exec();
  await blocked(1);
  await io.set('after', 'set-later');
  await io.rpush('q3', 'v');
  const res = await pipe;
  assert.deepEqual(
    res?.map(([, v]) => v),
    [['q3', 'v'], 'set-later'],
  );
});

test('BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP', async () => {
  const a = client();
  const p1 = a.brpop('l1', 5);
  await blocked(1);
  await io.rpush('l1', 'a', 'b');
  assert.deepEqual(await p1, ['l1', 'b']);
  const p2 = a.blmove('l2', 'dst', 'LEFT', 'RIGHT', 5);
  await blocked(1);
  await io.rpush('l2', 'm');
  assert.equal(await p2, 'm');
  assert.deepEqual(await io.lrange('dst', 0, -1), ['m']);
  assert.equal(await a.brpoplpush('dst', 'dst2', 1), 'm');
  assert.deepEqual(await a.call('BLMPOP', '1', '2', 'none', 'dst2', 'LEFT', 'COUNT', '5'), ['dst2', ['m']]);
  const p3 = a.bzpopmin('z1', 5);
  await blocked(1);
  await io.zadd('z1', 2, 'two', 1, 'one');
  assert.deepEqual(await p3, ['z1', 'one', '1']);
  assert.deepEqual(await a.bzpopmax('z1', 1), ['z1', 'two', '2']);
  await io.zadd('z2', 5, 'five');
  assert.deepEqual(await a.call('BZMPOP', '1', '1', 'z2', 'MIN'), ['z2', [['five', '5']]]);
  await io.set('notalist', 'x');
  await assert.rejects(a.blpop('notalist', 1), /WRONGTYPE/);
  await assert.rejects(a.blpop('l1', -1), /timeout is negative/);
  await assert.rejects(a.blpop('l1', 'abc'), /timeout is not a float or out of range/);
});

test('inside MULTI a blocking command does not block; CLIENT UNBLOCK; disconnect cleanup', async () => {
  const res = await io.multi().blpop('never', 0).exec();
  assert.deepEqual(res, [[null, null]]);
  assert.equal(
    await io.eval("return redis.call('blpop', 'never', 0) == false and 'nil' or 'blocked'", 0),
    'nil',
  );
  const a = client();
  const id = (await a.client('ID')) as number;
  const pa = a.blpop('never', 0);
  await blocked(1);
  assert.equal(await io.client('UNBLOCK', id), 1);
  assert.equal(await pa, null);
  const pe = a.blpop('never', 0).then(
    () => 'served',
    (e: Error) => e.message,
  );
  await blocked(1);
  assert.equal(await io.client('UNBLOCK', id, 'ERROR'), 1);
  assert.equal(await pe, 'UNBLOCKED client unblocked via CLIENT UNBLOCK');
  const d = client();
  void d.blpop('never', 0).catch(() => undefined);
  await blocked(1);
  const before = blockedClients(r.server);
  d.disconnect();
  const deadline = Date.now() + 5000;
  while (blockedClients(r.server) !== before - 1 && Date.now() < deadline) await sleep(5);
  assert.equal(blockedClients(r.server), before - 1);
});

test('DUMP / RESTORE carry a stream with its groups', async () => {
  await io.xadd('dump-s', '1-0', 'a', '1');
  await io.xgroup('CREATE', 'dump-s', 'g', '0');
  await io.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 'dump-s', '>');
  const payload = await io.dumpBuffer('dump-s');
  assert.ok(payload);
  await io.restore('dump-s2', 0, payload);
  assert.deepEqual(await io.xrange('dump-s2', '-', '+'), [['1-0', ['a', '1']]]);
  assert.deepEqual(((await io.xpending('dump-s2', 'g')) as unknown[])[0], 1);
  assert.equal(await io.type('dump-s2'), 'stream');
});
