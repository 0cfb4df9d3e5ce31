/** DUMP/RESTORE (payloads in Redis's RDB value encoding, via persistence/rdb.ts) and SORT/SORT_RO. */
import type { Client } from '../client.js';
import { Deque } from '../engine/deque.js';
import { fromRdbValue, toRdbValue } from '../engine/rdb-convert.js';
import { ZSet } from '../engine/zset.js';
import { createDumpPayload, parseDumpPayload } from '../persistence/rdb.js';
import { is, parseFloatArg, parseInteger } from './args.js';
import { E_NOT_INT, E_SYNTAX, E_WRONGTYPE } from './errors.js';
import { strValue } from './helpers.js';
import type { CommandModule } from './types.js';
import { expireBeforeOverwrite, notify, NOTIFY_GENERIC, NOTIFY_LIST } from '../notify.js';

function dump(c: Client): void {
  const v = c.db.get(c.argv[1] as string);
  if (v === undefined) return c.reply.nullBulk();
  const rv = toRdbValue(v);
  if (rv === null) return c.reply.error('ERR DUMP of this value type is not supported by Nimbus yet');
  const payload = createDumpPayload(rv);
  c.reply.bulk(payload.latin1Slice(0, payload.length));
}

function restore(c: Client): void {
  const argv = c.argv;
  const key = argv[1] as string;
  const ttl = parseInteger(argv[2] as string);
  if (ttl === null) return c.reply.error(E_NOT_INT);
  let replace = false;
  let absttl = false;
  for (let i = 4; i < argv.length; i++) {
    if (is(argv[i], 'REPLACE')) replace = true;
    else if (is(argv[i], 'ABSTTL')) absttl = true;
    else if ((is(argv[i], 'IDLETIME') || is(argv[i], 'FREQ')) && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) return c.reply.error(E_NOT_INT);
      if (n < 0) return c.reply.error(is(argv[i - 1], 'IDLETIME') ? 'ERR Invalid IDLETIME value, must be >= 0' : 'ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else return c.reply.error(E_SYNTAX);
  }
  if (ttl < 0) return c.reply.error('ERR Invalid TTL value, must be >= 0');
  if (!replace && c.db.has(key)) return c.reply.error('BUSYKEY Target key name already exists.');
  let value;
  try {
    const raw = argv[3] as string;
    value = fromRdbValue(parseDumpPayload(Buffer.from(raw, 'latin1')));
    if (value === null) return c.reply.error('ERR Bad data format');
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    return c.reply.error(/version-or-checksum/.test(String(reason)) ? 'ERR DUMP payload version or checksum are wrong' : 'ERR Bad data format');
  }
  const now = c.server.keyspace.nowMs;
  const at = ttl === 0 ? 0 : absttl ? ttl : now + ttl;
  if (at !== 0 && at <= now) {
    // Already expired: Redis deletes the target (when REPLACE) and reports success.
    if (replace && c.db.delete(key)) notify(c, NOTIFY_GENERIC, 'del', key);
    return c.reply.ok();
  }
  if (replace) c.db.delete(key);
  c.db.set(key, value);
  if (at !== 0) {
    c.db.setExpire(key, at);
    c.propagate(['RESTORE', key, String(at), argv[3] as string, 'ABSTTL', ...(replace ? ['REPLACE'] : [])]);
  }
  notify(c, NOTIFY_GENERIC, 'restore', key);
  c.reply.ok();
}

/** Looks up a SORT BY/GET pattern for element `el`: "key*" or "hash*->field"; "#" is the element. */
function lookupPattern(c: Client, pattern: string, el: string): string | null {
  if (pattern === '#') return el;
  const star = pattern.indexOf('*');
  if (star === -1) return null;
  const arrow = pattern.indexOf('->', star);
  const keyPart = arrow === -1 ? pattern : pattern.slice(0, arrow);
  const key = keyPart.slice(0, star) + el + keyPart.slice(star + 1);
  const v = c.db.get(key);
  if (v === undefined) return null;
  if (arrow !== -1) {
    const field = pattern.slice(arrow + 2);
    if (!(v instanceof Map)) return null;
    return v.get(field) ?? null;
  }
  return strValue(v);
}

function sort(c: Client, readOnly: boolean): void {
  const argv = c.argv;
  const key = argv[1] as string;
  let by: string | null = null;
  let desc = false;
  let alpha = false;
  let offset = 0;
  let count = -1;
  let store: string | null = null;
  const gets: string[] = [];
  for (let i = 2; i < argv.length; i++) {
    const a = (argv[i] as string).toUpperCase();
    const left = argv.length - i - 1;
    if (a === 'ASC') desc = false;
    else if (a === 'DESC') desc = true;
    else if (a === 'ALPHA') alpha = true;
    else if (a === 'LIMIT' && left >= 2) {
      const o = parseInteger(argv[i + 1] as string);
      const n = parseInteger(argv[i + 2] as string);
      if (o === null || n === null) return c.reply.error(E_NOT_INT);
      offset = o;
      count = n;
      i += 2;
    } else if (a === 'STORE' && left >= 1 && !readOnly) store = argv[++i] as string;
    else if (a === 'BY' && left >= 1) by = argv[++i] as string;
    else if (a === 'GET' && left >= 1) gets.push(argv[++i] as string);
    else return c.reply.error(E_SYNTAX);
  }
  const v = c.db.get(key);
  let items: string[];
  if (v === undefined) items = [];
  else if (v instanceof Deque) items = v.toArray();
  else if (v instanceof Set) items = [...v];
  else if (v instanceof ZSet) items = [...v.entries()].map((e) => e[0]);
  else return c.reply.error(E_WRONGTYPE);
  const dontSort = by !== null && !by.includes('*');
  if (!dontSort) {
    const keyed: Array<{ el: string; k: string | null; n: number }> = [];
    for (const el of items) {
      const k = by === null ? el : lookupPattern(c, by, el);
      let n = 0;
      if (!alpha && k !== null) {
        const f = parseFloatArg(k);
        if (f === null) return c.reply.error("ERR One or more scores can't be converted into double");
        n = f;
      }
      keyed.push({ el, k, n });
    }
    keyed.sort((x, y) => {
      let r: number;
      if (alpha) {
        const a = x.k ?? '';
        const b = y.k ?? '';
        r = a < b ? -1 : a > b ? 1 : 0;
      } else r = x.n - y.n;
      if (r === 0) r = x.el < y.el ? -1 : x.el > y.el ? 1 : 0;
      return desc ? -r : r;
    });
    items = keyed.map((x) => x.el);
  } else if (v instanceof ZSet && desc) items.reverse();
  const start = Math.max(0, Math.min(offset, items.length));
  const sliced = count < 0 ? items.slice(start) : items.slice(start, start + count);
  const out: Array<string | null> = [];
  for (const el of sliced) {
    if (gets.length === 0) out.push(el);
    else for (const g of gets) out.push(lookupPattern(c, g, el));
  }
  if (store !== null) {
    if (out.length === 0) {
      if (c.db.delete(store)) notify(c, NOTIFY_GENERIC, 'del', store);
    } else {
      expireBeforeOverwrite(c, store);
      c.db.set(store, Deque.from(out.map((x) => x ?? '')));
      notify(c, NOTIFY_LIST, 'sortstore', store);
    }
    return c.reply.int(out.length);
  }
  c.reply.array(out.length);
  for (const x of out) c.reply.bulkOrNull(x);
}

export const keyExtraCommands: CommandModule = {
  dump,
  restore,
  sort: (c) => sort(c, false),
  sort_ro: (c) => sort(c, true),
};
