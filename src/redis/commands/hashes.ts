/** Hash commands (t_hash.c) on a JS Map of binary strings. */
import type { Client } from '../client.js';
import { is, parseFloatArg, parseInteger, parseBigInt, I64_MAX, I64_MIN } from './args.js';
import { E_HASH_NOT_FLOAT, E_HASH_NOT_INT, E_NOT_FLOAT, E_NOT_INT, E_OVERFLOW, E_SYNTAX } from './errors.js';
import { formatLongDouble, getHash, getHashW, WRONG } from './helpers.js';
import { parseCursor, parseScanOpts, scanStep } from './keys.js';
import { globMatch } from './args.js';
import type { CommandModule } from './types.js';
import { notify, NOTIFY_GENERIC, NOTIFY_HASH } from '../notify.js';

function writable(c: Client, key: string): Map<string, string> | typeof WRONG {
  const h = getHashW(c, key);
  if (h === WRONG || h !== undefined) return h;
  const fresh = new Map<string, string>();
  c.db.add(key, fresh);
  return fresh;
}

function hset(c: Client, legacy: boolean): void {
  const argv = c.argv;
  if (argv.length % 2 !== 0)
    return c.reply.error(`ERR wrong number of arguments for '${legacy ? 'hmset' : 'hset'}' command`);
  const key = argv[1] as string;
  const h = writable(c, key);
  if (h === WRONG) return;
  // New fields are counted by the size change: one hash lookup per field instead of has() + set().
  const before = h.size;
  for (let i = 2; i < argv.length; i += 2) h.set(argv[i] as string, argv[i + 1] as string);
  const created = h.size - before;
  c.db.modified(key);
  notify(c, NOTIFY_HASH, 'hset', key);
  if (legacy) c.reply.ok();
  else c.reply.int(created);
}

function hsetnx(c: Client): void {
  const key = c.argv[1] as string;
  const h = writable(c, key);
  if (h === WRONG) return;
  const f = c.argv[2] as string;
  if (h.has(f)) return c.reply.int(0);
  h.set(f, c.argv[3] as string);
  c.db.modified(key);
  notify(c, NOTIFY_HASH, 'hset', key);
  c.reply.int(1);
}

function hget(c: Client): void {
  const h = getHash(c, c.argv[1] as string);
  if (h === WRONG) return;
  c.reply.bulkOrNull(h?.get(c.argv[2] as string));
}

function hmget(c: Client): void {
  const h = getHash(c, c.argv[1] as string);
  if (h === WRONG) return;
  c.reply.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) c.reply.bulkOrNull(h?.get(c.argv[i] as string));
}

function hgetall(c: Client): void {
  const h = getHash(c, c.argv[1] as string);
  if (h === WRONG) return;
  if (!h) return c.reply.map(0);
  c.reply.map(h.size);
  for (const [f, v] of h) {
    c.reply.bulk(f);
    c.reply.bulk(v);
  }
}

