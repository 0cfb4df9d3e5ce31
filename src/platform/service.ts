/**
 * The service contract. A service is one folder `src/<name>/` whose `index.ts` exports a
 * `ServiceDefinition`. The host validates its config with the definition's schema, builds a scoped
 * `ServiceContext`, and calls `start`, `health`, `endpoints` and `stop`. Services never import each
 * other; what they share (the gateway's HTTP routes) goes through interfaces in the context.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { z } from 'zod/v3';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { MetricsScope } from './metrics.js';

export type ServiceState = 'starting' | 'ready' | 'degraded' | 'failed' | 'stopped';
export type StopReason = 'shutdown' | 'failure' | 'signal';

export interface HealthReport {
  state: ServiceState;
  detail?: string;
}

/** An HTTP route on the gateway: AWS-style APIs (S3 first) plug in here. */
export interface GatewayRoute {
  /** The owning service, for logs and metrics. */
  service: string;
  /**
   * Higher wins when several routes match. S3, the catch-all for AWS requests, uses 0; APIs with a
   * precise signal (X-Amz-Target, Action=, a SigV4 credential scope) use 10 or more.
   */
  priority: number;
  matches(req: IncomingMessage): boolean;
  /**
   * True when the handler answers `Expect: 100-continue` itself (S3 authenticates first, then calls
   * res.writeContinue() or rejects without reading the body). Otherwise the gateway continues at once.
   */
  handlesContinue?: boolean;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface GatewayRegistry {
  register(route: GatewayRoute): void;
  /** The gateway's base URL (http://host:port), known once the gateway listens. */
  baseUrl(): string | null;
}

export interface ServiceContext<C> {
  readonly name: string;
  readonly config: C;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: MetricsScope;
  /** This service's own folder in the data dir; it exists when start() is called. */
  readonly dataDir: string;
  /** True under --ephemeral: the data dir is a temp folder removed on exit; persistence may be off. */
  readonly ephemeral: boolean;
  /** The address every listener binds (127.0.0.1 unless --host). */
  readonly bindHost: string;
  readonly gateway: GatewayRegistry;
  /**
   * Binds `server` to bindHost:port (0 = ephemeral) and resolves with the bound port. A port in use
   * rejects with PortInUseError naming the service, so the host can report it and close the rest.
   */
  listen(server: Server, port: number, label?: string): Promise<number>;
}

export interface Service {
  start(): Promise<void>;
  /** Stops accepting work, flushes data, closes every socket it opened. Must be idempotent. */
  stop(reason: StopReason): Promise<void>;
  health(): HealthReport;
  /** Client URLs keyed by endpoint name, e.g. { redis: 'redis://127.0.0.1:6379' }. */
  endpoints(): Record<string, string>;
}

export interface ServiceDefinition<C = unknown> {
  readonly name: string;
  readonly description: string;
  /** Zod schema with defaults for every key, so `{}` parses to a full config. */
  readonly configSchema: z.ZodType<C, z.ZodTypeDef, unknown>;
  /** Names of services that must be ready first. */
  readonly dependsOn?: readonly string[];
  /** The config key holding the listen port, so `--<name>-port` works; omit if none. */
  readonly portKey?: string;
  /** URL scheme shown in the endpoints table, e.g. 'redis' or 'http'. */
  readonly scheme?: string;
  create(ctx: ServiceContext<C>): Service;
}

/** Helper that keeps the definition's config type attached. */
export function defineService<C>(def: ServiceDefinition<C>): ServiceDefinition<C> {
  return def;
}
