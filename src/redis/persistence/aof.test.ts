/**
 * Proves: appends replay with their databases; appendfsync always resolves durable() only after
 * the bytes are in the file; a torn tail and an unterminated MULTI are cut and reported (or refused
 * with aof-load-truncated off); BGREWRITEAOF compacts into a new base while writes continue, swaps
 * the manifest and deletes old files; real redis-server 7 loads our appendonlydir and we load its.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AofManager, type AppendFsync, type AofLoadReport } from './aof.js';
import { AofFormatError } from './errors.js';
import { Snapshots } from './snapshot.js';
import { MapKeyspace } from './test-keyspace.js';
import { SystemClock } from '../../platform/clock.js';
import { startRealRedis } from './real-redis-harness.js';
import { requireTool } from '../../../test/helpers/tools.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cmd = (...a: string[]): Buffer[] => a.map(b);
const clock = new SystemClock();

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-aof-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(dir: string, fsync: AppendFsync = 'everysec', loadTruncated = true) {
  const ks = new MapKeyspace(16, (k) => new Snapshots(k));
  const aof = new AofManager({ dir, fsync, clock, loadTruncated });
  const seen: Array<[number, string]> = [];
  const report: AofLoadReport = aof.load({
    entry: (e) => ks.load(e),
    command: (db, argv) => {
      seen.push([db, argv.map(String).join(' ')]);
      ks.apply(db, argv);
    },
  });
  return { ks, aof, seen, report };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('appends replay in order with their databases', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  assert.equal(a.report.existed, false);
  a.aof.append(0, cmd('SET', 'a', '1'));
  a.aof.append(2, cmd('SET', 'b', '2'));
  a.aof.append(2, cmd('RPUSH', 'l', 'x', 'y'));
  await tick();
  a.aof.append(0, cmd('DEL', 'a'));
  a.aof.close();
  assert.deepEqual(readdirSync(join(dir, 'appendonlydir')).sort(), [
    'appendonly.aof.1.incr.aof',
    'appendonly.aof.manifest',
  ]);
  assert.equal(
    readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
    'file appendonly.aof.1.incr.aof seq 1 type i\n',
  );
  const r = open(dir);
  assert.equal(r.report.existed, true);
  assert.deepEqual(r.seen, [
    [0, 'SET a 1'],
    [2, 'SET b 2'],
    [2, 'RPUSH l x y'],
    [0, 'DEL a'],
  ]);
  // Reopened: the next append goes to the same file after a fresh SELECT.
  r.aof.append(2, cmd('SET', 'c', '3'));
  r.aof.close();
  assert.deepEqual(open(dir).seen.at(-1), [2, 'SET c 3']);
});

test('always: durable() resolves only once the command is in the file; null when idle', async (t) => {
  const dir = tempDir(t);
  const a = open(dir, 'always');
  t.after(() => a.aof.close());
  assert.equal(a.aof.durable(), null);
  const file = join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  a.aof.append(0, cmd('SET', 'k', 'v'));
  const p = a.aof.durable();
  assert.ok(p);
  assert.equal(statSync(file).size, 0); // nothing written within the turn
  await p;
  assert.match(readFileSync(file, 'latin1'), /SET\r\n\$1\r\nk\r\n\$1\r\nv\r\n$/);
  // Many appends in one turn share one promise (group commit).
  for (let i = 0; i < 100; i++) a.aof.append(0, cmd('SET', `k${i}`, 'v'));
  assert.equal(a.aof.durable(), a.aof.durable());
  await a.aof.durable();
  assert.equal(a.aof.durable(), null);
});

test('setFsync switches the policy at once; a waiter taken under always still resolves after a switch', async (t) => {
  const dir = tempDir(t);
  const a = open(dir, 'no');
  const file = join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  a.aof.append(0, cmd('SET', 'a', '1'));
  assert.equal(a.aof.durable(), null, 'appendfsync no: replies never wait');
  a.aof.setFsync('always');
  assert.equal(a.aof.fsync, 'always');
  a.aof.append(0, cmd('SET', 'b', '2'));
  const p = a.aof.durable();
  assert.ok(p, 'always: the reply waits for the fsync');
  a.aof.setFsync('everysec');
  await p;
  assert.match(readFileSync(file, 'latin1'), /\r\nb\r\n\$1\r\n2\r\n$/);
  a.aof.append(0, cmd('SET', 'c', '3'));
  assert.equal(a.aof.durable(), null, 'everysec: replies do not wait');
  a.aof.close();
  assert.deepEqual(open(dir).seen.map((x) => x[1]), ['SET a 1', 'SET b 2', 'SET c 3']);
});

test('adopt + first rewrite: writes collect in an unlisted temp incr until the base exists, then the manifest appears', async (t) => {
  const dir = tempDir(t);
  const ks = new MapKeyspace(16, (k) => new Snapshots(k));
  for (let i = 0; i < 2000; i++) ks.apply(0, cmd('SET', `k${i}`, 'v'));
  const aof = new AofManager({ dir, fsync: 'always', clock });
  assert.equal(aof.hasManifest(), false);
  aof.adopt();
  aof.append(0, cmd('SET', 'dropped-before-rewrite', '1')); // the coming base holds it
  const rw = aof.rewrite(ks.snaps);
  assert.equal(aof.waitingForFirstRewrite, true);
  ks.apply(0, cmd('SET', 'during', '1'));
  aof.append(0, cmd('SET', 'during', '1'));
  await aof.durable();
  // A crash now would find no manifest (a restart loads dump.rdb), never an AOF without the data.
  const during = readdirSync(join(dir, 'appendonlydir'));
  assert.ok(during.includes('temp-appendonly.aof.incr'), during.join());
  assert.ok(!during.includes('appendonly.aof.manifest'), during.join());
  await rw;
  assert.equal(aof.waitingForFirstRewrite, false);
  aof.append(0, cmd('SET', 'after', '1'));
  ks.apply(0, cmd('SET', 'after', '1'));
  aof.close();
  assert.deepEqual(readdirSync(join(dir, 'appendonlydir')).sort(), [
    'appendonly.aof.1.base.rdb',
    'appendonly.aof.1.incr.aof',
    'appendonly.aof.manifest',
  ]);
  const r = open(dir);
  r.aof.close();
  assert.deepEqual(r.seen.map((x) => x[1]), ['SET during 1', 'SET after 1']);
  assert.equal(r.report.baseKeys, 2000);
  assert.deepEqual(r.ks.dump(), ks.dump());
});

test('close() during the first rewrite deletes the temp incr and the partial base, keeping the old files', async (t) => {
  const dir = tempDir(t);
  const old = open(dir);
  old.aof.append(0, cmd('SET', 'old', '1'));
  old.aof.close();
  const before = readdirSync(join(dir, 'appendonlydir')).sort();
  const ks = new MapKeyspace(16, (k) => new Snapshots(k));
  for (let i = 0; i < 2000; i++) ks.apply(0, cmd('SET', `k${i}`, 'v'));
  const aof = new AofManager({ dir, fsync: 'everysec', clock });
  aof.adopt();
  const rw = aof.rewrite(ks.snaps);
  aof.append(0, cmd('SET', 'x', '1'));
  aof.close();
  await assert.rejects(rw, /aborted/);
  assert.deepEqual(readdirSync(join(dir, 'appendonlydir')).sort(), before);
  assert.deepEqual(open(dir).seen, [[0, 'SET old 1']]);
});

test('a torn tail is cut and reported; refused when aof-load-truncated is off', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  a.aof.append(0, cmd('SET', 'a', '1'));
  a.aof.close();
  const file = join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  const good = statSync(file).size;
  appendFileSync(file, '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nhel');
  assert.throws(() => open(dir, 'everysec', false), AofFormatError);
  const r = open(dir);
  r.aof.close();
  assert.equal(r.report.truncatedBytes, 27);
  assert.equal(r.report.truncatedFile, 'appendonly.aof.1.incr.aof');
  assert.deepEqual(r.seen, [[0, 'SET a 1']]);
  assert.equal(statSync(file).size, good); // the torn bytes were cut from the file
  // An unterminated MULTI is rolled back the same way.
  appendFileSync(file, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n');
  const m = open(dir);
  m.aof.close();
  assert.deepEqual(m.seen, [[0, 'SET a 1']]);
  assert.ok(m.report.truncatedBytes > 0);
  // A complete MULTI/EXEC replays its commands.
  appendFileSync(file, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n');
  assert.deepEqual(open(dir).seen, [
    [0, 'SET a 1'],
    [0, 'SET m 1'],
  ]);
  // Garbage that is not a torn tail is a format error even with truncation tolerated.
  appendFileSync(file, 'garbage\r\n*1\r\n$4\r\nPING\r\n');
  assert.throws(() => open(dir), AofFormatError);
});

test('BGREWRITEAOF: new base from a point-in-time snapshot while writes continue', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  for (let i = 0; i < 20_000; i++) {
    const argv = cmd('SET', `k${i % 5000}`, `v${i}`);
    a.aof.append(i % 2, argv);
    a.ks.apply(i % 2, argv);
  }
  await tick();
  const before = a.aof.stats().currentBytes;
  const rw = a.aof.rewrite(a.ks.snaps);
  assert.equal(a.aof.rewriting, true);
  await assert.rejects(a.aof.rewrite(a.ks.snaps), /already in progress/);
  // Writes during the rewrite: in the keyspace and the new incr file, not in the base.
  for (let i = 0; i < 100; i++) {
    const argv = cmd('SET', `k${i}`, 'during');
    a.ks.apply(0, argv);
    a.aof.append(0, argv);
    if (i % 10 === 0) await tick();
  }
  const res = await rw;
  const expected = a.ks.dump();
  a.aof.close();
  assert.equal(res.baseFile, 'appendonly.aof.1.base.rdb');
  assert.equal(res.keys, 5000);
  assert.ok(a.aof.stats().currentBytes < before, 'rewrite should shrink the AOF');
  assert.deepEqual(readdirSync(join(dir, 'appendonlydir')).sort(), [
    'appendonly.aof.1.base.rdb',
    'appendonly.aof.2.incr.aof',
    'appendonly.aof.manifest',
  ]);
  assert.equal(
    readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
    'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
  );
  const r = open(dir);
  r.aof.close();
  assert.equal(r.report.baseKeys, 5000);
  assert.equal(r.report.commands, 100);
  assert.deepEqual(r.ks.dump(), expected);
});

test('real redis-server 7 loads our appendonlydir (RDB base + incr)', async (t) => {
  if (!requireTool(t, 'redis-server')) return;
  const dir = tempDir(t);
  const a = open(dir);
  a.ks.apply(0, cmd('SET', 'base', 'from-base'));
  a.ks.apply(1, cmd('RPUSH', 'l', 'a', 'b'));
  await a.aof.rewrite(a.ks.snaps);
  a.aof.append(0, cmd('SET', 'incr', 'from-incr'));
  a.aof.append(1, cmd('RPUSH', 'l', 'c'));
  a.aof.close();
  const real = await startRealRedis(dir, ['--appendonly', 'yes']);
  t.after(() => real.stop());
  assert.equal(await real.client.get('base'), 'from-base');
  assert.equal(await real.client.get('incr'), 'from-incr');
  await real.client.select(1);
  assert.deepEqual(await real.client.lrange('l', 0, -1), ['a', 'b', 'c']);
});

test('we load an appendonlydir written by real redis-server 7', async (t) => {
  if (!requireTool(t, 'redis-server')) return;
  const dir = tempDir(t);
  const real = await startRealRedis(dir, ['--appendonly', 'yes', '--appendfsync', 'always']);
  t.after(() => real.stop());
  const c = real.client;
  await c.set('before', '1');
  await c.rpush('l', 'a', 'b');
  await c.bgrewriteaof();
  for (let i = 0; i < 100; i++) {
    const info = await c.info('persistence');
    if (/aof_rewrite_in_progress:0/.test(info) && !/aof_rewrite_scheduled:1/.test(info)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.set('after', '2');
  await c.select(3);
  await c.set('x', 'y');
  await c.pexpire('x', 100_000);
  await real.stop();
  const r = open(dir);
  r.aof.close();
  assert.ok(r.report.baseKeys >= 2, `base keys ${r.report.baseKeys}`);
  // Commands are logged as the client spelled them (ioredis sends lowercase).
  const seen = r.seen.map(([db, c]) => [db, c.toLowerCase()]);
  assert.deepEqual(seen.slice(0, 2), [
    [0, 'set after 2'],
    [3, 'set x y'],
  ]);
  assert.match(String(seen[2]?.[1]), /^pexpireat x \d+$/); // Redis logs relative TTLs as absolute
  assert.equal(r.ks.dump().get('0:before'), '1');
  assert.equal(r.ks.dump().get('0:l'), 'a,b');
});

test('a manifest naming a missing file is a typed error (except a missing last incr)', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  a.ks.apply(0, cmd('SET', 'a', '1'));
  await a.aof.rewrite(a.ks.snaps);
  a.aof.close();
  const aofDir = join(dir, 'appendonlydir');
  rmSync(join(aofDir, 'appendonly.aof.2.incr.aof'));
  const r = open(dir); // last incr missing: recreated on open
  r.aof.close();
  assert.equal(r.report.baseKeys, 1);
  rmSync(join(aofDir, 'appendonly.aof.1.base.rdb'));
  assert.throws(() => open(dir), AofFormatError);
});

test('we load a RESP base written by redis-server with aof-use-rdb-preamble no', async (t) => {
  if (!requireTool(t, 'redis-server')) return;
  const dir = tempDir(t);
  const real = await startRealRedis(dir, ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
  t.after(() => real.stop());
  const c = real.client;
  await c.set('k', 'v');
  await c.rpush('l', 'a', 'b', 'c');
  await c.bgrewriteaof();
  for (
    let i = 0;
    i < 100 && !readdirSync(join(dir, 'appendonlydir')).some((f) => f.endsWith('.base.aof'));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.set('after', '1');
  await real.stop();
  const r = open(dir);
  r.aof.close();
  assert.equal(r.report.baseKeys, 0); // no RDB part
  assert.match(String(r.report.files[0]), /\.base\.aof$/);
  assert.deepEqual([...r.ks.dump()].sort(), [
    ['0:after', '1'],
    ['0:k', 'v'],
    ['0:l', 'a,b,c'],
  ]);
});

test('fuzz: random bytes after a valid log load with truncation or fail with AofFormatError', (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  a.aof.append(0, cmd('SET', 'a', '1'));
  a.aof.close();
  const file = join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  const valid = readFileSync(file);
  const tails = fc.oneof(
    fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.from(u)),
    fc
      .constantFrom(
        '*1\r\n$5\r\nMULTI\r\n',
        '*2\r\n$6\r\nSELECT\r\n$2\r\n99\r\n',
        '#TS:1\r\n',
        '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n',
      )
      .map(b),
  );
  fc.assert(
    fc.property(fc.array(tails, { maxLength: 3 }), (parts) => {
      writeFileSync(file, Buffer.concat([valid, ...parts]));
      try {
        const r = open(dir, 'no');
        r.aof.close();
        assert.equal(r.seen[0]?.[1], 'SET a 1');
      } catch (e) {
        if (!(e instanceof AofFormatError)) throw e;
      }
    }),
    { numRuns: 150 },
  );
});
