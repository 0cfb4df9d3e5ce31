/**
 * The keyspace: 16 databases of binary-string keys, lazy and active expiry, memory accounting,
 * eviction by sampling, and the key-change signals that WATCH, AOF, copy-on-write BGSAVE and
 * (later) keyspace notifications subscribe to.
 *
 * Value representation (one JS value per key, no wrapper object, to keep per-key memory low):
 *   string → JS binary string (latin1, one char per byte; HyperLogLogs are strings too), or a
 *            MutableString while bit/range commands edit it in place
 *   list   → Deque<string>          hash → Map<string, string>
 *   set    → Set<string>            zset → ZSet
 *   other  → an object implementing ExtValue (streams plug in here)
 *
 * Write protocol for command handlers (mirrors Redis's lookupKeyWrite/signalModifiedKey):
 *   const v = db.getWrite(key)   // fires beforeKeyChange BEFORE any in-place mutation
 *   ... mutate v ...
 *   db.modified(key)             // fires keyChanged, counts a change (save rules, propagation)
 *   db.set(key, value) / db.delete(key) do both themselves.
 * The server calls keyspace.settle() after every command to update memory accounting.
 */
import { Deque } from './deque.js';
import { ZSet } from './zset.js';
import { MutableString } from './mutable-string.js';

/** A value type defined outside this module (streams). */
export interface ExtValue {
  readonly redisType: string;
  /** Encoding name for OBJECT ENCODING. */
  readonly encoding: string;
  /** Estimated bytes, for memory accounting. */
  estimateBytes(): number;
}

export type RedisValue = string | MutableString | Deque<string> | Map<string, string> | Set<string> | ZSet | ExtValue;
export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | string;

export const DATABASES_DEFAULT = 16;
/** Estimated fixed cost of one key in the keyspace (map slot, key string header, expiry slot share). */
const KEY_OVERHEAD_BYTES = 56;
/** Per-element overhead of collections (hash table slot or deque slot plus string header). */
const ELEMENT_OVERHEAD_BYTES = 40;
/** Elements sampled to estimate a collection's size (Redis's MEMORY USAGE default is 5). */
const SIZE_SAMPLES = 5;
/** Keys examined per active-expire round (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP). */
const ACTIVE_EXPIRE_KEYS_PER_LOOP = 20;
/** An active-expire cycle stops after this many ms (25% of a 100 ms tick, as Redis's slow cycle). */
const ACTIVE_EXPIRE_BUDGET_MS = 25;
/** Keys one command may touch before duplicate checks switch from a scan to a Set. */
const PENDING_LINEAR_MAX = 16;
/** Size of the eviction candidate pool (EVPOOL_SIZE). */
const EVICTION_POOL_SIZE = 16;

export function typeName(v: RedisValue): TypeName {
  if (typeof v === 'string' || v instanceof MutableString) return 'string';
  if (v instanceof Deque) return 'list';
  if (v instanceof Map) return 'hash';
  if (v instanceof Set) return 'set';
  if (v instanceof ZSet) return 'zset';
  return v.redisType;
}

/** Average of the first SIZE_SAMPLES hash entries' sizes, times the hash's size. */
function sampleHash(h: Map<string, string>): number {
  let sum = 0;
  let k = 0;
  // keys() + get(): entries() would allocate a [field, value] pair per sample.
  for (const f of h.keys()) {
    sum += f.length + (h.get(f) as string).length + ELEMENT_OVERHEAD_BYTES * 2;
    if (++k === SIZE_SAMPLES) break;
  }
  return k === 0 ? 0 : (sum / k) * h.size;
}

/** Average of the first SIZE_SAMPLES set members' sizes, times the set's size. */
function sampleSet(set: Set<string>): number {
  let sum = 0;
  let k = 0;
  for (const m of set) {
    sum += m.length + ELEMENT_OVERHEAD_BYTES;
    if (++k === SIZE_SAMPLES) break;
  }
  return k === 0 ? 0 : (sum / k) * set.size;
}

