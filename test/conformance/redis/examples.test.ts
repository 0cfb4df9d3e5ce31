// The handbook's patterns end to end with ioredis: cache-aside with a TTL, a session store with
// refresh tokens that expire, a leaderboard ranking with sorted sets, counters and daily visitors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisUnderTest } from './harness.js';

let srv: RedisUnderTest;
let r: Redis;
before(async () => {
  srv = await startRedis();
  r = new Redis({ port: srv.port });
});
after(async () => {
  r.disconnect();
  await srv.close();
});

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

test('cache-aside: miss loads from the source once, hits after, expiry reloads', async () => {
  let loads = 0;
  const loadUser = async (id: string): Promise<string> => {
    loads++;
    return JSON.stringify({ id, name: `user-${id}` });
  };
  const getUser = async (id: string): Promise<unknown> => {
    const key = `cache:user:${id}`;
    const hit = await r.get(key);
    if (hit !== null) return JSON.parse(hit);
    const fresh = await loadUser(id);
    await r.set(key, fresh, 'PX', 150);
    return JSON.parse(fresh);
  };
  assert.deepEqual(await getUser('7'), { id: '7', name: 'user-7' });
  await getUser('7');
  await getUser('7');
  assert.equal(loads, 1);
  await sleep(250);
  await getUser('7');
  assert.equal(loads, 2, 'the entry expired and was reloaded');
});

test('session store: hash with TTL, sliding expiration, refresh token rotation, logout', async () => {
  const sid = 'sess:abc';
  await r.multi().hset(sid, { user: '42', role: 'admin' }).expire(sid, 1800).exec();
  assert.deepEqual(await r.hgetall(sid), { user: '42', role: 'admin' });
  assert.ok((await r.ttl(sid)) > 1790);
  await r.expire(sid, 3600);
  assert.ok((await r.ttl(sid)) > 3590, 'sliding expiration extends the TTL');
  await r.set('refresh:t1', '42', 'EX', 604800);
  const rotated = await r.multi().getdel('refresh:t1').set('refresh:t2', '42', 'EX', 604800).exec();
  assert.deepEqual(rotated, [[null, '42'], [null, 'OK']]);
  assert.equal(await r.exists('refresh:t1'), 0);
  await r.set('sess:short', 'x', 'PX', 50);
  await sleep(120);
  assert.equal(await r.get('sess:short'), null, 'expired session is gone');
  assert.equal(await r.del(sid), 1);
});

test('ranking with sorted sets: top N, rank, neighbours, recently viewed, counters, visitors', async () => {
  const players = ['ann', 'bob', 'cid', 'dee', 'eve'];
  for (const [i, p] of players.entries()) await r.zadd('board', (i + 1) * 10, p);
  await r.zincrby('board', 100, 'ann');
  assert.deepEqual(await r.zrevrange('board', 0, 2, 'WITHSCORES'), ['ann', '110', 'eve', '50', 'dee', '40']);
  assert.equal(await r.zrevrank('board', 'bob'), 4);
  assert.deepEqual(await r.zrangebyscore('board', 30, 50), ['cid', 'dee', 'eve']);
  assert.equal(await r.zcount('board', '(30', '+inf'), 3);
  for (const item of ['p1', 'p2', 'p3', 'p2']) {
    await r.multi().lrem('recent:u1', 0, item).lpush('recent:u1', item).ltrim('recent:u1', 0, 1).exec();
  }
  assert.deepEqual(await r.lrange('recent:u1', 0, -1), ['p2', 'p3']);
  await Promise.all(Array.from({ length: 100 }, () => r.incr('views')));
  assert.equal(await r.get('views'), '100');
  const day = 'visitors:2026-11-26';
  for (let i = 0; i < 1000; i++) await r.pfadd(day, `ip-${i % 600}`);
  const est = await r.pfcount(day);
  assert.ok(Math.abs(est - 600) < 600 * 0.03, `estimate ${est} within 3% of 600`);
  await r.sadd('likes:post1', 'u1', 'u2', 'u1');
  assert.equal(await r.scard('likes:post1'), 2);
});
