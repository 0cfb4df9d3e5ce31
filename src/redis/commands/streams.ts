/**
 * Stream commands (t_stream.c): XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD XREADGROUP XACK
 * XPENDING XCLAIM XAUTOCLAIM XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER) XINFO
 * (STREAM [FULL] GROUPS CONSUMERS). Thin: parse, call engine/stream.ts, shape the reply.
 *
 * AOF effects follow Redis: XADD is logged with its resolved ID (and approximate trims as an exact
 * XTRIM MINID), XREADGROUP and XCLAIM / XAUTOCLAIM as XCLAIM … FORCE JUSTID plus XGROUP SETID,
 * so replaying the log rebuilds PELs and group positions.
 */
import type { Client } from '../client.js';
import type { CommandModule } from './types.js';
import { notify, NOTIFY_STREAM } from '../notify.js';
import type { Reply } from '../protocol/reply.js';
import { E_NOT_INT, E_SYNTAX, E_WRONGTYPE, wrongArity } from './errors.js';
import { is, parseInteger } from './args.js';
import {
  Stream,
  StreamError,
  DEFAULT_TRIM_LIMIT,
  type ConsumerGroup,
  type Consumer,
  type StreamEntry,
  type StreamFields,
  type TrimOptions,
} from '../engine/stream.js';
import {
  compareIds,
  decrId,
  formatId,
  incrId,
  MAX_ID,
  MIN_ID,
  parseId,
  parseXaddId,
  type StreamId,
} from '../engine/stream-id.js';
import { blockingCommand, parseTimeout } from './streams-blocking.js';
// Registers the stream value codec so RDB, AOF rewrite and DUMP/RESTORE carry streams.
import '../engine/stream-codec.js';

const E_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
const WRONG = Symbol('wrong');

// ---- helpers ------------------------------------------------------------------------------------

function getStream(c: Client, key: string, write = false): Stream | undefined | typeof WRONG {
  const v = write ? c.db.getWrite(key) : c.db.get(key);
  if (v === undefined) return undefined;
  if (v instanceof Stream) return v;
  c.reply.error(E_WRONGTYPE);
  return WRONG;
}

function idArg(c: Client, s: string, missingSeq = 0, special = false): StreamId | null {
  const id = parseId(s, missingSeq, special);
  if (!id) c.reply.error(E_INVALID_ID);
  return id;
}

/** XRANGE bounds: "-", "+", "ms", "ms-seq", and "(" exclusive forms. */
function rangeBound(c: Client, s: string, isStart: boolean): StreamId | null | 'empty' {
  if (s.startsWith('(')) {
    const id = parseId(s.slice(1), isStart ? 0 : Number.MAX_SAFE_INTEGER);
    if (!id) {
      c.reply.error(E_INVALID_ID);
      return null;
    }
    const next = isStart ? incrId(id) : decrId(id);
    if (!next) {
      c.reply.error(`ERR invalid ${isStart ? 'start' : 'end'} ID for the interval`);
      return null;
    }
    return next;
  }
  return idArg(c, s, isStart ? 0 : Number.MAX_SAFE_INTEGER, true);
}

function writeFields(r: Reply, f: StreamFields | null): void {
  if (f === null) return r.nullArray();
  r.bulks(f);
}

function writeEntries(r: Reply, entries: ReadonlyArray<[StreamId, StreamFields | null]>): void {
  r.array(entries.length);
  for (const [id, f] of entries) {
    r.array(2);
    r.bulk(formatId(id));
    writeFields(r, f);
  }
}

function noGroup(c: Client, key: string, group: string, cmd?: string): void {
  c.reply.error(
    `NOGROUP No such key '${key}' or consumer group '${group}'${cmd ? ` in ${cmd} with GROUP option` : ''}`,
  );
}

/** Parses MAXLEN|MINID [=|~] threshold [LIMIT n] at argv[i]; returns the next index or null. */
function parseTrim(c: Client, i: number, allowLimit: boolean): { opts: TrimOptions; next: number } | null {
  const argv = c.argv;
  const kind = is(argv[i], 'MAXLEN') ? 'maxlen' : 'minid';
  i++;
  let approx = false;
  if (argv[i] === '~') {
    approx = true;
    i++;
  } else if (argv[i] === '=') i++;
  const thr = argv[i++];
  if (thr === undefined) {
    c.reply.error(E_SYNTAX);
    return null;
  }
  let strategy: TrimOptions['strategy'];
  if (kind === 'maxlen') {
    const n = parseInteger(thr);
    if (n === null) {
      c.reply.error(E_NOT_INT);
      return null;
    }
    if (n < 0) {
      c.reply.error('ERR The MAXLEN argument must be >= 0.');
      return null;
    }
    strategy = { kind: 'maxlen', maxLen: n };
  } else {
    const id = idArg(c, thr);
    if (!id) return null;
    strategy = { kind: 'minid', minId: id };
  }
  let limit = approx ? DEFAULT_TRIM_LIMIT : 0;
  if (allowLimit && is(argv[i], 'LIMIT')) {
    const n = parseInteger(argv[i + 1] ?? '');
    if (n === null || n < 0) {
      c.reply.error('ERR The LIMIT argument must be >= 0.');
      return null;
    }
    if (!approx) {
      c.reply.error('ERR syntax error, LIMIT cannot be used without the special ~ option');
      return null;
    }
    limit = n;
    i += 2;
  }
  return { opts: { strategy, approx, limit }, next: i };
}

