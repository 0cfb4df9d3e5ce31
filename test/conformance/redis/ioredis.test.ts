// ioredis 6 (RESP3 via HELLO 3) and ioredis 5 (RESP2 with the INFO ready check) against Nimbus:
// every data type, pipelines, MULTI/EXEC with WATCH, pub/sub with normal commands on a RESP3
// connection, error texts, SCAN streams.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis as Redis6 } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { startRedis, type RedisUnderTest } from './harness.js';

let srv: RedisUnderTest;
before(async () => {
  srv = await startRedis();
});
after(async () => {
  await srv.close();
});

/** Both majors share one API; the 5.x instance is typed as 6.x so one test body drives both. */
function clients(): Array<[string, Redis6]> {
  return [
    ['ioredis6', new Redis6({ port: srv.port, lazyConnect: true })],
    ['ioredis5', new Redis5({ port: srv.port, lazyConnect: true, enableReadyCheck: true }) as unknown as Redis6],
  ];
}

test('strings, counters, TTLs', async () => {
  for (const [name, r] of clients()) {
    await r.connect();
    const k = `${name}:s`;
    assert.equal(await r.set(k, 'v', 'EX', 100), 'OK');
    assert.equal(await r.get(k), 'v');
    const ttl = await r.ttl(k);
    assert.ok(ttl > 98 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await r.incr(`${name}:n`), 1);
    assert.equal(await r.incrby(`${name}:n`, 41), 42);
    assert.equal(await r.incrbyfloat(`${name}:f`, '1.5'), '1.5');
    assert.equal(await r.set(k, 'x', 'NX'), null);
    assert.equal(await r.getdel(k), 'v');
    assert.equal(await r.exists(k), 0);
    assert.deepEqual(await r.mget(`${name}:n`, 'missing'), ['42', null]);
    assert.equal(await r.append(`${name}:a`, 'ab'), 2);
    assert.equal(await r.getrange(`${name}:a`, 0, 0), 'a');
    assert.equal(await r.setrange(`${name}:a`, 3, 'z'), 4);
    assert.equal(await r.get(`${name}:a`), 'ab\x00z');
    await assert.rejects(r.incr(`${name}:a`), /ERR value is not an integer or out of range/);
    await assert.rejects(r.lpush(`${name}:a`, 'x'), /WRONGTYPE Operation against a key holding the wrong kind of value/);
    await assert.rejects(r.call('nosuchcmd', 'a'), /ERR unknown command 'nosuchcmd', with args beginning with: 'a'/);
    await assert.rejects(r.call('get'), /ERR wrong number of arguments for 'get' command/);
    r.disconnect();
  }
});

test('lists, hashes, sets, sorted sets, hyperloglog', async () => {
  for (const [name, r] of clients()) {
    await r.connect();
    const p = `${name}:`;
    assert.equal(await r.rpush(p + 'l', 'a', 'b', 'c'), 3);
    assert.equal(await r.lpush(p + 'l', 'z'), 4);
    assert.deepEqual(await r.lrange(p + 'l', 0, -1), ['z', 'a', 'b', 'c']);
    assert.equal(await r.lpop(p + 'l'), 'z');
    assert.deepEqual(await r.rpop(p + 'l', 2), ['c', 'b']);
    assert.equal(await r.lmove(p + 'l', p + 'l2', 'LEFT', 'RIGHT'), 'a');
    assert.equal(await r.exists(p + 'l'), 0);
    assert.equal(await r.hset(p + 'h', 'f1', 'v1', 'f2', 'v2'), 2);
    assert.deepEqual(await r.hgetall(p + 'h'), { f1: 'v1', f2: 'v2' });
    assert.equal(await r.hincrby(p + 'h', 'n', 5), 5);
    assert.deepEqual((await r.hkeys(p + 'h')).sort(), ['f1', 'f2', 'n']);
    assert.equal(await r.sadd(p + 's', 'a', 'b', 'c'), 3);
    assert.equal(await r.sadd(p + 's2', 'b', 'c', 'd'), 3);
    assert.deepEqual((await r.sinter(p + 's', p + 's2')).sort(), ['b', 'c']);
    assert.deepEqual((await r.sunion(p + 's', p + 's2')).sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await r.sdiff(p + 's', p + 's2'), ['a']);
    assert.equal(await r.sismember(p + 's', 'a'), 1);
    assert.equal(await r.zadd(p + 'z', 3, 'c', 1, 'a', 2, 'b'), 3);
    assert.deepEqual(await r.zrange(p + 'z', '0', '-1', 'WITHSCORES'), ['a', '1', 'b', '2', 'c', '3']);
    assert.deepEqual(await r.zrevrangebyscore(p + 'z', '+inf', '(1'), ['c', 'b']);
    assert.equal(await r.zrank(p + 'z', 'c'), 2);
    assert.equal(await r.zscore(p + 'z', 'b'), '2');
    assert.equal(await r.zincrby(p + 'z', 10, 'a'), '11');
    assert.deepEqual(await r.zpopmin(p + 'z'), ['b', '2']);
    assert.equal(await r.pfadd(p + 'hll', 'a', 'b', 'c'), 1);
    assert.equal(await r.pfcount(p + 'hll'), 3);
    assert.equal(await r.type(p + 'hll'), 'string');
    r.disconnect();
  }
});