/** Estimated bytes a key with this value holds (sampled for collections, like MEMORY USAGE). */
export function estimateBytes(key: string, v: RedisValue): number {
  let b = KEY_OVERHEAD_BYTES + key.length;
  if (typeof v === 'string') return b + 16 + v.length;
  if (v instanceof MutableString) return b + 64 + v.buf.length;
  if (v instanceof Deque) {
    const n = Math.min(SIZE_SAMPLES, v.length);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (v.at(i) as string).length + ELEMENT_OVERHEAD_BYTES;
    if (n > 0) b += (sum / n) * v.length;
  }
  else if (v instanceof Map) b += sampleHash(v);
  else if (v instanceof Set) b += sampleSet(v);
  else if (v instanceof ZSet) b += v.bytes;
  else b += v.estimateBytes();
  return Math.round(b);
}

export type KeyHook = (db: number, key: string) => void;
export type DbHook = (db: number) => void;

export interface KeyspaceStats {
  expiredKeys: number;
  evictedKeys: number;
  hits: number;
  misses: number;
}

export type MaxmemoryPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

export class Database {
  dict = new Map<string, RedisValue>();
  expires = new Map<string, number>();
  /** LRU clock (seconds) or LFU word per key, only while an LRU/LFU policy is active. */
  access: Map<string, number> | null = null;
  /** Estimated bytes of every key in this db. */
  bytes = 0;
  /** Rolling cursors used for sampling without a full scan. */
  expireCursor: Iterator<[string, number]> | null = null;
  keyCursor: Iterator<string> | null = null;
  /** avg_ttl estimate, as Redis keeps it (sampled during active expiry). */
  avgTtl = 0;
  /** Keys the current command touched → their estimated size before (memory accounting). */
  // Keys the current command touched and their estimated size before (memory accounting). Parallel
  // arrays reused across commands: a command touches few keys, so this allocates nothing per
  // command; a Set is built only when one command touches many keys.
  readonly pendingKeys: string[] = [];
  readonly pendingSizes: number[] = [];
  pendingCount = 0;
  private pendingSet: Set<string> | null = null;
  /** True while this db is in the keyspace's list of dbs to settle. */
  pendingListed = false;

  hasPending(key: string): boolean {
    if (this.pendingSet !== null) return this.pendingSet.has(key);
    for (let i = 0; i < this.pendingCount; i++) if (this.pendingKeys[i] === key) return true;
    return false;
  }

  addPending(key: string, size: number): void {
    this.pendingKeys[this.pendingCount] = key;
    this.pendingSizes[this.pendingCount] = size;
    this.pendingCount++;
    if (this.pendingSet !== null) this.pendingSet.add(key);
    else if (this.pendingCount > PENDING_LINEAR_MAX) this.pendingSet = new Set(this.pendingKeys.slice(0, this.pendingCount));
  }

  clearPending(): void {
    this.pendingCount = 0;
    this.pendingSet = null;
    if (this.pendingKeys.length > PENDING_LINEAR_MAX) {
      this.pendingKeys.length = 0;
      this.pendingSizes.length = 0;
    }
  }

