/**
 * Fault tests for Redis persistence, against the real Nimbus Redis service in a child process:
 * - appendfsync always: kill -9 while a client streams writes; after restart on the same data dir
 *   every write that was acknowledged is there (replies wait for the AOF fsync).
 * - appendfsync everysec: same, and any acknowledged write that is missing was acknowledged within
 *   the last 2 s before the kill (Redis's documented bound).
 * - a torn AOF tail (crash mid-write, simulated by cutting the file mid-command) is cut at load
 *   (aof-load-truncated) and the server starts with everything before it.
 * - kill -9 during BGSAVE (RDB only) leaves the previous dump.rdb intact: restart loads exactly the
 *   last completed save (the new file only replaces it by an atomic rename once fsynced).
 * A kill -9 cannot drop the page cache, so these prove "acknowledged ⇒ written to the file" and
 * the loading side; the fsync itself is covered by the AOF unit tests' ordering checks.
 *
 * The same file is the child: with NIMBUS_REDIS_FAULT_CHILD set it runs the service and prints its
 * URL instead of defining tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startStandalone } from '../../src/platform/testing.js';
import { redisService } from '../../src/redis/index.js';

const CHILD_ENV = 'NIMBUS_REDIS_FAULT_CHILD';
const START_TIMEOUT_MS = 15_000;
const IN_FLIGHT = 64;

if (process.env[CHILD_ENV]) {
  const s = await startStandalone(redisService, {
    dataDir: process.env.NIMBUS_FAULT_DIR as string,
    config: {
      appendonly: process.env.NIMBUS_FAULT_FSYNC !== 'off',
      appendfsync: process.env.NIMBUS_FAULT_FSYNC === 'off' ? 'everysec' : process.env.NIMBUS_FAULT_FSYNC,
      save: '',
    },
  });
  process.stdout.write(`READY ${s.service.endpoints().redis}\n`);
} else {
  defineTests();
}

interface Child {
  proc: ChildProcess;
  port: number;
  exited: Promise<void>;
}

/** Keeps only loader flags (tsx under development), never the test runner's own flags. */
function loaderArgs(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    const arg = a[i] as string;
    if (/^--(import|require|loader|experimental-loader)$/.test(arg) || arg === '-r')
      out.push(arg, a[++i] as string);
    else if (/^--(import|require|loader|experimental-loader)=/.test(arg)) out.push(arg);
  }
  return out;
}

