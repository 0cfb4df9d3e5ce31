// CLIENT TRACKING (client-side caching). A differential test drives several raw connections
// against Debian's redis-server and Nimbus and requires every connection to receive the same
// frames (replies and invalidation pushes, byte for byte, in order): RESP3 default mode, NOLOOP,
// OPTIN/OPTOUT with CLIENT CACHING, BCAST with prefixes, RESP2 REDIRECT to a
// __redis__:invalidate subscriber, flushes, MULTI/EXEC and scripts. Then node-redis 6's RESP3
// client-side cache is shown to be invalidated when another client writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicClientSideCache, createClient } from 'redis';
import { requireTool } from '../../helpers/tools.js';
import { RawConn, sleep, useBothServers, type RealRedis } from './raw-conn.js';

const servers = useBothServers();

type Step = [conn: string, ...argv: string[]];

/**
 * Runs the steps (each waits for its reply; '$x' arguments become connection x's id) and returns
 * each connection's received frames with client ids replaced by names.
 */
async function frames(port: number, names: string[], steps: Step[]): Promise<Record<string, string[]>> {
  const conns: Record<string, RawConn> = {};
  const ids: Record<string, string> = {};
  for (const n of names) conns[n] = await RawConn.open(port);
  try {
    await (conns[names[0] as string] as RawConn).call('FLUSHALL');
    for (const n of names) {
      const c = conns[n] as RawConn;
      ids[n] = (await c.call('CLIENT', 'ID')).slice(1, -2);
      c.log.length = 0;
    }
    for (const [name, ...argv] of steps) {
      const c = conns[name] as RawConn;
      const args = argv.map((a) =>
        a.startsWith('$') && ids[a.slice(1)] !== undefined ? (ids[a.slice(1)] as string) : a,
      );
      if (args[0] === 'CLOSE') c.close();
      else {
        const reply = await c.call(...args);
        // Replies that name client ids (the ids differ between the servers) or the version.
        const i = c.log.lastIndexOf(reply);
        if (argv.includes('GETREDIR') || argv.includes('TRACKINGINFO')) c.log[i] = withNames(reply, ids);
        if (argv[0] === 'HELLO') c.log[i] = '<hello reply>';
      }
      // BCAST messages leave once per event-loop turn on both servers: let them arrive.
      await sleep(5);
    }
    const out: Record<string, string[]> = {};
    for (const n of names) {
      const c = conns[n] as RawConn;
      if (!c.sock.destroyed) await c.call('PING');
      out[n] = c.log.map((f) => (f.includes('tracking-redir-broken') ? withNames(f, ids) : f));
    }
    return out;
  } finally {
    for (const c of Object.values(conns)) c.close();
  }
}

/** Replaces the integer replies holding a connection's id by the connection's name. */
function withNames(frame: string, ids: Record<string, string>): string {
  let g = frame;
  for (const [m, id] of Object.entries(ids)) g = g.split(`:${id}\r\n`).join(`:<${m}>\r\n`);
  return g;
}

async function sameFrames(realRedis: RealRedis, names: string[], steps: Step[]): Promise<void> {
  const expected = await frames(realRedis.port, names, steps);
  const got = await frames(servers.nimbus.port, names, steps);
  assert.deepEqual(got, expected);
}

test('RESP3 default mode: invalidation pushes, self-invalidation after the reply, NOLOOP, flush', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  await sameFrames(
    servers.real,
    ['a', 'b'],
    [
      ['a', 'HELLO', '3'],
      ['a', 'CLIENT', 'TRACKING', 'on'],
      ['b', 'SET', 'k1', 'v'],
      ['a', 'GET', 'k1'],
      ['a', 'MGET', 'k2', 'k3'],
      ['a', 'HGET', 'h', 'f'],
      ['b', 'SET', 'k1', 'w'],
      ['b', 'SET', 'k1', 'x'],
      ['b', 'MSET', 'k2', '1', 'k3', '2'],
      ['b', 'HSET', 'h', 'f', '1'],
      ['a', 'GET', 'k1'],
      ['a', 'SET', 'k1', 'mine'],
      ['a', 'GET', 'k1'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'NOLOOP'],
      ['a', 'SET', 'k1', 'mine2'],
      ['a', 'GET', 'k1'],
      ['b', 'DEL', 'k1'],
      ['a', 'GET', 'k4'],
      ['b', 'FLUSHDB'],
      ['a', 'GET', 'k5'],
      ['a', 'FLUSHALL'],
      ['a', 'CLIENT', 'TRACKINGINFO'],
      ['a', 'CLIENT', 'GETREDIR'],
      ['a', 'CLIENT', 'TRACKING', 'off'],
      ['a', 'CLIENT', 'TRACKINGINFO'],
      ['a', 'CLIENT', 'GETREDIR'],
      ['b', 'SET', 'k5', 'v'],
    ],
  );
});