  constructor(
    public id: number,
    readonly ks: Keyspace,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /** Lookup for reading: expires lazily, updates LRU/LFU, counts hits/misses. */
  get(key: string): RedisValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) {
      this.ks.stats.misses++;
      return undefined;
    }
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) {
      this.ks.stats.misses++;
      return undefined;
    }
    this.ks.stats.hits++;
    if (this.access !== null && !this.ks.noTouch) this.touchAccess(key);
    return v;
  }

  /** Lookup without side effects other than lazy expiry (TYPE, EXISTS in some paths, SCAN). */
  peek(key: string): RedisValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return v;
  }

  /** Lookup for writing: fires beforeKeyChange before the caller mutates the value in place. */
  getWrite(key: string): RedisValue | undefined {
    const v = this.peek(key);
    if (v !== undefined) {
      this.ks.willChange(this, key, v);
      if (this.access !== null) this.touchAccess(key);
    }
    return v;
  }

  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Stores a value (replacing any); the TTL is cleared unless keepTtl. */
  set(key: string, value: RedisValue, keepTtl = false): void {
    const old = this.dict.get(key);
    this.ks.willChange(this, key, old);
    this.dict.set(key, value);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    if (this.access !== null) this.touchAccess(key);
    this.modified(key);
  }

  /** Adds a key that the caller knows is absent (after getWrite returned undefined). */
  add(key: string, value: RedisValue): void {
    this.ks.willChange(this, key, undefined);
    this.dict.set(key, value);
    if (this.access !== null) this.touchAccess(key);
  }

  delete(key: string): boolean {
    const old = this.dict.get(key);
    if (old === undefined) return false;
    this.ks.willChange(this, key, old);
    this.dict.delete(key);
    if (this.expires.size !== 0) this.expires.delete(key);
    if (this.access !== null) this.access.delete(key);
    this.modified(key);
    return true;
  }

  /** Signals that a key changed (signalModifiedKey + server.dirty++). */
  modified(key: string): void {
    this.ks.dirty++;
    for (const h of this.ks.changedHooks) h(this.id, key);
  }

  /** Deletes an emptied collection after an in-place removal, as Redis does. */
  deleteIfEmpty(key: string, v: RedisValue): boolean {
    const empty =
      v instanceof Deque ? v.length === 0 : v instanceof Map || v instanceof Set || v instanceof ZSet ? v.size === 0 : false;
    if (empty) {
      this.dict.delete(key);
      if (this.expires.size !== 0) this.expires.delete(key);
      if (this.access !== null) this.access.delete(key);
    }
    return empty;
  }

  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  setExpire(key: string, atMs: number): void {
    const v = this.dict.get(key);
    if (v !== undefined) this.ks.willChange(this, key, v);
    this.expires.set(key, atMs);
  }

  persist(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.ks.willChange(this, key, this.dict.get(key));
    this.expires.delete(key);
    return true;
  }

  /** Deletes the key if its TTL passed; true when it was expired. */
  expireIfNeeded(key: string): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.ks.nowMs) return false;
    if (this.ks.expiryPaused) return false;
    this.expireNow(key);
    return true;
  }

  private expireNow(key: string): void {
    const old = this.dict.get(key);
    this.ks.willChange(this, key, old);
    this.dict.delete(key);
    this.expires.delete(key);
    if (this.access !== null) this.access.delete(key);
    this.ks.stats.expiredKeys++;
    for (const h of this.ks.changedHooks) h(this.id, key);
    for (const h of this.ks.expiredHooks) h(this.id, key);
  }

  /** Removes every key (FLUSHDB). */
  flush(): number {
    const n = this.dict.size;
    for (const h of this.ks.beforeFlushHooks) h(this.id);
    for (const key of this.dict.keys()) for (const h of this.ks.changedHooks) h(this.id, key);
    this.dict = new Map();
    this.expires = new Map();
    if (this.access !== null) this.access = new Map();
    this.ks.usedBytes -= this.bytes;
    this.bytes = 0;
    this.clearPending();
    this.expireCursor = null;
    this.keyCursor = null;
    if (n > 0) this.ks.dirty += n;
    return n;
  }

  touchAccess(key: string): void {
    const acc = this.access as Map<string, number>;
    if (this.ks.lfu) acc.set(key, lfuTouch(acc.get(key), this.ks.nowMs, this.ks.lfuLogFactor, this.ks.lfuDecayMinutes));
    else acc.set(key, Math.floor(this.ks.nowMs / 1000));
  }

  /** Seconds since last access (OBJECT IDLETIME); 0 when not tracked. */
  idleSeconds(key: string): number {
    const a = this.access?.get(key);
    if (a === undefined || this.ks.lfu) return 0;
    return Math.max(0, Math.floor(this.ks.nowMs / 1000) - a);
  }

  lfuFrequency(key: string): number {
    const a = this.access?.get(key);
    if (a === undefined) return LFU_INIT_VAL;
    return lfuDecayed(a, this.ks.nowMs, this.ks.lfuDecayMinutes);
  }

  /** A random-ish key without a full scan (a rolling cursor with a small random skip). */
  randomKey(): string | undefined {
    if (this.dict.size === 0) return undefined;
    for (let tries = 0; tries < 100; tries++) {
      const skip = Math.floor(Math.random() * Math.min(this.dict.size, 16));
      let k: string | undefined;
      for (let i = 0; i <= skip; i++) k = this.nextKeyFromCursor();
      if (k === undefined) continue;
      if (this.expires.size !== 0 && this.expireIfNeeded(k)) {
        if (this.dict.size === 0) return undefined;
        continue;
      }
      return k;
    }
    return this.dict.keys().next().value;
  }

  nextKeyFromCursor(): string | undefined {
    if (this.dict.size === 0) return undefined;
    if (this.keyCursor === null) this.keyCursor = this.dict.keys();
    let r = this.keyCursor.next();
    if (r.done) {
      this.keyCursor = this.dict.keys();
      r = this.keyCursor.next();
    }
    return r.done ? undefined : r.value;
  }

  nextExpireFromCursor(): [string, number] | undefined {
    if (this.expires.size === 0) return undefined;
    if (this.expireCursor === null) this.expireCursor = this.expires.entries();
    let r = this.expireCursor.next();
    if (r.done) {
      this.expireCursor = this.expires.entries();
      r = this.expireCursor.next();
    }
    return r.done ? undefined : r.value;
  }

  /** One active-expire pass over sampled keys with a TTL; returns keys expired. */
  activeExpire(deadlineMs: number, monotonic: () => number): number {
    let total = 0;
    for (;;) {
      if (this.expires.size === 0) return total;
      const n = Math.min(ACTIVE_EXPIRE_KEYS_PER_LOOP, this.expires.size);
      let expired = 0;
      let ttlSum = 0;
      let ttlSamples = 0;
      for (let i = 0; i < n; i++) {
        const e = this.nextExpireFromCursor();
        if (!e) break;
        const [key, at] = e;
        if (at <= this.ks.nowMs) {
          if (this.expireIfNeeded(key)) expired++;
        } else {
          ttlSum += at - this.ks.nowMs;
          ttlSamples++;
        }
      }
      if (ttlSamples > 0) {
        const avg = ttlSum / ttlSamples;
        this.avgTtl = this.avgTtl === 0 ? avg : (this.avgTtl / 50) * 49 + avg / 50;
      }
      total += expired;
      // Keep going while more than 10% of the sample was stale, within the time budget.
      if (expired * 10 <= n || monotonic() > deadlineMs) return total;
    }
  }
}

