/**
 * How CONFIG SET reaches the running persistence for `appendonly` and `appendfsync`: the
 * persistence bridge registers its controls per server here, and the config table looks them up.
 * A registry keyed by server (rather than a field on RedisServer) keeps the command layer and the
 * persistence layer decoupled; a server without persistence (--ephemeral) has no entry.
 */
import type { AppendFsync } from './aof.js';

export interface RuntimeAofControl {
  /** Turns AOF on (starts the first rewrite) or off; an error text, or null on success. */
  setAppendonly(on: boolean): string | null;
  /** Switches the fsync policy at once. */
  setAppendfsync(policy: AppendFsync): void;
}

const controls = new WeakMap<object, RuntimeAofControl>();

export function setRuntimeAofControl(server: object, control: RuntimeAofControl): void {
  controls.set(server, control);
}

export function runtimeAofControl(server: object): RuntimeAofControl | undefined {
  return controls.get(server);
}