test('OPTIN / OPTOUT with CLIENT CACHING, inside MULTI/EXEC and scripts', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  await sameFrames(
    servers.real,
    ['a', 'b'],
    [
      ['a', 'HELLO', '3'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'OPTIN'],
      ['a', 'GET', 'notcached'],
      ['a', 'CLIENT', 'CACHING', 'yes'],
      ['a', 'GET', 'cached'],
      ['a', 'GET', 'notcached2'],
      ['b', 'SET', 'notcached', '1'],
      ['b', 'SET', 'cached', '1'],
      ['b', 'SET', 'notcached2', '1'],
      ['a', 'CLIENT', 'CACHING', 'no'],
      ['a', 'CLIENT', 'TRACKINGINFO'],
      ['a', 'CLIENT', 'CACHING', 'yes'],
      ['a', 'MULTI'],
      ['a', 'GET', 'm1'],
      ['a', 'GET', 'm2'],
      ['a', 'SET', 'm1', 'x'],
      ['a', 'EXEC'],
      ['b', 'SET', 'm2', '1'],
      ['a', 'CLIENT', 'TRACKING', 'off'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'OPTOUT'],
      ['a', 'CLIENT', 'CACHING', 'no'],
      ['a', 'GET', 'o1'],
      ['a', 'GET', 'o2'],
      ['a', 'CLIENT', 'TRACKINGINFO'],
      ['b', 'SET', 'o1', '1'],
      ['b', 'SET', 'o2', '1'],
      ['a', 'EVAL', "redis.call('GET', KEYS[1]); return 1", '1', 's1'],
      ['a', 'EVAL', "redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], 'x'); return 1", '1', 's2'],
      ['b', 'SET', 's1', '1'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'OPTIN'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'BCAST'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'PREFIX', 'x'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999'],
      ['a', 'CLIENT', 'TRACKING', 'maybe'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'FOO'],
      ['b', 'CLIENT', 'CACHING', 'yes'],
    ],
  );
});

