/** String commands (t_string.c): GET/SET family, counters, ranges, LCS. */
import type { Client } from '../client.js';
import { MutableString } from '../engine/mutable-string.js';
import { is, parseBigInt, parseFloatArg, parseInteger, I64_MAX, I64_MIN } from './args.js';
import {
  E_NOT_FLOAT,
  E_NOT_INT,
  E_OVERFLOW,
  E_STRING_TOO_LONG,
  E_SYNTAX,
  E_WRONGTYPE,
  invalidExpire,
} from './errors.js';
import { formatLongDouble, getStr, strValue, WRONG } from './helpers.js';
import type { CommandModule } from './types.js';
import { expireBeforeOverwrite, notify, NOTIFY_GENERIC, NOTIFY_STRING } from '../notify.js';

const FLAG_NX = 1;
const FLAG_XX = 2;
const FLAG_GET = 4;
const FLAG_KEEPTTL = 8;
const FLAG_EX = 16;
const FLAG_PX = 32;
const FLAG_EXAT = 64;
const FLAG_PXAT = 128;
const FLAG_PERSIST = 256;
const EXPIRE_FLAGS = FLAG_EX | FLAG_PX | FLAG_EXAT | FLAG_PXAT | FLAG_KEEPTTL | FLAG_PERSIST;
/** Largest string a command may create (proto-max-bulk-len default). */
export const STRING_MAX_BYTES = 512 * 1024 * 1024;

/** Converts an expire argument to absolute ms; null after replying an error. */
export function absoluteExpire(c: Client, raw: string, unit: 'ex' | 'px' | 'exat' | 'pxat', cmd: string): number | null {
  const n = parseInteger(raw);
  if (n === null) {
    c.reply.error(E_NOT_INT);
    return null;
  }
  if (n <= 0) {
    c.reply.error(invalidExpire(cmd));
    return null;
  }
  let ms = unit === 'ex' || unit === 'exat' ? n * 1000 : n;
  if (unit === 'ex' || unit === 'px') ms += c.server.keyspace.nowMs;
  if (!Number.isSafeInteger(ms) || ms > Number(I64_MAX)) {
    c.reply.error(invalidExpire(cmd));
    return null;
  }
  return ms;
}

interface SetArgs {
  flags: number;
  expireAt: number;
}

/** Parses SET/GETEX options from argv[start]; null after replying an error. */
function parseSetArgs(c: Client, start: number, isGetex: boolean): SetArgs | null {
  const argv = c.argv;
  let flags = 0;
  let expireArg: string | null = null;
  let unit: 'ex' | 'px' | 'exat' | 'pxat' = 'ex';
  for (let i = start; i < argv.length; i++) {
    const a = (argv[i] as string).toUpperCase();
    const hasNext = i + 1 < argv.length;
    if (!isGetex && a === 'NX' && !(flags & (FLAG_XX))) flags |= FLAG_NX;
    else if (!isGetex && a === 'XX' && !(flags & FLAG_NX)) flags |= FLAG_XX;
    else if (!isGetex && a === 'GET') flags |= FLAG_GET;
    else if (!isGetex && a === 'KEEPTTL' && !(flags & EXPIRE_FLAGS)) flags |= FLAG_KEEPTTL;
    else if (isGetex && a === 'PERSIST' && !(flags & EXPIRE_FLAGS)) flags |= FLAG_PERSIST;
    else if ((a === 'EX' || a === 'PX' || a === 'EXAT' || a === 'PXAT') && !(flags & EXPIRE_FLAGS) && hasNext) {
      flags |= a === 'EX' ? FLAG_EX : a === 'PX' ? FLAG_PX : a === 'EXAT' ? FLAG_EXAT : FLAG_PXAT;
      unit = a.toLowerCase() as typeof unit;
      expireArg = argv[++i] as string;
    } else {
      c.reply.error(E_SYNTAX);
      return null;
    }
  }
  let expireAt = 0;
  if (expireArg !== null) {
    const at = absoluteExpire(c, expireArg, unit, isGetex ? 'getex' : 'set');
    if (at === null) return null;
    expireAt = at;
  }
  return { flags, expireAt };
}

