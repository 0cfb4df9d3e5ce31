/**
 * Test support: runs Debian's redis-server on a free port over a given directory, so persistence
 * tests can check our files against the real thing. Not used by the server itself.
 *
 * API: startRealRedis(dir, args) → { port, client (ioredis), stop() }; freePort().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface RealRedis {
  port: number;
  client: Redis;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server over dir; extra args are passed as `--name value` pairs. */
export async function startRealRedis(dir: string, extra: string[] = []): Promise<RealRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...extra];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('Ready to accept connections')) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  return {
    port,
    client,
    proc,
    log: () => output,
    async stop() {
      client.disconnect();
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
