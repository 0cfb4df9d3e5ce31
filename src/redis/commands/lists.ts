/** List commands (t_list.c) on a ring-buffer deque. */
import type { Client } from '../client.js';
import { Deque } from '../engine/deque.js';
import { clampRange, is, parseInteger } from './args.js';
import { E_INDEX, E_NO_KEY, E_NOT_INT, E_POSITIVE, E_SYNTAX, E_WRONGTYPE } from './errors.js';
import { getList, getListW, WRONG } from './helpers.js';
import type { CommandModule } from './types.js';
import { notify, NOTIFY_GENERIC, NOTIFY_LIST } from '../notify.js';

function push(c: Client, left: boolean, onlyIfExists: boolean): void {
  const key = c.argv[1] as string;
  const db = c.db;
  let list = getListW(c, key);
  if (list === WRONG) return;
  if (list === undefined) {
    if (onlyIfExists) return c.reply.int(0);
    list = new Deque<string>();
    db.add(key, list);
  }
  const argv = c.argv;
  for (let i = 2; i < argv.length; i++) {
    if (left) list.pushFront(argv[i] as string);
    else list.pushBack(argv[i] as string);
  }
  db.modified(key);
  notify(c, NOTIFY_LIST, left ? 'lpush' : 'rpush', key);
  c.reply.int(list.length);
}

function parseCount(c: Client, raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  const n = parseInteger(raw);
  if (n === null || n < 0) {
    c.reply.error(E_POSITIVE);
    return null;
  }
  return n;
}

