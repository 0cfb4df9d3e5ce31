/**
 * The Redis server loop: accepts sockets, feeds the incremental parser, dispatches commands
 * (arity, auth, pub/sub context, MULTI queueing, maxmemory), and writes all replies produced in
 * one event-loop turn with one socket write per client.
 *
 * Limits (named, as in Redis): maxclients, timeout, client-query-buffer-limit, proto-max-bulk-len,
 * client-output-buffer-limit (normal/pubsub hard+soft). A client whose unread output passes
 * OUTPUT_PAUSE_READ_BYTES stops being read (back-pressure) so pipelining cannot grow memory without
 * bound even when the normal class has no limit.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Clock, Timer } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { Client } from './client.js';
import { CommandRegistry, type RegisteredCommand } from './commands/registry.js';
import { E_EXECABORT, E_NOAUTH, E_OOM, wrongArity } from './commands/errors.js';
import { Keyspace, type MaxmemoryPolicy } from './engine/keyspace.js';
import { RespProtocolError } from './protocol/resp-parser.js';
import { type OutputLimit, parseOutputLimits, parseSaveRules, type RedisConfig } from './config.js';
import { PubSub } from './pubsub.js';
import { registerAllCommands } from './commands/index.js';
import { adoptSocket, SHARED_READ_BUFFER_BYTES } from './socket-reader.js';
import { SocketWriter } from './socket-writer.js';
import { histogramAdd, LATENCY_HISTOGRAM_BUCKETS, LatencyMonitor } from './latency.js';
import { aclCheckCommand, aclExecRecheck, aclStore } from './commands/acl.js';

/** Stop reading from a client whose unsent replies exceed this (back-pressure instead of OOM). */
export const OUTPUT_PAUSE_READ_BYTES = 16 * 1024 * 1024;
/** Entries kept by SLOWLOG (slowlog-max-len default). */
export const SLOWLOG_MAX_LEN_DEFAULT = 128;
/** Characters of an argument kept in a slowlog entry, and arguments kept (as Redis). */
const SLOWLOG_ARG_MAX_CHARS = 128;
const SLOWLOG_ARGC_MAX = 32;

export interface SlowlogEntry {
  id: number;
  timeSec: number;
  durationUs: number;
  argv: string[];
  addr: string;
  name: string;
}

/** Persistence as seen by the server; implemented by persistence wiring (persistence-bridge.ts). */
export interface PersistenceHooks {
  /** Appends one write (already rewritten to absolute TTLs) to the AOF. */
  feedAof(db: number, argv: string[]): void;
  save(): void;
  bgsave(): string | null;
  bgrewriteaof(): string | null;
  lastSaveSec(): number;
  info(): Record<string, string | number>;
  flushOnStop(): Promise<void>;
  /** appendfsync always: resolves when this turn's writes are on disk (replies wait for it). */
  durable(): Promise<void> | null;
  /** CONFIG SET appendonly: turns AOF on (starts the first rewrite) or off; an error text, or null. */
  setAppendonly(on: boolean): string | null;
  /** CONFIG SET appendfsync: switches the fsync policy at once. */
  setAppendfsync(policy: 'always' | 'everysec' | 'no'): void;
}

export interface ServerSettings {
  requirepass: string;
  maxclients: number;
  timeoutSec: number;
  maxmemoryBytes: number;
  maxmemoryPolicy: MaxmemoryPolicy;
  protoMaxBulkLenBytes: number;
  clientQueryBufferLimitBytes: number;
  outputLimits: Record<string, OutputLimit>;
  saveRules: Array<[number, number]>;
  slowlogSlowerThanUs: number;
  slowlogMaxLen: number;
  latencyMonitorThresholdMs: number;
  hz: number;
  /** Other CONFIG parameters accepted as harmless no-ops (encoding tuning etc.), by name. */
  extra: Map<string, string>;
}

