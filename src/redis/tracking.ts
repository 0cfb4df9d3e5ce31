/**
 * Client-side caching support (tracking.c): CLIENT TRACKING in default mode (the server remembers
 * which keys each client read) and BCAST mode (clients subscribe to key prefixes), invalidation
 * messages as RESP3 pushes `>2 invalidate [keys]` or, for a RESP2 client redirecting to a
 * subscribed connection, `message __redis__:invalidate [keys]`, a null invalidation on FLUSHDB /
 * FLUSHALL, and the `tracking-table-max-keys` limit.
 *
 * Wiring (nothing runs until a client first enables tracking):
 *   - a keyspace keyChanged hook collects changed keys (writes, expiry, eviction);
 *   - RedisServer.afterCommand runs after every call(): it turns the collected keys into messages
 *     (it knows the executing client, needed for NOLOOP), remembers the keys a read-only command
 *     fetched, enforces the table limit, and sends queued messages once the top-level command has
 *     replied (so an invalidation never lands inside a reply, a MULTI/EXEC or a script's reply,
 *     as Redis 7 defers them);
 *   - changes outside any command (active expiry, eviction from the cron) are handled by a
 *     microtask.
 * The table is keyed by key name only: like Redis, tracking does not distinguish databases.
 */
import type { Client } from './client.js';
import type { RegisteredCommand } from './commands/registry.js';
import { keysFromSpecs } from './commands/command-info.js';
import type { RedisServer } from './server.js';

/** tracking-table-max-keys default (Redis 7.2). */
export const TRACKING_TABLE_MAX_KEYS_DEFAULT = 1_000_000;
/** Keys the limit enforcement may invalidate per pass, times the passes it stayed over (as Redis). */
const TRACKING_LIMIT_EFFORT_KEYS = 100;
/** RESP2 redirect channel. */
export const TRACKING_CHANNEL = '__redis__:invalidate';

export interface TrackingClient {
  readonly client: Client;
  /** Client id receiving the messages; 0 = this connection. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING yes (OPTIN) / no (OPTOUT) given for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
  /** BCAST prefixes ('' = every key). */
  readonly prefixes: Set<string>;
}

interface PrefixState {
  readonly clients: Set<TrackingClient>;
  /** Keys changed since the last broadcast → the client that changed them (for NOLOOP). */
  readonly keys: Map<string, Client | null>;
}

interface Message {
  readonly target: TrackingClient;
  /** null = flush (invalidate everything). */
  readonly key: string | null;
}

class Tracking {
  /** Clients with tracking on. */
  readonly clients = new Map<Client, TrackingClient>();
  /** Default mode: key → ids of clients that may cache it. */
  readonly table = new Map<string, Set<number>>();
  totalItems = 0;
  readonly prefixes = new Map<string, PrefixState>();
  /** Keys changed since the last afterCommand / microtask. */
  private changed: string[] = [];
  private queue: Message[] = [];
  /** Set while FLUSHDB/FLUSHALL runs: its per-key signals are covered by the null message. */
  suppress = false;
  private drainScheduled = false;
  private broadcastScheduled = false;
  private limitPasses = 0;

  constructor(readonly server: RedisServer) {}

