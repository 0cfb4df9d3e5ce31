// appendfsync always: a Nimbus process acknowledging writes is killed with SIGKILL mid-stream;
// after a restart on the same data dir every acknowledged write is present (the AOF tail may hold
// unacknowledged ones too). Runs the compiled service (dist/) in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const DIST = join(process.cwd(), 'dist', 'src');

function startChild(dir: string, port: number): ChildProcess {
  const code = `
    const { startStandalone } = await import(${JSON.stringify(join(DIST, 'platform', 'testing.js'))});
    const { redisService } = await import(${JSON.stringify(join(DIST, 'redis', 'index.js'))});
    await startStandalone(redisService, { config: { port: ${port}, save: '', appendfsync: 'always' }, dataDir: ${JSON.stringify(dir)} });
    process.stdout.write('ready\\n');`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function ready(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    p.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

test('appendfsync always: every acknowledged write survives kill -9', async (t) => {
  if (!existsSync(join(DIST, 'redis', 'index.js'))) {
    t.skip('dist/ not built');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-redis-kill-'));
  const port = 21000 + Math.floor(Math.random() * 20000);
  try {
    let child = startChild(dir, port);
    await ready(child);
    const r = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    const acked: number[] = [];
    const writer = (async () => {
      for (let i = 0; ; i++) {
        try {
          await r.set(`k${i}`, String(i));
          await r.rpush('log', String(i));
          acked.push(i);
        } catch {
          return;
        }
      }
    })();
    // Kill mid-stream once a few writes are acknowledged (fsync speed depends on the disk).
    for (let i = 0; i < 100 && acked.length < 20; i++) await new Promise((res) => setTimeout(res, 50));
    child.kill('SIGKILL');
    await writer;
    r.disconnect();
    assert.ok(acked.length > 0, `wrote ${acked.length} before the kill`);
    child = startChild(dir, port);
    await ready(child);
    const r2 = new Redis({ port });
    const log = await r2.lrange('log', 0, -1);
    for (const i of acked) {
      assert.equal(await r2.get(`k${i}`), String(i), `acknowledged write k${i} survived`);
      assert.equal(log[i], String(i));
    }
    r2.disconnect();
    child.kill('SIGKILL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