// LFU as in evict.c: an 8-bit logarithmic counter with a decay time, packed with minutes.
export const LFU_INIT_VAL = 5;
function lfuDecayed(word: number, nowMs: number, decayMinutes: number): number {
  const ldt = Math.floor(word / 256);
  const counter = word % 256;
  const nowMin = Math.floor(nowMs / 60000) % 65536;
  const elapsed = nowMin >= ldt ? nowMin - ldt : 65535 - ldt + nowMin;
  const periods = decayMinutes > 0 ? Math.floor(elapsed / decayMinutes) : 0;
  return periods > counter ? 0 : counter - periods;
}
function lfuTouch(word: number | undefined, nowMs: number, logFactor: number, decayMinutes: number): number {
  let counter = word === undefined ? LFU_INIT_VAL : lfuDecayed(word, nowMs, decayMinutes);
  if (word !== undefined && counter < 255) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (Math.random() < 1.0 / (base * logFactor + 1)) counter++;
  }
  return (Math.floor(nowMs / 60000) % 65536) * 256 + counter;
}

interface PoolEntry {
  score: number;
  db: Database;
  key: string;
}

export class Keyspace {
  readonly dbs: Database[] = [];
  /** Cached "now" for the current command (Redis caches mstime per call). */
  nowMs = 0;
  dirty = 0;
  usedBytes = 0;
  readonly stats: KeyspaceStats = { expiredKeys: 0, evictedKeys: 0, hits: 0, misses: 0 };
  /** DEBUG SET-ACTIVE-EXPIRE 0 disables active expiry; lazy expiry still runs. */
  activeExpireEnabled = true;
  /** While true (loading, EXEC of a script in future), keys do not expire. */
  expiryPaused = false;
  /** CLIENT NO-TOUCH for the current command. */
  noTouch = false;
  lfu = false;
  lfuLogFactor = 10;
  lfuDecayMinutes = 1;
  policy: MaxmemoryPolicy = 'noeviction';
  maxmemorySamples = 5;