export interface ServerStats {
  connectionsReceived: number;
  commandsProcessed: number;
  rejectedConnections: number;
  netInputBytes: number;
  netOutputBytes: number;
  pubsubMessages: number;
  totalErrorReplies: number;
  startMs: number;
}

export class RedisServer {
  readonly keyspace: Keyspace;
  readonly registry = new CommandRegistry();
  readonly pubsub = new PubSub();
  readonly clients = new Map<number, Client>();
  readonly settings: ServerSettings;
  readonly stats: ServerStats;
  readonly slowlog: SlowlogEntry[] = [];
  slowlogNextId = 0;
  readonly latency = new LatencyMonitor();
  /** `latency-tracking`: per-command histograms for LATENCY HISTOGRAM. */
  latencyTracking = true;
  persistence: PersistenceHooks | null = null;
  readonly monitors = new Set<Client>();
  /** CLIENT PAUSE: until (ms) and mode. */
  pauseUntilMs = 0;
  pauseMode: 'all' | 'write' = 'all';
  port = 0;
  /** Highest used_memory seen (INFO used_memory_peak). */
  peakMemory = 0;
  /** Folder holding dump.rdb and appendonlydir (the service's data dir). */
  dataDir = '';
  readonly runId: string;
  /** Called after CONFIG SET of a parameter (persistence reacts to appendonly/appendfsync). */
  configListeners: Array<(name: string, value: string) => void> = [];
  /** Live values persistence reports for CONFIG GET (appendonly, appendfsync), if wired. */
  persistenceParams: ((name: string) => string | undefined) | null = null;
  loading = false;
  /** notify-keyspace-events as flags (notify.ts); 0 = off, the common case notify() tests first. */
  notifyFlags = 0;
  /** Set by tracking.ts once a client enables CLIENT TRACKING; runs after every command. */
  afterCommand: ((c: Client, cmd: RegisteredCommand) => void) | null = null;

  private nextClientId = 1;
  private net: Server | null = null;
  /** Clients with replies to write this turn (each at most once: Client.flushQueued). */
  /**
   * Clients with replies to flush at the end of this loop turn: pending[0, pendingCount). The
   * array is reused (slots cleared after use) because `length = 0` is a runtime call that also
   * frees the backing store, costing a regrow on the next turn.
   */
  private readonly pending: Array<Client | null> = [];
  private pendingCount = 0;
  /** Every client's reads land here (see socket-reader.ts). */
  private readonly readBuffer = Buffer.allocUnsafe(SHARED_READ_BUFFER_BYTES);
  private flushScheduled = false;
  private inBatch = false;
  /**
   * Inside a batch, the monotonic time the last command ended (or the batch began): the next
   * command's start. One clock read per command instead of two; the difference is the parse of the
   * next request, well under a microsecond. Set by beginBatch wherever inBatch becomes true.
   */
  private batchMonoMs = 0;
  private timers: Timer[] = [];
  /** Watched keys: "db:key" → clients. */
  private readonly watchers = new Map<string, Set<Client>>();
  private lastSaveCheckDirty = 0;
  private multiPropagation: 'off' | 'pending' | 'open' = 'off';

