/**
 * Test helpers for running one service on its own, without the host: a real context with a temp
 * data dir, ephemeral ports on 127.0.0.1, a silent logger and (optionally) a ManualClock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { GatewayRouter, serveRouter } from '../gateway/router.js';
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
  /** http://127.0.0.1:PORT when serveGateway was set, else null. */
  gatewayUrl: string | null;
  /** Stops the service and removes its temp dir (unless keepDataDir). */
  close(): Promise<void>;
}

export interface StandaloneOptions<C> {
  config?: Partial<C> | Record<string, unknown>;
  clock?: Clock;
  dataDir?: string;
  ephemeral?: boolean;
  keepDataDir?: boolean;
  /** Serve the routes the service registers on an HTTP server on an ephemeral port (for S3 etc.). */
  serveGateway?: boolean;
}

export async function startStandalone<C>(
  def: ServiceDefinition<C>,
  opts: StandaloneOptions<C> = {},
): Promise<StandaloneService<C>> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `nimbus-${def.name}-`));
  const metrics = new MetricsRegistry();
  const routes: GatewayRoute[] = [];
  const router = new GatewayRouter();
  let http: HttpServer | null = null;
  let baseUrl: string | null = null;
  if (opts.serveGateway) {
    // node:http is imported only here: services without HTTP routes start without it.
    const { createServer } = await import('node:http');
    http = createServer();
    serveRouter(http, router);
    const port = await listenOn(http, 'gateway', '127.0.0.1', 0);
    baseUrl = `http://127.0.0.1:${port}`;
  }
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
      register: (r) => {
        routes.push(r);
        router.add(r);
      },
      baseUrl: () => baseUrl,
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
    gatewayUrl: baseUrl,
    close: async () => {
      await service.stop('shutdown');
      if (http) {
        http.closeAllConnections();
        await new Promise<void>((r) => http?.close(() => r()));
      }
      if (!opts.keepDataDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
