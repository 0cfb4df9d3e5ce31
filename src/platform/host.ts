/**
 * ServiceHost: starts the selected services in dependency order, stops them in reverse, and reports
 * each one's state. A service that fails to start is stopped again at once (so it never leaves a
 * half-bound port), then the host either stops everything (onServiceFailure: exit) or keeps the
 * others running and marks dependents failed (continue).
 */
import type { Server } from 'node:net';
import type { Clock } from './clock.js';
import type { HostConfig } from './config.js';
import type { DataDir } from './data-dir.js';
import { NimbusError, ServiceStartError } from './errors.js';
import { listenOn } from './listen.js';
import type { Logger } from './logger.js';
import type { MetricsRegistry } from './metrics.js';
import type {
  GatewayRegistry,
  HealthReport,
  Service,
  ServiceContext,
  ServiceDefinition,
  ServiceState,
  StopReason,
} from './service.js';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  detail?: string;
  endpoints: Record<string, string>;
}

interface Slot {
  def: ServiceDefinition;
  service: Service | null;
  state: ServiceState;
  detail?: string;
}

export interface HostDeps {
  config: HostConfig;
  serviceConfigs: Record<string, unknown>;
  dataDir: DataDir;
  logger: Logger;
  clock: Clock;
  metrics: MetricsRegistry;
  gateway: GatewayRegistry;
}

/** Orders definitions so that each comes after what it depends on; rejects cycles and unknown names. */
export function dependencyOrder(defs: readonly ServiceDefinition[]): ServiceDefinition[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const order: ServiceDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of defs) {
    // Iterative DFS with an explicit stack: [definition, index of next dependency to visit].
    const stack: Array<[ServiceDefinition, number]> = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [ServiceDefinition, number];
      const [def, i] = top;
      if (i === 0) {
        if (state.get(def.name) === 'done') {
          stack.pop();
          continue;
        }
        state.set(def.name, 'visiting');
      }
      const deps = def.dependsOn ?? [];
      if (i < deps.length) {
        top[1] = i + 1;
        const depName = deps[i] as string;
        const dep = byName.get(depName);
        if (!dep)
          throw new NimbusError(
            'EDEPENDENCY',
            `service ${def.name} depends on ${depName}, which is not enabled`,
          );
        const s = state.get(depName);
        if (s === 'visiting')
          throw new NimbusError('EDEPENDENCY', `dependency cycle between ${def.name} and ${depName}`);
        if (s !== 'done') stack.push([dep, 0]);
        continue;
      }
      stack.pop();
      if (state.get(def.name) !== 'done') {
        state.set(def.name, 'done');
        order.push(def);
      }
    }
  }
  return order;
}

export class ServiceHost {
  private readonly slots: Slot[];
  private stopping: Promise<void> | null = null;
  readonly startedAt: number;

  constructor(
    defs: readonly ServiceDefinition[],
    private readonly deps: HostDeps,
  ) {
    this.slots = dependencyOrder(defs).map((def) => ({
      def,
      service: null,
      state: 'stopped' as ServiceState,
    }));
    this.startedAt = deps.clock.now();
    const stateCodes: Record<ServiceState, number> = {
      starting: 0,
      ready: 1,
      degraded: 2,
      failed: 3,
      stopped: 4,
    };
    deps.metrics
      .scope('nimbus_')
      .gaugeFn('service_state', 'Service state: 0 starting, 1 ready, 2 degraded, 3 failed, 4 stopped', () =>
        this.status().map((s) => [{ service: s.name }, stateCodes[s.state]]),
      );
  }

