// Keyspace notifications: the same command script runs against Debian's redis-server and Nimbus
// with `notify-keyspace-events` on, and the stream of __keyspace@/__keyevent@ messages a PSUBSCRIBE
// client receives must be identical (channel, payload and order). Nimbus-only checks cover what the
// differential script cannot (RESP3 push framing, CONFIG validation, expiry, eviction, RESTORE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool } from '../../helpers/tools.js';
import { flatStrings, RawConn, sleep, useBothServers } from './raw-conn.js';
import { startRedis } from './harness.js';

const servers = useBothServers();

/**
 * Runs `script` on one connection while a second one, PSUBSCRIBEd to every keyspace channel,
 * collects messages until the 'done' marker. Returns "channel message" lines. ['SLEEP', ms] waits;
 * ['WAITEMPTY'] waits until the db is empty.
 */
async function eventsFor(
  port: number,
  flags: string,
  script: string[][],
  resp: 2 | 3 = 2,
): Promise<string[]> {
  const cmd = await RawConn.open(port);
  const sub = await RawConn.open(port);
  try {
    await cmd.call('FLUSHALL');
    assert.equal(await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', flags), '+OK\r\n');
    if (resp === 3) await sub.call('HELLO', '3');
    // Confirmations (pushes in RESP3) are read as frames.
    sub.send('PSUBSCRIBE', '__key*__:*');
    await sub.next();
    sub.send('SUBSCRIBE', 'done');
    await sub.next();
    for (const argv of script) {
      if (argv[0] === 'SLEEP') await sleep(Number(argv[1]));
      else if (argv[0] === 'WAITEMPTY') {
        // DBSIZE counts keys without expiring them: waits for the active expiry cycle.
        for (let i = 0; i < 300 && (await cmd.call('DBSIZE')) !== ':0\r\n'; i++) await sleep(10);
      } else await cmd.call(...argv);
    }
    await cmd.call('PUBLISH', 'done', 'x');
    const events: string[] = [];
    for (;;) {
      const raw = await sub.next();
      const parts = flatStrings(raw);
      if (parts[0] === 'message' && parts[1] === 'done') break;
      if (parts[0] !== 'pmessage') throw new Error(`unexpected frame ${JSON.stringify(raw)}`);
      if (raw[0] !== (resp === 3 ? '>' : '*'))
        throw new Error(`RESP${resp} message framed as ${JSON.stringify(raw)}`);
      events.push(`${parts[2] as string} ${parts[3] as string}`);
    }
    await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    return events;
  } finally {
    cmd.close();
    sub.close();
  }
}

// Every command family with each of its event paths (deterministic commands only).
const SCRIPT: string[][] = [
  // strings
  ['SET', 's1', 'v'],
  ['SET', 's1', 'v2', 'EX', '100'],
  ['SET', 's1', 'v3', 'NX'],
  ['SET', 'p1', 'v', 'PXAT', '1'],
  ['SET', 'p1', 'v', 'EX', '100', 'GET'],
  ['SET', 'p1', 'w', 'KEEPTTL', 'XX'],
  ['SETEX', 's2', '100', 'v'],
  ['PSETEX', 's3', '100000', 'v'],
  ['SETNX', 's4', 'v'],
  ['SETNX', 's4', 'v'],
  ['GETSET', 's4', 'w'],
  ['MSET', 'm1', 'a', 'm2', 'b'],
  ['MSETNX', 'm3', 'a', 'm4', 'b'],
  ['MSETNX', 'm3', 'a', 'm5', 'b'],
  ['INCR', 'n1'],
  ['INCRBY', 'n1', '5'],
  ['DECR', 'n1'],
  ['DECRBY', 'n1', '2'],
  ['INCRBYFLOAT', 'f1', '1.5'],
  ['APPEND', 's5', 'abc'],
  ['APPEND', 's5', 'def'],
  ['SETRANGE', 's5', '1', 'XY'],
  ['SETRANGE', 's6', '0', ''],
  ['GETEX', 's1', 'PERSIST'],
  ['GETEX', 's2', 'EX', '200'],
  ['GETEX', 's3', 'PXAT', '1'],
  ['GETEX', 's2'],
  ['GETDEL', 's4'],
  ['SETBIT', 'b1', '7', '1'],
  ['SETBIT', 'b1', '7', '1'],
  ['BITOP', 'OR', 'b2', 'b1', 's5'],
  ['BITOP', 'AND', 'b2', 'nokey1', 'nokey2'],
  ['BITFIELD', 'b1', 'SET', 'u8', '0', '255'],
  ['BITFIELD', 'b1', 'GET', 'u8', '0'],
  ['PFADD', 'hl1', 'a', 'b', 'c'],
  ['PFADD', 'hl1', 'a'],
  ['PFMERGE', 'hl2', 'hl1'],
  // generic
  ['EXPIRE', 's5', '100'],
  ['PEXPIRE', 's5', '100000'],
  ['EXPIRE', 's5', '100', 'NX'],
  ['EXPIREAT', 's5', '1'],
  ['PERSIST', 's1'],
  ['SET', 's1', 'v', 'EX', '100'],
  ['PERSIST', 's1'],
  ['RENAME', 's1', 'r1'],
  ['SET', 'r2', 'x'],
  ['RENAME', 'r1', 'r2'],
  ['RENAMENX', 'r2', 'r3'],
  ['COPY', 'r3', 'c1'],
  ['COPY', 'r3', 'c1', 'REPLACE'],
  ['COPY', 'r3', 'c1'],
  ['MOVE', 'c1', '1'],
  ['DEL', 'r3', 'nokey', 'c1'],
  ['SET', 'u1', 'v'],
  ['UNLINK', 'u1'],
  // lists
  ['LPUSH', 'l1', 'a', 'b', 'c'],
  ['RPUSH', 'l1', 'd', 'e'],
  ['LPUSHX', 'l2', 'a'],
  ['RPUSHX', 'l1', 'f'],
  ['LINSERT', 'l1', 'BEFORE', 'a', 'z'],
  ['LINSERT', 'l1', 'BEFORE', 'nope', 'z'],
  ['LSET', 'l1', '0', 'y'],
  ['LREM', 'l1', '1', 'y'],
  ['LREM', 'l1', '1', 'nope'],
  ['LTRIM', 'l1', '0', '5'],
  ['LPOP', 'l1'],
  ['RPOP', 'l1', '2'],
  ['RPOPLPUSH', 'l1', 'l3'],
  ['LMOVE', 'l1', 'l3', 'LEFT', 'RIGHT'],
  ['LPOP', 'l1', '0'],
  ['LMPOP', '2', 'nol', 'l3', 'LEFT', 'COUNT', '10'],
  ['RPUSH', 'l4', 'a'],
  ['LTRIM', 'l4', '5', '10'],
  ['RPUSH', 'l5', '3', '1', '2'],
  ['SORT', 'l5', 'STORE', 'l6'],
  ['SORT', 'nol', 'STORE', 'l6'],
  ['RPUSH', 'l7', 'x'],
  ['RPOPLPUSH', 'l7', 'l7'],
  ['LPOP', 'l7'],
  // hashes
  ['HSET', 'h', 'a', '1', 'b', '2'],
  ['HSETNX', 'h', 'a', '3'],
  ['HSETNX', 'h', 'c', '3'],
  ['HINCRBY', 'h', 'a', '5'],
  ['HINCRBYFLOAT', 'h', 'b', '1.5'],
  ['HDEL', 'h', 'nope'],
  ['HDEL', 'h', 'a', 'b', 'c'],
  ['HMSET', 'h2', 'x', '1'],
  // sets
  ['SADD', 'st', 'a', 'b', 'c'],
  ['SADD', 'st', 'a'],
  ['SREM', 'st', 'a'],
  ['SREM', 'st', 'nope'],
  ['SMOVE', 'st', 'st2', 'b'],
  ['SADD', 'st2', 'c'],
  ['SMOVE', 'st', 'st2', 'c'],
  ['SADD', 'st3', 'x'],
  ['SPOP', 'st3'],
  ['SADD', 'st4', 'a', 'b'],
  ['SPOP', 'st4', '5'],
  ['SADD', 'sa', '1', '2', '3'],
  ['SADD', 'sb', '2', '3', '4'],
  ['SINTERSTORE', 'sd', 'sa', 'sb'],
  ['SUNIONSTORE', 'sd', 'sa', 'sb'],
  ['SDIFFSTORE', 'sd', 'sa', 'sb'],
  ['SINTERSTORE', 'sd', 'sa', 'nokey'],
  ['SINTERSTORE', 'sd', 'sa', 'nokey'],
  // sorted sets
  ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
  ['ZADD', 'z', '1', 'a'],
  ['ZADD', 'z', 'INCR', '5', 'a'],
  ['ZADD', 'z', 'XX', '1', 'nope'],
  ['ZINCRBY', 'z', '1', 'b'],
  ['ZREM', 'z', 'c'],
  ['ZADD', 'z', '4', 'd', '5', 'e', '6', 'f'],
  ['ZREMRANGEBYSCORE', 'z', '4', '4'],
  ['ZREMRANGEBYRANK', 'z', '0', '0'],
  ['ZREMRANGEBYRANK', 'z', '100', '200'],
  ['ZADD', 'zl', '0', 'a', '0', 'b', '0', 'c'],
  ['ZREMRANGEBYLEX', 'zl', '[a', '[b'],
  ['ZPOPMIN', 'z'],
  ['ZPOPMAX', 'z', '10'],
  ['ZADD', 'za', '1', 'x', '2', 'y'],
  ['ZADD', 'zb', '2', 'y', '3', 'z'],
  ['ZUNIONSTORE', 'zd', '2', 'za', 'zb'],
  ['ZINTERSTORE', 'zd', '2', 'za', 'zb'],
  ['ZDIFFSTORE', 'zd', '2', 'za', 'zb'],
  ['ZRANGESTORE', 'zd2', 'za', '0', '-1'],
  ['ZINTERSTORE', 'zd', '2', 'za', 'nokey'],
  ['ZMPOP', '1', 'za', 'MIN', 'COUNT', '5'],
  // streams
  ['XADD', 'x1', '1-1', 'f', 'v'],
  ['XADD', 'x1', 'MAXLEN', '1', '2-1', 'f', 'v'],
  ['XADD', 'nox', 'NOMKSTREAM', '*', 'f', 'v'],
  ['XTRIM', 'x1', 'MAXLEN', '0'],
  ['XTRIM', 'x1', 'MAXLEN', '0'],
  ['XSETID', 'x1', '5-0'],
  ['XGROUP', 'CREATE', 'x1', 'g1', '$'],
  ['XGROUP', 'CREATE', 'x2', 'g1', '$', 'MKSTREAM'],
  ['XGROUP', 'SETID', 'x1', 'g1', '0'],
  ['XGROUP', 'CREATECONSUMER', 'x1', 'g1', 'c1'],
  ['XGROUP', 'CREATECONSUMER', 'x1', 'g1', 'c1'],
  ['XADD', 'x1', '6-0', 'f', 'v'],
  ['XREADGROUP', 'GROUP', 'g1', 'c2', 'COUNT', '1', 'STREAMS', 'x1', '>'],
  ['XCLAIM', 'x1', 'g1', 'c3', '0', '6-0'],
  ['XAUTOCLAIM', 'x1', 'g1', 'c4', '0', '0'],
  ['XDEL', 'x1', '6-0'],
  ['XDEL', 'x1', '6-0'],
  ['XGROUP', 'DELCONSUMER', 'x1', 'g1', 'c1'],
  ['XGROUP', 'DELCONSUMER', 'x1', 'g1', 'nope'],
  ['XGROUP', 'DESTROY', 'x1', 'g1'],
  ['XGROUP', 'DESTROY', 'x1', 'g1'],
  // transactions and scripts raise the same events as the commands inside them
  ['MULTI'],
  ['SET', 't1', 'a'],
  ['LPUSH', 't2', 'a'],
  ['EXEC'],
  ['EVAL', "redis.call('SET', KEYS[1], 'v'); redis.call('DEL', KEYS[1]); return 1", '1', 'ev1'],
  // expiry (lazily on access or by the active cycle: one 'expired' either way)
  ['SET', 'e1', 'v', 'PX', '1'],
  ['SLEEP', '30'],
  ['GET', 'e1'],
  // an expired key overwritten without a read: 'expired' first, then 'new'
  ['SET', 'e2', 'v', 'PX', '1'],
  ['SLEEP', '30'],
  ['SET', 'e2', 'w'],
  // SADD first: a command between SET PX 1 and the sleep could see e3 expire before or after it,
  // depending on the machine's load.
  ['SADD', 'sa2', 'x'],
  ['SET', 'e3', 'v', 'PX', '1'],
  ['SLEEP', '30'],
  ['SINTERSTORE', 'e3', 'sa2', 'sa2'],
];

test('keyspace events match redis-server for every command family (KEA plus n)', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  const expected = await eventsFor(servers.real.port, 'KEAn', SCRIPT);
  const got = await eventsFor(servers.nimbus.port, 'KEAn', SCRIPT);
  assert.ok(expected.length > 150, `redis-server produced ${expected.length} events`);
  assert.deepEqual(got, expected);
});

