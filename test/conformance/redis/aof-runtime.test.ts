// CONFIG SET appendonly / appendfsync on a running server, as in Redis 7: turning AOF on starts a
// rewrite (base of the dataset, written in slices) while writes collect in a temp incr file;
// turning it off closes the files and leaves them on disk; the fsync policy switches at once. Each
// test restarts the service over the same data dir to prove what a restart finds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { requireTool } from '../../helpers/tools.js';
import { startRealRedis } from '../../../src/redis/persistence/real-redis-harness.js';
import { startRedis, type RedisUnderTest } from './harness.js';

/** Enough keys that the first rewrite spans many 2 ms slices. */
const POPULATED_KEYS = 10_000;
const WAIT_STEP_MS = 10;
const WAIT_LIMIT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-aof-runtime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const aofDir = (dir: string): string => join(dir, 'appendonlydir');
const listAof = (dir: string): string[] => readdirSync(aofDir(dir)).sort();
const manifest = (dir: string): string =>
  readFileSync(join(aofDir(dir), 'appendonly.aof.manifest'), 'latin1');

/** The AOF directory holds exactly this base and incr (none: null), and the manifest lists them. */
function assertAof(dir: string, baseSeq: number, incrSeq: number | null): void {
  const base = `appendonly.aof.${baseSeq}.base.rdb`;
  const incr = incrSeq === null ? null : `appendonly.aof.${incrSeq}.incr.aof`;
  const incrLine = incr === null ? '' : `file ${incr} seq ${incrSeq} type i\n`;
  assert.equal(manifest(dir), `file ${base} seq ${baseSeq} type b\n${incrLine}`);
  assert.deepEqual(listAof(dir), [base, ...(incr === null ? [] : [incr]), 'appendonly.aof.manifest'].sort());
}

/** Runs fn against a service over dir, then always disconnects and stops it. */
async function withServer(
  dir: string,
  config: Record<string, unknown>,
  fn: (r: Redis, srv: RedisUnderTest) => Promise<void>,
): Promise<void> {
  const srv = await startRedis(config, { dataDir: dir, ephemeral: false });
  const r = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
  try {
    await fn(r, srv);
  } finally {
    r.disconnect();
    await srv.close();
  }
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info)?.[1];
}

async function waitRewriteDone(r: Redis): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (infoField(await r.info('persistence'), 'aof_rewrite_in_progress') !== '0') {
    if (Date.now() > deadline) throw new Error('AOF rewrite did not finish');
    await sleep(WAIT_STEP_MS);
  }
}

/** A pipeline's replies, errors as their message text. */
async function run(r: Redis, cmds: string[][]): Promise<unknown[]> {
  const p = r.pipeline();
  for (const [name, ...args] of cmds) p.call(name as string, ...args);
  const res = (await p.exec()) ?? [];
  return res.map(([err, v]) => (err ? `ERR:${err.message}` : v));
}