function set(c: Client): void {
  const argv = c.argv;
  const key = argv[1] as string;
  const value = argv[2] as string;
  const db = c.db;
  if (argv.length === 3) {
    // Fast path: plain SET.
    expireBeforeOverwrite(c, key);
    db.set(key, value);
    notify(c, NOTIFY_STRING, 'set', key);
    c.reply.ok();
    return;
  }
  const a = parseSetArgs(c, 3, false);
  if (a === null) return;
  let old: string | undefined;
  const cur = db.peek(key);
  if (a.flags & FLAG_GET && cur !== undefined) {
    const s = strValue(cur);
    if (s === null) {
      c.reply.error(E_WRONGTYPE);
      return;
    }
    old = s;
  }
  if ((a.flags & FLAG_NX && cur !== undefined) || (a.flags & FLAG_XX && cur === undefined)) {
    if (a.flags & FLAG_GET) c.reply.bulkOrNull(old);
    else c.reply.nullBulk();
    return;
  }
  db.set(key, value, (a.flags & FLAG_KEEPTTL) !== 0);
  notify(c, NOTIFY_STRING, 'set', key);
  if (a.expireAt) {
    db.setExpire(key, a.expireAt);
    notify(c, NOTIFY_GENERIC, 'expire', key);
    if (!(a.flags & FLAG_PXAT)) c.propagate(['SET', key, value, 'PXAT', String(a.expireAt)]);
  }
  if (a.flags & FLAG_GET) c.reply.bulkOrNull(old);
  else c.reply.ok();
}

function setWithTtl(c: Client, unit: 'ex' | 'px', name: string): void {
  const key = c.argv[1] as string;
  const at = absoluteExpire(c, c.argv[2] as string, unit, name);
  if (at === null) return;
  const value = c.argv[3] as string;
  expireBeforeOverwrite(c, key);
  c.db.set(key, value);
  c.db.setExpire(key, at);
  notify(c, NOTIFY_STRING, 'set', key);
  notify(c, NOTIFY_GENERIC, 'expire', key);
  c.propagate(['SET', key, value, 'PXAT', String(at)]);
  c.reply.ok();
}

function get(c: Client): void {
  const v = c.db.get(c.argv[1] as string);
  if (v === undefined) c.reply.nullBulk();
  else if (typeof v === 'string') c.reply.bulk(v);
  else if (v instanceof MutableString) c.reply.bulk(v.toString());
  else c.reply.error(E_WRONGTYPE);
}

function getex(c: Client): void {
  const key = c.argv[1] as string;
  const a = parseSetArgs(c, 2, true);
  if (a === null) return;
  const v = getStr(c, key);
  if (v === WRONG) return;
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  const db = c.db;
  if (a.expireAt) {
    if (a.expireAt <= c.server.keyspace.nowMs) {
      db.delete(key);
      notify(c, NOTIFY_GENERIC, 'del', key);
      c.propagate(['DEL', key]);
    } else {
      db.setExpire(key, a.expireAt);
      db.modified(key);
      notify(c, NOTIFY_GENERIC, 'expire', key);
      c.propagate(['PEXPIREAT', key, String(a.expireAt)]);
    }
  } else if (a.flags & FLAG_PERSIST) {
    if (db.persist(key)) {
      db.modified(key);
      notify(c, NOTIFY_GENERIC, 'persist', key);
      c.propagate(['PERSIST', key]);
    }
  }
  c.reply.bulk(v);
}

function getdel(c: Client): void {
  const key = c.argv[1] as string;
  const v = getStr(c, key);
  if (v === WRONG) return;
  if (v === undefined) return c.reply.nullBulk();
  c.db.delete(key);
  notify(c, NOTIFY_GENERIC, 'del', key);
  c.propagate(['DEL', key]);
  c.reply.bulk(v);
}

function getset(c: Client): void {
  const key = c.argv[1] as string;
  const v = getStr(c, key);
  if (v === WRONG) return;
  c.db.set(key, c.argv[2] as string);
  notify(c, NOTIFY_STRING, 'set', key);
  c.reply.bulkOrNull(v);
}

function setnx(c: Client): void {
  const key = c.argv[1] as string;
  if (c.db.has(key)) return c.reply.int(0);
  c.db.set(key, c.argv[2] as string);
  notify(c, NOTIFY_STRING, 'set', key);
  c.reply.int(1);
}

function mget(c: Client): void {
  const argv = c.argv;
  const r = c.reply;
  r.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = c.db.get(argv[i] as string);
    const s = v === undefined ? null : strValue(v);
    if (s === null) r.nullBulk();
    else r.bulk(s);
  }
}