test('a RESP3 subscriber gets the same events as push frames', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  const expected = await eventsFor(servers.real.port, 'KEA', SCRIPT, 3);
  assert.deepEqual(await eventsFor(servers.nimbus.port, 'KEA', SCRIPT, 3), expected);
});

test('class filtering and K/E selection match redis-server', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  for (const flags of ['El', 'Kz', 'K$g', 'Eh', 'Ks', 'Et', 'Kx', 'E', 'Ag']) {
    const expected = await eventsFor(servers.real.port, flags, SCRIPT);
    const got = await eventsFor(servers.nimbus.port, flags, SCRIPT);
    assert.deepEqual(got, expected, `flags ${flags}`);
  }
});

test('keymiss (m) events match redis-server for read commands', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  const script = [
    ['GET', 'a'],
    ['SET', 'b', '1'],
    ['GET', 'b'],
    ['MGET', 'a', 'b', 'c'],
    ['HGET', 'h', 'f'],
    ['LRANGE', 'l', '0', '-1'],
    ['ZSCORE', 'z', 'm'],
    ['EXISTS', 'e1', 'b'],
    ['TYPE', 't1'],
    ['TTL', 't2'],
    ['STRLEN', 's1'],
    ['SCARD', 'sc'],
    ['SISMEMBER', 'sc', 'm'],
    ['HGETALL', 'hg'],
    ['XRANGE', 'x', '-', '+'],
    ['ZRANGE', 'zr', '0', '-1'],
    ['LLEN', 'll'],
    ['GETRANGE', 'gr', '0', '1'],
    ['BITCOUNT', 'bc'],
    ['PFCOUNT', 'pf'],
    ['SUNION', 'su1', 'su2'],
    ['DUMP', 'du'],
    ['OBJECT', 'ENCODING', 'ob'],
    ['LPOS', 'lp', 'x'],
    ['HEXISTS', 'he', 'f'],
    ['INCR', 'notread'],
    ['SET', 'c1', 'v'],
    ['COPY', 'c1', 'c2'],
  ];
  const expected = await eventsFor(servers.real.port, 'KEm', script);
  const got = await eventsFor(servers.nimbus.port, 'KEm', script);
  assert.deepEqual(got, expected);
  assert.ok(got.includes('__keyevent@0__:keymiss a'));
});