  /** Starts every service in order. Rejects (after cleaning up) when one fails and the policy is exit. */
  async start(): Promise<void> {
    const failed = new Set<string>();
    for (const slot of this.slots) {
      const blocked = (slot.def.dependsOn ?? []).find((d) => failed.has(d));
      if (blocked) {
        slot.state = 'failed';
        slot.detail = `dependency ${blocked} failed`;
        failed.add(slot.def.name);
        continue;
      }
      try {
        await this.startOne(slot);
      } catch (err) {
        failed.add(slot.def.name);
        const message = err instanceof Error ? err.message : String(err);
        this.deps.logger.error(
          { service: slot.def.name, err: message },
          `service ${slot.def.name} failed to start: ${message}`,
        );
        if (this.deps.config.onServiceFailure === 'exit') {
          await this.stop('failure');
          throw new ServiceStartError(slot.def.name, message);
        }
      }
    }
  }

  private async startOne(slot: Slot): Promise<void> {
    const { def } = slot;
    const log = this.deps.logger.child({ service: def.name });
    const ctx: ServiceContext<unknown> = {
      name: def.name,
      config: this.deps.serviceConfigs[def.name],
      logger: log,
      clock: this.deps.clock,
      metrics: this.deps.metrics.scope(`nimbus_${def.name.replace(/[^a-zA-Z0-9_]/g, '_')}_`),
      dataDir: this.deps.dataDir.serviceDir(def.name),
      ephemeral: this.deps.dataDir.ephemeral,
      bindHost: this.deps.config.host,
      gateway: this.deps.gateway,
      listen: (server: Server, port: number, label?: string) =>
        listenOn(server, label ? `${def.name} ${label}` : def.name, this.deps.config.host, port),
    };
    slot.state = 'starting';
    const t0 = this.deps.clock.monotonicMs();
    try {
      slot.service = def.create(ctx);
      await slot.service.start();
    } catch (err) {
      slot.state = 'failed';
      slot.detail = err instanceof Error ? err.message : String(err);
      // Undo whatever the service managed to bind before it failed.
      if (slot.service) await this.stopSlot(slot, 'failure').catch(() => undefined);
      slot.service = null;
      slot.state = 'failed';
      throw err;
    }
    slot.state = 'ready';
    delete slot.detail;
    log.debug({ ms: Math.round(this.deps.clock.monotonicMs() - t0) }, 'ready');
  }

  /** Stops every running service in reverse order. Idempotent; concurrent calls share one stop. */
  stop(reason: StopReason = 'shutdown'): Promise<void> {
    this.stopping ??= (async () => {
      for (const slot of [...this.slots].reverse()) {
        if (!slot.service || slot.state === 'stopped') continue;
        const wasFailed = slot.state === 'failed';
        await this.stopSlot(slot, reason);
        if (wasFailed) slot.state = 'failed';
      }
    })();
    return this.stopping;
  }

  private async stopSlot(slot: Slot, reason: StopReason): Promise<void> {
    const service = slot.service;
    if (!service) return;
    const timeoutMs = this.deps.config.stopTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    try {
      const r = await Promise.race([service.stop(reason).then(() => 'ok' as const), timeout]);
      if (r === 'timeout')
        this.deps.logger.warn({ service: slot.def.name }, `did not stop within ${timeoutMs} ms`);
    } catch (err) {
      this.deps.logger.error({ service: slot.def.name, err: (err as Error).message }, 'error while stopping');
    } finally {
      clearTimeout(timer);
    }
    slot.state = 'stopped';
  }

  status(): ServiceStatus[] {
    return this.slots.map((slot) => {
      let health: HealthReport = { state: slot.state };
      if (slot.service && slot.state === 'ready') {
        try {
          health = slot.service.health();
        } catch (err) {
          health = { state: 'degraded', detail: `health check threw: ${(err as Error).message}` };
        }
      }
      let endpoints: Record<string, string> = {};
      if (slot.service && (health.state === 'ready' || health.state === 'degraded')) {
        try {
          endpoints = slot.service.endpoints();
        } catch {
          endpoints = {};
        }
      }
      const detail = health.detail ?? slot.detail;
      return { name: slot.def.name, state: health.state, ...(detail ? { detail } : {}), endpoints };
    });
  }

  /** Every endpoint of every running service, keyed by endpoint name. */
  endpoints(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of this.status()) Object.assign(out, s.endpoints);
    return out;
  }
}
