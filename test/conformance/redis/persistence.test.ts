// Persistence wired into the server: data written through the wire survives a restart via the AOF
// (relative TTLs logged as absolute), BGSAVE/SAVE write a dump.rdb that Nimbus reloads, that
// Debian's redis-check-rdb accepts and redis-server loads, and --ephemeral writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findTool } from '../../helpers/tools.js';
import { startRedis } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

async function populate(r: Redis): Promise<void> {
  await r.set('s', 'v');
  await r.set('ttl', 'v', 'EX', 1000);
  await r.rpush('l', 'a', 'b');
  await r.hset('h', 'f', 'v');
  await r.sadd('set', 'x', 'y');
  await r.zadd('z', 1.5, 'm');
  await r.select(5);
  await r.set('in5', '1');
  await r.select(0);
  await r.incr('n');
  await r.incr('n');
}

async function check(r: Redis): Promise<void> {
  assert.equal(await r.get('s'), 'v');
  const ttl = await r.ttl('ttl');
  assert.ok(ttl > 990 && ttl <= 1000, `ttl ${ttl}`);
  assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b']);
  assert.deepEqual(await r.hgetall('h'), { f: 'v' });
  assert.deepEqual((await r.smembers('set')).sort(), ['x', 'y']);
  assert.equal(await r.zscore('z', 'm'), '1.5');
  assert.equal(await r.get('n'), '2');
  await r.select(5);
  assert.equal(await r.get('in5'), '1');
  await r.select(0);
}

test('AOF (everysec default): restart restores every key, TTLs logged as absolute', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-redis-aof-'));
  try {
    let srv = await startRedis({}, { dataDir: dir, ephemeral: false });
    let r = new Redis({ port: srv.port });
    await populate(r);
    r.disconnect();
    await srv.close();
    const aofDir = join(dir, 'appendonlydir');
    const incr = readdirSync(aofDir).filter((f) => f.includes('.incr.'));
    const log = incr.map((f) => readFileSync(join(aofDir, f), 'latin1')).join('');
    assert.match(log, /PXAT/, 'SET EX is logged as SET ... PXAT');
    assert.doesNotMatch(log, /\r\nEX\r\n/);
    srv = await startRedis({}, { dataDir: dir, ephemeral: false });
    r = new Redis({ port: srv.port });
    await check(r);
    r.disconnect();
    await srv.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RDB: SAVE/BGSAVE dump reloads (appendonly no), passes redis-check-rdb, loads into redis-server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-redis-rdb-'));
  try {
    let srv = await startRedis({ appendonly: false }, { dataDir: dir, ephemeral: false });
    let r = new Redis({ port: srv.port });
    await populate(r);
    assert.equal(await r.bgsave(), 'Background saving started');
    for (let i = 0; i < 100 && !existsSync(join(dir, 'dump.rdb')); i++) await sleep(20);
    for (let i = 0; i < 100 && /rdb_bgsave_in_progress:1/.test(await r.info('persistence')); i++) await sleep(20);
    assert.equal(await r.save(), 'OK');
    assert.ok((await r.lastsave()) > 0);
    r.disconnect();
    await srv.close();
    const rdb = join(dir, 'dump.rdb');
    assert.ok(existsSync(rdb));
    const checker = findTool('redis-check-rdb');
    if (checker) {
      const res = spawnSync(checker, [rdb], { encoding: 'utf8' });
      assert.match(res.stdout, /RDB looks OK!/);
    }
    srv = await startRedis({ appendonly: false }, { dataDir: dir, ephemeral: false });
    r = new Redis({ port: srv.port });
    await check(r);
    r.disconnect();
    await srv.close();
    const redisServer = findTool('redis-server');
    if (redisServer) {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const p = spawn(redisServer, ['--port', String(port), '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      try {
        let real: Redis | null = null;
        for (let i = 0; i < 50; i++) {
          await sleep(100);
          real = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
          try {
            await real.connect();
            break;
          } catch {
            real.disconnect();
            real = null;
          }
        }
        assert.ok(real, 'redis-server started');
        assert.equal(await real.get('s'), 'v');
        assert.equal(await real.zscore('z', 'm'), '1.5');
        assert.ok((await real.ttl('ttl')) > 900);
        real.disconnect();
      } finally {
        p.kill('SIGKILL');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ephemeral mode writes nothing to the data dir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-redis-eph-'));
  try {
    const srv = await startRedis({}, { dataDir: dir, ephemeral: true });
    const r = new Redis({ port: srv.port });
    await r.set('k', 'v');
    await assert.rejects(r.save(), /persistence is disabled/);
    r.disconnect();
    await srv.close();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
