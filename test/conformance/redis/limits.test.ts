// Connection limits and server policies over real sockets: maxclients, idle timeout (driven by a
// ManualClock), the client query buffer limit, the pub/sub output buffer limit for a client that
// stops reading, requirepass with AUTH and HELLO AUTH, maxmemory with noeviction (OOM) and
// allkeys-lru (evicts), and active expiry on clock ticks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { ManualClock } from '../../../src/platform/clock.js';
import { startStandalone } from '../../../src/platform/testing.js';
import { redisService } from '../../../src/redis/index.js';
import { startRedis } from './harness.js';
import { OUTPUT_PAUSE_READ_BYTES } from '../../../src/redis/server.js';
import { forceStreamWrites } from '../../../src/redis/socket-writer.js';
import type { LazyService } from '../../../src/platform/lazy-service.js';
import type { RedisService } from '../../../src/redis/index.js';

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(port, '127.0.0.1');
    s.on('connect', () => resolve(s));
    s.on('error', reject);
  });
}

function firstReply(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
      if (out.endsWith('\r\n')) resolve(out);
    });
    s.on('close', () => resolve(out));
  });
}

test('maxclients rejects the extra connection with Redis error text', async () => {
  const srv = await startRedis({ maxclients: 2 });
  try {
    const a = await connect(srv.port);
    const b = await connect(srv.port);
    const c = await connect(srv.port);
    assert.equal(await firstReply(c), '-ERR max number of clients reached\r\n');
    a.destroy();
    b.destroy();
    c.destroy();
  } finally {
    await srv.close();
  }
});

test('idle clients are closed after timeout seconds (ManualClock)', async () => {
  const clock = new ManualClock(Date.now());
  const svc = await startStandalone(redisService, {
    config: { timeout: 5, save: '' },
    clock,
    ephemeral: true,
  });
  try {
    const port = Number(new URL(svc.service.endpoints().redis as string).port);
    const s = await connect(port);
    s.resume();
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.write('PING\r\n');
    await sleep(50);
    clock.advance(4000);
    await sleep(20);
    assert.equal(s.destroyed, false, 'still open before the timeout');
    clock.advance(3000);
    await closed;
  } finally {
    await svc.close();
  }
});

test('a client over the query buffer limit is disconnected', async () => {
  const srv = await startRedis({ clientQueryBufferLimit: 1024 * 1024 });
  try {
    const s = await connect(srv.port);
    s.resume();
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => undefined);
    s.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n');
    const chunk = Buffer.alloc(64 * 1024, 97);
    for (let i = 0; i < 40 && !s.destroyed; i++) {
      s.write(chunk);
      await sleep(5);
    }
    await closed;
    const r = new Redis({ port: srv.port });
    assert.equal(await r.exists('k'), 0);
    r.disconnect();
  } finally {
    await srv.close();
  }
});

test('a subscriber that stops reading is dropped at the pubsub hard limit', async () => {
  const srv = await startRedis({ clientOutputBufferLimit: 'normal 0 0 0 replica 0 0 0 pubsub 1mb 512kb 60' });
  try {
    const sub = await connect(srv.port);
    sub.on('error', () => undefined);
    sub.write('*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n');
    await sleep(50);
    sub.pause();
    const closed = new Promise<void>((r) => sub.on('close', () => r()));
    const pub = new Redis({ port: srv.port });
    const msg = 'x'.repeat(64 * 1024);
    let dropped = false;
    sub.once('close', () => (dropped = true));
    for (let i = 0; i < 2000 && !dropped; i++) {
      const n = await pub.publish('ch', msg);
      if (n === 0) dropped = true;
    }
    assert.ok(dropped, 'subscriber was disconnected');
    sub.resume();
    await closed;
    pub.disconnect();
  } finally {
    await srv.close();
  }
});

test('requirepass: NOAUTH before AUTH, WRONGPASS, HELLO AUTH', async () => {
  const srv = await startRedis({ requirepass: 's3cret' });
  try {
    const r = new Redis({ port: srv.port, lazyConnect: true, enableReadyCheck: false, protocol: 2 } as never);
    await r.connect();
    await assert.rejects(r.get('k'), /NOAUTH Authentication required/);
    await assert.rejects(
      r.call('auth', 'nope'),
      /WRONGPASS invalid username-password pair or user is disabled/,
    );
    assert.equal(await r.call('auth', 's3cret'), 'OK');
    assert.equal(await r.set('k', 'v'), 'OK');
    r.disconnect();
    const r3 = new Redis({ port: srv.port, password: 's3cret' });
    assert.equal(await r3.get('k'), 'v');
    r3.disconnect();
  } finally {
    await srv.close();
  }
});

