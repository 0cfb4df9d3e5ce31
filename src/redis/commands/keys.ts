/** Generic key commands (db.c, expire.c): DEL EXISTS TYPE RENAME COPY MOVE KEYS SCAN TTL/EXPIRE OBJECT ... */
import type { Client } from '../client.js';
import { Deque } from '../engine/deque.js';
import { type Database, type RedisValue, typeName } from '../engine/keyspace.js';
import { MutableString } from '../engine/mutable-string.js';
import { ZSet } from '../engine/zset.js';
import { globMatch, is, parseInteger } from './args.js';
import { E_DB_INDEX, E_NO_KEY, E_NOT_INT, E_SYNTAX, invalidExpire } from './errors.js';
import { encodingOf } from './server-admin.js';
import type { CommandModule } from './types.js';
import { notify, notifyDb, NOTIFY_GENERIC, NOTIFY_KEY_MISS, NOTIFY_NEW } from '../notify.js';

/** Live SCAN iterations kept (oldest dropped); a dropped cursor restarts its scan. */
export const SCAN_SESSIONS_MAX = 1024;
/** Upper bound on elements a single SCAN call examines, whatever COUNT says. */
const SCAN_EXAMINE_MAX = 100_000;

interface ScanSession {
  it: Iterator<unknown>;
  target: unknown;
}
const sessions = new Map<number, ScanSession>();
let nextSessionId = 1;

/** Deep copy of a value (COPY). */
export function cloneValue(v: RedisValue): RedisValue {
  if (typeof v === 'string') return v;
  if (v instanceof MutableString) return v.toString();
  if (v instanceof Deque) return Deque.from(v);
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  if (v instanceof ZSet) {
    const z = new ZSet();
    for (const [m, s] of v.entries()) z.add(m, s);
    return z;
  }
  throw new Error(`cannot copy a ${v.redisType} value`);
}

function del(c: Client): void {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) {
    const key = c.argv[i] as string;
    if (c.db.peek(key) !== undefined && c.db.delete(key)) {
      n++;
      notify(c, NOTIFY_GENERIC, 'del', key);
    }
  }
  c.reply.int(n);
}

function exists(c: Client): void {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) if (c.db.get(c.argv[i] as string) !== undefined) n++;
  c.reply.int(n);
}

/** TYPE and TTL look keys up without touching LRU/LFU, but a miss is still a keymiss (as Redis). */
function peekRead(c: Client, key: string): RedisValue | undefined {
  const v = c.db.peek(key);
  if (v === undefined) notify(c, NOTIFY_KEY_MISS, 'keymiss', key);
  return v;
}

function type(c: Client): void {
  const v = peekRead(c, c.argv[1] as string);
  c.reply.simple(v === undefined ? 'none' : typeName(v));
}

function renameGeneric(c: Client, nx: boolean): void {
  const src = c.argv[1] as string;
  const dst = c.argv[2] as string;
  const db = c.db;
  const v = db.getWrite(src);
  if (v === undefined) return c.reply.error(E_NO_KEY);
  if (src === dst) return nx ? c.reply.int(0) : c.reply.ok();
  const replaced = db.has(dst);
  if (nx && replaced) return c.reply.int(0);
  const ttl = db.getExpire(src);
  db.delete(src);
  db.set(dst, v);
  // Redis deletes an existing dst and adds it anew (dbAdd), so 'new' fires for it too.
  if (replaced) notify(c, NOTIFY_NEW, 'new', dst);
  if (ttl !== undefined) db.setExpire(dst, ttl);
  notify(c, NOTIFY_GENERIC, 'rename_from', src);
  notify(c, NOTIFY_GENERIC, 'rename_to', dst);
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function copy(c: Client): void {
  const argv = c.argv;
  const src = argv[1] as string;
  const dst = argv[2] as string;
  let target: Database = c.db;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (is(argv[i], 'REPLACE')) replace = true;
    else if (is(argv[i], 'DB') && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) return c.reply.error(E_NOT_INT);
      const d = c.server.keyspace.dbs[n];
      if (n < 0 || !d) return c.reply.error(E_DB_INDEX);
      target = d;
    } else return c.reply.error(E_SYNTAX);
  }
  if (src === dst && target === c.db) return c.reply.error('ERR source and destination objects are the same');
  const v = c.db.get(src);
  if (v === undefined) return c.reply.int(0);
  const replaced = target.has(dst);
  if (replaced) {
    if (!replace) return c.reply.int(0);
    target.delete(dst);
  }
  const ttl = c.db.getExpire(src);
  target.set(dst, cloneValue(v));
  if (ttl !== undefined) target.setExpire(dst, ttl);
  notifyDb(c.server, NOTIFY_GENERIC, 'copy_to', dst, target.id);
  c.reply.int(1);
}

