/** Server commands: INFO CONFIG DBSIZE FLUSH* SWAPDB TIME SAVE/BGSAVE SHUTDOWN DEBUG SLOWLOG LATENCY MEMORY MONITOR WAIT. */
import { cpuUsage, memoryUsage, pid, uptime } from 'node:process';
import { arch, platform, release } from 'node:os';
import type { Client } from '../client.js';
import { estimateBytes } from '../engine/keyspace.js';
import { Deque } from '../engine/deque.js';
import { ZSet } from '../engine/zset.js';
import { MutableString } from '../engine/mutable-string.js';
import type { RedisServer } from '../server.js';
import { globMatch, is, parseInteger } from './args.js';
import { buildConfigTable, type ConfigParam } from './config-table.js';
import { REDIS_VERSION } from './connection.js';
import { E_DB_INDEX, E_NOT_INT, E_SYNTAX } from './errors.js';
import type { CommandModule } from './types.js';
import type { RegisteredCommand } from './registry.js';
import { histogramReport } from '../latency.js';
import { trackingOnFlush, trackingStats } from '../tracking.js';
import { blockedClients } from './streams-blocking.js';

let configTable: Map<string, ConfigParam> | null = null;
function table(): Map<string, ConfigParam> {
  if (configTable === null) configTable = buildConfigTable();
  return configTable;
}

// --- INFO -----------------------------------------------------------------------------------

