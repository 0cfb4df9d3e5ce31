/**
 * The command registry: joins handler modules (see types.ts) with the generated spec table.
 *
 *   const r = new CommandRegistry();
 *   r.register(stringCommands);            // { get: fn, set: fn, ... }
 *   r.register({ 'config|get': fn });      // subcommands are "container|sub"
 *   r.lookup('GET')                        // → RegisteredCommand
 *
 * Only commands with a handler are visible (COMMAND COUNT/LIST/INFO report what really works).
 * Registering a name absent from the Redis 7.2 spec table throws: commands are never invented.
 */
import { COMMAND_SPECS } from './command-table.generated.js';
import type { CommandSpec } from './command-spec.js';
import type { CommandHandler, CommandModule } from './types.js';

export interface CommandStats {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

export class RegisteredCommand {
  readonly subcommands = new Map<string, RegisteredCommand>();
  readonly write: boolean;
  readonly readonly: boolean;
  readonly denyoom: boolean;
  readonly noAuth: boolean;
  readonly admin: boolean;
  readonly noMulti: boolean;
  readonly skipMonitor: boolean;
  readonly noscript: boolean;
  /** Flagged `fast` (O(1)/O(log N)): its slow runs are LATENCY's `fast-command` event. */
  readonly fast: boolean;
  /** LATENCY HISTOGRAM counts per power-of-two µs bucket; allocated on the first call. */
  histogram: Float64Array | null = null;
  readonly stats: CommandStats = { calls: 0, usec: 0, rejected: 0, failed: 0 };
  /** Allowed in a RESP2 subscribed context. */
  readonly pubsubContext: boolean;

  constructor(
    /** "get", or "config|get" for a subcommand. */
    readonly fullName: string,
    readonly spec: CommandSpec,
    public handler: CommandHandler | null,
    readonly parent: RegisteredCommand | null,
  ) {
    const f = new Set(spec.flags);
    this.write = f.has('write');
    this.readonly = f.has('readonly');
    this.denyoom = f.has('denyoom');
    this.noAuth = f.has('no_auth');
    this.admin = f.has('admin');
    this.noMulti = f.has('no_multi');
    this.skipMonitor = f.has('skip_monitor');
    this.noscript = f.has('noscript');
    this.fast = f.has('fast');
    const top = parent ? parent.spec.name : spec.name;
    this.pubsubContext = ['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'ping', 'quit', 'reset'].includes(top);
  }

  get arity(): number {
    return this.spec.arity;
  }
}

export class CommandRegistry {
  private readonly specs = new Map<string, CommandSpec>();
  private readonly commands = new Map<string, RegisteredCommand>();
  /** Fast path: exact-case lookups for both lower and upper case names. */
  private readonly byName = new Map<string, RegisteredCommand>();

  constructor(specs: readonly CommandSpec[] = COMMAND_SPECS) {
    for (const s of specs) this.specs.set(s.container ? `${s.container}|${s.name}` : s.name, s);
  }

  register(mod: CommandModule): void {
    for (const [name, handler] of Object.entries(mod)) this.add(name.toLowerCase(), handler);
  }

  private add(name: string, handler: CommandHandler): void {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`redis command '${name}' is not in the Redis 7.2 command table`);
    const bar = name.indexOf('|');
    if (bar === -1) {
      const existing = this.commands.get(name);
      if (existing) {
        existing.handler = handler;
        return;
      }
      const cmd = new RegisteredCommand(name, spec, handler, null);
      this.commands.set(name, cmd);
      this.byName.set(name, cmd);
      this.byName.set(name.toUpperCase(), cmd);
      return;
    }
    const parentName = name.slice(0, bar);
    let parent = this.commands.get(parentName);
    if (!parent) {
      const pspec = this.specs.get(parentName);
      if (!pspec) throw new Error(`redis container '${parentName}' missing from the command table`);
      parent = new RegisteredCommand(parentName, pspec, null, null);
      this.commands.set(parentName, parent);
      this.byName.set(parentName, parent);
      this.byName.set(parentName.toUpperCase(), parent);
    }
    parent.subcommands.set(name.slice(bar + 1), new RegisteredCommand(name, spec, handler, parent));
  }

  lookup(name: string): RegisteredCommand | undefined {
    return this.byName.get(name) ?? this.commands.get(name.toLowerCase());
  }

  /** Top-level commands (with their subcommands attached). */
  all(): IterableIterator<RegisteredCommand> {
    return this.commands.values();
  }

  /** Every spec, implemented or not (for docs generation and tests). */
  specTable(): ReadonlyMap<string, CommandSpec> {
    return this.specs;
  }
}