/** After a trim, logs an exact equivalent so the AOF replays the same removal. */
function propagateTrim(c: Client, key: string, s: Stream): void {
  if (s.length === 0) c.propagate(['XTRIM', key, 'MAXLEN', '=', '0']);
  else c.propagate(['XTRIM', key, 'MINID', '=', formatId(s.firstId)]);
}

// ---- XADD XLEN XRANGE XDEL XTRIM XSETID -----------------------------------------------------------

function xadd(c: Client): void {
  const argv = c.argv;
  const key = argv[1] as string;
  let i = 2;
  let nomk = false;
  let trim: TrimOptions | null = null;
  for (;;) {
    const a = argv[i];
    if (is(a, 'NOMKSTREAM')) {
      nomk = true;
      i++;
    } else if (is(a, 'MAXLEN') || is(a, 'MINID')) {
      const t = parseTrim(c, i, true);
      if (!t) return;
      trim = t.opts;
      i = t.next;
    } else break;
  }
  const spec = parseXaddId(argv[i] ?? '');
  if (!spec) return c.reply.error(E_INVALID_ID);
  const fields = argv.slice(i + 1);
  if (fields.length === 0 || fields.length % 2 !== 0) return c.reply.error(wrongArity('xadd'));
  let s = getStream(c, key, true);
  if (s === WRONG) return;
  if (s === undefined && nomk) return c.reply.nullBulk();
  const created = s === undefined;
  const stream = s ?? new Stream();
  let id: StreamId;
  try {
    id = stream.nextId(spec, c.server.clock.now());
  } catch (e) {
    if (e instanceof StreamError) return c.reply.error(e.reply);
    throw e;
  }
  if (created) c.db.add(key, stream);
  stream.add(id, fields);
  s = stream;
  const idText = formatId(id);
  c.propagate(['XADD', key, idText, ...fields]);
  notify(c, NOTIFY_STREAM, 'xadd', key);
  if (trim && s.trim(trim) > 0) {
    propagateTrim(c, key, s);
    notify(c, NOTIFY_STREAM, 'xtrim', key);
  }
  c.db.modified(key);
  c.reply.bulk(idText);
}

function xlen(c: Client): void {
  const s = getStream(c, c.argv[1] as string);
  if (s === WRONG) return;
  c.reply.int(s?.length ?? 0);
}

function xrangeGeneric(c: Client, rev: boolean): void {
  const argv = c.argv;
  const a = rangeBound(c, argv[rev ? 3 : 2] as string, true);
  if (a === null) return;
  const b = rangeBound(c, argv[rev ? 2 : 3] as string, false);
  if (b === null) return;
  let count = -1;
  if (argv.length === 6 && is(argv[4], 'COUNT')) {
    const n = parseInteger(argv[5] as string);
    if (n === null) return c.reply.error(E_NOT_INT);
    count = n < 0 ? 0 : n;
  } else if (argv.length !== 4) return c.reply.error(E_SYNTAX);
  const s = getStream(c, argv[1] as string);
  if (s === WRONG) return;
  if (!s || count === 0 || a === 'empty' || b === 'empty') return c.reply.array(0);
  writeEntries(c.reply, s.range(a, b, count, rev));
}

function xdel(c: Client): void {
  const ids: StreamId[] = [];
  for (let i = 2; i < c.argv.length; i++) {
    const id = idArg(c, c.argv[i] as string);
    if (!id) return;
    ids.push(id);
  }
  const key = c.argv[1] as string;
  const s = getStream(c, key, true);
  if (s === WRONG) return;
  if (!s) return c.reply.int(0);
  const n = s.delete(ids);
  if (n > 0) {
    c.db.modified(key);
    notify(c, NOTIFY_STREAM, 'xdel', key);
  }
  c.reply.int(n);
}