  readonly beforeChangeHooks: KeyHook[] = [];
  readonly changedHooks: KeyHook[] = [];
  readonly expiredHooks: KeyHook[] = [];
  readonly evictedHooks: KeyHook[] = [];
  readonly beforeFlushHooks: DbHook[] = [];

  /** Databases with keys touched by the current command (see Database.pendingKeys). */
  private readonly pendingDbs: Database[] = [];
  /** Used length of pendingDbs (a count: setting an array's length is a runtime call per command). */
  private pendingDbCount = 0;
  private readonly pool: PoolEntry[] = [];

  constructor(databases = DATABASES_DEFAULT) {
    for (let i = 0; i < databases; i++) this.dbs.push(new Database(i, this));
  }

  /** Subscribe: called before a key's value changes (copy-on-write snapshots hook here). */
  onBeforeKeyChange(h: KeyHook): void {
    this.beforeChangeHooks.push(h);
  }
  /** Subscribe: called after a key changed (WATCH, notifications). */
  onKeyChanged(h: KeyHook): void {
    this.changedHooks.push(h);
  }

  willChange(db: Database, key: string, current: RedisValue | undefined): void {
    if (!db.pendingListed) {
      db.pendingListed = true;
      this.pendingDbs[this.pendingDbCount++] = db;
    } else if (db.hasPending(key)) return;
    db.addPending(key, current === undefined ? 0 : estimateBytes(key, current));
    const hooks = this.beforeChangeHooks;
    for (let i = 0; i < hooks.length; i++) (hooks[i] as KeyHook)(db.id, key);
  }

  /** Updates memory accounting for keys touched by the last command. */
  settle(): void {
    const count = this.pendingDbCount;
    if (count === 0) return;
    const dbs = this.pendingDbs;
    for (let i = 0; i < count; i++) {
      const db = dbs[i] as Database;
      db.pendingListed = false;
      let delta = 0;
      const keys = db.pendingKeys;
      const sizes = db.pendingSizes;
      for (let k = 0; k < db.pendingCount; k++) {
        const key = keys[k] as string;
        const v = db.dict.get(key);
        delta += (v === undefined ? 0 : estimateBytes(key, v)) - (sizes[k] as number);
      }
      db.clearPending();
      db.bytes += delta;
      this.usedBytes += delta;
    }
    this.pendingDbCount = 0;
  }

  setPolicy(policy: MaxmemoryPolicy): void {
    this.policy = policy;
    this.lfu = policy.endsWith('-lfu');
    const tracking = policy.endsWith('-lru') || policy.endsWith('-lfu');
    for (const db of this.dbs) {
      if (tracking && db.access === null) db.access = new Map();
      if (!tracking) db.access = null;
    }
  }