  onKeyChanged(key: string): void {
    if (this.suppress || (this.table.size === 0 && this.prefixes.size === 0)) return;
    this.changed.push(key);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => {
        this.drainScheduled = false;
        this.process(null);
        this.sendQueued();
      });
    }
  }

  /** After every command (nested ones too): see the module comment. */
  afterCommand(c: Client, cmd: RegisteredCommand): void {
    // Nobody tracks any more and nothing is pending: the common case once tracking was used.
    if (this.clients.size === 0 && this.changed.length === 0 && this.queue.length === 0) {
      this.suppress = false;
      return;
    }
    const nested = c.socket === null || this.server.execInProgress;
    const current = c.socket !== null ? c : scriptCallerOf(this.server);
    this.process(current);
    if (cmd.readonly && current !== null) {
      const tc = this.clients.get(current);
      if (tc !== undefined && !tc.bcast && !NOT_REMEMBERED.has(cmd.fullName)) this.remember(tc, cmd, c.argv);
    }
    this.suppress = false;
    if (nested) return;
    this.sendQueued();
    const tc = this.clients.get(c);
    // CLIENT CACHING applies to the next command only (the whole transaction inside MULTI).
    if (tc !== undefined && tc.caching && c.multi === null && cmd.fullName.indexOf('client|') !== 0)
      tc.caching = false;
  }

  /** Turns changed keys into queued messages (default mode) and broadcast records (BCAST). */
  private process(current: Client | null): void {
    const keys = this.changed;
    if (keys.length === 0) return;
    this.changed = [];
    for (const key of keys) {
      if (this.prefixes.size > 0) this.recordBroadcast(key, current);
      this.invalidate(key, current);
    }
  }

  /** trackingInvalidateKey: every client that may cache `key` gets a message; the entry goes. */
  invalidate(key: string, current: Client | null): void {
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      const tc = target === undefined ? undefined : this.clients.get(target);
      if (tc === undefined || tc.bcast) continue;
      if (tc.noloop && target === current) continue;
      this.queue.push({ target: tc, key });
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  private remember(tc: TrackingClient, cmd: RegisteredCommand, argv: string[]): void {
    if ((tc.optin && !tc.caching) || (tc.optout && tc.caching)) return;
    if (cmd.spec.flags.includes('pubsub')) return;
    const keys = keysFromSpecs(cmd, argv);
    if (keys === null) return;
    const id = tc.client.id;
    for (const { pos } of keys) {
      const key = argv[pos] as string;
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, (ids = new Set()));
      if (!ids.has(id)) {
        ids.add(id);
        this.totalItems++;
      }
    }
    this.enforceLimit();
  }

  /**
   * trackingLimitUsedSlots: past tracking-table-max-keys, invalidate keys (oldest first here;
   * Redis walks randomly) with an effort that grows while the table stays over the limit.
   */
  private enforceLimit(): void {
    const max = tableMaxKeys(this.server);
    if (max === 0 || this.table.size <= max) {
      this.limitPasses = 0;
      return;
    }
    let effort = TRACKING_LIMIT_EFFORT_KEYS * (this.limitPasses + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidate(key, null);
      if (this.table.size <= max) {
        this.limitPasses = 0;
        return;
      }
    }
    this.limitPasses++;
  }

  /** FLUSHDB / FLUSHALL: a null invalidation to every tracking client. */
  onFlush(all: boolean): void {
    for (const tc of this.clients.values()) this.queue.push({ target: tc, key: null });
    this.changed = [];
    this.suppress = true;
    if (all) {
      this.table.clear();
      this.totalItems = 0;
    }
  }

  private sendQueued(): void {
    if (this.queue.length === 0) return;
    const q = this.queue;
    this.queue = [];
    for (const m of q) {
      if (m.target.client.closing || !this.clients.has(m.target.client)) continue;
      if (m.key === null) sendNull(this.server, m.target);
      else sendKeys(this.server, m.target, [m.key]);
    }
  }

  // ---- BCAST ----------------------------------------------------------------------------------

  private recordBroadcast(key: string, current: Client | null): void {
    for (const [prefix, ps] of this.prefixes) {
      if (!key.startsWith(prefix)) continue;
      ps.keys.set(key, current);
      if (!this.broadcastScheduled) {
        this.broadcastScheduled = true;
        // Redis broadcasts in beforeSleep: once per event-loop turn, after the turn's replies.
        queueMicrotask(() => {
          this.broadcastScheduled = false;
          this.broadcast();
        });
      }
    }
  }

  /** trackingBroadcastInvalidationMessages: one message per prefix with its changed keys, sorted. */
  broadcast(): void {
    // Prefixes in the radix tree's (byte) order, as Redis walks them.
    for (const prefix of [...this.prefixes.keys()].sort(byteOrder)) {
      const ps = this.prefixes.get(prefix) as PrefixState;
      if (ps.keys.size === 0) continue;
      const keys = [...ps.keys.keys()].sort(byteOrder);
      for (const tc of ps.clients) {
        if (tc.client.closing || !this.clients.has(tc.client)) continue;
        const own = tc.noloop ? keys.filter((k) => ps.keys.get(k) !== tc.client) : keys;
        if (own.length > 0) sendKeys(this.server, tc, own);
      }
      ps.keys.clear();
    }
  }

  enable(c: Client, opts: TrackingOptions): void {
    this.prune();
    let tc = this.clients.get(c);
    if (tc === undefined) {
      tc = {
        client: c,
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: new Set(),
      };
      this.clients.set(c, tc);
    }
    tc.redirect = opts.redirect;
    tc.bcast = opts.bcast;
    tc.optin = opts.optin;
    tc.optout = opts.optout;
    tc.noloop = opts.noloop;
    tc.brokenRedirect = false;
    if (opts.bcast) {
      const list = opts.prefixes.length === 0 ? [''] : opts.prefixes;
      for (const p of list) {
        tc.prefixes.add(p);
        let ps = this.prefixes.get(p);
        if (ps === undefined) this.prefixes.set(p, (ps = { clients: new Set(), keys: new Map() }));
        ps.clients.add(tc);
      }
    }
  }

  disable(c: Client): void {
    const tc = this.clients.get(c);
    if (tc === undefined) return;
    for (const p of tc.prefixes) {
      const ps = this.prefixes.get(p);
      if (ps === undefined) continue;
      ps.clients.delete(tc);
      if (ps.clients.size === 0) this.prefixes.delete(p);
    }
    this.clients.delete(c);
  }

  /** Drops clients whose connection closed (there is no disconnect hook; checked lazily). */
  prune(): void {
    for (const c of this.clients.keys()) if (c.closing || !this.server.clients.has(c.id)) this.disable(c);
  }
}

