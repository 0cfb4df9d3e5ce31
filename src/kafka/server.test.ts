/**
 * Proves the socket loop's limits with a stand-in dispatcher: reading stops at
 * INFLIGHT_REQUESTS_MAX requests in flight and resumes as they complete; responses leave in
 * request order even when handlers finish in reverse; a handler's unexpected error closes only
 * that connection; a frame whose API is still loading (Dispatcher.prepare) holds back the frames
 * behind it, which are then dispatched in arrival order, even after the client has closed; a
 * dispatcher's afterWrite functions run once the response is written, and never for a connection
 * that died first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { MetricsRegistry } from '../platform/metrics.js';
import { createLogger } from '../platform/logger.js';
import { encodeRequestFrame } from './protocol/request-frame.js';
import { ApiKey } from './protocol/messages.generated.js';
import type { RequestFrame } from './protocol/frame.js';
import { INFLIGHT_REQUESTS_MAX, KafkaServer, type DispatchResult } from './server.js';

interface Pending {
  frame: RequestFrame;
  resolve: (r: DispatchResult) => void;
  reject: (e: Error) => void;
  afterWrite?: (release: () => void) => void;
}

/** Stands in for Dispatcher.prepare: null (ready), or a promise the test settles. */
type Prepare = (frame: RequestFrame) => Promise<void> | null;

async function withServer(
  fn: (port: number, pending: Pending[]) => Promise<void>,
  prepare?: Prepare,
): Promise<void> {
  const pending: Pending[] = [];
  const server = new KafkaServer(
    {
      maxRequestBytes: 1 << 20,
      maxConnections: 10,
      logger: createLogger({ level: 'silent' }),
      metrics: new MetricsRegistry().scope('t_'),
    },
    {
      dispatch: (frame, _conn, afterWrite) =>
        new Promise<DispatchResult>((resolve, reject) =>
          pending.push({ frame, resolve, reject, ...(afterWrite ? { afterWrite } : {}) }),
        ),
      ...(prepare ? { prepare } : {}),
    },
  );
  await new Promise<void>((r) => server.net.listen(0, '127.0.0.1', r));
  const port = (server.net.address() as { port: number }).port;
  try {
    await fn(port, pending);
  } finally {
    await server.close();
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
  });
}

const tick = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
const frame = (id: number): Buffer => encodeRequestFrame(ApiKey.ApiVersions, 0, id, 't', {});

test('reading pauses at the in-flight limit and resumes as requests complete', async () => {
  await withServer(async (port, pending) => {
    const s = await open(port);
    s.on('data', () => {});
    s.write(Buffer.concat(Array.from({ length: INFLIGHT_REQUESTS_MAX + 10 }, (_, i) => frame(i))));
    await tick(200);
    assert.equal(pending.length, INFLIGHT_REQUESTS_MAX);
    for (const p of pending.splice(0, 5)) p.resolve((w) => w.int16(0));
    await tick(200);
    assert.equal(pending.length, INFLIGHT_REQUESTS_MAX, 'five more dispatched after five completed');
    s.destroy();
  });
});

test('responses leave in request order when handlers finish in reverse', async () => {
  await withServer(async (port, pending) => {
    const s = await open(port);
    const ids: number[] = [];
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        ids.push(buf.readInt32BE(4));
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
    });
    s.write(Buffer.concat([1, 2, 3].map(frame)));
    await tick();
    assert.equal(pending.length, 3);
    for (const p of [...pending].reverse()) {
      p.resolve((w) => w.int16(0));
      await tick(20);
    }
    await tick();
    assert.deepEqual(ids, [1, 2, 3]);
    s.destroy();
  });
});

test('an unexpected handler error closes that connection only', async () => {
  await withServer(async (port, pending) => {
    const bad = await open(port);
    const good = await open(port);
    const closed = new Promise<void>((r) => bad.on('close', () => r()));
    bad.write(frame(1));
    good.write(frame(2));
    let answered = false;
    good.on('data', () => (answered = true));
    await tick();
    pending.find((p) => p.frame.correlationId === 1)!.reject(new Error('boom'));
    await closed;
    pending.find((p) => p.frame.correlationId === 2)!.resolve((w) => w.int16(0));
    await tick();
    assert.ok(answered);
    good.destroy();
  });
});

/** A prepare() that holds frames with correlation id 1 until `release` is called. */
function gate(): { prepare: Prepare; release: (ok: boolean) => void } {
  let release: (ok: boolean) => void = () => {};
  const p = new Promise<void>((resolve, reject) => {
    release = (ok) => (ok ? resolve() : reject(new Error('import failed')));
  });
  p.catch(() => {});
  let loaded = false;
  p.then(
    () => (loaded = true),
    () => {},
  );
  return { prepare: (f) => (f.correlationId === 1 && !loaded ? p : null), release };
}

test('frames behind one whose API is loading wait, then dispatch in arrival order', async () => {
  const g = gate();
  await withServer(async (port, pending) => {
    const s = await open(port);
    s.write(Buffer.concat([1, 2, 3].map(frame)));
    await tick();
    assert.equal(pending.length, 0, 'nothing dispatched while the first frame waits');
    // The client closes before the module is in: frames already received are still served.
    s.end();
    await tick();
    g.release(true);
    await tick();
    assert.deepEqual(
      pending.map((p) => p.frame.correlationId),
      [1, 2, 3],
    );
    for (const p of pending) p.resolve((w) => w.int16(0));
  }, g.prepare);
});

test('a failed module load closes the connection', async () => {
  const g = gate();
  await withServer(async (port, pending) => {
    const s = await open(port);
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.write(Buffer.concat([1, 2].map(frame)));
    await tick();
    g.release(false);
    await closed;
    assert.equal(pending.length, 0);
  }, g.prepare);
});

test('afterWrite runs once the response is written, not for a connection that died first', async () => {
  await withServer(async (port, pending) => {
    const s = await open(port);
    const got = new Promise<void>((r) => s.once('data', () => r()));
    s.write(frame(1));
    await tick();
    let released = 0;
    pending[0]!.afterWrite!(() => released++);
    assert.equal(released, 0, 'nothing runs before the response exists');
    pending[0]!.resolve((w) => w.raw(Buffer.alloc(64 * 1024, 7)));
    await got;
    await tick();
    assert.equal(released, 1);
    const dead = await open(port);
    dead.write(frame(2));
    await tick();
    const p = pending.find((x) => x.frame.correlationId === 2)!;
    let deadReleased = 0;
    p.afterWrite!(() => deadReleased++);
    dead.destroy();
    await tick();
    p.resolve((w) => w.int16(0));
    await tick();
    assert.equal(deadReleased, 0);
    s.destroy();
  });
});