test('CONFIG SET appendonly yes: a base is written without blocking, writes during and after it survive a restart', async (t) => {
  const dir = tempDir(t);
  await withServer(dir, { appendonly: false }, async (r) => {
    await r.call('DEBUG', 'POPULATE', String(POPULATED_KEYS));
    assert.equal(existsSync(aofDir(dir)), false, 'appendonly no writes no AOF');
    // One pipeline is handled in one loop turn, before the rewrite's first slice: the INFO and
    // the writes below run while the rewrite is in progress, deterministically.
    const replies = await run(r, [
      ['CONFIG', 'SET', 'appendonly', 'yes'],
      ['INFO', 'persistence'],
      ['CONFIG', 'GET', 'appendonly'],
      ['BGSAVE'],
      ['SET', 'during', '1'],
      ['DEL', 'key:7'],
      ['SET', 'key:5', 'changed'],
      ['INCR', 'counter'],
      ['CONFIG', 'SET', 'appendonly', 'yes'],
      ['BGREWRITEAOF'],
    ]);
    assert.equal(replies[0], 'OK');
    const info = replies[1] as string;
    assert.equal(infoField(info, 'aof_enabled'), '1');
    assert.equal(infoField(info, 'aof_rewrite_in_progress'), '1');
    assert.deepEqual(replies[2], ['appendonly', 'yes']);
    assert.equal(replies[3], 'ERR:ERR Background save already in progress', 'the rewrite is a snapshot too');
    assert.equal(replies[8], 'OK', 'appendonly yes while already on is a no-op');
    assert.equal(replies[9], 'ERR:ERR Background append only file rewriting already in progress');
    await waitRewriteDone(r);
    await r.set('after', '1');
    await r.set('key:9', 'after');
    assertAof(dir, 1, 1);
    assert.ok(Number(infoField(await r.info('persistence'), 'aof_base_size')) > 0);
  });
  // Writes made during the rewrite are not in the base (a point-in-time snapshot): the incr has them.
  const incr = readFileSync(join(aofDir(dir), 'appendonly.aof.1.incr.aof'), 'latin1');
  for (const word of ['during', 'counter', 'changed', 'after'])
    assert.ok(incr.includes(`\r\n${word}\r\n`), word);
  await withServer(dir, { appendonly: true }, async (r) => {
    assert.equal(await r.dbsize(), POPULATED_KEYS + 2);
    assert.equal(await r.get('during'), '1');
    assert.equal(await r.get('counter'), '1');
    assert.equal(await r.get('key:5'), 'changed');
    assert.equal(await r.get('key:7'), null);
    assert.equal(await r.get('key:9'), 'after');
    assert.equal(await r.get('key:100'), 'value:100');
    assert.equal(await r.get('after'), '1');
  });
});

test('CONFIG SET appendonly no: logging stops, files stay; a restart loads dump.rdb without AOF and the stale AOF with it', async (t) => {
  const dir = tempDir(t);
  await withServer(dir, { appendonly: true }, async (r) => {
    await r.set('a', '1');
    assert.equal(await r.config('SET', 'appendonly', 'no'), 'OK');
    const info = await r.info('persistence');
    assert.equal(infoField(info, 'aof_enabled'), '0');
    assert.deepEqual(await r.config('GET', 'appendonly'), ['appendonly', 'no']);
    await r.set('b', '2');
    assert.equal(await r.save(), 'OK');
    assert.equal(await r.config('SET', 'appendonly', 'no'), 'OK', 'already off: a no-op');
  });
  assertAof(dir, 1, 1);
  const incr = readFileSync(join(aofDir(dir), 'appendonly.aof.1.incr.aof'), 'latin1');
  assert.ok(incr.includes('\r\na\r\n') && !incr.includes('\r\nb\r\n'), 'b was written after appendonly no');
  await withServer(dir, { appendonly: false }, async (r) => {
    assert.deepEqual(await r.mget('a', 'b'), ['1', '2'], 'dump.rdb holds both');
  });
  await withServer(dir, { appendonly: true }, async (r) => {
    // As Redis: with appendonly yes the AOF wins over dump.rdb, even though it stopped at `a`.
    assert.deepEqual(await r.mget('a', 'b'), ['1', null]);
  });
});

test('appendonly no during the first rewrite drops its temp files; turning on again replaces the stale AOF', async (t) => {
  const dir = tempDir(t);
  await withServer(dir, { appendonly: true }, async (r) => {
    await r.set('x', '1');
    await r.config('SET', 'appendonly', 'no');
    await r.set('y', '1');
    await r.call('DEBUG', 'POPULATE', String(POPULATED_KEYS));
    const before = listAof(dir);
    const replies = await run(r, [
      ['CONFIG', 'SET', 'appendonly', 'yes'],
      ['SET', 'lost-from-aof', '1'],
      ['CONFIG', 'SET', 'appendonly', 'no'],
      ['INFO', 'persistence'],
    ]);
    assert.deepEqual(replies.slice(0, 3), ['OK', 'OK', 'OK']);
    assert.equal(infoField(replies[3] as string, 'aof_enabled'), '0');
    assert.equal(infoField(replies[3] as string, 'aof_rewrite_in_progress'), '0');
    assert.deepEqual(listAof(dir), before, 'no temp incr, no partial base, old files untouched');
    assert.equal(await r.config('SET', 'appendonly', 'yes'), 'OK');
    await waitRewriteDone(r);
    await r.set('z', '1');
    // The files of the first AOF became history and were deleted, as Redis does.
    assertAof(dir, 2, 2);
  });
  await withServer(dir, { appendonly: true }, async (r) => {
    assert.deepEqual(await r.mget('x', 'y', 'z', 'lost-from-aof'), ['1', '1', '1', '1']);
    assert.equal(await r.dbsize(), POPULATED_KEYS + 4);
  });
});

