/**
 * The stream type: entries ordered by ID, consumer groups with their pending entries lists.
 *
 * Engine only (no wire types): commands parse arguments into the option objects below and shape
 * replies from the plain results. Fields and values are binary strings (latin1, one char per
 * byte), like every other value in the keyspace. Entries live in an IdMap (sorted chunks), so
 * XADD appends in O(1), XRANGE costs O(log n + k), XDEL O(log n + chunk).
 *
 * Bookkeeping follows Redis 7 (t_stream.c): last_id, entries_added, max_deleted_entry_id,
 * first_id, per group last_id and entries_read, the group lag estimate, consumer seen-time and
 * active-time, PEL delivery time and delivery count.
 */
import type { ExtValue } from './keyspace.js';
import { IdMap, CHUNK_MAX } from './stream-index.js';
import {
  compareIds,
  incrId,
  isZeroId,
  MAX_ID,
  MIN_ID,
  STREAM_ID_PART_MAX,
  type StreamId,
  type XaddIdSpec,
} from './stream-id.js';

/** Flat [field, value, field, value …] */
export type StreamFields = string[];
export type StreamEntry = [StreamId, StreamFields];

export class StreamError extends Error {
  constructor(readonly reply: string) {
    super(reply);
  }
}

export interface PendingEntry {
  consumer: Consumer;
  deliveryTimeMs: number;
  deliveryCount: number;
}

export interface Consumer {
  readonly name: string;
  seenTimeMs: number;
  activeTimeMs: number;
  readonly pel: IdMap<PendingEntry>;
}

export interface ConsumerGroup {
  readonly name: string;
  lastId: StreamId;
  /** null is Redis's SCG_INVALID_ENTRIES_READ. */
  entriesRead: number | null;
  readonly pel: IdMap<PendingEntry>;
  readonly consumers: Map<string, Consumer>;
}

export type TrimStrategy =
  { readonly kind: 'maxlen'; readonly maxLen: number } | { readonly kind: 'minid'; readonly minId: StreamId };

export interface TrimOptions {
  readonly strategy: TrimStrategy;
  /** "~": only whole chunks are removed. */
  readonly approx: boolean;
  /** LIMIT: most entries removed (0 = no limit). Only valid with approx. */
  readonly limit: number;
}

/** Default LIMIT for approximate trims: 100 × stream-node-max-entries. */
export const DEFAULT_TRIM_LIMIT = 100 * CHUNK_MAX;
/** Estimated per-entry memory overhead (ID, arrays, chunk slot). */
const ENTRY_OVERHEAD_BYTES = 48;

export class Stream implements ExtValue {
  readonly redisType = 'stream';
  readonly encoding = 'stream';
  readonly entries = new IdMap<StreamFields>();
  lastId: StreamId = MIN_ID;
  maxDeletedId: StreamId = MIN_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  private fieldBytes = 0;

  get length(): number {
    return this.entries.size;
  }

  get firstId(): StreamId {
    return this.entries.first()?.[0] ?? MIN_ID;
  }

  estimateBytes(): number {
    return this.fieldBytes + this.entries.size * ENTRY_OVERHEAD_BYTES;
  }

  // ---- adding ---------------------------------------------------------------------------------

  /** Resolves an XADD ID against the stream's last ID, or throws the Redis error. */
  nextId(spec: XaddIdSpec, nowMs: number): StreamId {
    const last = this.lastId;
    if (spec.kind === 'auto') {
      if (nowMs > last.ms) return { ms: nowMs, seq: 0 };
      const next = incrId(last);
      if (!next)
        throw new StreamError('ERR The stream has exhausted the last possible ID, unable to add more items');
      return next;
    }
    if (spec.kind === 'autoSeq') {
      if (spec.ms === last.ms) {
        if (last.seq === STREAM_ID_PART_MAX) throw smallerIdError();
        return { ms: spec.ms, seq: last.seq + 1 };
      }
      if (spec.ms < last.ms) throw smallerIdError();
      return { ms: spec.ms, seq: 0 };
    }
    if (isZeroId(spec.id)) throw new StreamError('ERR The ID specified in XADD must be greater than 0-0');
    if (compareIds(spec.id, last) <= 0) throw smallerIdError();
    return spec.id;
  }

  /** Appends an entry with an already validated ID (from nextId). */
  add(id: StreamId, fields: StreamFields): void {
    this.entries.set(id, fields);
    this.lastId = id;
    this.entriesAdded++;
    for (const f of fields) this.fieldBytes += f.length;
  }

  // ---- reading ------------------------------------------------------------------------------