function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(2)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(2)}M`;
  return `${(n / 1024 ** 3).toFixed(2)}G`;
}

type Section = [string, Array<[string, string | number]>];

function infoSections(s: RedisServer): Section[] {
  const now = s.clock.now();
  const up = Math.floor((now - s.stats.startMs) / 1000);
  const mem = memoryUsage();
  const used = s.usedMemory();
  const cpu = cpuUsage();
  const p = s.persistence;
  const persist = p ? p.info() : {};
  let pubsubClients = 0;
  const blocked = blockedClients(s);
  for (const c of s.clients.values()) if (c.subscriptionCount > 0) pubsubClients++;
  const ks = s.keyspace;
  const keyspace: Array<[string, string]> = [];
  for (const db of ks.dbs) {
    if (db.size === 0) continue;
    keyspace.push([`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=${Math.round(db.avgTtl)}`]);
  }
  return [
    [
      'Server',
      [
        ['redis_version', REDIS_VERSION],
        ['redis_git_sha1', '00000000'],
        ['redis_git_dirty', 0],
        ['redis_build_id', 'nimbus'],
        ['redis_mode', 'standalone'],
        ['os', `${platform()} ${release()} ${arch()}`],
        ['arch_bits', 64],
        ['monotonic_clock', 'POSIX clock_gettime'],
        ['multiplexing_api', 'epoll'],
        ['atomicvar_api', 'c11-builtin'],
        ['gcc_version', '0.0.0'],
        ['process_id', pid],
        ['process_supervised', 'no'],
        ['run_id', s.runId],
        ['tcp_port', s.port],
        ['server_time_usec', now * 1000],
        ['uptime_in_seconds', up],
        ['uptime_in_days', Math.floor(up / 86400)],
        ['hz', s.settings.hz],
        ['configured_hz', s.settings.hz],
        ['lru_clock', Math.floor(now / 1000) & 0xffffff],
        ['executable', process.execPath],
        ['config_file', ''],
        ['io_threads_active', 0],
        ['listener0', `name=tcp,bind=127.0.0.1,port=${s.port}`],
        ['nimbus_node_version', process.version],
      ],
    ],
    [
      'Clients',
      [
        ['connected_clients', s.clients.size],
        ['cluster_connections', 0],
        ['maxclients', s.settings.maxclients],
        ['client_recent_max_input_buffer', 0],
        ['client_recent_max_output_buffer', 0],
        ['blocked_clients', blocked],
        ['tracking_clients', trackingStats(s).clients],
        ['pubsub_clients', pubsubClients],
        ['watching_clients', [...s.clients.values()].filter((c) => c.watched.size > 0).length],
        ['clients_in_timeout_table', 0],
        ['total_watched_keys', 0],
        ['total_blocking_keys', 0],
        ['total_blocking_keys_on_nokey', 0],
      ],
    ],
    [
      'Memory',
      [
        ['used_memory', used],
        ['used_memory_human', humanBytes(used)],
        ['used_memory_rss', mem.rss],
        ['used_memory_rss_human', humanBytes(mem.rss)],
        ['used_memory_peak', Math.max(used, s.peakMemory)],
        ['used_memory_peak_human', humanBytes(Math.max(used, s.peakMemory))],
        ['used_memory_overhead', used - ks.usedBytes],
        ['used_memory_startup', used - ks.usedBytes],
        ['used_memory_dataset', ks.usedBytes],
        ['used_memory_js_heap', mem.heapUsed],
        ['used_memory_lua', 31744],
        ['maxmemory', s.settings.maxmemoryBytes],
        ['maxmemory_human', humanBytes(s.settings.maxmemoryBytes)],
        ['maxmemory_policy', s.settings.maxmemoryPolicy],
        ['mem_fragmentation_ratio', (mem.rss / Math.max(1, used)).toFixed(2)],
        ['mem_allocator', 'v8'],
        ['lazyfree_pending_objects', 0],
        ['lazyfreed_objects', 0],
      ],
    ],
    [
      'Persistence',
      [
        ['loading', s.loading ? 1 : 0],
        ['async_loading', 0],
        ['current_cow_peak', 0],
        ['current_cow_size', 0],
        ['current_fork_perc', '0.00'],
        ['current_save_keys_processed', 0],
        ['current_save_keys_total', 0],
        ['rdb_changes_since_last_save', s.changesSinceSave()],
        ['rdb_bgsave_in_progress', 0],
        ['rdb_last_save_time', p ? p.lastSaveSec() : Math.floor(s.stats.startMs / 1000)],
        ['rdb_last_bgsave_status', 'ok'],
        ['aof_enabled', 0],
        ['aof_rewrite_in_progress', 0],
        ['aof_rewrite_scheduled', 0],
        ['aof_last_write_status', 'ok'],
      ].filter((e) => !((e[0] as string) in persist)).concat(Object.entries(persist)) as Array<[string, string | number]>,
    ],
    [
      'Stats',
      [
        ['total_connections_received', s.stats.connectionsReceived],
        ['total_commands_processed', s.stats.commandsProcessed],
        ['instantaneous_ops_per_sec', 0],
        ['total_net_input_bytes', s.stats.netInputBytes],
        ['total_net_output_bytes', s.stats.netOutputBytes],
        ['rejected_connections', s.stats.rejectedConnections],
        ['expired_keys', ks.stats.expiredKeys],
        ['evicted_keys', ks.stats.evictedKeys],
        ['evicted_clients', 0],
        ['keyspace_hits', ks.stats.hits],
        ['keyspace_misses', ks.stats.misses],
        ['pubsub_channels', s.pubsub.channels.size],
        ['pubsub_patterns', s.pubsub.patterns.size],
        ['pubsubshard_channels', s.pubsub.shardChannels.size],
        ['latest_fork_usec', 0],
        ['total_forks', 0],
        ['total_error_replies', s.stats.totalErrorReplies],
        ['total_pubsub_messages', s.stats.pubsubMessages],
        ['tracking_total_keys', trackingStats(s).keys],
        ['tracking_total_items', trackingStats(s).items],
        ['tracking_total_prefixes', trackingStats(s).prefixes],
      ],
    ],
    [
      'Replication',
      [
        ['role', 'master'],
        ['connected_slaves', 0],
        ['master_failover_state', 'no-failover'],
        ['master_replid', s.runId],
        ['master_replid2', '0000000000000000000000000000000000000000'],
        ['master_repl_offset', 0],
        ['second_repl_offset', -1],
        ['repl_backlog_active', 0],
        ['repl_backlog_size', 1048576],
      ],
    ],
    [
      'CPU',
      [
        ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)],
        ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
        ['used_cpu_sys_children', '0.000000'],
        ['used_cpu_user_children', '0.000000'],
        ['process_uptime_seconds', Math.floor(uptime())],
      ],
    ],
    ['Modules', []],
    ['Errorstats', []],
    ['Cluster', [['cluster_enabled', 0]]],
    ['Keyspace', keyspace],
  ];
}

function commandStatsSection(s: RedisServer): Section {
  const rows: Array<[string, string]> = [];
  const add = (name: string, st: { calls: number; usec: number; rejected: number; failed: number }): void => {
    if (st.calls === 0 && st.rejected === 0) return;
    rows.push([
      `cmdstat_${name}`,
      `calls=${st.calls},usec=${st.usec},usec_per_call=${st.calls ? (st.usec / st.calls).toFixed(2) : '0.00'},rejected_calls=${st.rejected},failed_calls=${st.failed}`,
    ]);
  };
  for (const cmd of s.registry.all()) {
    add(cmd.fullName, cmd.stats);
    for (const sub of cmd.subcommands.values()) add(sub.fullName, sub.stats);
  }
  return ['Commandstats', rows];
}

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];

export function infoText(s: RedisServer, args: string[]): string {
  const want = new Set(args.map((a) => a.toLowerCase()));
  const all = want.has('all') || want.has('everything');
  const useDefault = want.size === 0 || want.has('default');
  const sections = infoSections(s);
  sections.splice(sections.length - 3, 0, commandStatsSection(s));
  const parts: string[] = [];
  for (const [name, rows] of sections) {
    const key = name.toLowerCase();
    const include = all || want.has(key) || (useDefault && DEFAULT_SECTIONS.includes(key));
    if (!include || (key === 'commandstats' && !all && !want.has(key))) continue;
    parts.push(`# ${name}\r\n` + rows.map(([k, v]) => `${k}:${v}\r\n`).join(''));
  }
  return parts.join('\r\n');
}