function pop(c: Client, left: boolean): void {
  const key = c.argv[1] as string;
  const count = parseCount(c, c.argv[2]);
  if (count === null) return;
  const list = getListW(c, key);
  if (list === WRONG) return;
  if (list === undefined) return count === undefined ? c.reply.nullBulk() : c.reply.nullArray();
  if (count === undefined) {
    const v = (left ? list.popFront() : list.popBack()) as string;
    finishPop(c, key, list, left);
    return c.reply.bulk(v);
  }
  const n = Math.min(count, list.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((left ? list.popFront() : list.popBack()) as string);
  if (n > 0) finishPop(c, key, list, left);
  c.reply.bulks(out);
}

/** After removing elements: the pop event, then 'del' when the list emptied (listElementsRemoved). */
function finishPop(c: Client, key: string, list: Deque<string>, left: boolean): void {
  const deleted = c.db.deleteIfEmpty(key, list);
  c.db.modified(key);
  notify(c, NOTIFY_LIST, left ? 'lpop' : 'rpop', key);
  if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
}

function llen(c: Client): void {
  const l = getList(c, c.argv[1] as string);
  if (l === WRONG) return;
  c.reply.int(l?.length ?? 0);
}

function lrange(c: Client): void {
  const start = parseInteger(c.argv[2] as string);
  const end = parseInteger(c.argv[3] as string);
  if (start === null || end === null) return c.reply.error(E_NOT_INT);
  const l = getList(c, c.argv[1] as string);
  if (l === WRONG) return;
  if (l === undefined) return c.reply.array(0);
  const r = clampRange(start, end, l.length);
  if (r === null) return c.reply.array(0);
  c.reply.bulks(l.slice(r[0], r[1]));
}

function lindex(c: Client): void {
  const idx = parseInteger(c.argv[2] as string);
  if (idx === null) return c.reply.error(E_NOT_INT);
  const l = getList(c, c.argv[1] as string);
  if (l === WRONG) return;
  if (l === undefined) return c.reply.nullBulk();
  c.reply.bulkOrNull(l.at(idx < 0 ? l.length + idx : idx));
}

function lset(c: Client): void {
  const key = c.argv[1] as string;
  const idx = parseInteger(c.argv[2] as string);
  if (idx === null) return c.reply.error(E_NOT_INT);
  const l = getListW(c, key);
  if (l === WRONG) return;
  if (l === undefined) return c.reply.error(E_NO_KEY);
  const i = idx < 0 ? l.length + idx : idx;
  if (i < 0 || i >= l.length) return c.reply.error(E_INDEX);
  l.setAt(i, c.argv[3] as string);
  c.db.modified(key);
  notify(c, NOTIFY_LIST, 'lset', key);
  c.reply.ok();
}

function linsert(c: Client): void {
  const key = c.argv[1] as string;
  const where = c.argv[2] as string;
  const before = is(where, 'BEFORE');
  if (!before && !is(where, 'AFTER')) return c.reply.error(E_SYNTAX);
  const l = getListW(c, key);
  if (l === WRONG) return;
  if (l === undefined) return c.reply.int(0);
  const pivot = c.argv[3] as string;
  const arr = l.toArray();
  const i = arr.indexOf(pivot);
  if (i === -1) return c.reply.int(-1);
  arr.splice(before ? i : i + 1, 0, c.argv[4] as string);
  l.replaceAll(arr);
  c.db.modified(key);
  notify(c, NOTIFY_LIST, 'linsert', key);
  c.reply.int(l.length);
}

function lrem(c: Client): void {
  const key = c.argv[1] as string;
  const count = parseInteger(c.argv[2] as string);
  if (count === null) return c.reply.error(E_NOT_INT);
  const el = c.argv[3] as string;
  const l = getListW(c, key);
  if (l === WRONG) return;
  if (l === undefined) return c.reply.int(0);
  const arr = l.toArray();
  let removed = 0;
  const limit = count === 0 ? Infinity : Math.abs(count);
  if (count >= 0) {
    const out: string[] = [];
    for (const x of arr) {
      if (x === el && removed < limit) removed++;
      else out.push(x);
    }
    if (removed) l.replaceAll(out);
  } else {
    const out: string[] = [];
    for (let i = arr.length - 1; i >= 0; i--) {
      const x = arr[i] as string;
      if (x === el && removed < limit) removed++;
      else out.push(x);
    }
    if (removed) l.replaceAll(out.reverse());
  }
  if (removed) {
    const deleted = c.db.deleteIfEmpty(key, l);
    c.db.modified(key);
    notify(c, NOTIFY_LIST, 'lrem', key);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  }
  c.reply.int(removed);
}

function ltrim(c: Client): void {
  const key = c.argv[1] as string;
  const start = parseInteger(c.argv[2] as string);
  const end = parseInteger(c.argv[3] as string);
  if (start === null || end === null) return c.reply.error(E_NOT_INT);
  const l = getListW(c, key);
  if (l === WRONG) return;
  if (l === undefined) return c.reply.ok();
  const r = clampRange(start, end, l.length);
  if (r === null) {
    while (l.length) l.popBack();
  } else {
    const tail = l.length - 1 - r[1];
    for (let i = 0; i < r[0]; i++) l.popFront();
    for (let i = 0; i < tail; i++) l.popBack();
  }
  const deleted = c.db.deleteIfEmpty(key, l);
  c.db.modified(key);
  notify(c, NOTIFY_LIST, 'ltrim', key);
  if (deleted) notify(c, NOTIFY_GENERIC, 'del', key);
  c.reply.ok();
}

function lpos(c: Client): void {
  const argv = c.argv;
  const el = argv[2] as string;
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let i = 3; i < argv.length; i++) {
    const more = i + 1 < argv.length;
    if (!more) return c.reply.error(E_SYNTAX);
    const n = parseInteger(argv[i + 1] as string);
    if (is(argv[i], 'RANK')) {
      if (n === null) return c.reply.error(E_NOT_INT);
      if (n === 0 || n === -9223372036854775808)
        return c.reply.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      rank = n;
    } else if (is(argv[i], 'COUNT')) {
      if (n === null) return c.reply.error(E_NOT_INT);
      if (n < 0) return c.reply.error("ERR COUNT can't be negative");
      count = n;
    } else if (is(argv[i], 'MAXLEN')) {
      if (n === null) return c.reply.error(E_NOT_INT);
      if (n < 0) return c.reply.error("ERR MAXLEN can't be negative");
      maxlen = n;
    } else return c.reply.error(E_SYNTAX);
    i++;
  }
  const l = getList(c, argv[1] as string);
  if (l === WRONG) return;
  if (l === undefined) return count === -1 ? c.reply.nullBulk() : c.reply.array(0);
  const out: number[] = [];
  const want = count === -1 ? 1 : count === 0 ? Infinity : count;
  let skip = Math.abs(rank) - 1;
  const len = l.length;
  const fwd = rank > 0;
  for (let k = 0; k < len && (maxlen === 0 || k < maxlen) && out.length < want; k++) {
    const idx = fwd ? k : len - 1 - k;
    if (l.at(idx) === el) {
      if (skip > 0) skip--;
      else out.push(idx);
    }
  }
  if (count === -1) return out.length ? c.reply.int(out[0] as number) : c.reply.nullBulk();
  c.reply.array(out.length);
  for (const x of out) c.reply.int(x);
}