  /** XRANGE / XREVRANGE: inclusive bounds, `count` <= 0 means all. */
  range(start: StreamId, end: StreamId, count: number, rev = false): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (compareIds(start, end) > 0) return out;
    const it = rev ? this.entries.rangeRev(start, end) : this.entries.range(start, end);
    for (const e of it) {
      out.push(e);
      if (count > 0 && out.length >= count) break;
    }
    return out;
  }

  get(id: StreamId): StreamFields | undefined {
    return this.entries.get(id);
  }

  /** Entries with ID > after (XREAD). */
  after(after: StreamId, count: number): StreamEntry[] {
    const start = incrId(after);
    return start ? this.range(start, MAX_ID, count) : [];
  }

  // ---- deleting and trimming ----------------------------------------------------------------

  delete(ids: readonly StreamId[]): number {
    let n = 0;
    for (const id of ids) {
      const fields = this.entries.get(id);
      if (fields === undefined) continue;
      this.entries.delete(id);
      for (const f of fields) this.fieldBytes -= f.length;
      if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
      n++;
    }
    return n;
  }

  /** Applies a MAXLEN / MINID trim; returns the number of entries removed. */
  trim(opts: TrimOptions): number {
    const toRemove =
      opts.strategy.kind === 'maxlen'
        ? Math.max(0, this.entries.size - opts.strategy.maxLen)
        : this.entries.countBelow(opts.strategy.minId);
    if (toRemove === 0) return 0;
    let n = toRemove;
    if (opts.approx && opts.limit > 0) n = Math.min(n, opts.limit);
    const removed = this.entries.trimHead(n, opts.approx, (id) => {
      const fields = this.entries.get(id);
      if (fields) for (const f of fields) this.fieldBytes -= f.length;
    });
    // Trimming leaves max_deleted_entry_id alone, as Redis does: only XDEL creates tombstones.
    return removed;
  }

  // ---- consumer groups ----------------------------------------------------------------------

  createGroup(name: string, lastId: StreamId, entriesRead: number | null): ConsumerGroup | null {
    if (this.groups.has(name)) return null;
    const g: ConsumerGroup = { name, lastId, entriesRead, pel: new IdMap(), consumers: new Map() };
    this.groups.set(name, g);
    return g;
  }

  destroyGroup(name: string): boolean {
    return this.groups.delete(name);
  }

  setGroupId(g: ConsumerGroup, id: StreamId, entriesRead: number | null): void {
    g.lastId = id;
    g.entriesRead = entriesRead;
  }

  /** Finds or creates a consumer; `created` tells XREADGROUP / CREATECONSUMER what happened. */
  consumer(
    g: ConsumerGroup,
    name: string,
    nowMs: number,
    create: boolean,
  ): { consumer: Consumer | undefined; created: boolean } {
    let c = g.consumers.get(name);
    if (c) return { consumer: c, created: false };
    if (!create) return { consumer: undefined, created: false };
    c = { name, seenTimeMs: nowMs, activeTimeMs: -1, pel: new IdMap() };
    g.consumers.set(name, c);
    return { consumer: c, created: true };
  }

  /** XGROUP DELCONSUMER: drops the consumer and its pending entries; returns how many. */
  deleteConsumer(g: ConsumerGroup, name: string): number | null {
    const c = g.consumers.get(name);
    if (!c) return null;
    const n = c.pel.size;
    for (const [id] of c.pel.range(MIN_ID, MAX_ID)) g.pel.delete(id);
    g.consumers.delete(name);
    return n;
  }

  /**
   * XREADGROUP with ">": delivers new entries to `consumer`, adding them to the PEL unless
   * `noack`, and advances the group's last_id and entries_read.
   */
  readNew(g: ConsumerGroup, c: Consumer, count: number, noack: boolean, nowMs: number): StreamEntry[] {
    c.seenTimeMs = nowMs;
    const entries = this.after(g.lastId, count);
    if (entries.length > 0) c.activeTimeMs = nowMs;
    for (const [id] of entries) {
      this.advanceGroup(g, id);
      if (noack) continue;
      const prev = g.pel.get(id);
      if (prev) prev.consumer.pel.delete(id);
      const pe: PendingEntry = { consumer: c, deliveryTimeMs: nowMs, deliveryCount: 1 };
      g.pel.set(id, pe);
      c.pel.set(id, pe);
    }
    return entries;
  }

  private advanceGroup(g: ConsumerGroup, id: StreamId): void {
    if (compareIds(id, g.lastId) <= 0) return;
    if (g.entriesRead !== null && !this.hasTombstonesFrom(id)) g.entriesRead++;
    else if (this.entriesAdded) g.entriesRead = this.estimateEntriesRead(id);
    g.lastId = id;
  }

  /**
   * XREADGROUP with an explicit ID: the consumer's own pending entries after `after`.
   * Entries deleted from the stream come back with null fields, as in Redis.
   */
  readHistory(
    g: ConsumerGroup,
    c: Consumer,
    after: StreamId,
    count: number,
    nowMs: number,
  ): Array<[StreamId, StreamFields | null]> {
    c.seenTimeMs = nowMs;
    const start = incrId(after);
    const out: Array<[StreamId, StreamFields | null]> = [];
    if (!start) return out;
    for (const [id, pe] of c.pel.range(start, MAX_ID)) {
      out.push([id, this.entries.get(id) ?? null]);
      pe.deliveryCount++;
      pe.deliveryTimeMs = nowMs;
      if (count > 0 && out.length >= count) break;
    }
    return out;
  }

  ack(g: ConsumerGroup, ids: readonly StreamId[]): number {
    let n = 0;
    for (const id of ids) {
      const pe = g.pel.get(id);
      if (!pe) continue;
      g.pel.delete(id);
      pe.consumer.pel.delete(id);
      n++;
    }
    return n;
  }

  /** XPENDING summary form. */
  pendingSummary(g: ConsumerGroup): {
    count: number;
    minId: StreamId | null;
    maxId: StreamId | null;
    consumers: Array<[string, number]>;
  } {
    const consumers: Array<[string, number]> = [];
    for (const c of g.consumers.values()) if (c.pel.size > 0) consumers.push([c.name, c.pel.size]);
    return {
      count: g.pel.size,
      minId: g.pel.first()?.[0] ?? null,
      maxId: g.pel.last()?.[0] ?? null,
      consumers,
    };
  }

  /** XPENDING extended form: [id, consumer, idle ms, deliveries]. */
  pendingRange(
    g: ConsumerGroup,
    start: StreamId,
    end: StreamId,
    count: number,
    consumer: Consumer | null,
    minIdleMs: number,
    nowMs: number,
  ): Array<{ id: StreamId; consumer: string; idleMs: number; deliveries: number }> {
    const out: Array<{ id: StreamId; consumer: string; idleMs: number; deliveries: number }> = [];
    if (count <= 0 || compareIds(start, end) > 0) return out;
    const pel = consumer ? consumer.pel : g.pel;
    for (const [id, pe] of pel.range(start, end)) {
      const idleMs = Math.max(0, nowMs - pe.deliveryTimeMs);
      if (idleMs < minIdleMs) continue;
      out.push({ id, consumer: pe.consumer.name, idleMs, deliveries: pe.deliveryCount });
      if (out.length >= count) break;
    }
    return out;
  }

  /**
   * XCLAIM: moves pending entries idle for at least minIdleMs to `c`. Entries no longer in the
   * stream are dropped from the PEL and not returned (Redis 7).
   */
  claim(
    g: ConsumerGroup,
    c: Consumer,
    ids: readonly StreamId[],
    opts: ClaimOptions,
    nowMs: number,
  ): ClaimResult {
    const claimed: StreamEntry[] = [];
    const deleted: StreamId[] = [];
    if (opts.lastId && compareIds(opts.lastId, g.lastId) > 0) g.lastId = opts.lastId;
    const deliveryTime = opts.timeMs ?? (opts.idleMs !== undefined ? nowMs - opts.idleMs : nowMs);
    for (const id of ids) {
      let pe = g.pel.get(id);
      const fields = this.entries.get(id);
      if (!pe) {
        if (!opts.force || fields === undefined) continue;
        pe = { consumer: c, deliveryTimeMs: deliveryTime, deliveryCount: 0 };
        g.pel.set(id, pe);
        c.pel.set(id, pe);
      } else {
        if (opts.minIdleMs > 0 && nowMs - pe.deliveryTimeMs < opts.minIdleMs) continue;
        if (fields === undefined) {
          g.pel.delete(id);
          pe.consumer.pel.delete(id);
          deleted.push(id);
          continue;
        }
      }
      this.transfer(pe, id, c);
      pe.deliveryTimeMs = deliveryTime;
      if (opts.retryCount !== undefined) pe.deliveryCount = opts.retryCount;
      else if (!opts.justId) pe.deliveryCount++;
      c.activeTimeMs = nowMs;
      claimed.push([id, fields as StreamFields]);
    }
    c.seenTimeMs = nowMs;
    return { claimed, deleted, nextId: MIN_ID };
  }

  private transfer(pe: PendingEntry, id: StreamId, to: Consumer): void {
    if (pe.consumer === to) return;
    pe.consumer.pel.delete(id);
    pe.consumer = to;
    to.pel.set(id, pe);
  }

  /**
   * XAUTOCLAIM: scans the PEL from `start`, looking at most count × 10 entries, claiming idle
   * ones; returns the cursor to continue from (0-0 when the scan reached the end).
   */
  autoClaim(
    g: ConsumerGroup,
    c: Consumer,
    minIdleMs: number,
    start: StreamId,
    count: number,
    justId: boolean,
    nowMs: number,
  ): ClaimResult {
    const claimed: StreamEntry[] = [];
    const deleted: StreamId[] = [];
    let attempts = count * 10;
    let nextId: StreamId = MIN_ID;
    const candidates: Array<[StreamId, PendingEntry]> = [];
    for (const e of g.pel.range(start, MAX_ID)) {
      if (attempts-- <= 0 || claimed.length + candidates.length >= count) {
        nextId = e[0];
        break;
      }
      if (nowMs - e[1].deliveryTimeMs < minIdleMs) continue;
      candidates.push(e);
    }
    for (const [id, pe] of candidates) {
      const fields = this.entries.get(id);
      if (fields === undefined) {
        g.pel.delete(id);
        pe.consumer.pel.delete(id);
        deleted.push(id);
        continue;
      }
      this.transfer(pe, id, c);
      pe.deliveryTimeMs = nowMs;
      if (!justId) pe.deliveryCount++;
      claimed.push([id, fields]);
    }
    if (claimed.length > 0) c.activeTimeMs = nowMs;
    c.seenTimeMs = nowMs;
    return { claimed, deleted, nextId };
  }

  // ---- Redis 7 counters ---------------------------------------------------------------------

  /** streamRangeHasTombstones(s, start, NULL). */
  private hasTombstonesFrom(start: StreamId): boolean {
    if (this.length === 0 || isZeroId(this.maxDeletedId)) return false;
    return compareIds(this.maxDeletedId, start) >= 0 && compareIds(this.maxDeletedId, this.lastId) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry; null when it cannot be known. */
  estimateEntriesRead(id: StreamId): number | null {
    if (!this.entriesAdded) return 0;
    if (this.length === 0 && compareIds(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = compareIds(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return null;
    const first = this.firstId;
    const cmpFirst = compareIds(id, first);
    if (isZeroId(this.maxDeletedId) || compareIds(this.maxDeletedId, first) < 0) {
      if (cmpFirst < 0) return this.entriesAdded - this.length;
      if (cmpFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return null;
  }

  /** The group's lag for XINFO GROUPS; null when unknown. */
  groupLag(g: ConsumerGroup): number | null {
    if (!this.entriesAdded) return 0;
    if (g.entriesRead !== null && !this.hasTombstonesFrom(g.lastId)) return this.entriesAdded - g.entriesRead;
    const read = this.estimateEntriesRead(g.lastId);
    return read === null ? null : this.entriesAdded - read;
  }

  /** Whether entries exist after the group's last delivered ID (blocking XREADGROUP wake-up). */
  hasNewFor(g: ConsumerGroup): boolean {
    return compareIds(this.lastId, g.lastId) > 0 && this.length > 0;
  }

  /** Deep copy: copy-on-write snapshots and COPY need an independent value. */
  clone(): Stream {
    const s = new Stream();
    for (const [id, f] of this.entries.range(MIN_ID, MAX_ID)) s.entries.set(id, f.slice());
    s.lastId = this.lastId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    s.fieldBytes = this.fieldBytes;
    for (const g of this.groups.values()) {
      const ng = s.createGroup(g.name, g.lastId, g.entriesRead) as ConsumerGroup;
      for (const c of g.consumers.values()) {
        ng.consumers.set(c.name, {
          name: c.name,
          seenTimeMs: c.seenTimeMs,
          activeTimeMs: c.activeTimeMs,
          pel: new IdMap(),
        });
      }
      for (const [id, pe] of g.pel.range(MIN_ID, MAX_ID)) {
        const nc = ng.consumers.get(pe.consumer.name) as Consumer;
        const npe: PendingEntry = {
          consumer: nc,
          deliveryTimeMs: pe.deliveryTimeMs,
          deliveryCount: pe.deliveryCount,
        };
        ng.pel.set(id, npe);
        nc.pel.set(id, npe);
      }
    }
    return s;
  }
}

export interface ClaimOptions {
  readonly minIdleMs: number;
  readonly idleMs?: number;
  readonly timeMs?: number;
  readonly retryCount?: number;
  readonly force: boolean;
  readonly justId: boolean;
  readonly lastId?: StreamId;
}

export interface ClaimResult {
  readonly claimed: StreamEntry[];
  readonly deleted: StreamId[];
  readonly nextId: StreamId;
}

function smallerIdError(): StreamError {
  return new StreamError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
}