test('maxmemory: noeviction answers OOM; allkeys-lru evicts and keeps usage under the limit', async () => {
  const srv = await startRedis({ maxmemory: '2mb' });
  try {
    const r = new Redis({ port: srv.port });
    const big = 'x'.repeat(10000);
    let oom: Error | null = null;
    for (let i = 0; i < 400 && !oom; i++) await r.set(`k${i}`, big).catch((e: Error) => (oom = e));
    assert.match(String(oom), /OOM command not allowed when used memory > 'maxmemory'/);
    assert.equal(await r.get('k0'), big, 'reads still work');
    await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
    for (let i = 400; i < 800; i++) await r.set(`k${i}`, big);
    const info = await r.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    assert.ok(used <= 2 * 1024 * 1024, `used ${used}`);
    assert.match(await r.info('stats'), /evicted_keys:[1-9]/);
    assert.equal(await r.exists('k799'), 1);
    r.disconnect();
  } finally {
    await srv.close();
  }
});

test('active expiry removes keys nobody reads, on clock ticks', async () => {
  const clock = new ManualClock(Date.now());
  const svc = await startStandalone(redisService, { config: { save: '' }, clock, ephemeral: true });
  try {
    const port = Number(new URL(svc.service.endpoints().redis as string).port);
    const r = new Redis({ port });
    const p = r.pipeline();
    for (let i = 0; i < 2000; i++) p.set(`e${i}`, 'v', 'PX', 1000);
    await p.exec();
    assert.equal(await r.dbsize(), 2000);
    for (let i = 0; i < 50; i++) clock.advance(100);
    for (let i = 0; i < 30 && (await r.dbsize()) > 0; i++) clock.advance(100);
    assert.equal(await r.dbsize(), 0);
    assert.match(await r.info('stats'), /expired_keys:2000/);
    r.disconnect();
  } finally {
    await svc.close();
  }
});

test('a command handler that throws answers an error instead of crashing the host', async () => {
  const srv = await startRedis();
  try {
    const server = (srv.svc.service as LazyService<RedisService>).loaded?.running;
    assert.ok(server, 'the server is running');
    server.registry.register({
      lolwut: () => {
        throw new Error('boom');
      },
    });
    const r = new Redis({ port: srv.port });
    await assert.rejects(r.call('lolwut'), /ERR internal error in 'lolwut': boom/);
    assert.equal(await r.ping(), 'PONG');
    r.disconnect();
  } finally {
    await srv.close();
  }
});

for (const mode of ['direct', 'stream'] as const) {
  test(`a pipelining client that stops reading pauses the server's reads and then gets every reply in order (${mode} writes)`, async () => {
    forceStreamWrites(mode === 'stream');
    const srv = await startRedis();
    const redis = new Redis(srv.port, { lazyConnect: true });
    try {
      await redis.connect();
      const MB = 1024 * 1024;
      await redis.set('big', 'x'.repeat(MB));
      const GETS = 48;
      const s = await connect(srv.port);
      s.pause();
      // One request per read on the server (Redis, too, answers a whole read's worth at once).
      for (let i = 0; i < GETS; i++) {
        s.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n');
        await sleep(5);
      }
      s.write('*1\r\n$4\r\nPING\r\n');
      await sleep(300);
      // While the client does not read, the server holds at most OUTPUT_PAUSE_READ_BYTES plus one
      // reply: it stopped reading the rest of the pipeline.
      const list = (await redis.client('LIST')) as string;
      const line = list.split('\n').find((l) => !l.includes('cmd=client')) ?? '';
      const omem = Number(/omem=(\d+)/.exec(line)?.[1] ?? NaN);
      // Slack for requests that arrive together in one read on a loaded machine; without the
      // pause the server would hold all 48 MB.
      assert.ok(omem > OUTPUT_PAUSE_READ_BYTES / 2 && omem <= OUTPUT_PAUSE_READ_BYTES + 12 * MB, `omem=${omem}`);
      const reply = `$${MB}\r\n${'x'.repeat(MB)}\r\n`;
      const want = reply.length * GETS + '+PONG\r\n'.length;
      let got = 0;
      let tail = '';
      await new Promise<void>((resolve) => {
        s.on('data', (d: Buffer) => {
          got += d.length;
          tail = (tail + d.toString('latin1')).slice(-16);
          if (got >= want) resolve();
        });
        s.resume();
      });
      assert.equal(got, want);
      assert.ok(tail.endsWith('x\r\n+PONG\r\n'));
      s.destroy();
    } finally {
      forceStreamWrites(false);
      redis.disconnect();
      await srv.close();
    }
  });
}