function moveGeneric(c: Client, src: string, dst: string, fromLeft: boolean, toLeft: boolean): void {
  const from = getListW(c, src);
  if (from === WRONG) return;
  if (from === undefined) return c.reply.nullBulk();
  const destVal = c.db.getWrite(dst);
  if (destVal !== undefined && !(destVal instanceof Deque)) return c.reply.error(E_WRONGTYPE);
  const v = (fromLeft ? from.popFront() : from.popBack()) as string;
  let to = destVal as Deque<string> | undefined;
  if (to === undefined) {
    to = new Deque<string>();
    c.db.add(dst, to);
  }
  if (toLeft) to.pushFront(v);
  else to.pushBack(v);
  notify(c, NOTIFY_LIST, toLeft ? 'lpush' : 'rpush', dst);
  const deleted = c.db.deleteIfEmpty(src, from);
  c.db.modified(src);
  c.db.modified(dst);
  notify(c, NOTIFY_LIST, fromLeft ? 'lpop' : 'rpop', src);
  if (deleted) notify(c, NOTIFY_GENERIC, 'del', src);
  c.reply.bulk(v);
}

function lmove(c: Client): void {
  const wf = c.argv[3] as string;
  const wt = c.argv[4] as string;
  if ((!is(wf, 'LEFT') && !is(wf, 'RIGHT')) || (!is(wt, 'LEFT') && !is(wt, 'RIGHT'))) return c.reply.error(E_SYNTAX);
  moveGeneric(c, c.argv[1] as string, c.argv[2] as string, is(wf, 'LEFT'), is(wt, 'LEFT'));
}

function lmpop(c: Client): void {
  const argv = c.argv;
  const numkeys = parseInteger(argv[1] as string);
  if (numkeys === null || numkeys <= 0) return c.reply.error('ERR numkeys should be greater than 0');
  if (argv.length < 2 + numkeys + 1) return c.reply.error(E_SYNTAX);
  const where = argv[2 + numkeys] as string;
  const left = is(where, 'LEFT');
  if (!left && !is(where, 'RIGHT')) return c.reply.error(E_SYNTAX);
  let count = 1;
  const rest = argv.length - (3 + numkeys);
  if (rest === 2 && is(argv[3 + numkeys], 'COUNT')) {
    const n = parseInteger(argv[4 + numkeys] as string);
    if (n === null || n <= 0) return c.reply.error('ERR count should be greater than 0');
    count = n;
  } else if (rest !== 0) return c.reply.error(E_SYNTAX);
  for (let i = 0; i < numkeys; i++) {
    const key = argv[2 + i] as string;
    const l = getListW(c, key);
    if (l === WRONG) return;
    if (l === undefined || l.length === 0) continue;
    const n = Math.min(count, l.length);
    const out: string[] = [];
    for (let k = 0; k < n; k++) out.push((left ? l.popFront() : l.popBack()) as string);
    finishPop(c, key, l, left);
    c.propagate([left ? 'LPOP' : 'RPOP', key, String(n)]);
    c.reply.array(2);
    c.reply.bulk(key);
    c.reply.bulks(out);
    return;
  }
  c.reply.nullArray();
}

export const listCommands: CommandModule = {
  lpush: (c) => push(c, true, false),
  rpush: (c) => push(c, false, false),
  lpushx: (c) => push(c, true, true),
  rpushx: (c) => push(c, false, true),
  lpop: (c) => pop(c, true),
  rpop: (c) => pop(c, false),
  llen,
  lrange,
  lindex,
  lset,
  linsert,
  lrem,
  ltrim,
  lpos,
  rpoplpush: (c) => moveGeneric(c, c.argv[1] as string, c.argv[2] as string, false, true),
  lmove,
  lmpop,
};
