/** Sorted set commands (t_zset.c) on the skip list in engine/zset.ts. */
import type { Client } from '../client.js';
import {
  type LexRange,
  type ScoreRange,
  ZNode,
  ZSet,
  lexGteMin,
  lexLteMax,
  scoreGteMin,
  scoreLteMax,
} from '../engine/zset.js';
import { globMatch, is, parseFloatArg, parseInteger } from './args.js';
import {
  E_MIN_MAX_FLOAT,
  E_MIN_MAX_LEX,
  E_NAN,
  E_NOT_FLOAT,
  E_NOT_INT,
  E_POSITIVE,
  E_SYNTAX,
  E_WRONGTYPE,
} from './errors.js';
import { getZset, getZsetW, WRONG } from './helpers.js';
import { shuffle } from './hashes.js';
import { parseCursor, parseScanOpts, scanStep } from './keys.js';
import type { CommandModule } from './types.js';
import { expireBeforeOverwrite, notify, NOTIFY_GENERIC, NOTIFY_ZSET } from '../notify.js';

function replyScore(c: Client, s: number): void {
  c.reply.double(s);
}

/** Replies members (optionally with scores; RESP3 nests [member, score] pairs). */
function replyMembers(c: Client, items: Array<[string, number]>, withScores: boolean): void {
  const r = c.reply;
  if (!withScores) return r.bulks(items.map((x) => x[0]));
  if (c.resp === 3) {
    r.array(items.length);
    for (const [m, s] of items) {
      r.array(2);
      r.bulk(m);
      r.double(s);
    }
    return;
  }
  r.array(items.length * 2);
  for (const [m, s] of items) {
    r.bulk(m);
    replyScore(c, s);
  }
}

function zadd(c: Client): void {
  const argv = c.argv;
  const key = argv[1] as string;
  let nx = false,
    xx = false,
    gt = false,
    lt = false,
    ch = false,
    incr = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const a = (argv[i] as string).toUpperCase();
    if (a === 'NX') nx = true;
    else if (a === 'XX') xx = true;
    else if (a === 'GT') gt = true;
    else if (a === 'LT') lt = true;
    else if (a === 'CH') ch = true;
    else if (a === 'INCR') incr = true;
    else break;
  }
  const rest = argv.length - i;
  if (rest === 0 || rest % 2 !== 0) return c.reply.error(E_SYNTAX);
  if (nx && xx) return c.reply.error('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt))
    return c.reply.error('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && rest > 2) return c.reply.error('ERR INCR option supports a single increment-element pair');
  const pairs: Array<[number, string]> = [];
  for (let k = i; k < argv.length; k += 2) {
    const s = parseFloatArg(argv[k] as string);
    if (s === null) return c.reply.error(E_NOT_FLOAT);
    pairs.push([s, argv[k + 1] as string]);
  }
  let z = getZsetW(c, key);
  if (z === WRONG) return;
  if (z === undefined) {
    if (xx) return incr ? c.reply.nullBulk() : c.reply.int(0);
    z = new ZSet();
    c.db.add(key, z);
  }
  let added = 0;
  let updated = 0;
  let incrResult: number | null = null;
  for (const [score0, member] of pairs) {
    const cur = z.score(member);
    let score = score0;
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score = cur + score0;
        if (Number.isNaN(score)) {
          c.db.deleteIfEmpty(key, z);
          return c.reply.error(E_NAN);
        }
      }
      if ((gt && score <= cur) || (lt && score >= cur)) continue;
      if (score !== cur) {
        z.add(member, score);
        updated++;
      }
      incrResult = score;
    } else {
      if (xx) continue;
      z.add(member, score);
      added++;
      incrResult = score;
    }
  }
  c.db.deleteIfEmpty(key, z);
  if (added || updated) {
    c.db.modified(key);
    notify(c, NOTIFY_ZSET, incr ? 'zincr' : 'zadd', key);
  }
  if (incr) {
    if (incrResult === null) return c.reply.nullBulk();
    return replyScore(c, incrResult);
  }
  c.reply.int(ch ? added + updated : added);
}