  constructor(
    readonly config: RedisConfig,
    readonly clock: Clock,
    readonly logger: Logger,
  ) {
    this.keyspace = new Keyspace(config.databases);
    const limits = parseOutputLimits(config.clientOutputBufferLimit) ?? {};
    this.settings = {
      requirepass: config.requirepass,
      maxclients: config.maxclients,
      timeoutSec: config.timeout,
      maxmemoryBytes: config.maxmemory,
      maxmemoryPolicy: config.maxmemoryPolicy,
      protoMaxBulkLenBytes: config.protoMaxBulkLen,
      clientQueryBufferLimitBytes: config.clientQueryBufferLimit,
      outputLimits: limits,
      saveRules: parseSaveRules(config.save) ?? [],
      slowlogSlowerThanUs: 10000,
      slowlogMaxLen: SLOWLOG_MAX_LEN_DEFAULT,
      latencyMonitorThresholdMs: 0,
      hz: config.hz,
      extra: new Map(),
    };
    this.keyspace.setPolicy(config.maxmemoryPolicy);
    this.stats = {
      connectionsReceived: 0,
      commandsProcessed: 0,
      rejectedConnections: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      pubsubMessages: 0,
      totalErrorReplies: 0,
      startMs: clock.now(),
    };
    this.runId = Array.from({ length: 40 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
    this.keyspace.nowMs = clock.now();
    this.keyspace.onKeyChanged((db, key) => this.touchWatched(db, key));
    this.configListeners.push((name, value) => {
      if (name === 'latency-tracking') this.latencyTracking = value.toLowerCase() === 'yes';
    });
    this.keyspace.expiredHooks.push((db, key) => this.propagate(db, ['DEL', key]));
    this.keyspace.evictedHooks.push((db, key) => this.propagate(db, ['DEL', key]));
    registerAllCommands(this.registry);
  }

  persistenceParam(name: string): string | undefined {
    return this.persistenceParams?.(name);
  }

  onConfigChanged(name: string, value: string): void {
    for (const l of this.configListeners) l(name, value);
  }

  /**
   * New connections start unauthenticated unless the ACL default user is enabled and nopass (as
   * Redis: requirepass gives the default user a password; an aclfile may do the same).
   */
  authRequired(): boolean {
    return !aclStore(this).defaultNoAuth;
  }

  /** Starts the periodic work (server cron) on the injected clock. */
  startCron(): void {
    const periodMs = Math.max(1, Math.round(1000 / this.settings.hz));
    this.timers.push(this.clock.every(periodMs, () => this.cron()));
    this.timers.push(this.clock.every(1000, () => this.secondCron()));
  }

  listen(): Server {
    // Accepted sockets start paused so accept() can move them to the shared-buffer reader.
    const srv = createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s));
    srv.on('error', (err) => this.logger.error({ err }, 'redis listener error'));
    this.net = srv;
    return srv;
  }