function xtrim(c: Client): void {
  const key = c.argv[1] as string;
  if (!is(c.argv[2], 'MAXLEN') && !is(c.argv[2], 'MINID')) return c.reply.error(E_SYNTAX);
  const t = parseTrim(c, 2, true);
  if (!t) return;
  if (t.next !== c.argv.length) return c.reply.error(E_SYNTAX);
  const s = getStream(c, key, true);
  if (s === WRONG) return;
  if (!s) return c.reply.int(0);
  const n = s.trim(t.opts);
  if (n > 0) {
    c.db.modified(key);
    c.propagateNothing();
    propagateTrim(c, key, s);
    notify(c, NOTIFY_STREAM, 'xtrim', key);
  }
  c.reply.int(n);
}

function xsetid(c: Client): void {
  const key = c.argv[1] as string;
  const id = idArg(c, c.argv[2] as string);
  if (!id) return;
  let entriesAdded: number | null = null;
  let maxDeleted: StreamId | null = null;
  for (let i = 3; i < c.argv.length; i += 2) {
    const v = c.argv[i + 1];
    if (v === undefined) return c.reply.error(E_SYNTAX);
    if (is(c.argv[i], 'ENTRIESADDED')) {
      entriesAdded = parseInteger(v);
      if (entriesAdded === null || entriesAdded < 0)
        return c.reply.error('ERR entries_added must be positive');
    } else if (is(c.argv[i], 'MAXDELETEDID')) {
      maxDeleted = idArg(c, v);
      if (!maxDeleted) return;
    } else return c.reply.error(E_SYNTAX);
  }
  const s = getStream(c, key, true);
  if (s === WRONG) return;
  if (!s) return c.reply.error('ERR no such key');
  if (maxDeleted && compareIds(id, maxDeleted) < 0)
    return c.reply.error('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
  if (entriesAdded !== null && entriesAdded < s.length)
    return c.reply.error(
      'ERR The entries_added specified in XSETID is smaller than the target stream length',
    );
  if (s.length > 0 && compareIds(id, s.lastId) < 0)
    return c.reply.error('ERR The ID specified in XSETID is smaller than the target stream top item');
  s.lastId = id;
  if (entriesAdded !== null) s.entriesAdded = entriesAdded;
  if (maxDeleted) s.maxDeletedId = maxDeleted;
  c.db.modified(key);
  notify(c, NOTIFY_STREAM, 'xsetid', key);
  c.reply.ok();
}

// ---- XREAD / XREADGROUP --------------------------------------------------------------------------

interface ReadArgs {
  count: number;
  blockMs: number | null;
  noack: boolean;
  keys: string[];
  ids: string[];
}

function parseRead(c: Client, group: boolean): ReadArgs | null {
  const argv = c.argv;
  const a: ReadArgs = { count: 0, blockMs: null, noack: false, keys: [], ids: [] };
  let i = group ? 4 : 1;
  for (; i < argv.length; i++) {
    const opt = argv[i];
    if (is(opt, 'COUNT') && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) {
        c.reply.error(E_NOT_INT);
        return null;
      }
      a.count = n < 0 ? 0 : n;
    } else if (is(opt, 'BLOCK') && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) {
        c.reply.error('ERR timeout is not an integer or out of range');
        return null;
      }
      if (n < 0) {
        c.reply.error('ERR timeout is negative');
        return null;
      }
      a.blockMs = n;
    } else if (group && is(opt, 'NOACK')) a.noack = true;
    else if (is(opt, 'STREAMS')) break;
    else {
      c.reply.error(E_SYNTAX);
      return null;
    }
  }
  const rest = argv.slice(i + 1);
  if (i >= argv.length || rest.length === 0 || rest.length % 2 !== 0) {
    c.reply.error(
      `ERR Unbalanced '${group ? 'xreadgroup' : 'xread'}' list of streams: for each stream key an ID or '$' must be specified.`,
    );
    return null;
  }
  a.keys = rest.slice(0, rest.length / 2);
  a.ids = rest.slice(rest.length / 2);
  return a;
}

function writeReadResult(
  r: Reply,
  results: Array<[string, ReadonlyArray<[StreamId, StreamFields | null]>]>,
): void {
  if (results.length === 0) return r.nullArray();
  if (r.resp === 3) r.map(results.length);
  else r.array(results.length);
  for (const [key, entries] of results) {
    if (r.resp !== 3) r.array(2);
    r.bulk(key);
    writeEntries(r, entries);
  }
}

