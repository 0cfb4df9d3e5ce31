// Proves EVAL / EVALSHA / SCRIPT / FUNCTION work for real clients over real sockets: ioredis's
// defineCommand (EVALSHA with the NOSCRIPT → EVAL fallback, also inside pipelines), node-redis
// scripts, a SET NX EX lock with a compare-and-delete release under concurrency, and Redis's error
// texts and type conversions as clients see them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedis, type RedisUnderTest } from './harness.js';
import { RELEASE } from './lock-scripts.js';

let r: RedisUnderTest;
let io: Redis;

before(async () => {
  r = await startRedis();
  io = new Redis({ port: r.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await io.connect();
});
after(async () => {
  io.disconnect();
  await r.close();
});

test('EVAL conversions and errors as a client sees them', async () => {
  assert.equal(await io.eval('return 1', 0), 1);
  assert.deepEqual(await io.eval("return {1, 'two', 3.9, {4}}", 0), [1, 'two', 3, [4]]);
  assert.equal(await io.eval("return redis.status_reply('FINE')", 0), 'FINE');
  assert.equal(await io.eval('return nil', 0), null);
  assert.deepEqual(await io.eval('return {KEYS[1], ARGV[1]}', 1, 'k', 'a'), ['k', 'a']);
  await assert.rejects(io.eval("return redis.error_reply('MY fault')", 0), /^ReplyError: MY fault$/);
  await io.set('str', 'x');
  await assert.rejects(
    io.eval("return redis.call('lpush', 'str', 1)", 0),
    /WRONGTYPE Operation against a key holding the wrong kind of value script: f_[0-9a-f]{40}, on @user_script:1\./,
  );
  await assert.rejects(io.eval('return +', 0), /ERR Error compiling script/);
  await assert.rejects(io.eval('x = 1', 0), /Attempt to modify a readonly table/);
  await assert.rejects(io.eval("return redis.call('eval', 'return 1', 0)", 0), /not allowed from script/);
  await assert.rejects(io.eval('return 1', 2, 'a'), /Number of keys can't be greater than number of args/);
  await assert.rejects(io.evalsha('0'.repeat(40), 0), /NOSCRIPT No matching script/);
  await assert.rejects(
    io.call('EVAL_RO', "return redis.call('set', 'a', 'b')", '0'),
    /Write commands are not allowed from read-only scripts/,
  );
  assert.equal(await io.call('EVAL_RO', "return redis.call('get', 'str')", '0'), 'x');
});

test('SCRIPT LOAD / EXISTS / FLUSH / KILL', async () => {
  const sha = (await io.script('LOAD', 'return 42')) as string;
  assert.match(sha, /^[0-9a-f]{40}$/);
  assert.deepEqual(await io.script('EXISTS', sha, 'f'.repeat(40)), [1, 0]);
  assert.equal(await io.evalsha(sha, 0), 42);
  assert.equal(await io.script('FLUSH'), 'OK');
  assert.deepEqual(await io.script('EXISTS', sha), [0]);
  await assert.rejects(io.script('KILL'), /NOTBUSY/);
});

test('ioredis defineCommand: EVALSHA with NOSCRIPT fallback, in pipelines too', async () => {
  io.defineCommand('release', { numberOfKeys: 1, lua: RELEASE });
  const client = io as Redis & { release(key: string, token: string): Promise<number> };
  await io.script('FLUSH');
  await io.set('lock:a', 't1');
  assert.equal(await client.release('lock:a', 'wrong'), 0);
  assert.equal(await client.release('lock:a', 't1'), 1);
  await io.script('FLUSH');
  await io.set('lock:b', 't2');
  type ReleasePipeline = {
    set(k: string, v: string): ReleasePipeline;
    get(k: string): ReleasePipeline;
    release(k: string, t: string): ReleasePipeline;
    exec(): Promise<Array<[Error | null, unknown]> | null>;
  };
  const res = await (io.pipeline() as unknown as ReleasePipeline)
    .set('lock:c', 't3')
    .release('lock:b', 't2')
    .release('lock:c', 'nope')
    .get('lock:c')
    .exec();
  assert.deepEqual(
    res?.map(([e, v]) => [e, v]),
    [
      [null, 'OK'],
      [null, 1],
      [null, 0],
      [null, 't3'],
    ],
  );
});

test('SET NX EX lock with compare-and-delete release: mutual exclusion under 10 racing clients, 1000 attempts', async () => {
  const clients = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const c = new Redis({ port: r.port, lazyConnect: true });
      await c.connect();
      return c;
    }),
  );
  await io.set('stock', '100');
  let inside = 0;
  let maxInside = 0;
  let sold = 0;
  const attempts = 1000;
  let done = 0;
  const worker = async (c: Redis): Promise<void> => {
    while (done < attempts) {
      done++;
      const token = randomUUID();
      // retry until acquired, backing off briefly so waiters do not flood the server
      while ((await c.set('lock:stock', token, 'EX', 10, 'NX')) !== 'OK')
        await new Promise((res) => setTimeout(res, 1));
      inside++;
      maxInside = Math.max(maxInside, inside);
      const stock = Number(await c.get('stock'));
      if (stock > 0) {
        await c.set('stock', String(stock - 1));
        sold++;
      }
      inside--;
      assert.equal(await c.eval(RELEASE, 1, 'lock:stock', token), 1);
    }
  };
  await Promise.all(clients.map(worker));
  await Promise.all(clients.map((c) => c.quit()));
  assert.equal(maxInside, 1);
  assert.equal(sold, 100);
  assert.equal(await io.get('stock'), '0');
});