function info(c: Client): void {
  c.reply.verbatim(infoText(c.server, c.argv.slice(1)));
}

// --- CONFIG ---------------------------------------------------------------------------------

function configGet(c: Client): void {
  const t = table();
  const out = new Map<string, string>();
  for (let i = 2; i < c.argv.length; i++) {
    const pat = (c.argv[i] as string).toLowerCase();
    const direct = t.get(pat);
    if (direct) out.set(pat, direct.get(c.server));
    else for (const [name, p] of t) if (globMatch(pat, name)) out.set(name, p.get(c.server));
  }
  c.reply.map(out.size);
  for (const [k, v] of out) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function configSet(c: Client): void {
  const argv = c.argv;
  if (argv.length % 2 !== 0) return c.reply.error("ERR wrong number of arguments for 'config|set' command");
  const t = table();
  const pairs: Array<[string, ConfigParam, string]> = [];
  for (let i = 2; i < argv.length; i += 2) {
    const name = (argv[i] as string).toLowerCase();
    const p = t.get(name);
    if (!p) return c.reply.error(`ERR Unknown option or number of arguments for CONFIG SET - '${argv[i] as string}'`);
    if (pairs.some((x) => x[0] === name)) return c.reply.error(`ERR Duplicate parameter - '${argv[i] as string}'`);
    pairs.push([name, p, argv[i + 1] as string]);
  }
  for (const [name, p, v] of pairs) {
    const err = p.set(c.server, v);
    if (err) return c.reply.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`);
  }
  c.reply.ok();
}

// --- keyspace-wide --------------------------------------------------------------------------

function flushArgs(c: Client, from: number): boolean {
  if (c.argv.length > from + 1) {
    c.reply.error(E_SYNTAX);
    return false;
  }
  if (c.argv.length === from + 1 && !is(c.argv[from], 'ASYNC') && !is(c.argv[from], 'SYNC')) {
    c.reply.error(E_SYNTAX);
    return false;
  }
  return true;
}

function flushdb(c: Client): void {
  if (!flushArgs(c, 1)) return;
  trackingOnFlush(c.server, false);
  c.db.flush();
  c.server.keyspace.dirty++;
  c.reply.ok();
}

function flushall(c: Client): void {
  if (!flushArgs(c, 1)) return;
  trackingOnFlush(c.server, true);
  for (const db of c.server.keyspace.dbs) db.flush();
  c.server.keyspace.dirty++;
  c.reply.ok();
}

function swapdb(c: Client): void {
  const a = parseInteger(c.argv[1] as string);
  const b = parseInteger(c.argv[2] as string);
  if (a === null) return c.reply.error('ERR invalid first DB index');
  if (b === null) return c.reply.error('ERR invalid second DB index');
  const n = c.server.keyspace.dbs.length;
  if (a < 0 || a >= n || b < 0 || b >= n) return c.reply.error(E_DB_INDEX);
  if (a !== b) c.server.keyspace.swap(a, b);
  else c.server.keyspace.dirty++;
  c.reply.ok();
}

// --- persistence ----------------------------------------------------------------------------

function save(c: Client): void {
  const p = c.server.persistence;
  if (!p) return c.reply.error('ERR persistence is disabled (ephemeral mode)');
  try {
    p.save();
    c.reply.ok();
  } catch (err) {
    c.reply.error(`ERR ${(err as Error).message}`);
  }
}

function bgsave(c: Client): void {
  const p = c.server.persistence;
  if (!p) return c.reply.error('ERR persistence is disabled (ephemeral mode)');
  if (c.argv.length === 2 && !is(c.argv[1], 'SCHEDULE')) return c.reply.error(E_SYNTAX);
  const err = p.bgsave();
  if (err) c.reply.error(err);
  else c.reply.simple('Background saving started');
}

function bgrewriteaof(c: Client): void {
  const p = c.server.persistence;
  if (!p) return c.reply.error('ERR persistence is disabled (ephemeral mode)');
  const err = p.bgrewriteaof();
  if (err) c.reply.error(err);
  else c.reply.simple('Background append only file rewriting started');
}

function shutdown(c: Client): void {
  // Nimbus hosts other services in the same process: SHUTDOWN saves (unless NOSAVE) and closes
  // the Redis clients, but does not exit the host process.
  const nosave = c.argv.slice(1).some((a) => is(a, 'NOSAVE'));
  const p = c.server.persistence;
  if (p && !nosave) {
    try {
      p.save();
    } catch (err) {
      return c.reply.error(`ERR Errors trying to SHUTDOWN. Check logs. (${(err as Error).message})`);
    }
  }
  for (const x of [...c.server.clients.values()]) c.server.closeClient(x);
}

// --- DEBUG, SLOWLOG, LATENCY, MEMORY ------------------------------------------------------

function encodingOf(v: ReturnType<Client['db']['peek']>): string {
  if (v === undefined) return '';
  if (typeof v === 'string') {
    if (v.length <= 20 && /^-?(0|[1-9][0-9]*)$/.test(v) && Number.isSafeInteger(Number(v))) return 'int';
    return v.length <= 44 ? 'embstr' : 'raw';
  }
  if (v instanceof MutableString) return 'raw';
  if (v instanceof Deque) return v.length <= 128 ? 'listpack' : 'quicklist';
  if (v instanceof Map) return v.size <= 128 ? 'listpack' : 'hashtable';
  if (v instanceof Set) {
    if (v.size <= 512 && [...v].every((m) => /^-?(0|[1-9][0-9]*)$/.test(m) && Number.isSafeInteger(Number(m)))) return 'intset';
    return v.size <= 128 ? 'listpack' : 'hashtable';
  }
  if (v instanceof ZSet) return v.size <= 128 ? 'listpack' : 'skiplist';
  return v.encoding;
}
export { encodingOf };

function debug(c: Client): void {
  const sub = (c.argv[1] as string).toUpperCase();
  const s = c.server;
  switch (sub) {
    case 'SLEEP': {
      const secs = Number(c.argv[2] ?? '0');
      const until = Date.now() + secs * 1000;
      while (Date.now() < until) {
        /* DEBUG SLEEP blocks the server on purpose, as in Redis. */
      }
      return c.reply.ok();
    }
    case 'POPULATE': {
      // DEBUG POPULATE count [prefix] [size]: keys prefix:N = "value:N" (padded to size), skipping existing.
      const count = parseInteger(c.argv[2] ?? '');
      if (count === null || count < 0) return c.reply.error('ERR value is out of range, must be positive');
      const prefix = c.argv[3] ?? 'key';
      const size = c.argv[4] === undefined ? null : parseInteger(c.argv[4]);
      if (size === null && c.argv[4] !== undefined) return c.reply.error(E_NOT_INT);
      for (let i = 0; i < count; i++) {
        const key = `${prefix}:${i}`;
        if (c.db.dict.has(key)) continue;
        let val = `value:${i}`;
        if (size !== null) val = val.length >= size ? val.slice(0, size) : val + '\0'.repeat(size - val.length);
        c.db.set(key, val);
        if ((i & 1023) === 1023) s.keyspace.settle();
      }
      return c.reply.ok();
    }
    case 'SET-ACTIVE-EXPIRE':
      s.keyspace.activeExpireEnabled = c.argv[2] === '1';
      return c.reply.ok();
    case 'OBJECT': {
      const key = c.argv[2] as string;
      const v = c.db.peek(key);
      if (v === undefined) return c.reply.error('ERR no such key');
      return c.reply.simple(
        `Value at:0x0 refcount:1 encoding:${encodingOf(v)} serializedlength:${estimateBytes(key, v)} lru:0 lru_seconds_idle:${c.db.idleSeconds(key)}`,
      );
    }
    case 'RELOAD': {
      const p = s.persistence;
      if (p) {
        try {
          p.save();
        } catch (err) {
          return c.reply.error(`ERR ${(err as Error).message}`);
        }
      }
      return c.reply.ok();
    }
    case 'JMAP':
    case 'QUICKLIST-PACKED-THRESHOLD':
    case 'STRINGMATCH-LEN':
    case 'SET-DISABLE-DENY-SCRIPTS':
    case 'DICT-RESIZING':
    case 'REPLYBUFFER':
    case 'SLEEP-MS':
      return c.reply.ok();
    case 'CHANGE-REPL-ID':
      return c.reply.ok();
    case 'DIGEST':
      return c.reply.bulk('0'.repeat(40));
    case 'HTSTATS-KEY':
    case 'LISTPACK':
    case 'QUICKLIST':
      return c.reply.ok();
    case 'PROTOCOL': {
      const t = (c.argv[2] ?? '').toLowerCase();
      const r = c.reply;
      if (t === 'string') return r.bulk('Hello World');
      if (t === 'integer') return r.int(12345);
      if (t === 'double') return r.double(3.141);
      if (t === 'bignum') return r.bigNumber('1234567999999999999999999999999999999');
      if (t === 'null') return r.nullBulk();
      if (t === 'array') return r.bulks(['0', '1', '2']);
      if (t === 'map') {
        r.map(3);
        for (let i = 0; i < 3; i++) {
          r.int(i);
          r.bool(i === 1);
        }
        return;
      }
      if (t === 'true') return r.bool(true);
      if (t === 'false') return r.bool(false);
      if (t === 'verbatim') return r.verbatim('This is a verbatim\nstring');
      return r.error('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
    }
    case 'HELP':
      return c.reply.bulks(['DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'SLEEP <seconds>', 'SET-ACTIVE-EXPIRE <0|1>', 'OBJECT <key>', 'RELOAD', 'PROTOCOL <type>', 'DIGEST']);
    default:
      return c.reply.error(`ERR unknown subcommand '${c.argv[1] as string}'. Try DEBUG HELP.`);
  }
}

/** LATENCY HISTOGRAM [command ...]: per-command call counts and cumulative µs buckets. */
function latencyHistogram(c: Client): void {
  const all: RegisteredCommand[] = [];
  for (const cmd of c.server.registry.all()) {
    if (cmd.subcommands.size === 0) all.push(cmd);
    else for (const sub of cmd.subcommands.values()) all.push(sub);
  }
  const wanted = c.argv.slice(2).map((a) => a.toLowerCase());
  const picked = all.filter((cmd) => {
    if (cmd.histogram === null || cmd.stats.calls === 0) return false;
    if (wanted.length === 0) return true;
    return wanted.includes(cmd.fullName) || (cmd.parent !== null && wanted.includes(cmd.parent.fullName));
  });
  c.reply.map(picked.length);
  for (const cmd of picked) {
    c.reply.bulk(cmd.fullName);
    c.reply.map(2);
    c.reply.bulk('calls');
    c.reply.int(cmd.stats.calls);
    c.reply.bulk('histogram_usec');
    const buckets = histogramReport(cmd.histogram as Float64Array);
    c.reply.map(buckets.length);
    for (const [upper, count] of buckets) {
      c.reply.int(upper);
      c.reply.int(count);
    }
  }
}

function slowlogGet(c: Client): void {
  let n = 10;
  if (c.argv.length === 3) {
    const x = parseInteger(c.argv[2] as string);
    if (x === null || x < -1) return c.reply.error('ERR count should be greater than or equal to -1');
    n = x === -1 ? c.server.slowlog.length : x;
  }
  const entries = c.server.slowlog.slice(0, n);
  c.reply.array(entries.length);
  for (const e of entries) {
    c.reply.array(6);
    c.reply.int(e.id);
    c.reply.int(e.timeSec);
    c.reply.int(e.durationUs);
    c.reply.bulks(e.argv);
    c.reply.bulk(e.addr);
    c.reply.bulk(e.name);
  }
}

function memoryUsageCmd(c: Client): void {
  const key = c.argv[2] as string;
  if (c.argv.length > 3 && !(is(c.argv[3], 'SAMPLES') && c.argv.length === 5)) return c.reply.error(E_SYNTAX);
  const v = c.db.peek(key);
  if (v === undefined) return c.reply.nullBulk();
  c.reply.int(estimateBytes(key, v));
}

function memoryStats(c: Client): void {
  const s = c.server;
  const used = s.usedMemory();
  const pairs: Array<[string, number]> = [
    ['peak.allocated', Math.max(used, s.peakMemory)],
    ['total.allocated', used],
    ['startup.allocated', used - s.keyspace.usedBytes],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', 0],
    ['aof.buffer', 0],
    ['keys.count', s.keyspace.totalKeys()],
    ['dataset.bytes', s.keyspace.usedBytes],
  ];
  c.reply.map(pairs.length);
  for (const [k, v] of pairs) {
    c.reply.bulk(k);
    c.reply.int(v);
  }
}

function monitor(c: Client): void {
  if (c.multi !== null) return c.reply.error('ERR MONITOR calls can not be nested');
  c.monitor = true;
  c.server.monitors.add(c);
  c.reply.ok();
}

function wait(c: Client): void {
  const n = parseInteger(c.argv[1] as string);
  const t = parseInteger(c.argv[2] as string);
  if (n === null || t === null) return c.reply.error(E_NOT_INT);
  if (t < 0) return c.reply.error('ERR timeout is negative');
  c.reply.int(0);
}

export const serverCommands: CommandModule = {
  info,
  'config|get': configGet,
  'config|set': configSet,
  'config|resetstat': (c) => {
    const s = c.server;
    s.stats.commandsProcessed = 0;
    s.stats.connectionsReceived = 0;
    s.stats.totalErrorReplies = 0;
    s.stats.netInputBytes = s.stats.netOutputBytes = 0;
    Object.assign(s.keyspace.stats, { expiredKeys: 0, evictedKeys: 0, hits: 0, misses: 0 });
    for (const cmd of s.registry.all()) {
      Object.assign(cmd.stats, { calls: 0, usec: 0, rejected: 0, failed: 0 });
      cmd.histogram = null;
      for (const sub of cmd.subcommands.values()) {
        Object.assign(sub.stats, { calls: 0, usec: 0, rejected: 0, failed: 0 });
        sub.histogram = null;
      }
    }
    s.slowlog.length = 0;
    c.reply.ok();
  },
  'config|rewrite': (c) => c.reply.error('ERR The server is running without a config file'),
  'config|help': (c) => c.reply.bulks(['CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'GET <pattern>', 'SET <directive> <value>', 'RESETSTAT', 'REWRITE', 'HELP']),
  dbsize: (c) => c.reply.int(c.db.size),
  flushdb,
  flushall,
  swapdb,
  time: (c) => {
    const us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    c.reply.bulks([String(us / 1000000n), String(us % 1000000n)]);
  },
  lastsave: (c) => c.reply.int(c.server.persistence?.lastSaveSec() ?? Math.floor(c.server.stats.startMs / 1000)),
  save,
  bgsave,
  bgrewriteaof,
  shutdown,
  debug,
  'slowlog|get': slowlogGet,
  'slowlog|len': (c) => c.reply.int(c.server.slowlog.length),
  'slowlog|reset': (c) => {
    c.server.slowlog.length = 0;
    c.reply.ok();
  },
  'slowlog|help': (c) => c.reply.bulks(['SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'GET [<count>]', 'LEN', 'RESET', 'HELP']),
  'latency|latest': (c) => {
    const rows = c.server.latency.latest();
    c.reply.array(rows.length);
    for (const [event, time, ms, max] of rows) {
      c.reply.array(4);
      c.reply.bulk(event);
      c.reply.int(time);
      c.reply.int(ms);
      c.reply.int(max);
    }
  },
  'latency|history': (c) => {
    const samples = c.server.latency.history(c.argv[2] as string);
    c.reply.array(samples.length);
    for (const s of samples) {
      c.reply.array(2);
      c.reply.int(s.timeSec);
      c.reply.int(s.ms);
    }
  },
  'latency|reset': (c) => c.reply.int(c.server.latency.reset(c.argv.slice(2))),
  'latency|graph': (c) => {
    const event = c.argv[2] as string;
    const graph = c.server.latency.graph(event, Math.floor(c.server.clock.now() / 1000));
    if (graph === null) return c.reply.error(`ERR No samples available for event '${event}'`);
    c.reply.verbatim(graph);
  },
  'latency|doctor': (c) => c.reply.verbatim(c.server.latency.doctor(c.server.settings.latencyMonitorThresholdMs)),
  'latency|histogram': latencyHistogram,
  'latency|help': (c) =>
    c.reply.bulks([
      'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'DOCTOR',
      '    Return a human readable latency analysis report.',
      'GRAPH <event>',
      '    Return an ASCII latency graph for the <event> class.',
      'HISTORY <event>',
      '    Return time-latency samples for the <event> class.',
      'LATEST',
      '    Return the latest latency samples for all events.',
      'RESET [<event> ...]',
      '    Reset latency data of one or more <event> classes.',
      '    (default: reset all data for all event classes)',
      'HISTOGRAM [COMMAND ...]',
      '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
      '    If no commands are specified then all histograms are replied.',
      'HELP',
      '    Print this help.',
    ]),
  'memory|usage': memoryUsageCmd,
  'memory|stats': memoryStats,
  'memory|doctor': (c) => c.reply.verbatim('Hi Sam, I can\'t find any memory issue in your instance. I can only account for what occurs on this base.\n'),
  'memory|purge': (c) => c.reply.ok(),
  'memory|malloc-stats': (c) => c.reply.verbatim('Stats not supported for the current allocator\n'),
  'memory|help': (c) => c.reply.bulks(['MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'DOCTOR', 'MALLOC-STATS', 'PURGE', 'STATS', 'USAGE <key> [SAMPLES <count>]', 'HELP']),
  monitor,
  wait,
  role: (c) => {
    c.reply.array(3);
    c.reply.bulk('master');
    c.reply.int(0);
    c.reply.array(0);
  },
  lolwut: (c) => c.reply.verbatim(`Nimbus ver. ${REDIS_VERSION}\n`),
};