function xread(c: Client): void {
  const a = parseRead(c, false);
  if (!a) return;
  // Resolve IDs now: '$' means "after the last entry as of this call", also while blocked.
  const after: StreamId[] = [];
  for (let k = 0; k < a.keys.length; k++) {
    const raw = a.ids[k] as string;
    const s = getStream(c, a.keys[k] as string);
    if (s === WRONG) return;
    if (raw === '$') after.push(s ? s.lastId : MIN_ID);
    else if (raw === '>')
      return c.reply.error(
        'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
      );
    else {
      const id = idArg(c, raw);
      if (!id) return;
      after.push(id);
    }
  }
  const serve = (live: boolean): boolean => {
    const results: Array<[string, StreamEntry[]]> = [];
    for (let k = 0; k < a.keys.length; k++) {
      const v = c.db.get(a.keys[k] as string);
      if (!(v instanceof Stream)) continue;
      const entries = v.after(after[k] as StreamId, a.count);
      if (entries.length > 0) results.push([a.keys[k] as string, entries]);
    }
    if (results.length === 0 && (live || a.blockMs !== null)) return false;
    writeReadResult(c.reply, results);
    return true;
  };
  if (a.blockMs === null) {
    serve(false);
    return;
  }
  blockingCommand(c, a.keys, a.blockMs, serve, () => c.reply.nullArray());
}

function xreadgroup(c: Client): void {
  if (!is(c.argv[1], 'GROUP')) return c.reply.error(E_SYNTAX);
  const groupName = c.argv[2] as string;
  const consumerName = c.argv[3] as string;
  const a = parseRead(c, true);
  if (!a) return;
  const targets: Array<{ key: string; after: StreamId | null }> = [];
  for (let k = 0; k < a.keys.length; k++) {
    const key = a.keys[k] as string;
    const raw = a.ids[k] as string;
    const s = getStream(c, key, true);
    if (s === WRONG) return;
    if (!s || !s.groups.has(groupName)) return noGroup(c, key, groupName, 'XREADGROUP');
    if (raw === '$') {
      return c.reply.error(
        'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
      );
    }
    if (raw === '>') targets.push({ key, after: null });
    else {
      const id = idArg(c, raw);
      if (!id) return;
      targets.push({ key, after: id });
    }
  }
  const serve = (live: boolean): boolean => {
    const now = c.server.clock.now();
    const results: Array<[string, Array<[StreamId, StreamFields | null]>]> = [];
    for (const t of targets) {
      const s = live ? c.db.getWrite(t.key) : c.db.peek(t.key);
      const g = s instanceof Stream ? s.groups.get(groupName) : undefined;
      if (!(s instanceof Stream) || !g) {
        if (live) {
          c.reply.error('UNBLOCKED the stream key no longer exists');
          return true;
        }
        continue;
      }
      const { consumer, created } = s.consumer(g, consumerName, now, true);
      const cons = consumer as Consumer;
      if (created) notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', t.key);
      if (t.after === null) {
        if (live && !s.hasNewFor(g)) continue;
        const entries = s.readNew(g, cons, a.count, a.noack, now);
        if (entries.length > 0 || created) {
          c.db.modified(t.key);
          propagateDelivery(c, t.key, s, g, cons, entries, a.noack);
        }
        if (entries.length > 0) results.push([t.key, entries]);
      } else {
        results.push([t.key, s.readHistory(g, cons, t.after, a.count, now)]);
        if (created) c.db.modified(t.key);
      }
    }
    const onlyNew = targets.every((t) => t.after === null);
    if (results.length === 0 && onlyNew && (live || a.blockMs !== null)) return false;
    writeReadResult(c.reply, results);
    return true;
  };
  if (a.blockMs === null || !targets.every((t) => t.after === null)) {
    serve(false);
    return;
  }
  blockingCommand(c, a.keys, a.blockMs, serve, () => c.reply.nullArray());
}

/** Redis's streamPropagateXCLAIM + streamPropagateGroupID. */
function propagateDelivery(
  c: Client,
  key: string,
  s: Stream,
  g: ConsumerGroup,
  cons: Consumer,
  entries: StreamEntry[],
  noack: boolean,
): void {
  if (entries.length === 0) c.propagate(['XGROUP', 'CREATECONSUMER', key, g.name, cons.name]);
  if (!noack) {
    for (const [id] of entries) {
      const pe = g.pel.get(id);
      if (pe) propagateClaim(c, key, g, cons.name, id, pe.deliveryTimeMs, pe.deliveryCount);
    }
  }
  if (entries.length > 0)
    c.propagate([
      'XGROUP',
      'SETID',
      key,
      g.name,
      formatId(g.lastId),
      'ENTRIESREAD',
      String(g.entriesRead ?? -1),
    ]);
  void s;
}

