/** Set commands (t_set.c) on a JS Set of binary strings. */
import type { Client } from '../client.js';
import { globMatch, is, parseInteger } from './args.js';
import { E_NOT_INT, E_POSITIVE, E_SYNTAX, E_WRONGTYPE } from './errors.js';
import { getSet, getSetW, WRONG } from './helpers.js';
import { shuffle } from './hashes.js';
import { parseCursor, parseScanOpts, scanStep } from './keys.js';
import type { CommandModule } from './types.js';
import { expireBeforeOverwrite, notify, NOTIFY_GENERIC, NOTIFY_SET } from '../notify.js';

function sadd(c: Client): void {
  const key = c.argv[1] as string;
  let s = getSetW(c, key);
  if (s === WRONG) return;
  if (s === undefined) {
    s = new Set<string>();
    c.db.add(key, s);
  }
  let n = 0;
  for (let i = 2; i < c.argv.length; i++) {
    const m = c.argv[i] as string;
    if (!s.has(m)) {
      s.add(m);
      n++;
    }
  }
  if (n) {
    c.db.modified(key);
    notify(c, NOTIFY_SET, 'sadd', key);
  }
  c.reply.int(n);
}

function srem(c: Client): void {
  const key = c.argv[1] as string;
  const s = getSetW(c, key);
  if (s === WRONG) return;
  if (!s) return c.reply.int(0);
  let n = 0;
  for (let i = 2; i < c.argv.length; i++) if (s.delete(c.argv[i] as string)) n++;
  if (n) {
    const deleted = c.db.deleteIfEmpty(key, s);
    c.db.modified(key);
    notify(c, NOTIFY_SET, 'srem', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  }
  c.reply.int(n);
}

/** Picks up to n distinct random members (uniform; O(size) only when n is a large fraction). */
function randomMembers(s: Set<string>, n: number): string[] {
  const size = s.size;
  if (n >= size) return [...s];
  const arr = [...s];
  if (n * 4 > size) {
    shuffle(arr);
    return arr.slice(0, n);
  }
  const picked = new Set<number>();
  while (picked.size < n) picked.add(Math.floor(Math.random() * size));
  return [...picked].map((i) => arr[i] as string);
}

function spop(c: Client): void {
  const key = c.argv[1] as string;
  let count: number | undefined;
  if (c.argv.length === 3) {
    const n = parseInteger(c.argv[2] as string);
    if (n === null || n < 0) return c.reply.error(E_POSITIVE);
    count = n;
  } else if (c.argv.length > 3) return c.reply.error(E_SYNTAX);
  const s = getSetW(c, key);
  if (s === WRONG) return;
  if (!s) return count === undefined ? c.reply.nullBulk() : c.reply.set(0);
  const picked = randomMembers(s, count ?? 1);
  for (const m of picked) s.delete(m);
  if (picked.length) {
    const deleted = c.db.deleteIfEmpty(key, s);
    c.db.modified(key);
    notify(c, NOTIFY_SET, 'spop', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
    c.propagate(s.size === 0 ? ['DEL', key] : ['SREM', key, ...picked]);
  }
  if (count === undefined) return c.reply.bulk(picked[0] as string);
  c.reply.set(picked.length);
  for (const m of picked) c.reply.bulk(m);
}

function srandmember(c: Client): void {
  const s = getSet(c, c.argv[1] as string);
  if (s === WRONG) return;
  if (c.argv.length === 2) {
    if (!s) return c.reply.nullBulk();
    return c.reply.bulk(randomMembers(s, 1)[0] as string);
  }
  const n = parseInteger(c.argv[2] as string);
  if (n === null) return c.reply.error(E_NOT_INT);
  if (n < -Number.MAX_SAFE_INTEGER / 2) return c.reply.error('ERR value is out of range');
  if (!s || n === 0) return c.reply.array(0);
  if (n > 0) return c.reply.bulks(randomMembers(s, n));
  const arr = [...s];
  const out: string[] = [];
  for (let i = 0; i < -n; i++) out.push(arr[Math.floor(Math.random() * arr.length)] as string);
  c.reply.bulks(out);
}

function smove(c: Client): void {
  const src = c.argv[1] as string;
  const dst = c.argv[2] as string;
  const m = c.argv[3] as string;
  const from = getSetW(c, src);
  if (from === WRONG) return;
  const to = getSetW(c, dst);
  if (to === WRONG) return;
  if (!from) return c.reply.int(0);
  if (src === dst) return c.reply.int(from.has(m) ? 1 : 0);
  if (!from.delete(m)) return c.reply.int(0);
  const deleted = c.db.deleteIfEmpty(src, from);
  c.db.modified(src);
  notify(c, NOTIFY_SET, 'srem', src);
  if (deleted) notify(c, NOTIFY_GENERIC, 'del', src);
  let added = true;
  if (!to) c.db.add(dst, new Set([m]));
  else if (to.has(m)) added = false;
  else to.add(m);
  if (added) {
    c.db.modified(dst);
    notify(c, NOTIFY_SET, 'sadd', dst);
  }
  c.reply.int(1);
}

/** Loads the sets named by keys; null after WRONGTYPE. Missing keys are empty sets. */
function loadSets(c: Client, keys: string[]): Set<string>[] | null {
  const out: Set<string>[] = [];
  for (const k of keys) {
    const v = c.db.get(k);
    if (v === undefined) out.push(new Set());
    else if (v instanceof Set) out.push(v);
    else {
      c.reply.error(E_WRONGTYPE);
      return null;
    }
  }
  return out;
}

function inter(sets: Set<string>[], limit = Infinity): Set<string> {
  const sorted = [...sets].sort((a, b) => a.size - b.size);
  const out = new Set<string>();
  const first = sorted[0];
  if (!first) return out;
  outer: for (const m of first) {
    for (let i = 1; i < sorted.length; i++) if (!(sorted[i] as Set<string>).has(m)) continue outer;
    out.add(m);
    if (out.size >= limit) break;
  }
  return out;
}

function union(sets: Set<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const m of s) out.add(m);
  return out;
}

function diff(sets: Set<string>[]): Set<string> {
  const out = new Set<string>(sets[0] ?? []);
  for (let i = 1; i < sets.length; i++) for (const m of sets[i] as Set<string>) out.delete(m);
  return out;
}

/** SINTER/SUNION/SDIFF and, with `event` ('sinterstore' …), their STORE variants. */
function algebra(c: Client, op: (s: Set<string>[]) => Set<string>, event: string | null): void {
  const store = event !== null;
  const keys = c.argv.slice(store ? 2 : 1);
  const sets = loadSets(c, keys);
  if (sets === null) return;
  const result = op(sets);
  if (!store) {
    c.reply.set(result.size);
    for (const m of result) c.reply.bulk(m);
    return;
  }
  const dst = c.argv[1] as string;
  if (result.size === 0) {
    if (c.db.delete(dst)) notify(c, NOTIFY_GENERIC, 'del', dst);
  } else {
    expireBeforeOverwrite(c, dst);
    c.db.set(dst, result);
    notify(c, NOTIFY_SET, event, dst);
  }
  c.reply.int(result.size);
}

function sintercard(c: Client): void {
  const argv = c.argv;
  const n = parseInteger(argv[1] as string);
  if (n === null || n <= 0) return c.reply.error('ERR numkeys should be greater than 0');
  if (argv.length < 2 + n) return c.reply.error("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  const rest = argv.slice(2 + n);
  if (rest.length === 2 && is(rest[0], 'LIMIT')) {
    const l = parseInteger(rest[1] as string);
    if (l === null || l < 0) return c.reply.error("ERR LIMIT can't be negative");
    limit = l;
  } else if (rest.length !== 0) return c.reply.error(E_SYNTAX);
  const sets = loadSets(c, argv.slice(2, 2 + n));
  if (sets === null) return;
  c.reply.int(inter(sets, limit === 0 ? Infinity : limit).size);
}

function sscan(c: Client): void {
  const argv = c.argv;
  const cursor = parseCursor(c, argv[2] as string);
  if (cursor === null) return;
  const opts = parseScanOpts(c, 3, false);
  if (opts === null) return;
  const { count, match } = opts;
  const s = getSet(c, argv[1] as string);
  if (s === WRONG) return;
  const out: string[] = [];
  let next = 0;
  if (s) {
    const step = s.size <= 128 ? s.size : count;
    next = scanStep(
      cursor,
      s,
      () => s.values(),
      step,
      (m) => {
        if (match === null || globMatch(match, m)) out.push(m);
      },
    );
  }
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.bulks(out);
}

export const setCommands: CommandModule = {
  sadd,
  srem,
  sismember: (c) => {
    const s = getSet(c, c.argv[1] as string);
    if (s === WRONG) return;
    c.reply.int(s?.has(c.argv[2] as string) ? 1 : 0);
  },
  smismember: (c) => {
    const s = getSet(c, c.argv[1] as string);
    if (s === WRONG) return;
    c.reply.array(c.argv.length - 2);
    for (let i = 2; i < c.argv.length; i++) c.reply.int(s?.has(c.argv[i] as string) ? 1 : 0);
  },
  smembers: (c) => {
    const s = getSet(c, c.argv[1] as string);
    if (s === WRONG) return;
    if (!s) return c.reply.set(0);
    c.reply.set(s.size);
    for (const m of s) c.reply.bulk(m);
  },
  scard: (c) => {
    const s = getSet(c, c.argv[1] as string);
    if (s === WRONG) return;
    c.reply.int(s?.size ?? 0);
  },
  spop,
  srandmember,
  smove,
  sinter: (c) => algebra(c, (s) => inter(s), null),
  sinterstore: (c) => algebra(c, (s) => inter(s), 'sinterstore'),
  sunion: (c) => algebra(c, union, null),
  sunionstore: (c) => algebra(c, union, 'sunionstore'),
  sdiff: (c) => algebra(c, diff, null),
  sdiffstore: (c) => algebra(c, diff, 'sdiffstore'),
  sintercard,
  sscan,
};