test('notify-keyspace-events CONFIG SET validation and normalised CONFIG GET match redis-server', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  const a = await RawConn.open(servers.real.port);
  const b = await RawConn.open(servers.nimbus.port);
  try {
    for (const v of [
      'AKEn',
      'KEA',
      'Kg$lshzxetdnm',
      'xyz',
      'E$',
      '',
      'm',
      'n',
      'KEg$lshzxetd',
      'Ex',
      'AKEm',
      'KEAA',
    ]) {
      const ra = await a.call('CONFIG', 'SET', 'notify-keyspace-events', v);
      const rb = await b.call('CONFIG', 'SET', 'notify-keyspace-events', v);
      assert.equal(rb, ra, `SET ${JSON.stringify(v)}`);
      assert.equal(
        await b.call('CONFIG', 'GET', 'notify-keyspace-events'),
        await a.call('CONFIG', 'GET', 'notify-keyspace-events'),
        `GET after ${JSON.stringify(v)}`,
      );
    }
  } finally {
    await a.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await b.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    a.close();
    b.close();
  }
});

test('RESP3 subscribers get the events as push frames, in other dbs too', async () => {
  const cmd = await RawConn.open(servers.nimbus.port);
  const sub = await RawConn.open(servers.nimbus.port);
  try {
    await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', 'KE$g');
    await sub.call('HELLO', '3');
    // In RESP3 the subscribe confirmations are pushes too.
    sub.send('SUBSCRIBE', '__keyspace@3__:k', '__keyevent@3__:set');
    await sub.next();
    await sub.next();
    await cmd.call('SELECT', '3');
    await cmd.call('SET', 'k', 'v');
    assert.equal(await sub.next(), '>3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@3__:k\r\n$3\r\nset\r\n');
    assert.equal(await sub.next(), '>3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@3__:set\r\n$1\r\nk\r\n');
    // A RESP3 subscriber may run commands between pushes.
    assert.equal(await sub.call('PING'), '+PONG\r\n');
  } finally {
    await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    cmd.close();
    sub.close();
  }
});