/** fsync 'off' runs with appendonly no (RDB only). */
async function startChild(dir: string, fsync: string): Promise<Child> {
  const proc = spawn(process.execPath, [...loaderArgs(), fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_ENV]: '1', NIMBUS_FAULT_DIR: dir, NIMBUS_FAULT_FSYNC: fsync },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${err}`)), START_TIMEOUT_MS);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY redis:\/\/[\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
  return { proc, port, exited };
}

function connect(port: number): Redis {
  return new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
}

interface StreamResult {
  acked: Map<number, number>; // i → ack time (ms)
  maxIncr: number;
  killedAtMs: number;
}

/** Streams SET k<i> v<i> and INCR counter with IN_FLIGHT outstanding; kills the child after killAfterAcks acks. */
async function writeUntilKilled(child: Child, killAfterAcks: number): Promise<StreamResult> {
  const c = connect(child.port);
  c.on('error', () => {});
  await c.connect();
  const acked = new Map<number, number>();
  let maxIncr = 0;
  let killedAtMs = 0;
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const i = next++;
      try {
        await c.set(`k${i}`, `v${i}`);
        acked.set(i, Date.now());
        maxIncr = Math.max(maxIncr, await c.incr('counter'));
      } catch {
        stop = true; // connection died with the server
      }
      if (acked.size >= killAfterAcks && killedAtMs === 0) {
        killedAtMs = Date.now();
        child.proc.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await child.exited;
  c.disconnect();
  return { acked, maxIncr, killedAtMs };
}

async function readBack(
  dir: string,
  fsync: string,
  n: number,
): Promise<{ present: Set<number>; counter: number }> {
  const child = await startChild(dir, fsync);
  const c = connect(child.port);
  try {
    await c.connect();
    const keys = Array.from({ length: n }, (_, i) => `k${i}`);
    const present = new Set<number>();
    const BATCH = 1000;
    for (let s = 0; s < keys.length; s += BATCH) {
      const vals = await c.mget(...keys.slice(s, s + BATCH));
      vals.forEach((v, j) => {
        if (v !== null) {
          assert.equal(v, `v${s + j}`);
          present.add(s + j);
        }
      });
    }
    return { present, counter: Number((await c.get('counter')) ?? 0) };
  } finally {
    c.disconnect();
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-fault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function defineTests(): void {
  test('appendfsync always: every acknowledged write survives kill -9', async (t) => {
    const dir = tempDir(t);
    const run = await writeUntilKilled(await startChild(dir, 'always'), 1500);
    assert.ok(run.acked.size >= 1500);
    const back = await readBack(dir, 'always', run.acked.size + IN_FLIGHT * 2);
    const lost = [...run.acked.keys()].filter((i) => !back.present.has(i));
    assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost`);
    assert.ok(back.counter >= run.maxIncr, `counter ${back.counter} < acknowledged ${run.maxIncr}`);
  });

  test('appendfsync everysec: writes lost to kill -9 are at most the last ~2 s', async (t) => {
    const dir = tempDir(t);
    const run = await writeUntilKilled(await startChild(dir, 'everysec'), 1500);
    const back = await readBack(dir, 'everysec', run.acked.size + IN_FLIGHT * 2);
    const lostOld = [...run.acked].filter(([i, at]) => !back.present.has(i) && run.killedAtMs - at > 2000);
    assert.deepEqual(lostOld, [], 'writes acknowledged more than 2 s before the kill were lost');
  });

  test('a torn AOF tail is cut at load and the server starts with everything before it', async (t) => {
    const dir = tempDir(t);
    const run = await writeUntilKilled(await startChild(dir, 'always'), 300);
    const aofDir = join(dir, 'appendonlydir');
    const incr = readdirSync(aofDir)
      .filter((f) => f.endsWith('.incr.aof'))
      .sort()
      .at(-1) as string;
    const size = statSync(join(aofDir, incr)).size;
    truncateSync(join(aofDir, incr), size - 5); // cut into the middle of the last command
    const back = await readBack(dir, 'always', run.acked.size + IN_FLIGHT * 2);
    assert.ok(statSync(join(aofDir, incr)).size < size - 5, 'the torn command should have been cut off');
    // Everything except the last logged command (at most one SET or INCR) is still there.
    const lost = [...run.acked.keys()].filter((i) => !back.present.has(i));
    assert.ok(lost.length <= 1, `lost ${lost.length}`);
  });

  test('kill -9 during BGSAVE keeps the previous dump.rdb intact', async (t) => {
    const dir = tempDir(t);
    const child = await startChild(dir, 'off');
    const c = connect(child.port);
    await c.connect();
    const N = 20_000;
    const BATCH = 1000;
    const mset = async (prefix: string): Promise<void> => {
      for (let s = 0; s < N; s += BATCH) {
        const args: string[] = [];
        for (let i = s; i < s + BATCH; i++) args.push(`k${i}`, `${prefix}${i}`.padEnd(100, '.'));
        await c.mset(...args);
      }
    };
    await mset('saved');
    assert.equal(await c.save(), 'OK');
    await mset('unsaved');
    assert.equal(await c.bgsave(), 'Background saving started');
    child.proc.kill('SIGKILL'); // while the sliced save is still writing its temp file
    await child.exited;
    c.disconnect();
    // The interrupted save left its temp file behind (as Redis's child does): proof it was mid-write.
    assert.ok(
      readdirSync(dir).some((f) => f.startsWith('temp-')),
      `files: ${readdirSync(dir).join(' ')}`,
    );
    const back = await startChild(dir, 'off');
    const r = connect(back.port);
    try {
      await r.connect();
      assert.equal(await r.dbsize(), N);
      for (const i of [0, 777, N - 1]) assert.equal(await r.get(`k${i}`), `saved${i}`.padEnd(100, '.'));
    } finally {
      r.disconnect();
      back.proc.kill('SIGKILL');
      await back.exited;
    }
  });
}
