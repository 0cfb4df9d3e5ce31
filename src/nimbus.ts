/**
 * Assembles a Nimbus host: config layers → data dir lock → logger, clock, metrics → gateway and
 * services → ServiceHost. Used by the CLI (`nimbus up`) and by test suites (`startNimbus`).
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { GatewayRouter } from './gateway/router.js';
import { gatewayRegistry, gatewayService, type AdminApi } from './gateway/index.js';
import { SystemClock, type Clock } from './platform/clock.js';
import { loadConfig, type LoadedConfig } from './platform/config.js';
import { DataDir } from './platform/data-dir.js';
import { ServiceHost, type ServiceStatus } from './platform/host.js';
import { createLogger, type LogFormat, type Logger, type LogLevel } from './platform/logger.js';
import { MetricsRegistry } from './platform/metrics.js';
import type { ServiceDefinition } from './platform/service.js';
import { serviceDefinitions } from './services.js';

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../../package.json') as { version: string }).version;

export interface StartOptions {
  /** Services to run (the gateway always runs, it serves the admin API). Default: all. */
  services?: string[];
  /** Use a temp data dir removed on stop, and no persistence where a service allows it. */
  ephemeral?: boolean;
  dataDir?: string;
  /** 'ephemeral' binds every service to port 0 (free ports); or explicit ports by service name. */
  ports?: 'default' | 'ephemeral' | Record<string, number>;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Per-service and host config overrides, e.g. { redis: { maxmemory: '100mb' } }. */
  config?: Record<string, unknown>;
  /** A nimbus.yaml to read (default: ./nimbus.yaml when present). */
  configPath?: string;
  /** Environment for NIMBUS_* variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logLevel?: LogLevel;
  logger?: Logger;
  clock?: Clock;
  /** CLI flags as dotted keys, for provenance in `nimbus config`. */
  flags?: Array<{ key: string; value: unknown; flag: string }>;
}

export interface Nimbus {
  /** Client URLs keyed by endpoint name: gateway, redis, kafka, s3 ... */
  readonly endpoints: Record<string, string>;
  readonly dataDir: string;
  readonly config: LoadedConfig;
  /** Milliseconds from process start to every service ready. */
  readonly readyMs: number;
  status(): ServiceStatus[];
  stop(): Promise<void>;
}

export function allDefinitions(router: GatewayRouter, admin: AdminApi): ServiceDefinition[] {
  return [gatewayService(router, admin) as ServiceDefinition, ...(serviceDefinitions as ServiceDefinition[])];
}

/** Resolves option-level settings into config flags (lowest-precedence-last is handled by loadConfig). */
function optionFlags(opts: StartOptions, defs: readonly ServiceDefinition[]) {
  const flags = [...(opts.flags ?? [])];
  const api = (key: string, value: unknown): void => void flags.push({ key, value, flag: `(api ${key})` });
  if (opts.services) api('services', opts.services);
  if (opts.ephemeral !== undefined) api('ephemeral', opts.ephemeral);
  if (opts.dataDir !== undefined) api('dataDir', opts.dataDir);
  if (opts.host !== undefined) api('host', opts.host);
  if (opts.logLevel !== undefined) api('logLevel', opts.logLevel);
  if (opts.ports && opts.ports !== 'default') {
    for (const def of defs) {
      if (!def.portKey) continue;
      const port = opts.ports === 'ephemeral' ? 0 : opts.ports[def.name];
      if (port !== undefined) api(`${def.name}.${def.portKey}`, port);
    }
  }
  return flags;
}

/** Picks the requested services plus their dependencies, always with the gateway. */
function selectDefinitions(
  all: readonly ServiceDefinition[],
  wanted: readonly string[],
): ServiceDefinition[] {
  if (wanted.length === 0) return [...all];
  const byName = new Map(all.map((d) => [d.name, d]));
  const chosen = new Set<string>(['gateway', ...wanted]);
  const queue = [...chosen];
  while (queue.length > 0) {
    const def = byName.get(queue.pop() as string);
    for (const dep of def?.dependsOn ?? []) {
      if (!chosen.has(dep)) {
        chosen.add(dep);
        queue.push(dep);
      }
    }
  }
  return all.filter((d) => chosen.has(d.name));
}

export async function startNimbus(opts: StartOptions = {}): Promise<Nimbus> {
  const router = new GatewayRouter();
  let host: ServiceHost | null = null;
  let dataDir: DataDir | null = null;
  const metrics = new MetricsRegistry();
  const clock = opts.clock ?? new SystemClock();
  const loop = monitorEventLoopDelay({ resolution: 20 });

  const admin: AdminApi = {
    health: () => {
      const services = host?.status() ?? [];
      const states = services.map((s) => s.state);
      const status = states.includes('failed')
        ? 'failed'
        : states.every((s) => s === 'ready')
          ? 'ok'
          : 'degraded';
      return { status, services: Object.fromEntries(services.map(({ name, ...rest }) => [name, rest])) };
    },
    metrics: () => metrics.render(),
    info: () => ({
      name: 'nimbus',
      version: VERSION,
      node: process.version,
      pid: process.pid,
      uptimeSeconds: host ? Math.round((clock.now() - host.startedAt) / 1000) : 0,
      dataDir: dataDir?.path ?? null,
      ephemeral: dataDir?.ephemeral ?? false,
    }),
  };
  const defs = allDefinitions(router, admin);
  const config = loadConfig(defs, {
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: opts.env ?? process.env,
    flags: optionFlags(opts, defs),
    ...(opts.config ? { overrides: opts.config } : {}),
  });
  const logFormat: LogFormat | undefined =
    config.host.logFormat === 'auto' ? undefined : config.host.logFormat;
  const logger =
    opts.logger ?? createLogger({ level: config.host.logLevel, ...(logFormat ? { format: logFormat } : {}) });

  dataDir = DataDir.open({
    dataDir: config.host.dataDir,
    ephemeral: config.host.ephemeral,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  loop.enable();
  const hostMetrics = metrics.scope('nimbus_');
  hostMetrics.gaugeFn('process_resident_memory_bytes', 'Resident set size of the host process', () =>
    process.memoryUsage.rss(),
  );
  hostMetrics.gaugeFn('process_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  hostMetrics.gaugeFn(
    'event_loop_delay_p99_seconds',
    'p99 event loop delay since start',
    () => loop.percentile(99) / 1e9,
  );
  hostMetrics.gaugeFn('uptime_seconds', 'Seconds since the host started', () =>
    host ? (clock.now() - host.startedAt) / 1000 : 0,
  );

  let gatewayUrl: string | null = null;
  host = new ServiceHost(selectDefinitions(defs, config.host.services), {
    config: config.host,
    serviceConfigs: config.services,
    dataDir,
    logger,
    clock,
    metrics,
    gateway: gatewayRegistry(router, () => gatewayUrl ?? host?.endpoints().gateway ?? null),
  });
  try {
    await host.start();
  } catch (err) {
    loop.disable();
    dataDir.close();
    throw err;
  }
  gatewayUrl = host.endpoints().gateway ?? null;
  const readyMs = performance.now();
  const runningHost = host;
  const runningDir = dataDir;
  let stopped: Promise<void> | null = null;
  return {
    endpoints: runningHost.endpoints(),
    dataDir: runningDir.path,
    config,
    readyMs,
    status: () => runningHost.status(),
    stop: () => {
      stopped ??= (async () => {
        await runningHost.stop('shutdown');
        loop.disable();
        runningDir.close();
      })();
      return stopped;
    },
  };
}