test('expired events come from active expiry, and RESTORE raises restore', async () => {
  const events = await eventsFor(servers.nimbus.port, 'KEA', [
    ['SET', 'gone', 'v', 'PX', '20'],
    ['WAITEMPTY'],
    ['SET', 'src', 'v'],
  ]);
  // Nothing touched 'gone' after it was set: only the active cycle can have expired it.
  assert.ok(events.includes('__keyevent@0__:expired gone'), events.join('\n'));
  const c = await RawConn.open(servers.nimbus.port);
  try {
    await c.call('SET', 'd', 'payload');
    const dump = flatStrings(`*1\r\n${await c.call('DUMP', 'd')}`)[0] as string;
    const restored = await eventsFor(servers.nimbus.port, 'KEg', [['RESTORE', 'r', '0', dump]]);
    assert.deepEqual(restored, ['__keyspace@0__:r restore', '__keyevent@0__:restore r']);
  } finally {
    c.close();
  }
});

test('maxmemory eviction raises evicted events for the evicted keys', async () => {
  const c = await RawConn.open(servers.nimbus.port);
  const sub = await RawConn.open(servers.nimbus.port);
  try {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
    await sub.call('SUBSCRIBE', '__keyevent@0__:evicted');
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const used = Number(/used_memory:(\d+)/.exec(await c.call('INFO', 'memory'))?.[1]);
    await c.call('CONFIG', 'SET', 'maxmemory', String(used + 20_000));
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 60; i++) await c.call('SET', `ev:${i}`, value);
    const evicted = flatStrings(await sub.next())[2] as string;
    assert.match(evicted, /^ev:\d+$/);
    assert.equal(await c.call('EXISTS', evicted), ':0\r\n');
  } finally {
    await c.call('CONFIG', 'SET', 'maxmemory', '0');
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await c.call('FLUSHALL');
    c.close();
    sub.close();
  }
});

test('redis.notifyKeyspaceEvents in the config turns notifications on at start', async () => {
  const srv = await startRedis({ notifyKeyspaceEvents: 'KEA' });
  const sub = await RawConn.open(srv.port);
  const cli = await RawConn.open(srv.port);
  try {
    assert.equal(await cli.call('CONFIG', 'GET', 'notify-keyspace-events'), '*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n');
    await sub.call('SUBSCRIBE', '__keyevent@0__:set');
    await cli.call('SET', 'boot-key', 'v');
    const msg = await sub.next();
    assert.equal(msg, '*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$8\r\nboot-key\r\n');
  } finally {
    sub.close();
    cli.close();
    await srv.close();
  }
});
