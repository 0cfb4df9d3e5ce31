/**
 * A Service whose implementation module is imported only when the service starts. Service
 * definitions (name, config schema) stay cheap to load, so `nimbus config`, `nimbus up --services
 * gateway` and the host's start-up do not pay for services that are not running.
 */
import type { HealthReport, Service, StopReason } from './service.js';

export interface LazyService<S extends Service = Service> extends Service {
  /** The loaded implementation, or null before start() has loaded it. For tests. */
  readonly loaded: S | null;
}

export function lazyService<S extends Service>(load: () => Promise<S>): LazyService<S> {
  let inner: S | null = null;
  return {
    get loaded() {
      return inner;
    },
    async start() {
      inner = await load();
      await inner.start();
    },
    async stop(reason: StopReason) {
      await inner?.stop(reason);
    },
    health(): HealthReport {
      return inner ? inner.health() : { state: 'starting' };
    },
    endpoints() {
      return inner?.endpoints() ?? {};
    },
  };
}