function propagateClaim(
  c: Client,
  key: string,
  g: ConsumerGroup,
  consumer: string,
  id: StreamId,
  timeMs: number,
  count: number,
): void {
  c.propagate([
    'XCLAIM',
    key,
    g.name,
    consumer,
    '0',
    formatId(id),
    'TIME',
    String(timeMs),
    'RETRYCOUNT',
    String(count),
    'FORCE',
    'JUSTID',
    'LASTID',
    formatId(g.lastId),
  ]);
}

// ---- groups -----------------------------------------------------------------------------------------

function groupLookup(
  c: Client,
  key: string,
  group: string,
  write: boolean,
): { s: Stream; g: ConsumerGroup } | null {
  const s = getStream(c, key, write);
  if (s === WRONG) return null;
  const g = s?.groups.get(group);
  if (!s || !g) {
    noGroup(c, key, group);
    return null;
  }
  return { s, g };
}

function xack(c: Client): void {
  const ids: StreamId[] = [];
  for (let i = 3; i < c.argv.length; i++) {
    const id = idArg(c, c.argv[i] as string);
    if (!id) return;
    ids.push(id);
  }
  const s = getStream(c, c.argv[1] as string, true);
  if (s === WRONG) return;
  const g = s?.groups.get(c.argv[2] as string);
  if (!s || !g) return c.reply.int(0);
  const n = s.ack(g, ids);
  if (n > 0) c.db.modified(c.argv[1] as string);
  c.reply.int(n);
}

function xpending(c: Client): void {
  const key = c.argv[1] as string;
  const argv = c.argv;
  let minIdle = 0;
  let i = 3;
  if (argv.length > 3 && is(argv[3], 'IDLE')) {
    const n = parseInteger(argv[4] ?? '');
    if (n === null) return c.reply.error(E_NOT_INT);
    minIdle = n;
    i = 5;
  }
  const extended = argv.length > 3;
  if (extended && argv.length !== i + 3 && argv.length !== i + 4) return c.reply.error(E_SYNTAX);
  let start: StreamId | null = MIN_ID;
  let end: StreamId | null = MAX_ID;
  let count = 0;
  if (extended) {
    const a = rangeBound(c, argv[i] as string, true);
    if (a === null) return;
    const b = rangeBound(c, argv[i + 1] as string, false);
    if (b === null) return;
    start = a === 'empty' ? null : a;
    end = b === 'empty' ? null : b;
    const n = parseInteger(argv[i + 2] as string);
    if (n === null) return c.reply.error(E_NOT_INT);
    count = n;
  }
  const found = groupLookup(c, key, argv[2] as string, false);
  if (!found) return;
  const { s, g } = found;
  const r = c.reply;
  if (!extended) {
    const sum = s.pendingSummary(g);
    r.array(4);
    r.int(sum.count);
    r.bulkOrNull(sum.minId ? formatId(sum.minId) : null);
    r.bulkOrNull(sum.maxId ? formatId(sum.maxId) : null);
    if (sum.consumers.length === 0) r.nullArray();
    else {
      r.array(sum.consumers.length);
      for (const [name, n] of sum.consumers) {
        r.array(2);
        r.bulk(name);
        r.bulk(String(n));
      }
    }
    return;
  }
  const consumerName = argv[i + 3];
  let cons: Consumer | null = null;
  if (consumerName !== undefined) {
    cons = g.consumers.get(consumerName) ?? null;
    if (!cons) return r.array(0);
  }
  const rows = start && end ? s.pendingRange(g, start, end, count, cons, minIdle, c.server.clock.now()) : [];
  r.array(rows.length);
  for (const row of rows) {
    r.array(4);
    r.bulk(formatId(row.id));
    r.bulk(row.consumer);
    r.int(row.idleMs);
    r.int(row.deliveries);
  }
}