test('BCAST mode with prefixes and NOLOOP', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  await sameFrames(
    servers.real,
    ['a', 'b', 'c'],
    [
      ['a', 'HELLO', '3'],
      ['c', 'HELLO', '3'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'cart:'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP'],
      ['b', 'SET', 'user:1', 'v'],
      ['b', 'SET', 'other:1', 'v'],
      ['b', 'MSET', 'cart:9', 'x', 'user:2', 'y', 'zzz', 'z'],
      ['c', 'SET', 'user:3', 'mine'],
      ['c', 'MSET', 'user:4', 'mine', 'user:5', 'mine'],
      ['a', 'CLIENT', 'TRACKINGINFO'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'user:x'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p', 'PREFIX', 'pq'],
      ['a', 'CLIENT', 'TRACKING', 'on'],
      ['b', 'DEL', 'user:1', 'user:2'],
      ['b', 'FLUSHALL'],
    ],
  );
});

test('RESP2 REDIRECT to a __redis__:invalidate subscriber, and a broken redirect', async (t) => {
  if (!requireTool(t, 'redis-server') || servers.real === null) return;
  await sameFrames(
    servers.real,
    ['r', 'a', 'b', 'a3', 'r3'],
    [
      ['r', 'SUBSCRIBE', '__redis__:invalidate'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$r'],
      ['a', 'GET', 'k'],
      ['a', 'GET', 'k2'],
      ['b', 'SET', 'k', 'v'],
      ['a', 'SET', 'k2', 'v'],
      ['a', 'CLIENT', 'GETREDIR'],
      ['a', 'GET', 'k3'],
      ['b', 'FLUSHALL'],
      ['a', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$r', 'REDIRECT', '$r'],
      ['a3', 'HELLO', '3'],
      ['a3', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$r3'],
      ['a3', 'GET', 'q'],
      ['r3', 'CLOSE'],
      ['b', 'SET', 'q', '1'],
      ['a3', 'CLIENT', 'TRACKINGINFO'],
    ],
  );
});

test('tracking-table-max-keys evicts tracked keys with an invalidation, and INFO counts', async () => {
  const a = await RawConn.open(servers.nimbus.port);
  const admin = await RawConn.open(servers.nimbus.port);
  try {
    await admin.call('CONFIG', 'SET', 'tracking-table-max-keys', '3');
    await a.call('HELLO', '3');
    await a.call('CLIENT', 'TRACKING', 'on');
    for (const k of ['t1', 't2', 't3', 't4', 't5']) await a.call('GET', k);
    await sleep(20);
    const pushes = a.log.filter((f) => f.startsWith('>2'));
    // The two oldest keys were dropped from the table, each with an invalidation.
    assert.deepEqual(pushes, [
      '>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nt1\r\n',
      '>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nt2\r\n',
    ]);
    const info = await admin.call('INFO', 'stats');
    assert.match(info, /tracking_total_keys:3\r\n/);
    assert.match(info, /tracking_total_items:3\r\n/);
    assert.match(await admin.call('INFO', 'clients'), /tracking_clients:1\r\n/);
    assert.match(await admin.call('CLIENT', 'LIST'), /flags=t /);
  } finally {
    await admin.call('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
    a.close();
    admin.close();
  }
});

test('tracked keys are invalidated by expiry and eviction', async () => {
  const a = await RawConn.open(servers.nimbus.port);
  const b = await RawConn.open(servers.nimbus.port);
  try {
    await a.call('HELLO', '3');
    await a.call('CLIENT', 'TRACKING', 'on');
    await b.call('SET', 'ttl', 'v', 'PX', '30');
    await a.call('GET', 'ttl');
    // Nothing reads 'ttl' again: only the active expiry cycle (10 times a second) can remove it.
    const ttlPush = '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nttl\r\n';
    for (let i = 0; i < 300 && !a.log.includes(ttlPush); i++) await sleep(10);
    assert.ok(a.log.includes(ttlPush), a.log.join('|'));
    await b.call('SET', 'big', 'x'.repeat(1000));
    await a.call('GET', 'big');
    await b.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    await b.call('CONFIG', 'SET', 'maxmemory', '1');
    const bigPush = '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nbig\r\n';
    for (let i = 0; i < 300 && !a.log.includes(bigPush); i++) await sleep(10);
    await b.call('CONFIG', 'SET', 'maxmemory', '0');
    await b.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    assert.ok(a.log.includes(bigPush), a.log.join('|'));
  } finally {
    a.close();
    b.close();
  }
});

test('node-redis 6 RESP3 client-side cache is invalidated when another client writes', async () => {
  const cache = new BasicClientSideCache({ maxEntries: 100 });
  const cached = createClient({ url: servers.nimbus.url, RESP: 3, clientSideCache: cache });
  const writer = createClient({ url: servers.nimbus.url });
  await cached.connect();
  await writer.connect();
  try {
    await writer.set('csc:k', 'v1');
    assert.equal(await cached.get('csc:k'), 'v1');
    assert.equal(await cached.get('csc:k'), 'v1');
    assert.equal(cache.stats().hitCount, 1, 'second GET served from the local cache');
    assert.equal(cache.size(), 1);
    await writer.set('csc:k', 'v2');
    for (let i = 0; i < 100 && cache.size() > 0; i++) await sleep(10);
    assert.equal(cache.size(), 0, 'the invalidation push emptied the cache entry');
    assert.equal(await cached.get('csc:k'), 'v2');
    // A FLUSHALL invalidates everything (null invalidation).
    assert.equal(await cached.get('csc:k'), 'v2');
    assert.equal(cache.size(), 1);
    await writer.flushAll();
    for (let i = 0; i < 100 && cache.size() > 0; i++) await sleep(10);
    assert.equal(cache.size(), 0);
    assert.equal(await cached.get('csc:k'), null);
  } finally {
    await cached.quit();
    await writer.quit();
  }
});