function msetGeneric(c: Client, nx: boolean): void {
  const argv = c.argv;
  if (argv.length % 2 === 0) {
    c.reply.error(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
    return;
  }
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) if (c.db.has(argv[i] as string)) return c.reply.int(0);
  }
  for (let i = 1; i < argv.length; i += 2) {
    expireBeforeOverwrite(c, argv[i] as string);
    c.db.set(argv[i] as string, argv[i + 1] as string);
    notify(c, NOTIFY_STRING, 'set', argv[i] as string);
  }
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function incrDecr(c: Client, by: number | bigint): void {
  const key = c.argv[1] as string;
  const db = c.db;
  const cur = db.getWrite(key);
  let base: number | bigint = 0;
  if (cur !== undefined) {
    const s = strValue(cur);
    if (s === null) return c.reply.error(E_WRONGTYPE);
    const n = parseInteger(s);
    if (n === null) return c.reply.error(E_NOT_INT);
    base = Number.isSafeInteger(n) ? n : (parseBigInt(s) as bigint);
  }
  let result: number | bigint;
  if (typeof base === 'number' && typeof by === 'number' && Number.isSafeInteger(base + by)) result = base + by;
  else {
    const r = BigInt(base) + BigInt(by);
    if (r > I64_MAX || r < I64_MIN) return c.reply.error(E_OVERFLOW);
    result = r;
  }
  const str = String(result);
  db.set(key, str, true);
  notify(c, NOTIFY_STRING, 'incrby', key);
  if (typeof result === 'bigint') c.reply.intExact(str);
  else c.reply.int(result);
}

function incrbyArg(c: Client, negate: boolean): void {
  const raw = c.argv[2] as string;
  const n = parseInteger(raw);
  if (n === null) return c.reply.error(E_NOT_INT);
  let by: number | bigint = Number.isSafeInteger(n) ? n : (parseBigInt(raw) as bigint);
  if (negate) {
    if (typeof by === 'bigint') {
      if (by === I64_MIN) return c.reply.error('ERR decrement would overflow');
      by = -by;
    } else by = -by;
  }
  incrDecr(c, by);
}

function incrbyfloat(c: Client): void {
  const key = c.argv[1] as string;
  const by = parseFloatArg(c.argv[2] as string);
  if (by === null) return c.reply.error(E_NOT_FLOAT);
  const cur = c.db.getWrite(key);
  let base = 0;
  if (cur !== undefined) {
    const s = strValue(cur);
    if (s === null) return c.reply.error(E_WRONGTYPE);
    const n = parseFloatArg(s);
    if (n === null || s.trim() !== s) return c.reply.error(E_NOT_FLOAT);
    base = n;
  }
  const r = base + by;
  if (!Number.isFinite(r)) return c.reply.error('ERR increment would produce NaN or Infinity');
  const str = formatLongDouble(r);
  c.db.set(key, str, true);
  notify(c, NOTIFY_STRING, 'incrbyfloat', key);
  c.propagate(['SET', key, str, 'KEEPTTL']);
  c.reply.bulk(str);
}

function append(c: Client): void {
  const key = c.argv[1] as string;
  const add = c.argv[2] as string;
  const cur = c.db.getWrite(key);
  if (cur === undefined) {
    c.db.set(key, add);
    notify(c, NOTIFY_STRING, 'append', key);
    return c.reply.int(add.length);
  }
  if (cur instanceof MutableString) {
    if (cur.len + add.length > STRING_MAX_BYTES) return c.reply.error(E_STRING_TOO_LONG);
    const start = cur.len;
    cur.ensure(cur.len + add.length);
    cur.buf.latin1Write(add, start);
    c.db.modified(key);
    notify(c, NOTIFY_STRING, 'append', key);
    return c.reply.int(cur.len);
  }
  if (typeof cur !== 'string') return c.reply.error(E_WRONGTYPE);
  if (cur.length + add.length > STRING_MAX_BYTES) return c.reply.error(E_STRING_TOO_LONG);
  const next = cur + add;
  c.db.set(key, next, true);
  notify(c, NOTIFY_STRING, 'append', key);
  c.reply.int(next.length);
}

function strlen(c: Client): void {
  const v = c.db.get(c.argv[1] as string);
  if (v === undefined) return c.reply.int(0);
  if (typeof v === 'string') return c.reply.int(v.length);
  if (v instanceof MutableString) return c.reply.int(v.len);
  c.reply.error(E_WRONGTYPE);
}

function getrange(c: Client): void {
  let start = parseInteger(c.argv[2] as string);
  let end = parseInteger(c.argv[3] as string);
  if (start === null || end === null) return c.reply.error(E_NOT_INT);
  const s = getStr(c, c.argv[1] as string);
  if (s === WRONG) return;
  if (s === undefined) return c.reply.bulk('');
  const len = s.length;
  if (start < 0 && end < 0 && start > end) return c.reply.bulk('');
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return c.reply.bulk('');
  c.reply.bulk(s.slice(start, end + 1));
}