test('scripts are atomic: an INCR-if-below script never oversells under concurrency', async () => {
  const script =
    "local n = tonumber(redis.call('get', KEYS[1]) or '0') if n < tonumber(ARGV[1]) then return redis.call('incr', KEYS[1]) end return -1";
  const clients = Array.from({ length: 10 }, () => new Redis({ port: r.port }));
  const results = await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: 100 }, () => c.eval(script, 1, 'coupons', '50') as Promise<number>),
    ),
  );
  await Promise.all(clients.map((c) => c.quit()));
  const issued = results.filter((x) => x > 0).sort((a, b) => a - b);
  assert.deepEqual(
    issued,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal(await io.get('coupons'), '50');
});

test('FUNCTION LOAD / FCALL / FCALL_RO / LIST / DELETE / DUMP / RESTORE', async () => {
  const lib =
    "#!lua name=mylib\nredis.register_function('myget', function(keys, args) return redis.call('get', keys[1]) end)\n" +
    "redis.register_function{function_name='ro', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\n" +
    "redis.register_function('myset', function(keys, args) return redis.call('set', keys[1], args[1]) end)";
  assert.equal(await io.call('FUNCTION', 'LOAD', lib), 'mylib');
  await assert.rejects(io.call('FUNCTION', 'LOAD', lib), /Library 'mylib' already exists/);
  assert.equal(await io.call('FUNCTION', 'LOAD', 'REPLACE', lib), 'mylib');
  assert.equal(await io.call('FCALL', 'myset', '1', 'fk', 'fv'), 'OK');
  assert.equal(await io.call('FCALL', 'myget', '1', 'fk'), 'fv');
  assert.equal(await io.call('FCALL_RO', 'ro', '1', 'fk'), 'fv');
  await assert.rejects(
    io.call('FCALL_RO', 'myset', '1', 'fk', 'x'),
    /Can not execute a script with write flag using \*_ro command/,
  );
  await assert.rejects(io.call('FCALL', 'nope', '0'), /Function not found/);
  const list = (await io.call('FUNCTION', 'LIST')) as unknown[];
  assert.equal(list.length, 1);
  assert.deepEqual((list[0] as unknown[]).slice(0, 4), ['library_name', 'mylib', 'engine', 'LUA']);
  const dump = (await io.callBuffer('FUNCTION', 'DUMP')) as Buffer;
  assert.equal(await io.call('FUNCTION', 'FLUSH'), 'OK');
  await assert.rejects(io.call('FCALL', 'myget', '1', 'fk'), /Function not found/);
  assert.equal(await io.call('FUNCTION', 'RESTORE', dump), 'OK');
  assert.equal(await io.call('FCALL', 'myget', '1', 'fk'), 'fv');
  assert.equal(await io.call('FUNCTION', 'DELETE', 'mylib'), 'OK');
  await assert.rejects(io.call('FUNCTION', 'DELETE', 'mylib'), /Library not found/);
  await assert.rejects(io.call('FUNCTION', 'LOAD', 'return 1'), /Missing library metadata/);
});