test('BGREWRITEAOF with appendonly no writes a base-only AOF; appendonly yes during it starts the first rewrite over', async (t) => {
  const dir = tempDir(t);
  await withServer(dir, { appendonly: false }, async (r) => {
    await r.call('DEBUG', 'POPULATE', String(POPULATED_KEYS));
    const replies = await run(r, [
      ['BGREWRITEAOF'],
      ['INFO', 'persistence'],
      ['BGREWRITEAOF'],
      ['CONFIG', 'SET', 'appendonly', 'yes'],
      ['INFO', 'persistence'],
      ['SET', 'during', '1'],
    ]);
    assert.equal(replies[0], 'Background append only file rewriting started');
    assert.equal(infoField(replies[1] as string, 'aof_enabled'), '0');
    assert.equal(infoField(replies[1] as string, 'aof_rewrite_in_progress'), '1');
    assert.equal(replies[2], 'ERR:ERR Background append only file rewriting already in progress');
    assert.equal(replies[3], 'OK', 'as Redis: the running rewrite is stopped and the first one started');
    assert.equal(infoField(replies[4] as string, 'aof_enabled'), '1');
    assert.equal(infoField(replies[4] as string, 'aof_rewrite_in_progress'), '1');
    await waitRewriteDone(r);
    assertAof(dir, 1, 1);
    await r.config('SET', 'appendonly', 'no');
    await r.set('in-base', '1');
    assert.equal(await r.bgrewriteaof(), 'Background append only file rewriting started');
    await waitRewriteDone(r);
    await r.set('after-off', '1');
    // redis-server 7 writes the same: with AOF off a rewrite leaves a base and no incr file.
    assertAof(dir, 2, null);
    // During a BGSAVE the first rewrite starts at once, alongside (Redis schedules it).
    const both = await run(r, [
      ['BGSAVE'],
      ['CONFIG', 'SET', 'appendonly', 'yes'],
      ['INFO', 'persistence'],
      ['SET', 'last', '1'],
    ]);
    assert.deepEqual(both.slice(0, 2), ['Background saving started', 'OK']);
    assert.equal(infoField(both[2] as string, 'rdb_bgsave_in_progress'), '1');
    assert.equal(infoField(both[2] as string, 'aof_rewrite_in_progress'), '1');
    await waitRewriteDone(r);
    assertAof(dir, 3, 1);
  });
  await withServer(dir, { appendonly: true }, async (r) => {
    assert.deepEqual(await r.mget('during', 'in-base', 'after-off', 'last'), ['1', '1', '1', '1']);
    assert.equal(await r.dbsize(), POPULATED_KEYS + 4);
  });
});

