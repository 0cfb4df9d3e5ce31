// Proves the ServiceHost contract: dependency order, reverse stop, states, and that a service which
// fails to start is cleaned up (no half-bound port) before the host stops or carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { z } from 'zod/v3';
import { ManualClock } from './clock.js';
import { hostConfigSchema } from './config.js';
import { DataDir } from './data-dir.js';
import { dependencyOrder, ServiceHost } from './host.js';
import { createLogger } from './logger.js';
import { MetricsRegistry } from './metrics.js';
import type { ServiceDefinition } from './service.js';

const events: string[] = [];

/** A real TCP service that binds `ports` listeners, optionally failing after binding the first. */
function tcpService(
  name: string,
  opts: { dependsOn?: string[]; ports?: number[]; failAfterFirst?: boolean } = {},
): ServiceDefinition<object> {
  return {
    name,
    description: 'test tcp service',
    configSchema: z.object({}),
    ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}),
    create(ctx) {
      const servers: Server[] = [];
      const bound: number[] = [];
      return {
        async start() {
          events.push(`start ${name}`);
          for (const [i, port] of (opts.ports ?? [0]).entries()) {
            if (i === 1 && opts.failAfterFirst) throw new Error('second listener refused');
            const s = createServer((c) => c.end());
            servers.push(s);
            bound.push(await ctx.listen(s, port));
          }
        },
        async stop() {
          events.push(`stop ${name}`);
          await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
          servers.length = 0;
        },
        health: () => ({ state: 'ready' }),
        endpoints: () => Object.fromEntries(bound.map((p, i) => [`${name}${i}`, `tcp://127.0.0.1:${p}`])),
      };
    },
  };
}

function makeHost(defs: ServiceDefinition[], onServiceFailure: 'exit' | 'continue' = 'exit') {
  const dataDir = DataDir.open({ dataDir: '', ephemeral: true });
  const host = new ServiceHost(defs, {
    config: hostConfigSchema.parse({ onServiceFailure }),
    serviceConfigs: Object.fromEntries(defs.map((d) => [d.name, {}])),
    dataDir,
    logger: createLogger({ level: 'silent' }),
    clock: new ManualClock(),
    metrics: new MetricsRegistry(),
    gateway: { register: () => undefined, baseUrl: () => null },
  });
  return { host, dataDir };
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

test('dependency order puts dependencies first and rejects cycles and unknown names', () => {
  const order = dependencyOrder([
    tcpService('c', { dependsOn: ['b'] }),
    tcpService('b', { dependsOn: ['a'] }),
    tcpService('a'),
  ]);
  assert.deepEqual(
    order.map((d) => d.name),
    ['a', 'b', 'c'],
  );
  assert.throws(
    () => dependencyOrder([tcpService('a', { dependsOn: ['b'] }), tcpService('b', { dependsOn: ['a'] })]),
    /cycle/,
  );
  assert.throws(
    () => dependencyOrder([tcpService('a', { dependsOn: ['zz'] })]),
    /depends on zz, which is not enabled/,
  );
});

test('starts in dependency order, stops in reverse, reports states', async () => {
  events.length = 0;
  const { host, dataDir } = makeHost([tcpService('app', { dependsOn: ['db'] }), tcpService('db')]);
  await host.start();
  assert.deepEqual(events, ['start db', 'start app']);
  assert.deepEqual(
    host.status().map((s) => [s.name, s.state]),
    [
      ['db', 'ready'],
      ['app', 'ready'],
    ],
  );
  const port = Number(new URL(host.endpoints().db0 ?? '').port);
  assert.ok(await portOpen(port));
  await host.stop();
  assert.deepEqual(events.slice(2), ['stop app', 'stop db']);
  assert.deepEqual(
    host.status().map((s) => s.state),
    ['stopped', 'stopped'],
  );
  assert.equal(await portOpen(port), false);
  dataDir.close();
});

test('a failing service is cleaned up, named in the error, and the others stop (exit policy)', async () => {
  events.length = 0;
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as { port: number }).port;
  const { host, dataDir } = makeHost([tcpService('first'), tcpService('second', { ports: [taken] })]);
  await assert.rejects(host.start(), /service second failed to start: port \d+ in use/);
  assert.deepEqual(events, ['start first', 'start second', 'stop second', 'stop first']);
  assert.equal(host.status().find((s) => s.name === 'second')?.state, 'failed');
  blocker.close();
  dataDir.close();
});

test('a service that fails after binding one port releases it (no half-bound ports)', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const { host, dataDir } = makeHost([tcpService('half', { ports: [port, 0], failAfterFirst: true })]);
  await assert.rejects(host.start(), /second listener refused/);
  assert.equal(await portOpen(port), false);
  dataDir.close();
});

test('continue policy keeps the others running and fails dependents', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as { port: number }).port;
  const { host, dataDir } = makeHost(
    [tcpService('ok'), tcpService('bad', { ports: [taken] }), tcpService('needsBad', { dependsOn: ['bad'] })],
    'continue',
  );
  await host.start();
  const states = Object.fromEntries(host.status().map((s) => [s.name, [s.state, s.detail]]));
  assert.equal(states.ok?.[0], 'ready');
  assert.equal(states.bad?.[0], 'failed');
  assert.match(String(states.bad?.[1]), /in use/);
  assert.deepEqual(states.needsBad, ['failed', 'dependency bad failed']);
  await host.stop();
  blocker.close();
  dataDir.close();
});