function xclaim(c: Client): void {
  const argv = c.argv;
  const key = argv[1] as string;
  const minIdle = parseInteger(argv[4] as string);
  if (minIdle === null) return c.reply.error('ERR Invalid min-idle-time argument for XCLAIM');
  const ids: StreamId[] = [];
  let i = 5;
  for (; i < argv.length; i++) {
    const id = parseId(argv[i] as string);
    if (!id) break;
    ids.push(id);
  }
  const opts: {
    idleMs?: number;
    timeMs?: number;
    retryCount?: number;
    force: boolean;
    justId: boolean;
    lastId?: StreamId;
    minIdleMs: number;
  } = {
    force: false,
    justId: false,
    minIdleMs: Math.max(0, minIdle),
  };
  for (; i < argv.length; i++) {
    const o = argv[i];
    if (is(o, 'FORCE')) opts.force = true;
    else if (is(o, 'JUSTID')) opts.justId = true;
    else if ((is(o, 'IDLE') || is(o, 'TIME') || is(o, 'RETRYCOUNT')) && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null)
        return c.reply.error(`ERR Invalid ${(o as string).toUpperCase()} option argument for XCLAIM`);
      if (is(o, 'IDLE')) opts.idleMs = n;
      else if (is(o, 'TIME')) opts.timeMs = n;
      else opts.retryCount = n;
    } else if (is(o, 'LASTID') && i + 1 < argv.length) {
      const id = idArg(c, argv[++i] as string);
      if (!id) return;
      opts.lastId = id;
    } else return c.reply.error(`ERR Unrecognized XCLAIM option '${o as string}'`);
  }
  const found = groupLookup(c, key, argv[2] as string, true);
  if (!found) return;
  const { s, g } = found;
  const now = c.server.clock.now();
  const cons = consumerOrCreate(c, key, s, g, argv[3] as string, now);
  const res = s.claim(g, cons, ids, opts, now);
  c.db.modified(key);
  c.propagateNothing();
  for (const [id] of res.claimed) {
    const pe = g.pel.get(id);
    if (pe) propagateClaim(c, key, g, cons.name, id, pe.deliveryTimeMs, pe.deliveryCount);
  }
  for (const id of res.deleted) c.propagate(['XACK', key, g.name, formatId(id)]);
  if (opts.justId) c.reply.bulks(res.claimed.map(([id]) => formatId(id)));
  else writeEntries(c.reply, res.claimed);
}

function xautoclaim(c: Client): void {
  const argv = c.argv;
  const key = argv[1] as string;
  const minIdle = parseInteger(argv[4] as string);
  if (minIdle === null) return c.reply.error('ERR Invalid min-idle-time argument for XAUTOCLAIM');
  const start = rangeBound(c, argv[5] as string, true);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let i = 6; i < argv.length; i++) {
    if (is(argv[i], 'COUNT') && i + 1 < argv.length) {
      const n = parseInteger(argv[++i] as string);
      if (n === null) return c.reply.error(E_NOT_INT);
      if (n < 1 || n > Number.MAX_SAFE_INTEGER / 10) return c.reply.error('ERR COUNT must be > 0');
      count = n;
    } else if (is(argv[i], 'JUSTID')) justId = true;
    else return c.reply.error(E_SYNTAX);
  }
  const found = groupLookup(c, key, argv[2] as string, true);
  if (!found) return;
  const { s, g } = found;
  const now = c.server.clock.now();
  const cons = consumerOrCreate(c, key, s, g, argv[3] as string, now);
  const res = s.autoClaim(
    g,
    cons,
    Math.max(0, minIdle),
    start === 'empty' ? MAX_ID : start,
    count,
    justId,
    now,
  );
  c.db.modified(key);
  c.propagateNothing();
  for (const [id] of res.claimed) {
    const pe = g.pel.get(id);
    if (pe) propagateClaim(c, key, g, cons.name, id, pe.deliveryTimeMs, pe.deliveryCount);
  }
  for (const id of res.deleted) c.propagate(['XACK', key, g.name, formatId(id)]);
  const r = c.reply;
  r.array(3);
  r.bulk(formatId(res.nextId));
  if (justId) r.bulks(res.claimed.map(([id]) => formatId(id)));
  else writeEntries(r, res.claimed);
  r.bulks(res.deleted.map(formatId));
}

/** The named consumer, created (with its 'xgroup-createconsumer' event) when missing. */
function consumerOrCreate(c: Client, key: string, s: Stream, g: ConsumerGroup, name: string, now: number): Consumer {
  const r = s.consumer(g, name, now, true);
  if (r.created) notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', key);
  return r.consumer as Consumer;
}

/** XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] */
function xgroupCreate(c: Client): void {
  const argv = c.argv;
  const key = argv[2] as string;
  const name = argv[3] as string;
  let mkstream = false;
  let entriesRead: number | null = null;
  for (let i = 5; i < argv.length; i++) {
    if (is(argv[i], 'MKSTREAM')) mkstream = true;
    else if (is(argv[i], 'ENTRIESREAD') && i + 1 < argv.length) {
      entriesRead = parseInteger(argv[++i] as string);
      if (entriesRead === null || entriesRead < -1)
        return c.reply.error('ERR value for ENTRIESREAD must be positive or -1');
      if (entriesRead === -1) entriesRead = null;
    } else return c.reply.error(E_SYNTAX);
  }
  let s = getStream(c, key, true);
  if (s === WRONG) return;
  let id: StreamId;
  if (argv[4] === '$') id = s ? s.lastId : MIN_ID;
  else {
    const parsed = idArg(c, argv[4] as string);
    if (!parsed) return;
    id = parsed;
  }
  if (!s) {
    if (!mkstream) {
      return c.reply.error(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      );
    }
    s = new Stream();
    c.db.add(key, s);
  }
  if (argv[4] === '$' && entriesRead === null) entriesRead = s.entriesAdded;
  if (!s.createGroup(name, id, entriesRead))
    return c.reply.error('BUSYGROUP Consumer Group name already exists');
  c.db.modified(key);
  notify(c, NOTIFY_STREAM, 'xgroup-create', key);
  c.reply.ok();
}