function zincrby(c: Client): void {
  const key = c.argv[1] as string;
  const by = parseFloatArg(c.argv[2] as string);
  if (by === null) return c.reply.error(E_NOT_FLOAT);
  const member = c.argv[3] as string;
  let z = getZsetW(c, key);
  if (z === WRONG) return;
  if (!z) {
    z = new ZSet();
    c.db.add(key, z);
  }
  const score = (z.score(member) ?? 0) + by;
  if (Number.isNaN(score)) {
    c.db.deleteIfEmpty(key, z);
    return c.reply.error(E_NAN);
  }
  // An unchanged score is no update (zsetAdd), so no event.
  if (z.score(member) !== score) {
    z.add(member, score);
    c.db.modified(key);
    notify(c, NOTIFY_ZSET, 'zincr', key);
  }
  replyScore(c, score);
}

function zrem(c: Client): void {
  const key = c.argv[1] as string;
  const z = getZsetW(c, key);
  if (z === WRONG) return;
  if (!z) return c.reply.int(0);
  let n = 0;
  for (let i = 2; i < c.argv.length; i++) if (z.remove(c.argv[i] as string)) n++;
  if (n) {
    const deleted = c.db.deleteIfEmpty(key, z);
    c.db.modified(key);
    notify(c, NOTIFY_ZSET, 'zrem', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  }
  c.reply.int(n);
}

export function parseScoreRange(minRaw: string, maxRaw: string): ScoreRange | null {
  const one = (raw: string): [number, boolean] | null => {
    const ex = raw.startsWith('(');
    const v = parseFloatArg(ex ? raw.slice(1) : raw);
    return v === null ? null : [v, ex];
  };
  const a = one(minRaw);
  const b = one(maxRaw);
  if (!a || !b) return null;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

export function parseLexRange(minRaw: string, maxRaw: string): LexRange | null {
  const one = (raw: string): [string, boolean, -1 | 0 | 1] | null => {
    if (raw === '-') return ['', false, -1];
    if (raw === '+') return ['', false, 1];
    if (raw.startsWith('(')) return [raw.slice(1), true, 0];
    if (raw.startsWith('[')) return [raw.slice(1), false, 0];
    return null;
  };
  const a = one(minRaw);
  const b = one(maxRaw);
  if (!a || !b) return null;
  return { min: a[0], minex: a[1], minInf: a[2], max: b[0], maxex: b[1], maxInf: b[2] };
}

function zcount(c: Client): void {
  const r = parseScoreRange(c.argv[2] as string, c.argv[3] as string);
  if (!r) return c.reply.error(E_MIN_MAX_FLOAT);
  const z = getZset(c, c.argv[1] as string);
  if (z === WRONG) return;
  if (!z) return c.reply.int(0);
  const first = z.firstInScore(r);
  if (!first) return c.reply.int(0);
  const last = z.lastInScore(r) as ZNode;
  c.reply.int(z.rank(last.member) - z.rank(first.member) + 1);
}

function zlexcount(c: Client): void {
  const r = parseLexRange(c.argv[2] as string, c.argv[3] as string);
  if (!r) return c.reply.error(E_MIN_MAX_LEX);
  const z = getZset(c, c.argv[1] as string);
  if (z === WRONG) return;
  if (!z) return c.reply.int(0);
  const first = z.firstInLex(r);
  if (!first) return c.reply.int(0);
  const last = z.lastInLex(r) as ZNode;
  c.reply.int(z.rank(last.member) - z.rank(first.member) + 1);
}

function zrank(c: Client, rev: boolean): void {
  const argv = c.argv;
  let withScore = false;
  if (argv.length === 4) {
    if (!is(argv[3], 'WITHSCORE')) return c.reply.error(E_SYNTAX);
    withScore = true;
  } else if (argv.length > 4) return c.reply.error(E_SYNTAX);
  const z = getZset(c, argv[1] as string);
  if (z === WRONG) return;
  const member = argv[2] as string;
  const r = z ? z.rank(member) : -1;
  if (r === -1) return withScore ? c.reply.nullArray() : c.reply.nullBulk();
  const rank = rev ? (z as ZSet).size - 1 - r : r;
  if (!withScore) return c.reply.int(rank);
  c.reply.array(2);
  c.reply.int(rank);
  replyScore(c, (z as ZSet).score(member) as number);
}

type RangeKind = 'rank' | 'score' | 'lex';

interface RangeSpec {
  kind: RangeKind;
  rev: boolean;
  minRaw: string;
  maxRaw: string;
  offset: number;
  limit: number;
  withScores: boolean;
}

/** Collects the elements a ZRANGE-family request selects. null after replying an error. */
function collectRange(c: Client, z: ZSet | undefined, spec: RangeSpec): Array<[string, number]> | null {
  const out: Array<[string, number]> = [];
  if (spec.kind === 'rank') {
    const start = parseInteger(spec.minRaw);
    const end = parseInteger(spec.maxRaw);
    if (start === null || end === null) {
      c.reply.error(E_NOT_INT);
      return null;
    }
    if (!z) return out;
    const len = z.size;
    let s = start < 0 ? len + start : start;
    let e = end < 0 ? len + end : end;
    if (s < 0) s = 0;
    if (s > e || s >= len) return out;
    if (e >= len) e = len - 1;
    if (spec.rev) {
      let node = z.byRank(len - 1 - s);
      for (let i = s; i <= e && node; i++, node = node.back) out.push([node.member, node.score]);
    } else {
      let node = z.byRank(s);
      for (let i = s; i <= e && node; i++, node = node.next[0] ?? null) out.push([node.member, node.score]);
    }
    return out;
  }
  if (spec.kind === 'score') {
    const r = parseScoreRange(spec.minRaw, spec.maxRaw);
    if (!r) {
      c.reply.error(E_MIN_MAX_FLOAT);
      return null;
    }
    if (!z) return out;
    let node = spec.rev ? z.lastInScore(r) : z.firstInScore(r);
    let skip = spec.offset;
    let left = spec.limit < 0 ? Infinity : spec.limit;
    while (node && left > 0) {
      if (spec.rev ? !scoreGteMin(node.score, r) : !scoreLteMax(node.score, r)) break;
      if (skip > 0) skip--;
      else {
        out.push([node.member, node.score]);
        left--;
      }
      node = spec.rev ? node.back : (node.next[0] ?? null);
    }
    return out;
  }
  const r = parseLexRange(spec.minRaw, spec.maxRaw);
  if (!r) {
    c.reply.error(E_MIN_MAX_LEX);
    return null;
  }
  if (!z) return out;
  let node = spec.rev ? z.lastInLex(r) : z.firstInLex(r);
  let skip = spec.offset;
  let left = spec.limit < 0 ? Infinity : spec.limit;
  while (node && left > 0) {
    if (spec.rev ? !lexGteMin(node.member, r) : !lexLteMax(node.member, r)) break;
    if (skip > 0) skip--;
    else {
      out.push([node.member, node.score]);
      left--;
    }
    node = spec.rev ? node.back : (node.next[0] ?? null);
  }
  return out;
}

/** ZRANGE-family front end. `legacy` fixes the kind/direction for ZRANGEBYSCORE and friends. */
function zrangeGeneric(c: Client, legacy: { kind: RangeKind; rev: boolean } | null, store: boolean): void {
  const argv = c.argv;
  const base = store ? 2 : 1;
  const key = argv[base] as string;
  const spec: RangeSpec = {
    kind: legacy?.kind ?? 'rank',
    rev: legacy?.rev ?? false,
    minRaw: argv[base + 1] as string,
    maxRaw: argv[base + 2] as string,
    offset: 0,
    limit: -1,
    withScores: false,
  };
  let hasLimit = false;
  for (let i = base + 3; i < argv.length; i++) {
    const a = (argv[i] as string).toUpperCase();
    if (a === 'WITHSCORES' && !store) spec.withScores = true;
    else if (a === 'LIMIT' && i + 2 < argv.length) {
      const o = parseInteger(argv[i + 1] as string);
      const n = parseInteger(argv[i + 2] as string);
      if (o === null || n === null) return c.reply.error(E_NOT_INT);
      spec.offset = o;
      spec.limit = n;
      hasLimit = true;
      i += 2;
    } else if (!legacy && a === 'BYSCORE' && spec.kind === 'rank') spec.kind = 'score';
    else if (!legacy && a === 'BYLEX' && spec.kind === 'rank') spec.kind = 'lex';
    else if (!legacy && a === 'REV') spec.rev = true;
    else return c.reply.error(E_SYNTAX);
  }
  if (hasLimit && spec.kind === 'rank')
    return c.reply.error(
      'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    );
  if (spec.withScores && spec.kind === 'lex')
    return c.reply.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  if (spec.offset < 0) {
    if (store) return finishStore(c, [], 'zrangestore');
    return c.reply.array(0);
  }
  const z = getZset(c, key);
  if (z === WRONG) return;
  // Legacy rev commands take max first; ZRANGE ... REV BYSCORE also takes max first.
  if (spec.rev && spec.kind !== 'rank') [spec.minRaw, spec.maxRaw] = [spec.maxRaw, spec.minRaw];
  const items = collectRange(c, z, spec);
  if (items === null) return;
  if (store) return finishStore(c, items, 'zrangestore');
  replyMembers(c, items, spec.withScores);
}

/** Stores a *STORE result in argv[1]: `event` when non-empty, else 'del' if dst existed. */
function finishStore(c: Client, items: Array<[string, number]>, event: string): void {
  const dst = c.argv[1] as string;
  if (items.length === 0) {
    if (c.db.delete(dst)) notify(c, NOTIFY_GENERIC, 'del', dst);
    return c.reply.int(0);
  }
  const z = new ZSet();
  for (const [m, s] of items) z.add(m, s);
  expireBeforeOverwrite(c, dst);
  c.db.set(dst, z);
  notify(c, NOTIFY_ZSET, event, dst);
  c.reply.int(z.size);
}

function zremrange(c: Client, kind: RangeKind): void {
  const key = c.argv[1] as string;
  const z0 = getZsetW(c, key);
  if (z0 === WRONG) return;
  const items = collectRange(c, z0, {
    kind,
    rev: false,
    minRaw: c.argv[2] as string,
    maxRaw: c.argv[3] as string,
    offset: 0,
    limit: -1,
    withScores: false,
  });
  if (items === null) return;
  if (!z0) return c.reply.int(0);
  for (const [m] of items) z0.remove(m);
  if (items.length) {
    const deleted = c.db.deleteIfEmpty(key, z0);
    c.db.modified(key);
    notify(c, NOTIFY_ZSET, kind === 'rank' ? 'zremrangebyrank' : kind === 'score' ? 'zremrangebyscore' : 'zremrangebylex', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  }
  c.reply.int(items.length);
}

function popGeneric(c: Client, z: ZSet, key: string, max: boolean, count: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i < count && z.size > 0; i++) {
    const node = (max ? z.tail : z.first()) as ZNode;
    out.push([node.member, node.score]);
    z.remove(node.member);
  }
  if (out.length) {
    const deleted = c.db.deleteIfEmpty(key, z);
    c.db.modified(key);
    notify(c, NOTIFY_ZSET, max ? 'zpopmax' : 'zpopmin', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  }
  return out;
}

function zpop(c: Client, max: boolean): void {
  const key = c.argv[1] as string;
  let count = 1;
  const hasCount = c.argv.length === 3;
  if (hasCount) {
    const n = parseInteger(c.argv[2] as string);
    if (n === null || n < 0) return c.reply.error(E_POSITIVE);
    count = n;
  } else if (c.argv.length > 3) return c.reply.error(E_SYNTAX);
  const z = getZsetW(c, key);
  if (z === WRONG) return;
  if (!z) return c.reply.array(0);
  const items = popGeneric(c, z, key, max, count);
  if (!hasCount && c.resp === 3) {
    if (items.length === 0) return c.reply.array(0);
    const [m, s] = items[0] as [string, number];
    c.reply.array(2);
    c.reply.bulk(m);
    return replyScore(c, s);
  }
  replyMembers(c, items, true);
}

function zmpop(c: Client): void {
  const argv = c.argv;
  const numkeys = parseInteger(argv[1] as string);
  if (numkeys === null || numkeys <= 0) return c.reply.error('ERR numkeys should be greater than 0');
  if (argv.length < 3 + numkeys) return c.reply.error(E_SYNTAX);
  const where = argv[2 + numkeys] as string;
  const max = is(where, 'MAX');
  if (!max && !is(where, 'MIN')) return c.reply.error(E_SYNTAX);
  let count = 1;
  const rest = argv.length - (3 + numkeys);
  if (rest === 2 && is(argv[3 + numkeys], 'COUNT')) {
    const n = parseInteger(argv[4 + numkeys] as string);
    if (n === null || n <= 0) return c.reply.error('ERR count should be greater than 0');
    count = n;
  } else if (rest !== 0) return c.reply.error(E_SYNTAX);
  for (let i = 0; i < numkeys; i++) {
    const key = argv[2 + i] as string;
    const z = getZsetW(c, key);
    if (z === WRONG) return;
    if (!z || z.size === 0) continue;
    const items = popGeneric(c, z, key, max, count);
    c.propagate([max ? 'ZPOPMAX' : 'ZPOPMIN', key, String(items.length)]);
    c.reply.array(2);
    c.reply.bulk(key);
    if (c.resp === 3) replyMembers(c, items, true);
    else {
      c.reply.array(items.length);
      for (const [m, s] of items) {
        c.reply.array(2);
        c.reply.bulk(m);
        replyScore(c, s);
      }
    }
    return;
  }
  c.reply.nullArray();
}

function zrandmember(c: Client): void {
  const argv = c.argv;
  const z = getZset(c, argv[1] as string);
  if (z === WRONG) return;
  if (argv.length === 2) {
    if (!z) return c.reply.nullBulk();
    return c.reply.bulk((z.byRank(Math.floor(Math.random() * z.size)) as ZNode).member);
  }
  const n = parseInteger(argv[2] as string);
  if (n === null) return c.reply.error(E_NOT_INT);
  let withScores = false;
  if (argv.length === 4) {
    if (!is(argv[3], 'WITHSCORES')) return c.reply.error(E_SYNTAX);
    withScores = true;
  } else if (argv.length > 4) return c.reply.error(E_SYNTAX);
  if (n < -Number.MAX_SAFE_INTEGER / 2) return c.reply.error('ERR value is out of range');
  if (!z || n === 0) return c.reply.array(0);
  const all = [...z.entries()];
  let picked: Array<[string, number]>;
  if (n < 0) {
    picked = [];
    for (let i = 0; i < -n; i++) picked.push(all[Math.floor(Math.random() * all.length)] as [string, number]);
  } else {
    shuffle(all);
    picked = all.slice(0, n);
  }
  replyMembers(c, picked, withScores);
}

type Aggregate = 'sum' | 'min' | 'max';

function aggregate(a: number, b: number, how: Aggregate): number {
  if (how === 'min') return a < b ? a : b;
  if (how === 'max') return a > b ? a : b;
  const r = a + b;
  return Number.isNaN(r) ? 0 : r;
}

/** Reads a ZUNION/ZINTER/ZDIFF source: sets count as zsets with score 1. */
function loadSource(c: Client, key: string): Map<string, number> | null | typeof WRONG {
  const v = c.db.get(key);
  if (v === undefined) return null;
  if (v instanceof ZSet) return v.dict;
  if (v instanceof Set) {
    const m = new Map<string, number>();
    for (const x of v) m.set(x, 1);
    return m;
  }
  c.reply.error(E_WRONGTYPE);
  return WRONG;
}

function zsetOp(c: Client, op: 'union' | 'inter' | 'diff', store: boolean): void {
  const argv = c.argv;
  const base = store ? 2 : 1;
  const numkeys = parseInteger(argv[base] as string);
  if (numkeys === null) return c.reply.error(E_NOT_INT);
  if (numkeys < 1)
    return c.reply.error(`ERR at least 1 input key is needed for '${argv[0]?.toLowerCase()}' command`);
  if (argv.length < base + 1 + numkeys) return c.reply.error(E_SYNTAX);
  const keys = argv.slice(base + 1, base + 1 + numkeys);
  const weights = new Array<number>(numkeys).fill(1);
  let how: Aggregate = 'sum';
  let withScores = false;
  for (let i = base + 1 + numkeys; i < argv.length; i++) {
    const a = (argv[i] as string).toUpperCase();
    if (a === 'WEIGHTS' && op !== 'diff' && i + numkeys < argv.length) {
      for (let k = 0; k < numkeys; k++) {
        const w = parseFloatArg(argv[i + 1 + k] as string);
        if (w === null) return c.reply.error('ERR weight value is not a float');
        weights[k] = w;
      }
      i += numkeys;
    } else if (a === 'AGGREGATE' && op !== 'diff' && i + 1 < argv.length) {
      const h = (argv[++i] as string).toLowerCase();
      if (h !== 'sum' && h !== 'min' && h !== 'max') return c.reply.error(E_SYNTAX);
      how = h;
    } else if (a === 'WITHSCORES' && !store) withScores = true;
    else return c.reply.error(E_SYNTAX);
  }
  const sources: Array<Map<string, number> | null> = [];
  for (const k of keys) {
    const s = loadSource(c, k as string);
    if (s === WRONG) return;
    sources.push(s);
  }
  const result = new Map<string, number>();
  const w = (i: number, score: number): number => {
    const r = score * (weights[i] as number);
    return Number.isNaN(r) ? 0 : r;
  };
  if (op === 'union') {
    sources.forEach((src, i) => {
      if (!src) return;
      for (const [m, s] of src) {
        const cur = result.get(m);
        result.set(m, cur === undefined ? w(i, s) : aggregate(cur, w(i, s), how));
      }
    });
  } else if (op === 'inter') {
    const first = sources[0];
    if (first && sources.every((s) => s !== null)) {
      outer: for (const [m, s0] of first) {
        let acc = w(0, s0);
        for (let i = 1; i < sources.length; i++) {
          const s = (sources[i] as Map<string, number>).get(m);
          if (s === undefined) continue outer;
          acc = aggregate(acc, w(i, s), how);
        }
        result.set(m, acc);
      }
    }
  } else {
    const first = sources[0];
    if (first)
      outer2: for (const [m, s0] of first) {
        for (let i = 1; i < sources.length; i++) if (sources[i]?.has(m)) continue outer2;
        result.set(m, s0);
      }
  }
  const items = [...result.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (store) return finishStore(c, items, `z${op}store`);
  replyMembers(c, items, withScores);
}

function zintercard(c: Client): void {
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
  const sources: Array<Map<string, number> | null> = [];
  for (const k of argv.slice(2, 2 + n)) {
    const s = loadSource(c, k);
    if (s === WRONG) return;
    sources.push(s);
  }
  if (sources.some((s) => s === null)) return c.reply.int(0);
  const sorted = (sources as Array<Map<string, number>>).sort((a, b) => a.size - b.size);
  let count = 0;
  outer: for (const m of (sorted[0] as Map<string, number>).keys()) {
    for (let i = 1; i < sorted.length; i++) if (!(sorted[i] as Map<string, number>).has(m)) continue outer;
    count++;
    if (limit && count >= limit) break;
  }
  c.reply.int(count);
}

function zscan(c: Client): void {
  const argv = c.argv;
  const cursor = parseCursor(c, argv[2] as string);
  if (cursor === null) return;
  const opts = parseScanOpts(c, 3, false);
  if (opts === null) return;
  const { count, match } = opts;
  const z = getZset(c, argv[1] as string);
  if (z === WRONG) return;
  const out: Array<[string, number]> = [];
  let next = 0;
  if (z) {
    const step = z.size <= 128 ? z.size : count;
    next = scanStep(
      cursor,
      z,
      () => z.dict.entries(),
      step,
      ([m, s]) => {
        if (match === null || globMatch(match, m)) out.push([m, s]);
      },
    );
  }
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.array(out.length * 2);
  for (const [m, s] of out) {
    c.reply.bulk(m);
    replyScore(c, s);
  }
}

export const zsetCommands: CommandModule = {
  zadd,
  zincrby,
  zrem,
  zcard: (c) => {
    const z = getZset(c, c.argv[1] as string);
    if (z === WRONG) return;
    c.reply.int(z?.size ?? 0);
  },
  zcount,
  zlexcount,
  zscore: (c) => {
    const z = getZset(c, c.argv[1] as string);
    if (z === WRONG) return;
    const s = z?.score(c.argv[2] as string);
    if (s === undefined) return c.reply.nullBulk();
    replyScore(c, s);
  },
  zmscore: (c) => {
    const z = getZset(c, c.argv[1] as string);
    if (z === WRONG) return;
    c.reply.array(c.argv.length - 2);
    for (let i = 2; i < c.argv.length; i++) {
      const s = z?.score(c.argv[i] as string);
      if (s === undefined) c.reply.nullBulk();
      else replyScore(c, s);
    }
  },
  zrank: (c) => zrank(c, false),
  zrevrank: (c) => zrank(c, true),
  zrange: (c) => zrangeGeneric(c, null, false),
  zrangestore: (c) => zrangeGeneric(c, null, true),
  zrevrange: (c) => zrangeGeneric(c, { kind: 'rank', rev: true }, false),
  zrangebyscore: (c) => zrangeGeneric(c, { kind: 'score', rev: false }, false),
  zrevrangebyscore: (c) => zrangeGeneric(c, { kind: 'score', rev: true }, false),
  zrangebylex: (c) => zrangeGeneric(c, { kind: 'lex', rev: false }, false),
  zrevrangebylex: (c) => zrangeGeneric(c, { kind: 'lex', rev: true }, false),
  zpopmin: (c) => zpop(c, false),
  zpopmax: (c) => zpop(c, true),
  zmpop,
  zrandmember,
  zremrangebyrank: (c) => zremrange(c, 'rank'),
  zremrangebyscore: (c) => zremrange(c, 'score'),
  zremrangebylex: (c) => zremrange(c, 'lex'),
  zunion: (c) => zsetOp(c, 'union', false),
  zinter: (c) => zsetOp(c, 'inter', false),
  zdiff: (c) => zsetOp(c, 'diff', false),
  zunionstore: (c) => zsetOp(c, 'union', true),
  zinterstore: (c) => zsetOp(c, 'inter', true),
  zdiffstore: (c) => zsetOp(c, 'diff', true),
  zintercard,
  zscan,
};