function hdel(c: Client): void {
  const key = c.argv[1] as string;
  const h = getHashW(c, key);
  if (h === WRONG) return;
  if (!h) return c.reply.int(0);
  let n = 0;
  for (let i = 2; i < c.argv.length; i++) if (h.delete(c.argv[i] as string)) n++;
  if (n) {
    const deleted = c.db.deleteIfEmpty(key, h);
    c.db.modified(key);
    notify(c, NOTIFY_HASH, 'hdel', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  }
  c.reply.int(n);
}

function hincrby(c: Client): void {
  const key = c.argv[1] as string;
  const field = c.argv[2] as string;
  const byRaw = c.argv[3] as string;
  const by = parseInteger(byRaw);
  if (by === null) return c.reply.error(E_NOT_INT);
  const h = writable(c, key);
  if (h === WRONG) return;
  const cur = h.get(field);
  let base = 0;
  if (cur !== undefined) {
    const n = parseInteger(cur);
    if (n === null) return c.reply.error(E_HASH_NOT_INT);
    base = n;
  }
  let result: string;
  if (Number.isSafeInteger(base + by) && Number.isSafeInteger(base) && Number.isSafeInteger(by))
    result = String(base + by);
  else {
    const r = (parseBigInt(cur ?? '0') as bigint) + (parseBigInt(byRaw) as bigint);
    if (r > I64_MAX || r < I64_MIN) {
      c.db.deleteIfEmpty(key, h);
      return c.reply.error(E_OVERFLOW);
    }
    result = r.toString();
  }
  h.set(field, result);
  c.db.modified(key);
  notify(c, NOTIFY_HASH, 'hincrby', key);
  c.reply.intExact(result);
}

function hincrbyfloat(c: Client): void {
  const key = c.argv[1] as string;
  const field = c.argv[2] as string;
  const by = parseFloatArg(c.argv[3] as string);
  if (by === null) return c.reply.error(E_NOT_FLOAT);
  const h = writable(c, key);
  if (h === WRONG) return;
  const cur = h.get(field);
  let base = 0;
  if (cur !== undefined) {
    const n = parseFloatArg(cur);
    if (n === null) {
      c.db.deleteIfEmpty(key, h);
      return c.reply.error(E_HASH_NOT_FLOAT);
    }
    base = n;
  }
  const r = base + by;
  if (!Number.isFinite(r)) {
    c.db.deleteIfEmpty(key, h);
    return c.reply.error('ERR increment would produce NaN or Infinity');
  }
  const s = formatLongDouble(r);
  h.set(field, s);
  c.db.modified(key);
  notify(c, NOTIFY_HASH, 'hincrbyfloat', key);
  c.propagate(['HSET', key, field, s]);
  c.reply.bulk(s);
}

function hrandfield(c: Client): void {
  const argv = c.argv;
  const h = getHash(c, argv[1] as string);
  if (h === WRONG) return;
  if (argv.length === 2) {
    if (!h) return c.reply.nullBulk();
    const entries = [...h.keys()];
    return c.reply.bulk(entries[Math.floor(Math.random() * entries.length)] as string);
  }
  const n = parseInteger(argv[2] as string);
  if (n === null) return c.reply.error(E_NOT_INT);
  let withValues = false;
  if (argv.length === 4) {
    if (!is(argv[3], 'WITHVALUES')) return c.reply.error(E_SYNTAX);
    withValues = true;
  } else if (argv.length > 4) return c.reply.error(E_SYNTAX);
  if (n < -Number.MAX_SAFE_INTEGER / 2 || n > Number.MAX_SAFE_INTEGER / 2)
    return c.reply.error('ERR value is out of range');
  if (!h || n === 0) return c.reply.array(0);
  const entries = [...h.entries()];
  const picked: Array<[string, string]> = [];
  if (n < 0)
    for (let i = 0; i < -n; i++)
      picked.push(entries[Math.floor(Math.random() * entries.length)] as [string, string]);
  else {
    shuffle(entries);
    picked.push(...entries.slice(0, n));
  }
  replyPairs(c, picked, withValues);
}

export function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = a[i] as T;
    a[i] = a[j] as T;
    a[j] = t;
  }
}

function replyPairs(c: Client, pairs: Array<[string, string]>, withValues: boolean): void {
  if (!withValues) return c.reply.bulks(pairs.map((p) => p[0]));
  if (c.resp === 3) {
    c.reply.array(pairs.length);
    for (const [f, v] of pairs) {
      c.reply.array(2);
      c.reply.bulk(f);
      c.reply.bulk(v);
    }
  } else c.reply.bulks(pairs.flat());
}

function hscan(c: Client): void {
  const argv = c.argv;
  const cursor = parseCursor(c, argv[2] as string);
  if (cursor === null) return;
  const opts = parseScanOpts(c, 3, false, true);
  if (opts === null) return;
  const { count, match, novalues } = opts;
  const h = getHash(c, argv[1] as string);
  if (h === WRONG) return;
  const out: string[] = [];
  let next = 0;
  if (h) {
    // Small hashes come back whole, like Redis's listpack encoding does.
    const step = h.size <= 128 ? h.size : count;
    next = scanStep(
      cursor,
      h,
      () => h.entries(),
      step,
      ([f, v]) => {
        if (match !== null && !globMatch(match, f)) return;
        out.push(f);
        if (!novalues) out.push(v);
      },
    );
  }
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.bulks(out);
}

export const hashCommands: CommandModule = {
  hset: (c) => hset(c, false),
  hmset: (c) => hset(c, true),
  hsetnx,
  hget,
  hmget,
  hgetall,
  hdel,
  hexists: (c) => {
    const h = getHash(c, c.argv[1] as string);
    if (h === WRONG) return;
    c.reply.int(h?.has(c.argv[2] as string) ? 1 : 0);
  },
  hlen: (c) => {
    const h = getHash(c, c.argv[1] as string);
    if (h === WRONG) return;
    c.reply.int(h?.size ?? 0);
  },
  hkeys: (c) => {
    const h = getHash(c, c.argv[1] as string);
    if (h === WRONG) return;
    c.reply.bulks(h ? [...h.keys()] : []);
  },
  hvals: (c) => {
    const h = getHash(c, c.argv[1] as string);
    if (h === WRONG) return;
    c.reply.bulks(h ? [...h.values()] : []);
  },
  hstrlen: (c) => {
    const h = getHash(c, c.argv[1] as string);
    if (h === WRONG) return;
    c.reply.int(h?.get(c.argv[2] as string)?.length ?? 0);
  },
  hincrby,
  hincrbyfloat,
  hrandfield,
  hscan,
};