function xgroupSetid(c: Client): void {
  const argv = c.argv;
  const key = argv[2] as string;
  let entriesRead: number | null = null;
  if (argv.length === 7 && is(argv[5], 'ENTRIESREAD')) {
    entriesRead = parseInteger(argv[6] as string);
    if (entriesRead === null || entriesRead < -1)
      return c.reply.error('ERR value for ENTRIESREAD must be positive or -1');
    if (entriesRead === -1) entriesRead = null;
  } else if (argv.length !== 5) return c.reply.error(E_SYNTAX);
  const found = groupLookup(c, key, argv[3] as string, true);
  if (!found) return;
  let id: StreamId;
  if (argv[4] === '$') id = found.s.lastId;
  else {
    const parsed = idArg(c, argv[4] as string);
    if (!parsed) return;
    id = parsed;
  }
  found.s.setGroupId(found.g, id, entriesRead);
  c.db.modified(key);
  notify(c, NOTIFY_STREAM, 'xgroup-setid', key);
  c.reply.ok();
}

function xgroupDestroy(c: Client): void {
  const key = c.argv[2] as string;
  const s = getStream(c, key, true);
  if (s === WRONG) return;
  if (!s)
    return c.reply.error(
      'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    );
  const ok = s.destroyGroup(c.argv[3] as string);
  if (ok) {
    c.db.modified(key);
    notify(c, NOTIFY_STREAM, 'xgroup-destroy', key);
  }
  c.reply.int(ok ? 1 : 0);
}

function xgroupCreateConsumer(c: Client): void {
  const key = c.argv[2] as string;
  const found = groupLookup(c, key, c.argv[3] as string, true);
  if (!found) return;
  const { created } = found.s.consumer(found.g, c.argv[4] as string, c.server.clock.now(), true);
  if (created) {
    c.db.modified(key);
    notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', key);
  }
  c.reply.int(created ? 1 : 0);
}

function xgroupDelConsumer(c: Client): void {
  const key = c.argv[2] as string;
  const found = groupLookup(c, key, c.argv[3] as string, true);
  if (!found) return;
  const n = found.s.deleteConsumer(found.g, c.argv[4] as string);
  if (n !== null) {
    c.db.modified(key);
    notify(c, NOTIFY_STREAM, 'xgroup-delconsumer', key);
  }
  c.reply.int(n ?? 0);
}

// ---- XINFO ----------------------------------------------------------------------------------------

function writeEntryOrNull(r: Reply, e: StreamEntry | undefined): void {
  if (!e) return r.nullBulk();
  r.array(2);
  r.bulk(formatId(e[0]));
  r.bulks(e[1]);
}

function xinfoStream(c: Client): void {
  const argv = c.argv;
  const full = argv.length > 3 && is(argv[3], 'FULL');
  let count = 10;
  if (full && argv.length === 6 && is(argv[4], 'COUNT')) {
    const n = parseInteger(argv[5] as string);
    if (n === null) return c.reply.error(E_NOT_INT);
    count = n;
  } else if ((full && argv.length !== 4) || (!full && argv.length !== 3)) return c.reply.error(E_SYNTAX);
  const s = getStream(c, argv[2] as string);
  if (s === WRONG) return;
  if (!s) return c.reply.error('ERR no such key');
  const r = c.reply;
  r.map(full ? 9 : 10);
  r.bulk('length');
  r.int(s.length);
  r.bulk('radix-tree-keys');
  r.int(s.entries.chunkCount);
  r.bulk('radix-tree-nodes');
  r.int(s.entries.chunkCount + 1);
  r.bulk('last-generated-id');
  r.bulk(formatId(s.lastId));
  r.bulk('max-deleted-entry-id');
  r.bulk(formatId(s.maxDeletedId));
  r.bulk('entries-added');
  r.int(s.entriesAdded);
  r.bulk('recorded-first-entry-id');
  r.bulk(formatId(s.firstId));
  const now = c.server.clock.now();
  if (!full) {
    r.bulk('groups');
    r.int(s.groups.size);
    r.bulk('first-entry');
    writeEntryOrNull(r, s.range(MIN_ID, MAX_ID, 1)[0]);
    r.bulk('last-entry');
    writeEntryOrNull(r, s.range(MIN_ID, MAX_ID, 1, true)[0]);
    return;
  }
  r.bulk('entries');
  writeEntries(r, s.range(MIN_ID, MAX_ID, count <= 0 ? -1 : count));
  r.bulk('groups');
  r.array(s.groups.size);
  for (const g of s.groups.values()) {
    r.map(7);
    r.bulk('name');
    r.bulk(g.name);
    r.bulk('last-delivered-id');
    r.bulk(formatId(g.lastId));
    r.bulk('entries-read');
    if (g.entriesRead === null) r.nullBulk();
    else r.int(g.entriesRead);
    r.bulk('lag');
    const lag = s.groupLag(g);
    if (lag === null) r.nullBulk();
    else r.int(lag);
    r.bulk('pel-count');
    r.int(g.pel.size);
    const pel = [...g.pel.range(MIN_ID, MAX_ID)].slice(0, count <= 0 ? undefined : count);
    r.bulk('pending');
    r.array(pel.length);
    for (const [id, pe] of pel) {
      r.array(4);
      r.bulk(formatId(id));
      r.bulk(pe.consumer.name);
      r.int(pe.deliveryTimeMs);
      r.int(pe.deliveryCount);
    }
    r.bulk('consumers');
    r.array(g.consumers.size);
    for (const cons of g.consumers.values()) {
      r.map(5);
      r.bulk('name');
      r.bulk(cons.name);
      r.bulk('seen-time');
      r.int(cons.seenTimeMs);
      r.bulk('active-time');
      r.int(cons.activeTimeMs);
      r.bulk('pel-count');
      r.int(cons.pel.size);
      const cp = [...cons.pel.range(MIN_ID, MAX_ID)].slice(0, count <= 0 ? undefined : count);
      r.bulk('pending');
      r.array(cp.length);
      for (const [id, pe] of cp) {
        r.array(3);
        r.bulk(formatId(id));
        r.int(pe.deliveryTimeMs);
        r.int(pe.deliveryCount);
      }
    }
  }
  void now;
}

function xinfoGroups(c: Client): void {
  const s = getStream(c, c.argv[2] as string);
  if (s === WRONG) return;
  if (!s) return c.reply.error('ERR no such key');
  const r = c.reply;
  r.array(s.groups.size);
  for (const g of s.groups.values()) {
    r.map(6);
    r.bulk('name');
    r.bulk(g.name);
    r.bulk('consumers');
    r.int(g.consumers.size);
    r.bulk('pending');
    r.int(g.pel.size);
    r.bulk('last-delivered-id');
    r.bulk(formatId(g.lastId));
    r.bulk('entries-read');
    if (g.entriesRead === null) r.nullBulk();
    else r.int(g.entriesRead);
    r.bulk('lag');
    const lag = s.groupLag(g);
    if (lag === null) r.nullBulk();
    else r.int(lag);
  }
}

function xinfoConsumers(c: Client): void {
  const found = groupLookup(c, c.argv[2] as string, c.argv[3] as string, false);
  if (!found) return;
  const now = c.server.clock.now();
  const r = c.reply;
  r.array(found.g.consumers.size);
  for (const cons of found.g.consumers.values()) {
    r.map(4);
    r.bulk('name');
    r.bulk(cons.name);
    r.bulk('pending');
    r.int(cons.pel.size);
    r.bulk('idle');
    r.int(Math.max(0, now - cons.seenTimeMs));
    r.bulk('inactive');
    r.int(cons.activeTimeMs < 0 ? -1 : Math.max(0, now - cons.activeTimeMs));
  }
}

export const streamCommands: CommandModule = {
  xadd,
  xlen,
  xrange: (c) => xrangeGeneric(c, false),
  xrevrange: (c) => xrangeGeneric(c, true),
  xdel,
  xtrim,
  xsetid,
  xread,
  xreadgroup,
  xack,
  xpending,
  xclaim,
  xautoclaim,
  'xgroup|create': xgroupCreate,
  'xgroup|setid': xgroupSetid,
  'xgroup|destroy': xgroupDestroy,
  'xgroup|createconsumer': xgroupCreateConsumer,
  'xgroup|delconsumer': xgroupDelConsumer,
  'xinfo|stream': xinfoStream,
  'xinfo|groups': xinfoGroups,
  'xinfo|consumers': xinfoConsumers,
};

export { parseTimeout };
