// Debian's redis-cli and redis-benchmark against Nimbus: one-shot commands, -n (database), -3
// (RESP3 rendering of maps and doubles), commands on stdin (how scripts drive redis-cli),
// --scan, --pipe mass insertion, inline commands, and redis-benchmark's default test list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { requireTool } from '../../helpers/tools.js';
import { startRedis, type RedisUnderTest } from './harness.js';

let srv: RedisUnderTest;
before(async () => {
  srv = await startRedis();
});
after(async () => {
  await srv.close();
});

function run(tool: string, args: string[], input?: string | Buffer): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    p.stdin.end(input ?? '');
  });
}

test('redis-cli one-shot commands, -n, -3, stdin, --scan', async (t) => {
  const cli = requireTool(t, 'redis-cli');
  if (!cli) return;
  const p = ['-p', String(srv.port)];
  assert.equal((await run(cli, [...p, 'PING'])).out, 'PONG\n');
  assert.equal((await run(cli, [...p, '-n', '2', 'SET', 'cli:k', 'v'])).out, 'OK\n');
  assert.equal((await run(cli, [...p, '-n', '2', 'GET', 'cli:k'])).out, 'v\n');
  assert.equal((await run(cli, [...p, 'GET', 'cli:k'])).out, '\n', 'db 0 does not see db 2');
  await run(cli, [...p, 'HSET', 'cli:h', 'f', 'v']);
  assert.equal((await run(cli, [...p, '-3', '--no-raw', 'HGETALL', 'cli:h'])).out, '1# "f" => "v"\n');
  await run(cli, [...p, 'ZADD', 'cli:z', '1.5', 'm']);
  assert.equal((await run(cli, [...p, '-3', '--no-raw', 'ZSCORE', 'cli:z', 'm'])).out, '(double) 1.5\n');
  const piped = await run(cli, p, 'SET cli:n 10\nINCR cli:n\nGET cli:n\n');
  assert.equal(piped.out, 'OK\n11\n11\n');
  for (let i = 0; i < 30; i++) await run(cli, [...p, 'SET', `scan:${i}`, 'x']);
  const scanned = (await run(cli, [...p, '--scan', '--pattern', 'scan:*'])).out.trim().split('\n');
  assert.equal(new Set(scanned).size, 30);
  const err = await run(cli, [...p, 'LPUSH', 'cli:k0']);
  assert.match(err.out, /ERR wrong number of arguments for 'lpush' command/);
});

test('redis-cli --pipe mass insertion', async (t) => {
  const cli = requireTool(t, 'redis-cli');
  if (!cli) return;
  let payload = '';
  const n = 5000;
  for (let i = 0; i < n; i++) {
    const k = `mass:${i}`;
    const v = `value-${i}`;
    payload += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
  }
  const r = await run(cli, ['-p', String(srv.port), '--pipe'], payload);
  assert.match(r.out, new RegExp(`errors: 0, replies: ${n}`));
  assert.equal((await run(cli, ['-p', String(srv.port), 'GET', 'mass:4999'])).out, 'value-4999\n');
});

test('inline protocol and protocol errors over a raw socket', async () => {
  const { createConnection } = await import('node:net');
  const talk = (data: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = createConnection(srv.port, '127.0.0.1');
      let out = '';
      s.on('data', (d) => (out += d.toString('latin1')));
      s.on('close', () => resolve(out));
      s.on('error', reject);
      s.write(data);
      setTimeout(() => s.end(), 300);
    });
  assert.equal(await talk('PING\r\nECHO "a b"\r\n'), '+PONG\r\n$3\r\na b\r\n');
  assert.equal(await talk('*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n'), '+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n');
  assert.equal(await talk('*1\r\n+PING\r\n'), "-ERR Protocol error: expected '$', got '+'\r\n");
});

test('redis-benchmark default test list runs without errors', async (t) => {
  const bench = requireTool(t, 'redis-benchmark');
  if (!bench) return;
  const r = await run(bench, ['-p', String(srv.port), '-n', '200', '-c', '4', '--csv']);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out + r.err, /ERR|Error/);
  const tests = r.out.trim().split('\n').slice(1).map((l) => JSON.parse(`[${l}]`)[0] as string);
  for (const name of ['PING_INLINE', 'SET', 'GET', 'INCR', 'LPUSH', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'MSET (10 keys)'])
    assert.ok(tests.includes(name), `${name} ran`);
  const pipelined = await run(bench, ['-p', String(srv.port), '-n', '2000', '-c', '4', '-P', '16', '-t', 'set,get', '--csv']);
  assert.equal(pipelined.code, 0);
  assert.doesNotMatch(pipelined.out + pipelined.err, /ERR|Error/);
});