function setrange(c: Client): void {
  const key = c.argv[1] as string;
  const offset = parseInteger(c.argv[2] as string);
  if (offset === null) return c.reply.error(E_NOT_INT);
  if (offset < 0) return c.reply.error('ERR offset is out of range');
  const value = c.argv[3] as string;
  const cur = c.db.getWrite(key);
  if (cur !== undefined && strValue(cur) === null) return c.reply.error(E_WRONGTYPE);
  if (value.length === 0) {
    const len = cur === undefined ? 0 : cur instanceof MutableString ? cur.len : (cur as string).length;
    return c.reply.int(len);
  }
  if (offset + value.length > STRING_MAX_BYTES) return c.reply.error(E_STRING_TOO_LONG);
  let ms: MutableString;
  if (cur instanceof MutableString) ms = cur;
  else {
    ms = new MutableString(cur === undefined ? '' : (cur as string));
    c.db.set(key, ms, true);
  }
  ms.ensure(offset + value.length);
  ms.buf.latin1Write(value, offset);
  c.db.modified(key);
  notify(c, NOTIFY_STRING, 'setrange', key);
  c.reply.int(ms.len);
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] — classic DP, as Redis does. */
function lcs(c: Client): void {
  const argv = c.argv;
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i] as string;
    if (is(a, 'IDX')) getIdx = true;
    else if (is(a, 'LEN')) getLen = true;
    else if (is(a, 'WITHMATCHLEN')) withMatchLen = true;
    else if (is(a, 'MINMATCHLEN') && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) return c.reply.error(E_NOT_INT);
      minMatchLen = n < 0 ? 0 : n;
    } else return c.reply.error(E_SYNTAX);
  }
  const a = getStr(c, argv[1] as string);
  if (a === WRONG) return;
  const b = getStr(c, argv[2] as string);
  if (b === WRONG) return;
  if (getLen && getIdx)
    return c.reply.error('ERR If you want both the length and indexes, please just use IDX.');
  const sa = a ?? '';
  const sb = b ?? '';
  const n = sa.length;
  const m = sb.length;
  if ((n + 1) * (m + 1) > 2 ** 31) return c.reply.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  const dp = new Uint32Array((n + 1) * (m + 1));
  const W = m + 1;
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++)
      dp[i * W + j] =
        sa[i - 1] === sb[j - 1] ? (dp[(i - 1) * W + j - 1] as number) + 1 : Math.max(dp[(i - 1) * W + j] as number, dp[i * W + j - 1] as number);
  const total = dp[n * W + m] as number;
  if (getLen) return c.reply.int(total);
  // Walk back from the end exactly as t_string.c does, collecting the string and match ranges.
  const chars: string[] = new Array<string>(total);
  let idx = total;
  const matches: Array<[[number, number], [number, number], number]> = [];
  let aStart = n;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    let emit = false;
    if (sa[i - 1] === sb[j - 1]) {
      chars[idx - 1] = sa[i - 1] as string;
      if (aStart === n) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if ((dp[(i - 1) * W + j] as number) > (dp[i * W + j - 1] as number)) i--;
      else j--;
      if (aStart !== n) emit = true;
    }
    if (emit) {
      const len = aEnd - aStart + 1;
      if (minMatchLen === 0 || len >= minMatchLen) matches.push([[aStart, aEnd], [bStart, bEnd], len]);
      aStart = n;
    }
  }
  if (!getIdx) return c.reply.bulk(chars.join(''));
  c.reply.map(2);
  c.reply.bulk('matches');
  c.reply.array(matches.length);
  for (const [ra, rb, len] of matches) {
    c.reply.array(withMatchLen ? 3 : 2);
    c.reply.array(2);
    c.reply.int(ra[0]);
    c.reply.int(ra[1]);
    c.reply.array(2);
    c.reply.int(rb[0]);
    c.reply.int(rb[1]);
    if (withMatchLen) c.reply.int(len);
  }
  c.reply.bulk('len');
  c.reply.int(total);
}

export const stringCommands: CommandModule = {
  get,
  set,
  setnx,
  setex: (c) => setWithTtl(c, 'ex', 'setex'),
  psetex: (c) => setWithTtl(c, 'px', 'psetex'),
  getex,
  getdel,
  getset,
  mget,
  mset: (c) => msetGeneric(c, false),
  msetnx: (c) => msetGeneric(c, true),
  incr: (c) => incrDecr(c, 1),
  decr: (c) => incrDecr(c, -1),
  incrby: (c) => incrbyArg(c, false),
  decrby: (c) => incrbyArg(c, true),
  incrbyfloat,
  append,
  strlen,
  getrange,
  substr: getrange,
  setrange,
  lcs,
};