test('RESP3: node-redis runs scripts; redis.setresp(3) maps and booleans', async () => {
  const c = createClient({ socket: { port: r.port }, RESP: 3 });
  await c.connect();
  try {
    await c.hSet('h', { f: 'v' });
    // A Lua boolean follows redis.setresp, not the caller's protocol (checked against
    // redis-server in test/conformance/redis/script-resp3.test.ts).
    assert.equal(await c.eval('return true', { keys: [], arguments: [] }), 1);
    assert.equal(await c.eval('redis.setresp(3) return true', { keys: [], arguments: [] }), true);
    const m = await c.eval("redis.setresp(3) return redis.call('hgetall', KEYS[1])", { keys: ['h'] });
    assert.deepEqual(m, { f: 'v' });
    assert.equal(await c.eval('redis.setresp(3) return {double=3.5}', { keys: [] }), 3.5);
    const sha = await c.scriptLoad('return ARGV[1]');
    assert.equal(await c.evalSha(sha, { arguments: ['hi'] }), 'hi');
  } finally {
    await c.quit();
  }
});

test('a script past busy-reply-threshold: others get -BUSY, SCRIPT KILL stops it, the caller resumes', async () => {
  assert.equal(await io.config('SET', 'busy-reply-threshold', '100'), 'OK');
  const caller = new Redis({ port: r.port });
  try {
    await io.set('after-busy', 'v');
    const pipe = caller
      .pipeline()
      .eval('local i = 0 while true do i = i + 1 end', 0)
      .get('after-busy')
      .exec();
    // poll until the script is past the threshold: then every other command is refused
    let busyError = '';
    for (const deadline = Date.now() + 5000; busyError === '' && Date.now() < deadline;) {
      busyError = await io.get('after-busy').then(
        () => '',
        (e: Error) => e.message,
      );
      if (busyError === '') await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(
      busyError,
      'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    );
    assert.equal(await io.script('KILL'), 'OK');
    const res = await pipe;
    assert.match(String(res?.[0]?.[0]), /Script killed by user with SCRIPT KILL/);
    assert.deepEqual(res?.[1], [null, 'v']);
    assert.equal(await io.get('after-busy'), 'v');
    await assert.rejects(io.script('KILL'), /NOTBUSY/);
  } finally {
    await io.config('SET', 'busy-reply-threshold', '5000');
    caller.disconnect();
  }
});

test('function libraries export and import for RDB persistence', async () => {
  const { functionLibrarySources, restoreFunctionLibraries } =
    await import('../../../src/redis/commands/scripting.js');
  await io.call('FUNCTION', 'FLUSH');
  const code =
    "#!lua name=plib\nredis.register_function('pget', function(k) return redis.call('get', k[1]) end)";
  await io.call('FUNCTION', 'LOAD', code);
  const sources = functionLibrarySources(r.server);
  assert.deepEqual(
    sources.map((b) => b.toString()),
    [code],
  );
  await io.call('FUNCTION', 'FLUSH');
  assert.deepEqual(restoreFunctionLibraries(r.server, sources), []);
  await io.set('pk', 'pv');
  assert.equal(await io.call('FCALL', 'pget', '1', 'pk'), 'pv');
  assert.deepEqual(restoreFunctionLibraries(r.server, [Buffer.from('#!lua name=bad\nreturn 1')]), [
    'ERR No functions registered',
  ]);
});

// The EVAL body → SHA cache (commands/scripting.ts) must be invisible to clients.
test('repeated EVAL: same results, flags kept, SCRIPT FLUSH recompiles, errors not cached', async () => {
  const body = "return redis.call('incr', KEYS[1])";
  assert.equal(await io.eval(body, 1, 'ec:n'), 1);
  assert.equal(await io.eval(body, 1, 'ec:n'), 2);
  const sha = createHash('sha1').update(body).digest('hex');
  assert.deepEqual(await io.script('EXISTS', sha), [1]);
  const ro = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'x')";
  for (let i = 0; i < 2; i++)
    await assert.rejects(io.eval(ro, 1, 'ec:ro'), /Write commands are not allowed from read-only scripts/);
  assert.equal(await io.exists('ec:ro'), 0);
  assert.equal(await io.script('FLUSH'), 'OK');
  assert.deepEqual(await io.script('EXISTS', sha), [0]);
  assert.equal(await io.eval(body, 1, 'ec:n'), 3);
  assert.deepEqual(await io.script('EXISTS', sha), [1]);
  for (let i = 0; i < 2; i++) await assert.rejects(io.eval('return +', 0), /Error compiling script/);
  // Same text with different KEYS/ARGV is the same cached script with fresh tables.
  assert.deepEqual(await io.eval('return {KEYS[1], ARGV[1], #ARGV}', 1, 'a', 'b'), ['a', 'b', 1]);
  // (A nil ends a Lua array reply, as in Redis.)
  assert.deepEqual(await io.eval('return {KEYS[1], ARGV[1], #ARGV}', 1, 'c'), ['c']);
  assert.deepEqual(await io.eval('return {#KEYS, #ARGV}', 0), [0, 0]);
});