test('a first rewrite that fails (base path blocked) is retried until it succeeds; no write is lost', async (t) => {
  const dir = tempDir(t);
  await withServer(dir, { appendonly: false }, async (r) => {
    await r.set('k', 'v');
    // A non-empty directory where the base file must go: renaming the base into place fails.
    const blocker = join(aofDir(dir), 'appendonly.aof.1.base.rdb');
    mkdirSync(join(blocker, 'x'), { recursive: true });
    assert.equal(await r.config('SET', 'appendonly', 'yes'), 'OK');
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (infoField(await r.info('persistence'), 'aof_last_bgrewrite_status') !== 'err') {
      assert.ok(Date.now() < deadline, 'the blocked rewrite should fail');
      await sleep(WAIT_STEP_MS);
    }
    assert.equal(existsSync(join(aofDir(dir), 'appendonly.aof.manifest')), false);
    assert.equal(infoField(await r.info('persistence'), 'aof_enabled'), '1');
    await r.set('between', '1');
    rmSync(blocker, { recursive: true });
    while (!existsSync(join(aofDir(dir), 'appendonly.aof.manifest'))) {
      assert.ok(Date.now() < deadline, 'the retried rewrite should succeed');
      await sleep(WAIT_STEP_MS);
    }
    await waitRewriteDone(r);
    assert.equal(infoField(await r.info('persistence'), 'aof_last_bgrewrite_status'), 'ok');
    await r.set('after', '1');
  });
  await withServer(dir, { appendonly: true }, async (r) => {
    assert.deepEqual(await r.mget('k', 'between', 'after'), ['v', '1', '1']);
  });
});

/** The same CONFIG script gives the same replies from Nimbus and redis-server (appendonly yes). */
const CONFIG_SCRIPT: string[][] = [
  ['CONFIG', 'SET', 'appendfsync', 'always'],
  ['CONFIG', 'GET', 'appendfsync'],
  ['SET', 'k1', 'v'],
  ['CONFIG', 'SET', 'appendfsync', 'sometimes'],
  ['CONFIG', 'SET', 'appendonly', 'maybe'],
  ['CONFIG', 'SET', 'appendonly', 'YES'],
  ['CONFIG', 'SET', 'appendfsync', 'no'],
  ['CONFIG', 'GET', 'appendfsync'],
  ['SET', 'k2', 'v'],
  ['CONFIG', 'SET', 'appendfsync', 'EVERYSEC'],
  ['CONFIG', 'GET', 'appendfsync'],
  ['CONFIG', 'GET', 'appendonly'],
];

test('CONFIG SET appendfsync switches at runtime; replies match redis-server; writes under each policy survive', async (t) => {
  const dir = tempDir(t);
  let ours: unknown[] = [];
  await withServer(dir, { appendonly: true, appendfsync: 'everysec' }, async (r) => {
    ours = await run(r, CONFIG_SCRIPT);
    assert.deepEqual(ours.slice(0, 3), ['OK', ['appendfsync', 'always'], 'OK']);
    // always: each reply waits for its fsync; many clients' writes in one turn share one.
    await r.config('SET', 'appendfsync', 'always');
    await Promise.all(Array.from({ length: 50 }, (_, i) => r.set(`always:${i}`, String(i))));
    assert.equal(infoField(await r.info('persistence'), 'aof_enabled'), '1');
    await r.config('SET', 'appendfsync', 'no');
    await r.set('under-no', '1');
    assert.deepEqual(await r.config('GET', 'appendfsync'), ['appendfsync', 'no']);
  });
  await withServer(dir, { appendonly: true }, async (r) => {
    assert.equal(await r.get('always:49'), '49');
    assert.equal(await r.get('under-no'), '1');
    assert.deepEqual(await r.mget('k1', 'k2'), ['v', 'v']);
  });
  if (!requireTool(t, 'redis-server')) return;
  const realDir = tempDir(t);
  const real = await startRealRedis(realDir, ['--appendonly', 'yes']);
  try {
    assert.deepEqual(ours, await run(real.client, CONFIG_SCRIPT));
  } finally {
    await real.stop();
  }
});

test('ephemeral mode: CONFIG SET appendonly yes is refused, no is accepted', async () => {
  const srv = await startRedis();
  const r = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
  try {
    await assert.rejects(
      r.config('SET', 'appendonly', 'yes'),
      /CONFIG SET failed \(possibly related to argument 'appendonly'\) - Unable to turn on AOF/,
    );
    assert.equal(await r.config('SET', 'appendonly', 'no'), 'OK');
    assert.equal(await r.config('SET', 'appendfsync', 'always'), 'OK');
    assert.deepEqual(await r.config('GET', 'appendfsync'), ['appendfsync', 'always']);
  } finally {
    r.disconnect();
    await srv.close();
  }
});