export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

/** Read-only commands whose keys are not remembered: the script's own commands are. */
const NOT_REMEMBERED = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

const states = new WeakMap<RedisServer, Tracking>();

/** The server's tracking state, or null when no client ever enabled tracking. */
export function trackingOf(server: RedisServer): Tracking | null {
  return states.get(server) ?? null;
}

/** Creates the state and installs the hooks on first use. */
export function tracking(server: RedisServer): Tracking {
  const existing = states.get(server);
  if (existing) return existing;
  const created = new Tracking(server);
  states.set(server, created);
  server.keyspace.onKeyChanged((_db, key) => created.onKeyChanged(key));
  server.afterCommand = (c, cmd) => created.afterCommand(c, cmd);
  return created;
}

/** FLUSHDB / FLUSHALL call this before flushing. */
export function trackingOnFlush(server: RedisServer, all: boolean): void {
  const t = states.get(server);
  if (t !== undefined && t.clients.size > 0) t.onFlush(all);
}

/** INFO's tracking_* fields. */
export function trackingStats(server: RedisServer): {
  clients: number;
  keys: number;
  items: number;
  prefixes: number;
} {
  const t = states.get(server);
  if (t === undefined) return { clients: 0, keys: 0, items: 0, prefixes: 0 };
  t.prune();
  return { clients: t.clients.size, keys: t.table.size, items: t.totalItems, prefixes: t.prefixes.size };
}

/** The connection closing or RESET: tracking off. */
export function trackingDisable(c: Client): void {
  states.get(c.server)?.disable(c);
}

export function trackingClientOf(c: Client): TrackingClient | undefined {
  return states.get(c.server)?.clients.get(c);
}

function tableMaxKeys(server: RedisServer): number {
  const v = server.settings.extra.get('tracking-table-max-keys');
  if (v === undefined) return TRACKING_TABLE_MAX_KEYS_DEFAULT;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : TRACKING_TABLE_MAX_KEYS_DEFAULT;
}

/** Latin1 strings compare byte-wise with <, which is the radix tree's order in Redis. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Where a tracking client's messages go: itself (RESP3), its redirect target (RESP3 push, or a
 * RESP2 Pub/Sub message when subscribed), or nowhere. A closed redirect target marks the
 * redirection broken and tells a RESP3 client with a `tracking-redir-broken` push.
 */
function destination(server: RedisServer, tc: TrackingClient): Client | null {
  if (tc.redirect !== 0) {
    const r = server.clients.get(tc.redirect);
    if (r === undefined || r.closing) {
      tc.brokenRedirect = true;
      const c = tc.client;
      if (c.resp === 3) {
        withPushEnabled(c, () => {
          c.out.push(2);
          c.out.bulk('tracking-redir-broken');
          c.out.int(tc.redirect);
        });
      }
      return null;
    }
    if (r.resp === 3 || r.subscriptionCount > 0) return r;
    return null;
  }
  return tc.client.resp === 3 ? tc.client : null;
}

function header(dest: Client): void {
  if (dest.resp === 3) {
    dest.out.push(2);
    dest.out.bulk('invalidate');
  } else {
    dest.out.push(3);
    dest.out.bulk('message');
    dest.out.bulk(TRACKING_CHANNEL);
  }
}

function sendKeys(server: RedisServer, tc: TrackingClient, keys: string[]): void {
  const dest = destination(server, tc);
  if (dest === null) return;
  withPushEnabled(dest, () => {
    header(dest);
    dest.out.array(keys.length);
    for (const k of keys) dest.out.bulk(k);
  });
}

/** The flush message carries a null in the tracking client's protocol (shared.null[c->resp]). */
function sendNull(server: RedisServer, tc: TrackingClient): void {
  const dest = destination(server, tc);
  if (dest === null) return;
  withPushEnabled(dest, () => {
    header(dest);
    const out = dest.out;
    const saved = out.resp;
    out.resp = tc.client.resp;
    out.nullBulk();
    out.resp = saved;
  });
}

/** Pushes are delivered even under CLIENT REPLY OFF/SKIP (Redis's CLIENT_PUSHING). */
function withPushEnabled(c: Client, write: () => void): void {
  const was = c.out.enabled;
  c.out.enabled = true;
  write();
  c.out.enabled = was;
}

/** The client running the current script (its redis.call commands are tracked for it). */
let scriptCallerOf: (server: RedisServer) => Client | null = () => null;

/** Set by the scripting module so this one does not import it (and the Lua VM) eagerly. */
export function setScriptCallerLookup(fn: (server: RedisServer) => Client | null): void {
  scriptCallerOf = fn;
}