function move(c: Client): void {
  const key = c.argv[1] as string;
  const n = parseInteger(c.argv[2] as string);
  if (n === null) return c.reply.error(E_NOT_INT);
  const target = c.server.keyspace.dbs[n];
  if (n < 0 || !target) return c.reply.error(E_DB_INDEX);
  if (target === c.db) return c.reply.error('ERR source and destination objects are the same');
  const v = c.db.getWrite(key);
  if (v === undefined || target.has(key)) return c.reply.int(0);
  const ttl = c.db.getExpire(key);
  c.db.delete(key);
  target.set(key, v);
  if (ttl !== undefined) target.setExpire(key, ttl);
  notify(c, NOTIFY_GENERIC, 'move_from', key);
  notifyDb(c.server, NOTIFY_GENERIC, 'move_to', key, target.id);
  c.reply.int(1);
}

function keys(c: Client): void {
  const pattern = c.argv[1] as string;
  const out: string[] = [];
  const db = c.db;
  const all = pattern === '*';
  for (const k of [...db.dict.keys()]) {
    if (!all && !globMatch(pattern, k)) continue;
    if (db.expires.size !== 0 && db.expireIfNeeded(k)) continue;
    out.push(k);
  }
  c.reply.bulks(out);
}

function parseCursor(c: Client, raw: string): number | null {
  if (!/^\d+$/.test(raw) || raw.length > 20) {
    c.reply.error('ERR invalid cursor');
    return null;
  }
  return Number(raw);
}

interface ScanOpts {
  count: number;
  match: string | null;
  type: string | null;
  novalues: boolean;
}

/** Parses SCAN-family options (COUNT, MATCH, and TYPE for SCAN or NOVALUES for HSCAN); replies the error itself. */
function parseScanOpts(c: Client, from: number, allowType: boolean, allowNovalues = false): ScanOpts | null {
  const o: ScanOpts = { count: 10, match: null, type: null, novalues: false };
  const argv = c.argv;
  for (let i = from; i < argv.length; i++) {
    const more = i + 1 < argv.length;
    if (is(argv[i], 'COUNT') && more) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) {
        c.reply.error(E_NOT_INT);
        return null;
      }
      if (n < 1) {
        c.reply.error(E_SYNTAX);
        return null;
      }
      o.count = n;
    } else if (is(argv[i], 'MATCH') && more) o.match = argv[++i] as string;
    else if (allowType && is(argv[i], 'TYPE') && more) o.type = (argv[++i] as string).toLowerCase();
    else if (allowNovalues && is(argv[i], 'NOVALUES')) o.novalues = true;
    else {
      c.reply.error(E_SYNTAX);
      return null;
    }
  }
  return o;
}

/**
 * Cursor-based iteration over a JS Map/Set. Each SCAN session keeps a live iterator (JS map
 * iterators see inserts and skip deletes), so every element present for the whole scan is
 * returned once. The cursor is a session id; 0 ends the scan.
 */
export function scanStep<T>(
  cursor: number,
  target: object,
  fresh: () => Iterator<T>,
  count: number,
  emit: (item: T) => void,
): number {
  let s = cursor === 0 ? undefined : sessions.get(cursor);
  if (s && s.target !== target) s = undefined;
  if (cursor !== 0) sessions.delete(cursor);
  const it = (s?.it as Iterator<T> | undefined) ?? fresh();
  const limit = Math.min(count, SCAN_EXAMINE_MAX);
  for (let i = 0; i < limit; i++) {
    const r = it.next();
    if (r.done) return 0;
    emit(r.value);
  }
  // A JS iterator cannot be peeked: take one more element (COUNT is a hint in Redis too), so a
  // scan that has just seen the last element ends now with cursor 0 instead of one call later.
  const extra = it.next();
  if (extra.done) return 0;
  emit(extra.value);
  const id = nextSessionId++;
  if (nextSessionId > Number.MAX_SAFE_INTEGER) nextSessionId = 1;
  sessions.set(id, { it, target });
  if (sessions.size > SCAN_SESSIONS_MAX) sessions.delete(sessions.keys().next().value as number);
  return id;
}

function scan(c: Client): void {
  const cursor = parseCursor(c, c.argv[1] as string);
  if (cursor === null) return;
  const o = parseScanOpts(c, 2, true);
  if (o === null) return;
  const db = c.db;
  const out: string[] = [];
  const next = scanStep(
    cursor,
    db.dict,
    () => db.dict.keys(),
    o.count,
    (k) => out.push(k),
  );
  const filtered = out.filter((k) => {
    if (o.match !== null && !globMatch(o.match, k)) return false;
    const v = db.peek(k);
    if (v === undefined) return false;
    return o.type === null || typeName(v) === o.type;
  });
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.bulks(filtered);
}

// --- expiry ---------------------------------------------------------------------------------

