// Proves the `nimbus` command as a user meets it, over real processes and sockets: the --json ready
// line, the admin API over HTTP, a clean SIGTERM stop that frees every port and removes the
// ephemeral dir, port-in-use and data-dir-lock failures that name the cause, and `nimbus config`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist/src/cli/bin.js');
const ENV = { ...process.env, NIMBUS_LOG_LEVEL: 'warn' };

interface Ready {
  ready: boolean;
  endpoints: Record<string, string>;
  pid: number;
  dataDir: string;
  error?: string;
}

/** Starts `nimbus up --json ...` and resolves with the parsed ready line. */
function up(args: string[]): Promise<{ child: ChildProcess; ready: Ready; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'up', '--json', ...args], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 20 s; stderr: ${err}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(out.slice(0, nl)) as Ready, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('\n')) reject(new Error(`exited ${code} before ready; stderr: ${err}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.on('exit', (code) => r(code)));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

test('up --json prints exactly one ready line; admin API answers; SIGTERM stops cleanly', async () => {
  const { child, ready } = await up(['--ephemeral', '--gateway-port', '0', '--services', 'gateway']);
  assert.equal(ready.ready, true);
  assert.equal(ready.pid, child.pid);
  assert.match(ready.endpoints.gateway ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(existsSync(ready.dataDir));
  const base = ready.endpoints.gateway as string;

  const health = await fetch(`${base}/_nimbus/health`);
  assert.equal(health.status, 200);
  const h = (await health.json()) as {
    status: string;
    services: Record<string, { state: string; endpoints: Record<string, string> }>;
  };
  assert.equal(h.status, 'ok');
  assert.equal(h.services.gateway?.state, 'ready');
  assert.equal(h.services.gateway?.endpoints.gateway, base);

  const metrics = await fetch(`${base}/_nimbus/metrics`);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await metrics.text();
  assert.match(text, /^nimbus_process_resident_memory_bytes \d+$/m);
  assert.match(text, /^nimbus_service_state\{service="gateway"\} 1$/m);

  const info = (await (await fetch(`${base}/_nimbus/info`)).json()) as Record<string, unknown>;
  assert.equal(info.pid, child.pid);
  assert.equal(info.dataDir, ready.dataDir);
  assert.match(String(info.version), /^\d+\.\d+\.\d+/);
  assert.equal((await fetch(`${base}/_nimbus/nope`)).status, 404);
  assert.equal((await fetch(`${base}/_nimbus/health`, { method: 'POST' })).status, 405);

  const st = spawnSync(process.execPath, [CLI, 'status', '--gateway', base], { encoding: 'utf8', env: ENV });
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /gateway\s+ready\s+http:\/\/127\.0\.0\.1/);

  const port = Number(new URL(base).port);
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0);
  assert.equal(await portOpen(port), false, 'the gateway port is closed after stop');
  assert.equal(existsSync(ready.dataDir), false, 'the ephemeral data dir is removed');
});

test('a port in use fails the start with exit 1 and a message naming the service and port', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as { port: number }).port;
  const r = spawnSync(process.execPath, [CLI, 'up', '--ephemeral', '--gateway-port', String(taken)], {
    encoding: 'utf8',
    env: ENV,
    timeout: 20_000,
  });
  blocker.close();
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`service gateway failed to start: port ${taken} in use`));
});

test('two hosts cannot share a data dir; the error names the PID holding it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-lock-'));
  const first = await up(['--data-dir', dir, '--gateway-port', '0', '--services', 'gateway']);
  const second = spawnSync(
    process.execPath,
    [CLI, 'up', '--data-dir', dir, '--gateway-port', '0', '--services', 'gateway'],
    {
      encoding: 'utf8',
      env: ENV,
      timeout: 20_000,
    },
  );
  assert.equal(second.status, 1);
  assert.match(
    second.stderr,
    new RegExp(`data dir ${dir} is in use by another Nimbus host \\(pid ${first.child.pid}\\)`),
  );
  first.child.kill('SIGINT');
  assert.equal(await exited(first.child), 0);
  assert.equal(existsSync(join(dir, 'nimbus.lock')), false, 'the lock is released on stop');
});

test('bad config exits 2 with the key named; nimbus config shows sources', () => {
  const bad = spawnSync(process.execPath, [CLI, 'up', '--ephemeral', '--gateway-port', 'http'], {
    encoding: 'utf8',
    env: ENV,
  });
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /config key gateway\.port: got "http" \(from flag --gateway-port\), expected number/,
  );

  const cfg = spawnSync(process.execPath, [CLI, 'config', '--gateway-port', '4000'], {
    encoding: 'utf8',
    env: { ...ENV, NIMBUS_HOST: '127.0.0.2' },
    cwd: mkdtempSync(join(tmpdir(), 'nimbus-cfgcli-')),
  });
  assert.equal(cfg.status, 0, cfg.stderr);
  assert.match(cfg.stdout, /gateway\.port\s+4000\s+flag --gateway-port/);
  assert.match(cfg.stdout, /host\s+"127\.0\.0\.2"\s+env NIMBUS_HOST/);
  assert.match(cfg.stdout, /dataDir\s+"\.\/\.nimbus"\s+default/);

  const v = spawnSync(process.execPath, [CLI, 'version'], { encoding: 'utf8' });
  assert.match(v.stdout, /^nimbus \d+\.\d+\.\d+ \(node v\d+/);
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /Examples:/);
});
