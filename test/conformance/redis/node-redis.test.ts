// node-redis 6 (RESP3 via HELLO 3) and node-redis 4 (RESP2) against Nimbus: commands, MULTI,
// pub/sub on a duplicated connection, and the client's own handshake (HELLO/CLIENT SETINFO).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { startRedis, type RedisUnderTest } from './harness.js';

let srv: RedisUnderTest;
before(async () => {
  srv = await startRedis();
});
after(async () => {
  await srv.close();
});

test('node-redis 6 with RESP3', async () => {
  const c = createClient6({ url: srv.url, RESP: 3 });
  await c.connect();
  try {
    assert.equal(await c.set('nr6:k', 'v', { EX: 60 }), 'OK');
    assert.equal(await c.get('nr6:k'), 'v');
    assert.equal(await c.hSet('nr6:h', { a: '1', b: '2' }), 2);
    const h = await c.hGetAll('nr6:h');
    assert.deepEqual({ ...h }, { a: '1', b: '2' });
    assert.equal(await c.zAdd('nr6:z', [{ score: 1, value: 'x' }, { score: 2, value: 'y' }]), 2);
    assert.deepEqual(await c.zRange('nr6:z', 0, -1), ['x', 'y']);
    assert.equal(await c.zScore('nr6:z', 'y'), 2);
    const res = await c.multi().incr('nr6:n').incr('nr6:n').exec();
    assert.deepEqual(res, [1, 2]);
    const sub = c.duplicate();
    await sub.connect();
    const got: string[] = [];
    await sub.subscribe('nr6:ch', (m) => got.push(m));
    assert.equal(await c.publish('nr6:ch', 'hi'), 1);
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, ['hi']);
    await sub.quit();
    const list = await c.clientList();
    assert.ok(list.some((x) => x.libName === 'node-redis'), 'CLIENT SETINFO lib-name recorded');
  } finally {
    await c.quit();
  }
});

test('node-redis 4 with RESP2', async () => {
  const c = createClient4({ url: srv.url, database: 1 });
  await c.connect();
  try {
    assert.equal(await c.set('nr4:k', 'v'), 'OK');
    assert.equal(await c.get('nr4:k'), 'v');
    assert.equal(await c.sAdd('nr4:s', ['a', 'b']), 2);
    assert.deepEqual((await c.sMembers('nr4:s')).sort(), ['a', 'b']);
    assert.equal(await c.lPush('nr4:l', ['1', '2']), 2);
    assert.deepEqual(await c.lRange('nr4:l', 0, -1), ['2', '1']);
    assert.deepEqual(await c.zRangeWithScores('nr4:z', 0, -1), []);
    assert.equal(await c.expire('nr4:k', 100), true);
    assert.ok((await c.ttl('nr4:k')) > 0);
    await assert.rejects(c.sendCommand(['lpush', 'nr4:k', 'x']), /WRONGTYPE/);
    assert.equal(await c.dbSize(), 3);
  } finally {
    await c.quit();
  }
});
