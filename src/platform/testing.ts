/**
 * Test helpers for running one service on its own, without the host: a real context with a temp
 * data dir, ephemeral ports on 127.0.0.1, a silent logger and (optionally) a ManualClock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from './clock.js';
import { SystemClock } from './clock.js';
import { listenOn } from './listen.js';
import { createLogger } from './logger.js';
import { MetricsRegistry } from './metrics.js';
import type { GatewayRoute, Service, ServiceContext, ServiceDefinition } from './service.js';

export interface StandaloneService<C> {
  service: Service;
  context: ServiceContext<C>;
  metrics: MetricsRegistry;
  routes: GatewayRoute[];
  /** Stops the service and removes its temp dir (unless keepDataDir). */
  close(): Promise<void>;
}

export interface StandaloneOptions<C> {
  config?: Partial<C> | Record<string, unknown>;
  clock?: Clock;
  dataDir?: string;
  ephemeral?: boolean;
  keepDataDir?: boolean;
  gatewayBaseUrl?: string;
}

export async function startStandalone<C>(
  def: ServiceDefinition<C>,
  opts: StandaloneOptions<C> = {},
): Promise<StandaloneService<C>> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `nimbus-${def.name}-`));
  const metrics = new MetricsRegistry();
  const routes: GatewayRoute[] = [];
  const portDefaults: Record<string, unknown> = def.portKey ? { [def.portKey]: 0 } : {};
  const config = def.configSchema.parse({ ...portDefaults, ...(opts.config ?? {}) });
  const context: ServiceContext<C> = {
    name: def.name,
    config,
    logger: createLogger({ level: (process.env.NIMBUS_TEST_LOG as 'info' | undefined) ?? 'silent' }).child({
      service: def.name,
    }),
    clock: opts.clock ?? new SystemClock(),
    metrics: metrics.scope(`nimbus_${def.name}_`),
    dataDir,
    ephemeral: opts.ephemeral ?? false,
    bindHost: '127.0.0.1',
    gateway: {
      register: (r) => void routes.push(r),
      baseUrl: () => opts.gatewayBaseUrl ?? null,
    },
    listen: (server, port) => listenOn(server, def.name, '127.0.0.1', port),
  };
  const service = def.create(context);
  await service.start();
  return {
    service,
    context,
    metrics,
    routes,
    close: async () => {
      await service.stop('shutdown');
      if (!opts.keepDataDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
