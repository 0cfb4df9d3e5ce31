/**
 * CONFIG GET/SET parameters. Parameters that change behaviour are wired to server settings;
 * encoding-tuning parameters (listpack/ziplist/intset sizes ...) and others that have no meaning
 * here are accepted and remembered as harmless no-ops, because test suites and clients set them.
 */
import { MAXMEMORY_POLICIES, formatOutputLimits, parseMemory, parseOutputLimits, parseSaveRules } from '../config.js';
import type { MaxmemoryPolicy } from '../engine/keyspace.js';
import type { RedisServer } from '../server.js';
import { notifyFlagsToString, setNotifyKeyspaceEvents } from '../notify.js';

export interface ConfigParam {
  get(s: RedisServer): string;
  /** Returns an error text or null. */
  set(s: RedisServer, v: string): string | null;
}

function intParam(get: (s: RedisServer) => number, set: (s: RedisServer, n: number) => void, min = 0): ConfigParam {
  return {
    get: (s) => String(get(s)),
    set: (s, v) => {
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || n < min) return `argument couldn't be parsed into an integer`;
      set(s, n);
      return null;
    },
  };
}

function memParam(get: (s: RedisServer) => number, set: (s: RedisServer, n: number) => void): ConfigParam {
  return {
    get: (s) => String(get(s)),
    set: (s, v) => {
      const n = parseMemory(v);
      if (n === null) return `argument must be a memory value`;
      set(s, n);
      return null;
    },
  };
}

const isInt = (v: string): boolean => /^-?\d+$/.test(v);
const isBool = (v: string): boolean => /^(yes|no)$/i.test(v);

/** No-op parameters with their Redis 7.2 defaults. */
const NOOP_DEFAULTS: Record<string, [string, (v: string) => boolean]> = {
  'hash-max-listpack-entries': ['128', isInt],
  'hash-max-listpack-value': ['64', isInt],
  'hash-max-ziplist-entries': ['128', isInt],
  'hash-max-ziplist-value': ['64', isInt],
  'list-max-listpack-size': ['-2', isInt],
  'list-max-ziplist-size': ['-2', isInt],
  'list-compress-depth': ['0', isInt],
  'set-max-intset-entries': ['512', isInt],
  'set-max-listpack-entries': ['128', isInt],
  'set-max-listpack-value': ['64', isInt],
  'zset-max-listpack-entries': ['128', isInt],
  'zset-max-listpack-value': ['64', isInt],
  'zset-max-ziplist-entries': ['128', isInt],
  'zset-max-ziplist-value': ['64', isInt],
  'stream-node-max-bytes': ['4096', isInt],
  'stream-node-max-entries': ['100', isInt],
  'hll-sparse-max-bytes': ['3000', isInt],
  'activerehashing': ['yes', isBool],
  'activedefrag': ['no', isBool],
  'lazyfree-lazy-eviction': ['no', isBool],
  'lazyfree-lazy-expire': ['no', isBool],
  'lazyfree-lazy-server-del': ['no', isBool],
  'lazyfree-lazy-user-del': ['no', isBool],
  'lazyfree-lazy-user-flush': ['no', isBool],
  'lfu-log-factor': ['10', isInt],
  'lfu-decay-time': ['1', isInt],
  'maxmemory-samples': ['5', isInt],
  'maxmemory-eviction-tenacity': ['10', isInt],
  'tcp-keepalive': ['300', isInt],
  'busy-reply-threshold': ['5000', isInt],
  'lua-time-limit': ['5000', isInt],
  'aof-use-rdb-preamble': ['yes', isBool],
  'aof-load-truncated': ['yes', isBool],
  'auto-aof-rewrite-percentage': ['100', isInt],
  'auto-aof-rewrite-min-size': ['67108864', () => true],
  'rdbcompression': ['yes', isBool],
  'rdbchecksum': ['yes', isBool],
  'stop-writes-on-bgsave-error': ['yes', isBool],
  'latency-tracking': ['yes', isBool],
  'close-on-oom': ['no', isBool],
  'repl-diskless-sync': ['yes', isBool],
  'replica-read-only': ['yes', isBool],
  'protected-mode': ['no', isBool],
  'loglevel': ['notice', () => true],
  'bind': ['127.0.0.1', () => true],
  'daemonize': ['no', isBool],
  'io-threads': ['1', isInt],
  'enable-debug-command': ['yes', () => true],
  'active-expire-effort': ['1', isInt],
  'dynamic-hz': ['yes', isBool],
  'tracking-table-max-keys': ['1000000', isInt],
  'min-replicas-to-write': ['0', isInt],
  'min-replicas-max-lag': ['10', isInt],
  'cluster-enabled': ['no', isBool],
  'oom-score-adj': ['no', () => true],
  'set-proc-title': ['yes', isBool],
  'jemalloc-bg-thread': ['yes', isBool],
};