  private accept(accepted: Socket): void {
    this.stats.connectionsReceived++;
    if (this.clients.size >= this.settings.maxclients) {
      this.stats.rejectedConnections++;
      accepted.resume(); // accepted paused: read on so the peer's close is seen
      accepted.end('-ERR max number of clients reached\r\n');
      return;
    }
    const now = this.clock.now();
    // Reads start on a later loop turn, after `client` below exists.
    const socket = adoptSocket(accepted, this.readBuffer, (buf, n) => this.onData(client, buf, n));
    const client = new Client(this.nextClientId++, this, socket, now);
    this.clients.set(client.id, client);
    client.out.onDirty = () => this.markPending(client);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.removeClient(client));
    const drained = (): void => {
      if (!client.closing && client.socket?.isPaused() && !this.isPaused()) client.socket.resume();
    };
    socket.on('drain', drained);
    client.writer = new SocketWriter(socket, drained);
  }

  /** Creates a client without a socket (AOF loading, scripting). */
  fakeClient(): Client {
    const c = new Client(0, this, null, this.clock.now());
    c.authenticated = true;
    return c;
  }

  removeClient(c: Client): void {
    if (!this.clients.has(c.id)) return;
    c.closing = true;
    this.clients.delete(c.id);
    this.monitors.delete(c);
    this.unwatchAll(c);
    this.pubsub.removeClient(c);
  }

  closeClient(c: Client): void {
    c.closing = true;
    c.socket?.destroy();
    this.removeClient(c);
  }

  /** One read: `buf` (the shared read buffer, usually) is only valid during this call. */
  private onData(c: Client, buf: Buffer, n: number): void {
    if (c.closing) return;
    this.stats.netInputBytes += n;
    c.lastInteractionMs = this.keyspace.nowMs = this.clock.now();
    c.parser.feed(buf, n);
    this.beginBatch();
    try {
      this.processInput(c);
    } finally {
      c.parser.retain();
      this.inBatch = false;
      this.flushPending();
    }
  }

  /**
   * Runs the client's buffered requests until it blocks, pauses or runs out of input. Public for
   * blocking commands (streams-blocking.ts), which call it after serving a blocked client's held
   * requests.
   */
  processInput(c: Client): void {
    try {
      for (;;) {
        if (c.closing || c.closeAfterReply) break;
        if (c.held.length > 0 || (this.isPaused() && this.pauseMode === 'all')) {
          const argv = c.parser.next();
          if (argv === null) break;
          c.held.push(argv);
          c.socket?.pause();
          continue;
        }
        const argv = c.parser.next();
        if (argv === null) break;
        this.execute(c, argv);
      }
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      this.stats.totalErrorReplies++;
      c.out.enabled = true;
      c.out.error('ERR ' + err.message);
      c.closeAfterReply = true;
      this.logger.debug({ client: c.id, err: err.message }, 'protocol error');
      return;
    }
    if (c.parser.bufferedBytes() > this.settings.clientQueryBufferLimitBytes) {
      this.logger.warn({ client: c.id }, 'closing client that reached max query buffer length');
      this.closeClient(c);
    }
  }

  isPaused(): boolean {
    return this.pauseUntilMs > 0 && this.clock.now() < this.pauseUntilMs;
  }

  /** Re-runs requests held during CLIENT PAUSE. */
  unpause(): void {
    this.pauseUntilMs = 0;
    for (const c of this.clients.values()) {
      if (c.held.length === 0 && !c.socket?.isPaused()) continue;
      const held = c.held;
      c.held = [];
      this.beginBatch();
      try {
        for (const argv of held) this.execute(c, argv);
        this.processInput(c);
      } finally {
        this.inBatch = false;
      }
      c.socket?.resume();
    }
    this.flushPending();
  }

  private beginBatch(): void {
    this.inBatch = true;
    this.batchMonoMs = this.clock.monotonicMs();
  }

  /** Dispatches one request: lookup, checks, MULTI queueing, then call(). */
  execute(c: Client, argv: string[]): void {
    c.argv = argv;
    const name = argv[0] as string;
    let cmd = this.registry.lookup(name);
    if (cmd !== undefined && cmd.subcommands.size > 0 && argv.length >= 2) {
      const sub = cmd.subcommands.get((argv[1] as string).toLowerCase());
      if (sub === undefined) return this.reject(c, cmd, unknownSubcommand(argv, cmd));
      cmd = sub;
    }
    if (cmd === undefined) return this.reject(c, null, unknownCommand(argv));
    const arity = cmd.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity)
      return this.reject(c, cmd, wrongArity(cmd.fullName));
    if (!c.authenticated && !cmd.noAuth) return this.reject(c, cmd, E_NOAUTH, false);
    // ACL: clients without a socket (AOF loading, Lua's redis.call) run as the superuser, as in
    // Redis for AOF loading; AUTH/HELLO (no_auth) are always allowed.
    if (c.socket !== null && !cmd.noAuth) {
      const denied = aclCheckCommand(c, cmd, argv, c.multi !== null ? 'multi' : 'toplevel');
      if (denied !== null) return this.reject(c, cmd, denied);
    }
    if (c.inPubSubContext && !cmd.pubsubContext)
      return this.reject(
        c,
        cmd,
        `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
    if (c.multi !== null && !isTransactionControl(cmd)) {
      if (cmd.noMulti) return this.reject(c, cmd, `ERR Command not allowed inside a transaction`);
      c.multi.push({ cmd, argv });
      c.reply.simple('QUEUED');
      return;
    }
    if (this.settings.maxmemoryBytes > 0 && !this.loading && !this.freeMemory(cmd.denyoom)) {
      if (cmd.denyoom || (cmd.fullName === 'exec' && c.multi?.some((q) => q.cmd.denyoom)))
        return this.reject(c, cmd, E_OOM);
    }
    if (this.isPaused() && this.pauseMode === 'write' && (cmd.write || cmd.fullName === 'exec')) {
      c.held.push(argv);
      c.socket?.pause();
      return;
    }
    this.call(c, cmd);
  }

  /** Replies an error for a rejected command (flags the MULTI as failed, as Redis does). */
  private reject(c: Client, cmd: RegisteredCommand | null, msg: string, flagMulti = true): void {
    if (cmd) cmd.stats.rejected++;
    this.stats.totalErrorReplies++;
    if (c.multi !== null && flagMulti) c.multiError = true;
    c.reply.error(msg);
  }

  /** Runs a command handler and does the bookkeeping (stats, slowlog, propagation, monitor). */
  call(c: Client, cmd: RegisteredCommand): void {
    const ks = this.keyspace;
    // Inside a socket batch the time was read once for the batch (as Redis caches it per call).
    if (!this.inBatch) ks.nowMs = this.clock.now();
    const dirtyBefore = ks.dirty;
    c.propagated = null;
    ks.noTouch = c.noTouch;
    if (this.monitors.size > 0 && !cmd.skipMonitor) this.feedMonitors(c);
    c.lastCommand = cmd.fullName;
    const t0 = this.inBatch ? this.batchMonoMs : this.clock.monotonicMs();
    if (c.replyMode === 'off' || c.replyMode === 'skip') c.out.enabled = false;
    try {
      (cmd.handler as (c: Client) => void)(c);
    } catch (err) {
      // A bug in one command must not take down the host (and every other service) with it.
      this.logger.error({ err, command: cmd.fullName }, 'redis command handler threw');
      this.stats.totalErrorReplies++;
      c.out.enabled = true;
      c.reply.error(`ERR internal error in '${cmd.fullName}': ${(err as Error).message ?? String(err)}`);
    }
    if (c.replyMode === 'skip') c.replyMode = 'on';
    c.out.enabled = c.replyMode === 'on';
    if (this.afterCommand !== null) this.afterCommand(c, cmd);
    const t1 = this.clock.monotonicMs();
    this.batchMonoMs = t1;
    const us = Math.round((t1 - t0) * 1000);
    ks.settle();
    ks.noTouch = false;
    if (ks.usedBytes + BASE_MEMORY_BYTES > this.peakMemory) this.peakMemory = ks.usedBytes + BASE_MEMORY_BYTES;
    this.stats.commandsProcessed++;
    cmd.stats.calls++;
    cmd.stats.usec += us;
    if (us > this.settings.slowlogSlowerThanUs && this.settings.slowlogSlowerThanUs >= 0) this.slowlogAdd(c, us);
    if (this.latencyTracking) histogramAdd(cmd.histogram ?? (cmd.histogram = new Float64Array(LATENCY_HISTOGRAM_BUCKETS)), us);
    if (this.settings.latencyMonitorThresholdMs > 0) this.latencySample(cmd.fast ? 'fast-command' : 'command', us / 1000);
    if (ks.dirty !== dirtyBefore && cmd.write) {
      const dbIndex = c.db.id;
      const rewritten = c.propagated as string[][] | null;
      if (rewritten === null) this.propagate(dbIndex, c.argv);
      else for (const argv of rewritten) this.propagate(dbIndex, argv);
    }
    c.propagated = null;
  }

  /** True while EXEC runs its queue (blocking commands answer immediately inside it). */
  get execInProgress(): boolean {
    return this.multiPropagation !== 'off';
  }

  /** Sends one write to the AOF (and, later, replicas). */
  propagate(db: number, argv: string[]): void {
    if (this.persistence === null || this.loading) return;
    if (this.multiPropagation === 'pending') {
      this.multiPropagation = 'open';
      this.persistence.feedAof(db, ['MULTI']);
    }
    this.persistence.feedAof(db, argv);
  }

  /** Evicts until under maxmemory; false when still over (noeviction or nothing left). */
  freeMemory(_forWrite: boolean): boolean {
    const limit = this.settings.maxmemoryBytes;
    if (this.usedMemory() <= limit) return true;
    return this.keyspace.evictUntil(limit, () => this.usedMemory());
  }

  /** The memory measure maxmemory compares against and INFO reports as used_memory. */
  usedMemory(): number {
    return BASE_MEMORY_BYTES + this.keyspace.usedBytes;
  }

  private slowlogAdd(c: Client, us: number): void {
    const argv = c.argv.slice(0, SLOWLOG_ARGC_MAX).map((a) =>
      a.length > SLOWLOG_ARG_MAX_CHARS ? `${a.slice(0, SLOWLOG_ARG_MAX_CHARS)}... (${a.length - SLOWLOG_ARG_MAX_CHARS} more bytes)` : a,
    );
    if (c.argv.length > SLOWLOG_ARGC_MAX) argv[SLOWLOG_ARGC_MAX - 1] = `... (${c.argv.length - SLOWLOG_ARGC_MAX + 1} more arguments)`;
    this.slowlog.unshift({
      id: this.slowlogNextId++,
      timeSec: Math.floor(this.clock.now() / 1000),
      durationUs: us,
      argv,
      addr: c.remoteAddress(),
      name: c.name,
    });
    if (this.slowlog.length > this.settings.slowlogMaxLen) this.slowlog.length = this.settings.slowlogMaxLen;
  }

  private feedMonitors(c: Client): void {
    const t = this.clock.now() / 1000;
    const args = c.argv.map((a) => '"' + a.replace(/[\\"]/g, (m) => '\\' + m).replace(NON_PRINTABLE_RE, (m) => escapeByte(m)) + '"');
    const line = `${t.toFixed(6)} [${c.db.id} ${c.socket ? c.remoteAddress() : 'lua'}] ${args.join(' ')}`;
    for (const m of this.monitors) if (m !== c) m.out.simple(line);
  }

  // --- MULTI / EXEC / WATCH -------------------------------------------------------------------

  exec(c: Client): void {
    const queue = c.multi;
    if (queue === null) {
      c.reply.error('ERR EXEC without MULTI');
      return;
    }
    c.multi = null;
    if (c.multiError) {
      c.multiError = false;
      this.unwatchAll(c);
      c.reply.error(E_EXECABORT);
      return;
    }
    if (c.dirtyCas) {
      this.unwatchAll(c);
      c.reply.nullArray();
      return;
    }
    this.unwatchAll(c);
    c.reply.array(queue.length);
    // MULTI/EXEC is written to the AOF around the first write that changes data, so a read-only
    // transaction logs nothing.
    this.multiPropagation = 'pending';
    try {
      for (const q of queue) {
        c.argv = q.argv;
        if (this.settings.maxmemoryBytes > 0 && q.cmd.denyoom && !this.freeMemory(true)) {
          c.reply.error(E_OOM);
          continue;
        }
        // ACL rules may have changed since the command was queued (Redis re-checks at EXEC).
        const denied = c.socket !== null && !q.cmd.noAuth ? aclExecRecheck(c, q.cmd, q.argv) : null;
        if (denied !== null) {
          c.reply.error(denied);
          continue;
        }
        this.call(c, q.cmd);
      }
    } finally {
      if ((this.multiPropagation as string) === 'open') this.propagate(c.db.id, ['EXEC']);
      this.multiPropagation = 'off';
    }
  }

  watch(c: Client, key: string): void {
    const tag = c.db.id + ':' + key;
    if (c.watched.has(tag)) return;
    c.watched.add(tag);
    let set = this.watchers.get(tag);
    if (!set) this.watchers.set(tag, (set = new Set()));
    set.add(c);
  }

  unwatchAll(c: Client): void {
    for (const tag of c.watched) {
      const set = this.watchers.get(tag);
      if (!set) continue;
      set.delete(c);
      if (set.size === 0) this.watchers.delete(tag);
    }
    c.watched.clear();
    c.dirtyCas = false;
  }

  private touchWatched(db: number, key: string): void {
    if (this.watchers.size === 0) return;
    const set = this.watchers.get(db + ':' + key);
    if (set) for (const c of set) c.dirtyCas = true;
  }

  /** Watched keys whose TTL passed count as changed at EXEC time (Redis 7 semantics). */
  checkWatchedExpired(c: Client): void {
    for (const tag of c.watched) {
      const i = tag.indexOf(':');
      const db = this.keyspace.dbs[Number(tag.slice(0, i))];
      const key = tag.slice(i + 1);
      const at = db?.expires.get(key);
      if (at !== undefined && at <= this.clock.now()) c.dirtyCas = true;
    }
  }

  // --- output ---------------------------------------------------------------------------------

  private markPending(c: Client): void {
    if (c.flushQueued) return;
    c.flushQueued = true;
    this.pending[this.pendingCount++] = c;
    if (!this.inBatch && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushPending();
      });
    }
  }

  flushPending(): void {
    if (this.pendingCount === 0) return;
    const pending = this.pending;
    const durable = this.persistence?.durable() ?? null;
    // Count re-read each time: a flush may mark more clients pending.
    for (let i = 0; i < this.pendingCount; i++) {
      const c = pending[i] as Client;
      pending[i] = null;
      c.flushQueued = false;
      if (durable === null && c.writeChain === null) this.flushClient(c, c.out.take());
      else this.flushAfterDurable(c, durable);
    }
    this.pendingCount = 0;
  }

  /**
   * appendfsync always: a reply may only leave once the writes it acknowledges are fsynced. The
   * client's output is chained so later replies never overtake earlier ones.
   */
  private flushAfterDurable(c: Client, durable: Promise<void> | null): void {
    const out = c.out.take();
    const closeAfter = c.closeAfterReply;
    c.closeAfterReply = false;
    const prev = c.writeChain ?? Promise.resolve();
    const next: Promise<void> = prev
      .then(() => durable ?? undefined)
      .then(
        () => {
          c.closeAfterReply = c.closeAfterReply || closeAfter;
          this.flushClient(c, out);
        },
        (err: unknown) => {
          this.logger.error({ err }, 'AOF write failed; closing client without acknowledging');
          this.closeClient(c);
        },
      )
      .finally(() => {
        if (c.writeChain === next) c.writeChain = null;
      });
    c.writeChain = next;
  }

  private flushClient(c: Client, out: string): void {
    const s = c.socket;
    const w = c.writer;
    if (s === null || w === null || s.destroyed) return;
    if (out.length > 0) {
      this.stats.netOutputBytes += out.length;
      w.write(out);
    }
    if (c.closeAfterReply) {
      c.closing = true;
      s.end();
      return;
    }
    const pending = w.pendingBytes();
    if (pending > 0) this.checkOutputLimits(c, pending);
  }

  private checkOutputLimits(c: Client, pendingBytes: number): void {
    const cls = c.subscriptionCount > 0 ? 'pubsub' : 'normal';
    const lim = this.settings.outputLimits[cls];
    if (lim) {
      if (lim.hardBytes > 0 && pendingBytes >= lim.hardBytes) return this.dropSlowClient(c, cls);
      if (lim.softBytes > 0 && pendingBytes >= lim.softBytes) {
        const now = this.clock.now();
        if (c.softLimitSinceMs === 0) c.softLimitSinceMs = now;
        else if (now - c.softLimitSinceMs >= lim.softSeconds * 1000) return this.dropSlowClient(c, cls);
      } else c.softLimitSinceMs = 0;
    }
    if (pendingBytes > OUTPUT_PAUSE_READ_BYTES) c.socket?.pause();
  }

  private dropSlowClient(c: Client, cls: string): void {
    this.logger.warn({ client: c.id, class: cls }, 'client scheduled to be closed ASAP for overcoming of output buffer limits');
    this.closeClient(c);
  }

  // --- periodic work --------------------------------------------------------------------------

  /** latencyAddSampleIfNeeded: records a latency event when latency-monitor-threshold allows it. */
  latencySample(event: string, ms: number): void {
    const thresholdMs = this.settings.latencyMonitorThresholdMs;
    if (thresholdMs <= 0 || ms < thresholdMs) return;
    this.latency.addSample(event, Math.floor(this.clock.now() / 1000), ms);
  }

  private cron(): void {
    this.keyspace.nowMs = this.clock.now();
    const t0 = this.clock.monotonicMs();
    this.keyspace.activeExpireCycle(() => this.clock.monotonicMs());
    const t1 = this.clock.monotonicMs();
    this.latencySample('expire-cycle', t1 - t0);
    if (this.settings.maxmemoryBytes > 0) {
      this.freeMemory(false);
      this.latencySample('eviction-cycle', this.clock.monotonicMs() - t1);
    }
    if (this.pauseUntilMs > 0 && !this.isPaused()) this.unpause();
    this.flushPending();
  }

  private secondCron(): void {
    const now = this.clock.now();
    if (this.settings.timeoutSec > 0) {
      for (const c of this.clients.values()) {
        if (c.subscriptionCount > 0 || c.monitor) continue;
        if (now - c.lastInteractionMs > this.settings.timeoutSec * 1000) this.closeClient(c);
      }
    }
    for (const c of this.clients.values()) {
      const pending = c.writer?.pendingBytes() ?? 0;
      if (pending > 0) this.checkOutputLimits(c, pending);
    }
    this.checkSaveRules(now);
  }

  private checkSaveRules(now: number): void {
    const p = this.persistence;
    if (p === null || this.settings.saveRules.length === 0) return;
    const changes = this.keyspace.dirty - this.lastSaveCheckDirty;
    if (changes <= 0) return;
    const elapsedSec = now / 1000 - p.lastSaveSec();
    for (const [secs, minChanges] of this.settings.saveRules) {
      if (changes >= minChanges && elapsedSec >= secs) {
        this.logger.info({ changes, secs }, `${minChanges} changes in ${secs} seconds. Saving...`);
        if (p.bgsave() === null) this.lastSaveCheckDirty = this.keyspace.dirty;
        return;
      }
    }
  }

  /** Called by persistence when a snapshot completes, so save rules count from there. */
  markSaved(dirtyAtStart = this.keyspace.dirty): void {
    this.lastSaveCheckDirty = dirtyAtStart;
  }

  changesSinceSave(): number {
    return this.keyspace.dirty - this.lastSaveCheckDirty;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.flushPending();
    for (const c of [...this.clients.values()]) this.closeClient(c);
    const net = this.net;
    if (net) await new Promise<void>((r) => net.close(() => r()));
    this.net = null;
  }
}

/** Redis reports ~0.9 MB used at startup; we count a similar fixed base plus the dataset estimate. */
export const BASE_MEMORY_BYTES = 900 * 1024;

function isTransactionControl(cmd: RegisteredCommand): boolean {
  const n = cmd.fullName;
  return n === 'exec' || n === 'discard' || n === 'multi' || n === 'watch' || n === 'quit' || n === 'reset';
}

// eslint-disable-next-line no-control-regex -- MONITOR escapes exactly these bytes, as Redis' sdscatrepr
const NON_PRINTABLE_RE = /[\x00-\x1f\x7f-\xff]/g;

function escapeByte(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c === 10) return '\\n';
  if (c === 13) return '\\r';
  if (c === 9) return '\\t';
  return '\\x' + c.toString(16).padStart(2, '0');
}

function unknownCommand(argv: string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${(argv[i] as string).slice(0, 128 - args.length)}' `;
  return `ERR unknown command '${(argv[0] as string).slice(0, 128)}', with args beginning with: ${args}`;
}

function unknownSubcommand(argv: string[], cmd: RegisteredCommand): string {
  return `ERR unknown subcommand '${(argv[1] as string).slice(0, 128)}'. Try ${cmd.fullName.toUpperCase()} HELP.`;
}