  /** Runs one active-expire cycle over every db within the time budget. */
  activeExpireCycle(monotonic: () => number): number {
    if (!this.activeExpireEnabled) return 0;
    const deadline = monotonic() + ACTIVE_EXPIRE_BUDGET_MS;
    let n = 0;
    for (const db of this.dbs) {
      if (db.expires.size === 0) continue;
      n += db.activeExpire(deadline, monotonic);
      if (monotonic() > deadline) break;
    }
    this.settle();
    return n;
  }

  /**
   * Frees memory until usage ≤ limit, picking victims with Redis's sampling + candidate pool.
   * Returns false when nothing more can be evicted (noeviction, or no candidate keys).
   */
  evictUntil(limitBytes: number, usage: () => number): boolean {
    while (usage() > limitBytes) {
      if (this.policy === 'noeviction') return false;
      const victim = this.pickVictim();
      if (!victim) return false;
      const { db, key } = victim;
      db.delete(key);
      this.stats.evictedKeys++;
      for (const h of this.evictedHooks) h(db.id, key);
      this.settle();
    }
    return true;
  }

  private pickVictim(): { db: Database; key: string } | null {
    const p = this.policy;
    const volatile = p.startsWith('volatile-');
    if (p.endsWith('-random')) {
      for (const db of this.dbs) {
        const key = volatile ? db.nextExpireFromCursor()?.[0] : db.nextKeyFromCursor();
        if (key !== undefined && db.dict.has(key)) return { db, key };
      }
      return null;
    }
    // Fill the pool with sampled keys scored by idle time / inverse frequency / TTL (higher = better victim).
    for (const db of this.dbs) {
      const space = volatile ? db.expires.size : db.dict.size;
      if (space === 0) continue;
      for (let i = 0; i < this.maxmemorySamples; i++) {
        const key = volatile ? db.nextExpireFromCursor()?.[0] : db.nextKeyFromCursor();
        if (key === undefined) break;
        let score: number;
        if (p === 'volatile-ttl') score = Number.MAX_SAFE_INTEGER - (db.expires.get(key) ?? 0);
        else if (this.lfu) score = 255 - db.lfuFrequency(key);
        else score = db.idleSeconds(key);
        this.poolInsert({ score, db, key });
      }
    }
    while (this.pool.length > 0) {
      const best = this.pool.pop() as PoolEntry;
      if (best.db.dict.has(best.key)) return { db: best.db, key: best.key };
    }
    return null;
  }

  private poolInsert(e: PoolEntry): void {
    const pool = this.pool;
    if (pool.some((x) => x.db === e.db && x.key === e.key)) return;
    let i = 0;
    while (i < pool.length && (pool[i] as PoolEntry).score < e.score) i++;
    pool.splice(i, 0, e);
    if (pool.length > EVICTION_POOL_SIZE) pool.shift();
  }

  /** Swaps two databases' contents (SWAPDB). */
  swap(a: number, b: number): void {
    const da = this.dbs[a] as Database;
    const db = this.dbs[b] as Database;
    for (const h of this.beforeFlushHooks) {
      h(a);
      h(b);
    }
    for (const k of da.dict.keys()) for (const h of this.changedHooks) h(a, k);
    for (const k of db.dict.keys()) for (const h of this.changedHooks) h(b, k);
    const fields = ['dict', 'expires', 'access', 'bytes', 'avgTtl'] as const;
    for (const f of fields) {
      const t = da[f];
      (da as unknown as Record<string, unknown>)[f] = db[f];
      (db as unknown as Record<string, unknown>)[f] = t;
    }
    da.clearPending();
    db.clearPending();
    da.keyCursor = db.keyCursor = null;
    da.expireCursor = db.expireCursor = null;
    this.dirty++;
  }

  totalKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.dict.size;
    return n;
  }
}