function expireGeneric(c: Client, unit: 'ex' | 'px' | 'exat' | 'pxat', name: string): void {
  const argv = c.argv;
  const key = argv[1] as string;
  const n = parseInteger(argv[2] as string);
  if (n === null) return c.reply.error(E_NOT_INT);
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let i = 3; i < argv.length; i++) {
    const a = (argv[i] as string).toUpperCase();
    if (a === 'NX') nx = true;
    else if (a === 'XX') xx = true;
    else if (a === 'GT') gt = true;
    else if (a === 'LT') lt = true;
    else return c.reply.error(`ERR Unsupported option ${argv[i] as string}`);
  }
  if (nx && (xx || gt || lt))
    return c.reply.error('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) return c.reply.error('ERR GT and LT options at the same time are not compatible');
  const now = c.server.keyspace.nowMs;
  let when = unit === 'ex' || unit === 'exat' ? n * 1000 : n;
  if (!Number.isSafeInteger(when)) return c.reply.error(invalidExpire(name));
  if (unit === 'ex' || unit === 'px') when += now;
  if (!Number.isSafeInteger(when)) return c.reply.error(invalidExpire(name));
  const db = c.db;
  if (db.getWrite(key) === undefined) return c.reply.int(0);
  const cur = db.getExpire(key);
  if (nx && cur !== undefined) return c.reply.int(0);
  if (xx && cur === undefined) return c.reply.int(0);
  // A key without TTL counts as an infinite TTL for GT/LT.
  if (gt && (cur === undefined || when <= cur)) return c.reply.int(0);
  if (lt && cur !== undefined && when >= cur) return c.reply.int(0);
  if (when <= now && !c.server.loading) {
    db.delete(key);
    notify(c, NOTIFY_GENERIC, 'del', key);
    c.propagate(['DEL', key]);
    return c.reply.int(1);
  }
  db.setExpire(key, when);
  db.modified(key);
  notify(c, NOTIFY_GENERIC, 'expire', key);
  c.propagate(['PEXPIREAT', key, String(when)]);
  c.reply.int(1);
}

function ttlGeneric(c: Client, ms: boolean, absolute: boolean): void {
  const key = c.argv[1] as string;
  if (peekRead(c, key) === undefined) return c.reply.int(-2);
  const at = c.db.getExpire(key);
  if (at === undefined) return c.reply.int(-1);
  if (absolute) return c.reply.int(ms ? at : Math.floor(at / 1000));
  const left = Math.max(0, at - c.server.keyspace.nowMs);
  c.reply.int(ms ? left : Math.round(left / 1000));
}

function persist(c: Client): void {
  const key = c.argv[1] as string;
  if (c.db.peek(key) === undefined) return c.reply.int(0);
  if (!c.db.persist(key)) return c.reply.int(0);
  c.db.modified(key);
  notify(c, NOTIFY_GENERIC, 'persist', key);
  c.reply.int(1);
}

function touch(c: Client): void {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) if (c.db.get(c.argv[i] as string) !== undefined) n++;
  c.reply.int(n);
}

function object(c: Client): void {
  const sub = (c.argv[1] as string).toUpperCase();
  if (sub === 'HELP')
    return c.reply.bulks([
      'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'ENCODING <key>',
      'FREQ <key>',
      'IDLETIME <key>',
      'REFCOUNT <key>',
      'HELP',
    ]);
  if (c.argv.length !== 3)
    return c.reply.error(
      `ERR unknown subcommand or wrong number of arguments for '${c.argv[1] as string}'. Try OBJECT HELP.`,
    );
  const key = c.argv[2] as string;
  const v = c.db.peek(key);
  if (v === undefined) return c.reply.nullBulk();
  if (sub === 'ENCODING') return c.reply.bulk(encodingOf(v));
  if (sub === 'REFCOUNT')
    return c.reply.int(
      typeof v === 'string' && encodingOf(v) === 'int' && Number(v) < 10000 && Number(v) >= 0
        ? 2147483647
        : 1,
    );
  if (sub === 'IDLETIME') {
    if (c.server.keyspace.lfu)
      return c.reply.error(
        'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      );
    return c.reply.int(c.db.idleSeconds(key));
  }
  if (sub === 'FREQ') {
    if (!c.server.keyspace.lfu)
      return c.reply.error(
        'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      );
    return c.reply.int(c.db.lfuFrequency(key));
  }
  c.reply.error(`ERR unknown subcommand '${c.argv[1] as string}'. Try OBJECT HELP.`);
}

function randomkey(c: Client): void {
  c.reply.bulkOrNull(c.db.randomKey());
}

export const keyCommands: CommandModule = {
  del,
  unlink: del,
  exists,
  type,
  rename: (c) => renameGeneric(c, false),
  renamenx: (c) => renameGeneric(c, true),
  copy,
  move,
  keys,
  scan,
  randomkey,
  expire: (c) => expireGeneric(c, 'ex', 'expire'),
  pexpire: (c) => expireGeneric(c, 'px', 'pexpire'),
  expireat: (c) => expireGeneric(c, 'exat', 'expireat'),
  pexpireat: (c) => expireGeneric(c, 'pxat', 'pexpireat'),
  ttl: (c) => ttlGeneric(c, false, false),
  pttl: (c) => ttlGeneric(c, true, false),
  expiretime: (c) => ttlGeneric(c, false, true),
  pexpiretime: (c) => ttlGeneric(c, true, true),
  persist,
  touch,
  'object|encoding': object,
  'object|refcount': object,
  'object|idletime': object,
  'object|freq': object,
  'object|help': object,
};

export { parseCursor, parseScanOpts };
