// Proves FUNCTION LOAD libraries survive a restart through an RDB snapshot (SAVE and BGSAVE write
// FUNCTION2 records into dump.rdb) and through an AOF rewrite (the base file carries them, the
// incr files no longer hold FUNCTION LOAD), and that INFO clients counts blocked clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startRedis } from './harness.js';

const LIB = "#!lua name=counters\nredis.register_function('bump', function(k) return redis.call('incr', k[1]) end)";
const LIB2 = "#!lua name=greet\nredis.register_function{function_name='hi', callback=function() return 'hello' end, flags={'no-writes'}}";
/** How long a test waits for a background save or rewrite before failing. */
const BACKGROUND_WAIT_MS = 10_000;

async function waitInfo(io: Redis, field: string, want: string): Promise<void> {
  const deadline = Date.now() + BACKGROUND_WAIT_MS;
  for (;;) {
    const info = await io.info('persistence');
    if (new RegExp(`^${field}:${want}\\r?$`, 'm').test(info)) return;
    if (Date.now() > deadline) throw new Error(`${field} never became ${want}:\n${info}`);
    await sleep(20);
  }
}

async function assertLibrariesBack(port: number): Promise<void> {
  const io = new Redis({ port });
  try {
    assert.equal(await io.call('FCALL', 'bump', '1', 'n'), 2);
    assert.equal(await io.call('FCALL_RO', 'hi', '0'), 'hello');
    const libs = (await io.call('FUNCTION', 'LIST')) as unknown[][];
    assert.deepEqual(libs.map((l) => l[l.indexOf('library_name') + 1]).sort(), ['counters', 'greet']);
  } finally {
    io.disconnect();
  }
}

for (const mode of ['SAVE', 'BGSAVE'] as const) {
  test(`RDB: FUNCTION LOAD survives a restart after ${mode}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-fn-rdb-'));
    try {
      const first = await startRedis({ appendonly: false }, dir);
      const io = new Redis({ port: first.port });
      try {
        assert.equal(await io.call('FUNCTION', 'LOAD', LIB), 'counters');
        assert.equal(await io.call('FUNCTION', 'LOAD', LIB2), 'greet');
        assert.equal(await io.call('FCALL', 'bump', '1', 'n'), 1);
        if (mode === 'SAVE') assert.equal(await io.save(), 'OK');
        else {
          assert.equal(await io.bgsave(), 'Background saving started');
          await waitInfo(io, 'rdb_bgsave_in_progress', '0');
        }
      } finally {
        io.disconnect();
        await first.close();
      }
      assert.ok(readFileSync(join(dir, 'dump.rdb')).includes('register_function'));
      const second = await startRedis({ appendonly: false }, dir);
      try {
        await assertLibrariesBack(second.port);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('AOF: after BGREWRITEAOF the base file carries the libraries and a restart restores them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-fn-aof-'));
  try {
    const cfg = { appendonly: true, appendfsync: 'always' };
    const first = await startRedis(cfg, dir);
    const io = new Redis({ port: first.port });
    try {
      await io.call('FUNCTION', 'LOAD', LIB);
      await io.call('FUNCTION', 'LOAD', LIB2);
      assert.equal(await io.call('FCALL', 'bump', '1', 'n'), 1);
      assert.match(await io.bgrewriteaof(), /rewriting started/i);
      await waitInfo(io, 'aof_rewrite_in_progress', '0');
    } finally {
      io.disconnect();
      await first.close();
    }
    const aofDir = join(dir, 'appendonlydir');
    const files = readdirSync(aofDir);
    const incr = files.filter((f) => f.includes('.incr.')).map((f) => readFileSync(join(aofDir, f), 'latin1')).join('');
    assert.doesNotMatch(incr, /FUNCTION/i, 'the rewrite moved the libraries out of the incr files');
    const base = files.find((f) => f.includes('.base.'));
    assert.ok(base !== undefined && readFileSync(join(aofDir, base)).includes('register_function'));
    const second = await startRedis(cfg, dir);
    try {
      await assertLibrariesBack(second.port);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('INFO clients: blocked_clients counts clients waiting in BLPOP', async () => {
  const r = await startRedis();
  const io = new Redis({ port: r.port });
  const waiter = new Redis({ port: r.port });
  try {
    const blocked = waiter.blpop('q', 0);
    const deadline = Date.now() + BACKGROUND_WAIT_MS;
    while (!/^blocked_clients:1\r?$/m.test(await io.info('clients'))) {
      assert.ok(Date.now() < deadline, 'BLPOP never showed up as blocked');
      await sleep(10);
    }
    await io.rpush('q', 'x');
    assert.deepEqual(await blocked, ['q', 'x']);
    assert.match(await io.info('clients'), /^blocked_clients:0\r?$/m);
  } finally {
    waiter.disconnect();
    io.disconnect();
    await r.close();
  }
});