export function buildConfigTable(): Map<string, ConfigParam> {
  const t = new Map<string, ConfigParam>();
  t.set('requirepass', {
    get: (s) => s.settings.requirepass,
    set: (s, v) => {
      s.settings.requirepass = v;
      return null;
    },
  });
  t.set('maxclients', intParam((s) => s.settings.maxclients, (s, n) => (s.settings.maxclients = n), 1));
  t.set('timeout', intParam((s) => s.settings.timeoutSec, (s, n) => (s.settings.timeoutSec = n)));
  t.set('maxmemory', memParam((s) => s.settings.maxmemoryBytes, (s, n) => (s.settings.maxmemoryBytes = n)));
  t.set('maxmemory-policy', {
    get: (s) => s.settings.maxmemoryPolicy,
    set: (s, v) => {
      const p = v.toLowerCase();
      if (!(MAXMEMORY_POLICIES as readonly string[]).includes(p)) return 'argument(s) must be one of the following: ' + MAXMEMORY_POLICIES.join(', ');
      s.settings.maxmemoryPolicy = p as MaxmemoryPolicy;
      s.keyspace.setPolicy(p as MaxmemoryPolicy);
      return null;
    },
  });
  t.set('maxmemory-samples', intParam((s) => s.keyspace.maxmemorySamples, (s, n) => (s.keyspace.maxmemorySamples = n), 1));
  t.set('lfu-log-factor', intParam((s) => s.keyspace.lfuLogFactor, (s, n) => (s.keyspace.lfuLogFactor = n)));
  t.set('lfu-decay-time', intParam((s) => s.keyspace.lfuDecayMinutes, (s, n) => (s.keyspace.lfuDecayMinutes = n)));
  t.set('proto-max-bulk-len', memParam((s) => s.settings.protoMaxBulkLenBytes, (s, n) => {
    s.settings.protoMaxBulkLenBytes = n;
    for (const c of s.clients.values()) c.parser.limits.protoMaxBulkLenBytes = n;
  }));
  t.set('client-query-buffer-limit', memParam((s) => s.settings.clientQueryBufferLimitBytes, (s, n) => (s.settings.clientQueryBufferLimitBytes = n)));
  t.set('client-output-buffer-limit', {
    get: (s) => formatOutputLimits(s.settings.outputLimits),
    set: (s, v) => {
      const l = parseOutputLimits(v);
      if (!l) return 'Invalid argument';
      Object.assign(s.settings.outputLimits, l);
      return null;
    },
  });
  t.set('save', {
    get: (s) => s.settings.saveRules.map(([a, b]) => `${a} ${b}`).join(' '),
    set: (s, v) => {
      const r = parseSaveRules(v);
      if (!r) return 'Invalid save parameters';
      s.settings.saveRules = r;
      return null;
    },
  });
  t.set('slowlog-log-slower-than', intParam((s) => s.settings.slowlogSlowerThanUs, (s, n) => (s.settings.slowlogSlowerThanUs = n), -1));
  t.set('slowlog-max-len', intParam((s) => s.settings.slowlogMaxLen, (s, n) => (s.settings.slowlogMaxLen = n)));
  t.set('latency-monitor-threshold', intParam((s) => s.settings.latencyMonitorThresholdMs, (s, n) => (s.settings.latencyMonitorThresholdMs = n)));
  t.set('hz', intParam((s) => s.settings.hz, (s, n) => (s.settings.hz = n), 1));
  // appendonly/appendfsync act on the running persistence (persistence-bridge.ts), as in Redis.
  t.set('appendonly', {
    get: (s) => s.persistenceParam('appendonly') ?? 'no',
    set: (s, v) => {
      if (!isBool(v)) return "argument must be 'yes' or 'no'";
      const on = v.toLowerCase() === 'yes';
      if (s.persistence === null) return on ? 'Unable to turn on AOF: Nimbus runs this server without persistence (--ephemeral).' : null;
      return s.persistence.setAppendonly(on);
    },
  });
  t.set('appendfsync', {
    get: (s) => s.persistenceParam('appendfsync') ?? s.settings.extra.get('appendfsync') ?? s.config.appendfsync,
    set: (s, v) => {
      const policy = v.toLowerCase();
      if (policy !== 'everysec' && policy !== 'always' && policy !== 'no')
        return 'argument(s) must be one of the following: everysec, always, no';
      if (s.persistence !== null) s.persistence.setAppendfsync(policy);
      else s.settings.extra.set('appendfsync', policy); // ephemeral: remembered, no effect
      return null;
    },
  });
  t.set('notify-keyspace-events', {
    get: (s) => notifyFlagsToString(s.notifyFlags),
    set: (s, v) => setNotifyKeyspaceEvents(s, v),
  });
  t.set('databases', { get: (s) => String(s.keyspace.dbs.length), set: () => "can't set immutable config" });
  t.set('port', { get: (s) => String(s.port), set: () => "can't set immutable config" });
  t.set('dir', { get: (s) => s.dataDir, set: () => "can't set protected config" });
  t.set('dbfilename', { get: (s) => s.config.dbfilename, set: () => "can't set protected config" });
  t.set('appenddirname', { get: (s) => s.config.appenddirname, set: () => "can't set immutable config" });
  t.set('aclfile', { get: (s) => s.settings.extra.get('aclfile') ?? s.config.aclfile ?? '', set: () => "can't set immutable config" });
  t.set('appendfilename', { get: (s) => s.config.appendfilename, set: () => "can't set immutable config" });
  for (const [name, [def, validate]] of Object.entries(NOOP_DEFAULTS)) {
    if (t.has(name.trim())) continue;
    t.set(name.trim(), {
      get: (s) => s.settings.extra.get(name.trim()) ?? s.persistenceParam(name.trim()) ?? def,
      set: (s, v) => {
        if (!validate(v)) return 'argument is invalid';
        s.settings.extra.set(name.trim(), v);
        s.onConfigChanged(name.trim(), v);
        return null;
      },
    });
  }
  return t;
}