test('pipeline and MULTI/EXEC with WATCH', async () => {
  for (const [name, r] of clients()) {
    await r.connect();
    const res = await r.pipeline().set(`${name}:p`, '1').incr(`${name}:p`).get(`${name}:p`).exec();
    assert.deepEqual(res, [[null, 'OK'], [null, 2], [null, '2']]);
    const tx = await r.multi().set(`${name}:t`, 'a').get(`${name}:t`).exec();
    assert.deepEqual(tx, [[null, 'OK'], [null, 'a']]);
    const other = new Redis6({ port: srv.port });
    await r.watch(`${name}:w`);
    await other.set(`${name}:w`, 'changed');
    assert.equal(await r.multi().set(`${name}:w`, 'mine').exec(), null);
    assert.equal(await r.get(`${name}:w`), 'changed');
    other.disconnect();
    r.disconnect();
  }
});

test('EXECABORT after a queued error', async () => {
  const r = new Redis6({ port: srv.port });
  try {
    assert.equal(await r.call('multi'), 'OK');
    await assert.rejects(r.call('get'), /wrong number of arguments/);
    assert.equal(await r.call('set', 'k', 'v'), 'QUEUED');
    await assert.rejects(r.call('exec'), /EXECABORT Transaction discarded because of previous errors/);
    assert.equal(await r.exists('k'), 0);
  } finally {
    r.disconnect();
  }
});

test('pub/sub: RESP3 subscriber keeps running commands; patterns; RESP2 subscriber', async () => {
  const sub6 = new Redis6({ port: srv.port });
  const sub5 = new Redis5({ port: srv.port });
  const pub = new Redis6({ port: srv.port });
  const got6: string[] = [];
  const got5: string[] = [];
  sub6.on('message', (ch: string, m: string) => got6.push(`${ch}:${m}`));
  sub5.on('pmessage', (_p: string, ch: string, m: string) => got5.push(`${ch}:${m}`));
  await sub6.subscribe('news');
  await sub5.psubscribe('ne*');
  assert.equal(await sub6.set('from-subscriber', 'ok'), 'OK');
  assert.equal(await pub.publish('news', 'hello'), 2);
  assert.deepEqual(await pub.pubsub('NUMSUB', 'news'), ['news', 1]);
  // Up to 5 s: on a loaded CI machine delivery can take longer than a few ms; the loop ends on arrival.
  for (let i = 0; i < 500 && (got6.length === 0 || got5.length === 0); i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(got6, ['news:hello']);
  assert.deepEqual(got5, ['news:hello']);
  sub6.disconnect();
  sub5.disconnect();
  pub.disconnect();
});

test('SCAN stream visits every key; INFO and CONFIG', async () => {
  const r = new Redis5({ port: srv.port });
  await r.select(3);
  const pipe = r.pipeline();
  for (let i = 0; i < 500; i++) pipe.set(`scan:${i}`, i);
  await pipe.exec();
  const seen = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    r.scanStream({ match: 'scan:*', count: 37 })
      .on('data', (keys: string[]) => keys.forEach((k) => seen.add(k)))
      .on('end', () => resolve())
      .on('error', reject);
  });
  assert.equal(seen.size, 500);
  const info = await r.info();
  assert.match(info, /redis_version:7\.2\./);
  assert.match(info, /loading:0/);
  assert.match(info, /db3:keys=500,expires=0/);
  assert.equal(await r.config('SET', 'hash-max-listpack-entries', '64'), 'OK');
  assert.deepEqual(await r.config('GET', 'hash-max-listpack-entries'), ['hash-max-listpack-entries', '64']);
  r.disconnect();
});
