// Proves the EVAL body → SHA cache (commands/scripting.ts) is invisible to clients: a repeated
// EVAL runs the same script, keeps its shebang flags, survives SCRIPT FLUSH (recompiled), and a
// compile error is reported every time rather than cached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type RedisUnderTest } from './harness.js';

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
