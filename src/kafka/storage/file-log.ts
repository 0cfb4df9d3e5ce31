/**
 * FileLog: a partition log on disk (layout in segment-files.ts). One writer loop per partition
 * does group commit: appends made while a write+fsync is in flight queue up and share the next
 * writev+fdatasync, so N concurrent producers cost one fsync, not N.
 *
 * Recovery: after a clean close (marker file present) the index files are trusted; otherwise the
 * active segment is scanned with full CRC validation, its indexes rebuilt, and a torn or corrupt
 * tail truncated (reported in `recovery`). Older segments were fsync-ed when they rolled.
 *
 * Reads are synchronous positional reads (page cache hits in practice), bounded by the high
 * watermark, and return whole batches.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fstatSync,
  ftruncateSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  unlinkSync,
  writev,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock, Timer } from '../../platform/clock.js';
import {
  BATCH_BYTES_HARD_MAX,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  OFF_BATCH_LENGTH,
  readBatchHeader,
  scanBatches,
  setBaseOffset,
  setLeaderEpoch,
  type BatchHeader,
} from './batch.js';
import {
  KafkaStorageError,
  OffsetOutOfRangeError,
  type AppendResult,
  type LogConfig,
  type PartitionLog,
  type ReadResult,
  type RecoveryReport,
  type RetentionResult,
  type TimestampLookup,
} from './log.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_FILE,
  SparseIndex,
  fsyncDir,
  parseSegmentName,
  segmentName,
  writeFileAtomic,
  writeFileReplace,
} from './segment-files.js';
import type { RecordCodecs } from './cleaner.js';
import { ReadBufferPool } from './read-pool.js';
import {
  CLEANED_SUFFIX,
  buildOffsetMap,
  cleanableEnd,
  cleaningDue,
  segmentUnit,
  cleanSegment,
  swapInCleaned,
  type CompactionConfig,
  type CompactionResult,
} from './segment-cleaner.js';

/** Per-partition file holding the cleaner's checkpoint: "<firstDirtyOffset> <tombstoneHorizonMs>". */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** Chunk read while scanning a segment during recovery. */
export const RECOVERY_CHUNK_BYTES = 4 * 1024 * 1024;
/** Upper bound of one read() result beyond its first batch. */
export const READ_BYTES_MAX = 64 * 1024 * 1024;
/** Fetch read buffers, shared by every partition of the process (bounded: read-pool.ts). */
const READ_POOL = new ReadBufferPool();
/** Producer batches remembered from the recovery scan for rebuilding idempotence state. */
export const RECOVERED_PRODUCER_BATCHES_MAX = 10_000;
/** Positions are u32 in the index files, like Kafka's int32 segment.bytes. */
export const SEGMENT_BYTES_MAX = 2 ** 31 - 1;

interface Segment {
  baseOffset: number;
  nextOffset: number;
  /** Bytes written to the file. */
  sizeBytes: number;
  /** Bytes readers may see (≤ sizeBytes; behind it while an fsync is pending in strict mode). */
  readableBytes: number;
  fd: number;
  createdMs: number;
  maxTimestamp: number;
  maxTimestampOffset: number;
  index: SparseIndex;
  bytesSinceIndex: number;
}

interface PendingAppend {
  buf: Buffer;
  headers: readonly BatchHeader[];
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
  baseOffset: number;
  lastOffset: number;
}

/** A group written to the page cache, waiting for its fdatasync (strict mode) before the ack. */
interface WrittenGroup {
  group: PendingAppend[];
  /** The segment holding the group's last batch, and the end of the group in it. */
  seg: Segment;
  endPos: number;
  /** The fdatasync, and a promise that settles with it without rejecting. */
  sync: Promise<void> | null;
  settled: Promise<void> | null;
  done: boolean;
}

/** A producer batch found by the recovery scan (for rebuilding idempotence state). */
export interface RecoveredProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  baseOffset: number;
}

export interface FileLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock: Clock;
  /** Called with a warning when recovery truncates the tail. */
  onWarning?: (msg: string) => void;
}

export class FileLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  recovery: RecoveryReport = { truncatedBytes: 0, reason: null, segments: 0 };
  /** Producer batches of the active segment when it was scanned (unclean start), else empty. */
  recoveredProducerBatches: RecoveredProducerBatch[] = [];
  /** True when the previous close was clean (index files and snapshots can be trusted). */
  wasCleanShutdown = false;

  private config: LogConfig;
  private readonly clock: Clock;
  private readonly segments: Segment[] = [];
  private startOffset = 0;
  private leo = 0;
  private hw = 0;
  private pending: PendingAppend[] = [];
  private writing = false;
  private failed: Error | null = null;
  private closed = false;
  /** Set when close() starts, so no append slips in between the last flush and closing the files. */
  private closing = false;
  private rollRequested = false;
  private unflushedMessages = 0;
  private flushTimer: Timer | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly headerBuf = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
  private drainWaiters: (() => void)[] = [];
  /** Set while the writer waits for an fdatasync; append() calls it so the next group is written meanwhile. */
  private wakeWriter: (() => void) | null = null;
  private readonly warn: (msg: string) => void;
  /** Counters for metrics and for tests proving group commit. */
  readonly stats = { appends: 0, writeGroups: 0, fsyncs: 0 };
  /** Compaction: segments before this offset have been cleaned (Kafka's cleaner-offset-checkpoint). */
  private firstDirtyOffset = 0;
  /** Earliest delete horizon of tombstones kept by the cleaner, -1 when none. */
  private tombstoneHorizonMs = -1;

  private constructor(o: FileLogOptions) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.dir = o.dir;
    this.config = o.config;
    this.clock = o.clock;
    this.warn = o.onWarning ?? (() => {});
  }

  /** Opens (creating if needed) the partition directory and recovers it. */
  static open(o: FileLogOptions): FileLog {
    const log = new FileLog(o);
    if (!existsSync(o.dir)) {
      mkdirSync(o.dir, { recursive: true });
      fsyncDir(dirname(o.dir));
    }
    log.load();
    return log;
  }

  // ---- state ------------------------------------------------------------------------------

  logStartOffset(): number {
    return this.startOffset;
  }
  logEndOffset(): number {
    return this.leo;
  }
  highWatermark(): number {
    return this.hw;
  }
  sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.sizeBytes;
    return n;
  }
  segmentCount(): number {
    return this.segments.length;
  }
  updateConfig(config: LogConfig): void {
    this.config = config;
  }
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private strict(): boolean {
    return this.config.flushMessages === null && this.config.flushMs === null;
  }
  private active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // ---- append -----------------------------------------------------------------------------

  append(buf: Buffer, headers: readonly BatchHeader[], leaderEpoch: number): Promise<AppendResult> {
    if (this.closed || this.closing) return Promise.reject(new KafkaStorageError(`log ${this.topic}-${this.partition} is closed`));
    if (this.failed) return Promise.reject(new KafkaStorageError(`log failed earlier: ${this.failed.message}`));
    const baseOffset = this.leo;
    let next = baseOffset;
    for (const h of headers) {
      setBaseOffset(buf, h.position, BigInt(next));
      setLeaderEpoch(buf, h.position, leaderEpoch);
      h.baseOffset = BigInt(next);
      h.partitionLeaderEpoch = leaderEpoch;
      next += h.lastOffsetDelta + 1;
    }
    this.leo = next;
    this.stats.appends++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ buf, headers, resolve, reject, baseOffset, lastOffset: next - 1 });
      if (!this.writing) void this.drain();
      else this.wakeWriter?.();
    });
  }

  /**
   * The writer loop: takes everything queued, writes it with one writev, fsyncs once, acks all.
   * In strict mode the next group's writev overlaps the previous group's fdatasync (a pipeline of
   * depth two), so the disk is not idle while the page-cache copy happens: group N is acknowledged
   * only after its own fdatasync; group N+1's data may already be on its way (a later fdatasync of
   * the same file covers it too, which only makes it durable sooner). At most one fdatasync is in
   * flight, and groups are acknowledged strictly in order.
   */
  private async drain(): Promise<void> {
    this.writing = true;
    let syncing: WrittenGroup | null = null;
    while ((this.pending.length > 0 || syncing !== null) && !this.failed) {
      if (this.pending.length === 0) {
        // Only a sync is in flight: wait for it, or for an append to write meanwhile.
        await Promise.race([syncing!.settled!, new Promise<void>((r) => (this.wakeWriter = r))]);
        this.wakeWriter = null;
        if (syncing!.done && (await this.finishSync(syncing!))) syncing = null;
        continue;
      }
      const group = this.pending;
      this.pending = [];
      let written: WrittenGroup;
      try {
        written = await this.writeGroup(group);
      } catch (e) {
        this.fail(e, group);
        break;
      }
      if (syncing !== null) {
        if (!(await this.finishSync(syncing, written.group))) break;
        syncing = null;
      }
      if (this.strict()) syncing = this.startSync(written);
      else this.acknowledge(written);
    }
    // A write failed while a group's fdatasync was running: that group may still be durable.
    if (syncing !== null) await this.finishSync(syncing);
    this.writing = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private startSync(w: WrittenGroup): WrittenGroup {
    this.stats.fsyncs++;
    const sync = fdatasyncAsync(w.seg.fd);
    w.sync = sync;
    w.settled = sync.then(
      () => void (w.done = true),
      () => void (w.done = true),
    );
    return w;
  }

  /** Awaits a group's fdatasync and acknowledges it; on error fails it (and `alsoFail`). */
  private async finishSync(w: WrittenGroup, alsoFail?: PendingAppend[]): Promise<boolean> {
    try {
      await w.sync;
    } catch (e) {
      this.fail(e, w.group, alsoFail);
      return false;
    }
    this.acknowledge(w);
    return true;
  }

  /** Fails the given groups and everything still queued; the log refuses appends from now on. */
  private fail(e: unknown, ...groups: (PendingAppend[] | undefined)[]): void {
    if (this.failed === null) this.failed = e instanceof Error ? e : new Error(String(e));
    const err = new KafkaStorageError(`write to ${this.topic}-${this.partition} failed: ${this.failed.message}`);
    for (const g of groups) for (const p of g ?? []) p.reject(err);
    for (const p of this.pending) p.reject(err);
    this.pending = [];
  }

  /** Makes a durable (or, in relaxed mode, written) group visible to readers and answers it. */
  private acknowledge(w: WrittenGroup): void {
    if (w.endPos > w.seg.readableBytes) w.seg.readableBytes = w.endPos;
    const last = w.group[w.group.length - 1]!;
    this.advance(last.lastOffset + 1);
    for (const p of w.group) {
      p.resolve({ baseOffset: p.baseOffset, lastOffset: p.lastOffset, logStartOffset: this.startOffset });
    }
  }

  /** Writes a group's batches (rolling segments as needed); durability is the caller's business. */
  private async writeGroup(group: PendingAppend[]): Promise<WrittenGroup> {
    let iov: Buffer[] = [];
    let seg = this.active();
    let writePos = seg.sizeBytes;
    let messages = 0;
    for (const p of group) {
      for (const h of p.headers) {
        if (this.shouldRoll(seg, h.sizeBytes)) {
          await this.writeAt(seg, iov, writePos);
          iov = [];
          seg = this.roll(h);
          writePos = seg.sizeBytes;
        }
        const base = Number(h.baseOffset);
        this.indexBatch(seg, h, base, seg.sizeBytes);
        seg.sizeBytes += h.sizeBytes;
        seg.nextOffset = base + h.lastOffsetDelta + 1;
        iov.push(p.buf.subarray(h.position, h.position + h.sizeBytes));
        messages += h.recordCount;
      }
    }
    const endPos = seg.sizeBytes;
    await this.writeAt(seg, iov, writePos);
    this.stats.writeGroups++;
    if (!this.strict()) {
      this.unflushedMessages += messages;
      this.scheduleRelaxedFlush(seg);
    }
    return { group, seg, endPos, sync: null, settled: null, done: false };
  }

  private async writeAt(seg: Segment, iov: Buffer[], pos: number): Promise<void> {
    if (iov.length === 0) return;
    let expected = 0;
    for (const b of iov) expected += b.length;
    const written = await writevAsync(seg.fd, iov, pos);
    if (written !== expected) throw new Error(`short write: ${written} of ${expected} bytes`);
  }

  private scheduleRelaxedFlush(seg: Segment): void {
    const fm = this.config.flushMessages;
    if (fm !== null && this.unflushedMessages >= fm) {
      this.unflushedMessages = 0;
      fsyncSafe(seg.fd);
      return;
    }
    const ms = this.config.flushMs;
    if (ms !== null && this.flushTimer === null) {
      this.flushTimer = this.clock.after(ms, () => {
        this.flushTimer = null;
        if (!this.closed) {
          this.unflushedMessages = 0;
          fsyncSafe(this.active().fd);
        }
      });
    }
  }

  private advance(newHw: number): void {
    if (newHw <= this.hw) return;
    this.hw = newHw;
    for (const l of this.listeners) l();
  }

  private shouldRoll(seg: Segment, nextBatchBytes: number): boolean {
    if (seg.sizeBytes === 0) return false;
    const limit = Math.min(this.config.segmentBytes, SEGMENT_BYTES_MAX);
    if (seg.sizeBytes + nextBatchBytes > limit) return true;
    if (this.rollRequested) return true;
    // Relative offsets are u32 in the index files.
    return seg.nextOffset - seg.baseOffset > 0xffff_0000;
  }

  /** Seals the active segment (fsync + index files) and starts a new one at the next batch. */
  private roll(next: BatchHeader): Segment {
    const old = this.active();
    this.rollRequested = false;
    fsyncSync(old.fd);
    old.readableBytes = old.sizeBytes;
    this.writeIndexFiles(old);
    const seg = this.createSegment(Number(next.baseOffset));
    // The new file's directory entry must be durable before anything in it is acknowledged.
    fsyncDir(this.dir);
    this.segments.push(seg);
    return seg;
  }

  maybeRollByTime(nowMs: number): void {
    const seg = this.active();
    if (seg.sizeBytes > 0 && nowMs - seg.createdMs >= this.config.segmentMs) this.rollRequested = true;
  }

  private indexBatch(seg: Segment, h: BatchHeader, base: number, position: number): void {
    const maxTs = Number(h.maxTimestamp);
    if (maxTs > seg.maxTimestamp) {
      seg.maxTimestamp = maxTs;
      seg.maxTimestampOffset = base;
    }
    if (position === 0 || seg.bytesSinceIndex >= this.config.indexIntervalBytes) {
      seg.index.addOffset(base, position);
      seg.index.addTime(seg.maxTimestamp, base);
      seg.bytesSinceIndex = 0;
    }
    seg.bytesSinceIndex += h.sizeBytes;
  }

  // ---- read -------------------------------------------------------------------------------

  read(offset: number, maxBytes: number): ReadResult {
    if (offset < this.startOffset || offset > this.hw) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw);
    }
    const result = { records: EMPTY, highWatermark: this.hw, logStartOffset: this.startOffset };
    if (offset === this.hw) return result;
    let si = Math.max(0, this.segmentFor(offset));
    for (; si < this.segments.length; si++) {
      const seg = this.segments[si]!;
      const found = this.findBatch(seg, offset);
      if (found < 0) continue;
      const whole = this.readWhole(seg, found, maxBytes);
      return { ...result, records: whole.records, release: whole.release };
    }
    return result;
  }

  /** Index of the last segment whose baseOffset <= offset (-1 when none). */
  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Position of the first batch in seg whose last offset >= target, or -1. */
  private findBatch(seg: Segment, target: number): number {
    let pos = seg.index.floorPosition(target);
    while (pos + BATCH_HEADER_BYTES <= seg.readableBytes) {
      const h = this.readHeader(seg, pos);
      if (Number(h.baseOffset) + h.lastOffsetDelta >= target) return pos;
      pos += h.sizeBytes;
    }
    return -1;
  }

  private readHeader(seg: Segment, pos: number): BatchHeader {
    const n = readSync(seg.fd, this.headerBuf, 0, BATCH_HEADER_BYTES, pos);
    if (n !== BATCH_HEADER_BYTES) throw new KafkaStorageError(`short header read at ${pos}`);
    const h = readBatchHeader(this.headerBuf, 0);
    h.position = pos;
    return h;
  }

  /**
   * Reads whole batches from pos: up to maxBytes, but always the first batch entirely. The bytes
   * go into a pooled buffer (read-pool.ts) when the size suits the pool.
   */
  private readWhole(seg: Segment, pos: number, maxBytes: number): { records: Buffer; release: (() => void) | null } {
    const first = this.readHeader(seg, pos);
    const avail = seg.readableBytes - pos;
    const want = Math.min(avail, Math.max(first.sizeBytes, Math.min(maxBytes, READ_BYTES_MAX)));
    const pooled = READ_POOL.take(want);
    const buf = pooled.buf.subarray(0, want);
    const n = readSync(seg.fd, buf, 0, want, pos);
    if (n !== want) {
      pooled.release?.();
      throw new KafkaStorageError(`short read at ${pos}: ${n} of ${want}`);
    }
    // Trim to whole batches.
    let end = 0;
    while (end + BATCH_LOG_OVERHEAD_BYTES <= want) {
      const size = buf.readInt32BE(end + OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES;
      if (end + size > want) break;
      end += size;
    }
    return { records: end === want ? buf : buf.subarray(0, end), release: pooled.release };
  }

  offsetForTimestamp(timestampMs: number): TimestampLookup | null {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestampMs || seg.readableBytes === 0) continue;
      const fromOffset = Math.max(seg.index.timeFloorOffset(timestampMs), seg.baseOffset);
      let pos = seg.index.floorPosition(fromOffset);
      while (pos + BATCH_HEADER_BYTES <= seg.readableBytes) {
        const h = this.readHeader(seg, pos);
        if (Number(h.maxTimestamp) >= timestampMs) {
          const offset = Math.max(Number(h.baseOffset), this.startOffset);
          if (offset >= this.hw) return null;
          return { offset, timestamp: Number(h.maxTimestamp) };
        }
        pos += h.sizeBytes;
      }
    }
    return null;
  }

  maxTimestamp(): TimestampLookup | null {
    let best: TimestampLookup | null = null;
    for (const seg of this.segments) {
      if (seg.readableBytes === 0 || seg.maxTimestampOffset < 0) continue;
      if (best === null || seg.maxTimestamp > best.timestamp) {
        best = { offset: seg.maxTimestampOffset, timestamp: seg.maxTimestamp };
      }
    }
    return best;
  }

  // ---- deletion ---------------------------------------------------------------------------

  deleteRecordsBefore(offset: number): number {
    if (offset < 0 || offset > this.hw) throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw);
    if (offset <= this.startOffset) return this.startOffset;
    this.startOffset = offset;
    writeFileAtomic(this.dir, LOG_START_OFFSET_FILE, String(offset));
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= offset) this.dropOldest();
    return this.startOffset;
  }

  applyRetention(nowMs: number): RetentionResult {
    const r: RetentionResult = { deletedSegments: 0, deletedBytes: 0 };
    const { retentionMs, retentionBytes } = this.config;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      // A segment compaction emptied holds nothing to keep (and has no timestamp to age by).
      const byTime = retentionMs >= 0 && (oldest.sizeBytes === 0 || (oldest.maxTimestamp >= 0 && nowMs - oldest.maxTimestamp > retentionMs));
      const bySize = retentionBytes >= 0 && this.sizeBytes() - oldest.sizeBytes >= retentionBytes;
      if (!byTime && !bySize) break;
      r.deletedSegments++;
      r.deletedBytes += oldest.sizeBytes;
      this.dropOldest();
    }
    const first = this.segments[0]!.baseOffset;
    if (first > this.startOffset) {
      this.startOffset = first;
      writeFileAtomic(this.dir, LOG_START_OFFSET_FILE, String(first));
    }
    return r;
  }

  private dropOldest(): void {
    const seg = this.segments.shift()!;
    closeSync(seg.fd);
    for (const ext of ['log', 'index', 'timeindex'] as const) {
      rmSync(join(this.dir, segmentName(seg.baseOffset, ext)), { force: true });
    }
    if (this.startOffset < this.segments[0]!.baseOffset) this.startOffset = this.segments[0]!.baseOffset;
  }

  // ---- compaction -------------------------------------------------------------------------

  /**
   * One log-cleaner pass (cleanup.policy=compact), run on clock ticks by the engine. Returns null
   * when nothing was due: the cleanable range (closed segments older than min.compaction.lag.ms)
   * has a dirty ratio below min.cleanable.dirty.ratio, no segment past max.compaction.lag.ms and no
   * tombstone past its delete horizon. Synchronous: readers never see a half-swapped segment.
   */
  compact(nowMs: number, cfg: CompactionConfig, codecs: RecordCodecs): CompactionResult | null {
    if (this.closed || this.closing || this.failed) return null;
    const segs = this.segments;
    // While the writer runs, the segment before the active one may still have an fdatasync in
    // flight on its descriptor (the group written just before a roll): leave it for the next pass.
    const end = cleanableEnd(segs, segs.length - (this.writing ? 2 : 1), nowMs, cfg);
    if (end === 0) return null;
    const firstDirty = Math.max(this.firstDirtyOffset, this.startOffset);
    const units = segs.map(segmentUnit);
    if (!cleaningDue(units, end, firstDirty, this.tombstoneHorizonMs, nowMs, cfg)) return null;
    const horizonDue = this.tombstoneHorizonMs >= 0 && nowMs >= this.tombstoneHorizonMs;
    const map = buildOffsetMap(units, firstDirty, end, codecs);
    const stats = { recordsRemoved: 0, horizon: -1 };
    const result: CompactionResult = { cleanedSegments: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, firstDirtyOffset: 0, tombstoneHorizonMs: -1 };
    for (let i = 0; i < map.end; i++) {
      const seg = segs[i]!;
      const fresh = newSegment(seg.baseOffset, -1, seg.createdMs);
      const cleaned = cleanSegment(this.dir, seg, map, nowMs, cfg, codecs, stats, (h, pos) => {
        this.indexBatch(fresh, h, Number(h.baseOffset), pos);
        fresh.sizeBytes = pos + h.sizeBytes;
      });
      if (cleaned === null) continue;
      result.cleanedSegments++;
      result.bytesBefore += seg.sizeBytes;
      result.bytesAfter += fresh.sizeBytes;
      swapInCleaned(this.dir, seg.baseOffset, cleaned);
      this.replaceSegmentFile(seg, fresh);
    }
    result.recordsRemoved = stats.recordsRemoved;
    result.firstDirtyOffset = this.firstDirtyOffset = segs[map.end]!.baseOffset;
    this.dropEmptySegments(map.end);
    // Horizons of segments past the mapped range (when the map filled) are still pending.
    this.tombstoneHorizonMs = result.tombstoneHorizonMs = map.end < end && horizonDue ? nowMs : stats.horizon;
    writeFileAtomic(this.dir, CLEANER_CHECKPOINT_FILE, `${this.firstDirtyOffset} ${this.tombstoneHorizonMs}`);
    return result;
  }

  /**
   * Removes sealed segments that compaction emptied, except the first (its base offset is the
   * log start after a restart). Reads of offsets in a removed range fall through to the next
   * segment; on open, the previous segment's range extends to the next base. Deleting an empty
   * file needs no ordering for crash safety. This keeps open descriptors from piling up where
   * Kafka would merge small cleaned segments.
   */
  private dropEmptySegments(end: number): void {
    for (let i = end - 1; i >= 1; i--) {
      const seg = this.segments[i]!;
      if (seg.sizeBytes !== 0) continue;
      closeSync(seg.fd);
      for (const ext of ['index', 'timeindex', 'log'] as const) rmSync(join(this.dir, segmentName(seg.baseOffset, ext)), { force: true });
      this.segments[i - 1]!.nextOffset = seg.nextOffset;
      this.segments.splice(i, 1);
    }
  }

  /** Points a sealed segment at its freshly renamed file, with the rebuilt metadata and indexes. */
  private replaceSegmentFile(seg: Segment, fresh: Segment): void {
    const fd = openSync(join(this.dir, segmentName(seg.baseOffset, 'log')), 'r+');
    closeSync(seg.fd);
    seg.fd = fd;
    seg.sizeBytes = seg.readableBytes = fresh.sizeBytes;
    seg.index = fresh.index;
    seg.bytesSinceIndex = fresh.bytesSinceIndex;
    seg.maxTimestamp = fresh.maxTimestamp;
    seg.maxTimestampOffset = fresh.maxTimestampOffset;
    this.writeIndexFiles(seg);
  }

  private loadCleanerCheckpoint(): void {
    this.firstDirtyOffset = this.startOffset;
    let text: string;
    try {
      text = readFileSync(join(this.dir, CLEANER_CHECKPOINT_FILE), 'utf8');
    } catch {
      return;
    }
    const [dirty, horizon] = text.trim().split(' ').map(Number);
    if (Number.isSafeInteger(dirty) && dirty! >= 0 && dirty! <= this.leo) this.firstDirtyOffset = dirty!;
    if (Number.isSafeInteger(horizon)) this.tombstoneHorizonMs = horizon!;
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Waits for queued appends to be written (and fsync-ed in strict mode). */
  private idle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  async flush(): Promise<void> {
    await this.idle();
    if (this.segments.length > 0 && !this.closed) fsyncSync(this.active().fd);
    this.unflushedMessages = 0;
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    await this.flush();
    this.closed = true;
    this.flushTimer?.cancel();
    const act = this.active();
    if (!this.failed) {
      this.writeIndexFiles(act);
      // The segment data was fsync-ed by flush(); the marker itself needs no fsync (see segment-files.ts).
      writeFileReplace(this.dir, CLEAN_SHUTDOWN_FILE, '');
    }
    for (const s of this.segments) closeSync(s.fd);
    this.listeners.clear();
  }

  /** Closes and removes the whole partition directory (topic deletion). */
  async destroy(): Promise<void> {
    this.closing = true;
    await this.idle();
    this.closed = true;
    this.flushTimer?.cancel();
    for (const s of this.segments) closeSync(s.fd);
    this.segments.length = 0;
    this.listeners.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- loading and recovery ---------------------------------------------------------------

  private load(): void {
    const cleanMarker = join(this.dir, CLEAN_SHUTDOWN_FILE);
    this.wasCleanShutdown = existsSync(cleanMarker);
    const names = readdirSync(this.dir);
    // A crash while cleaning leaves a temp copy; the original segment is still whole.
    for (const n of names) if (n.endsWith(CLEANED_SUFFIX)) rmSync(join(this.dir, n), { force: true });
    const bases = names
      .map(parseSegmentName)
      .filter((b): b is number => b !== null)
      .sort((a, b) => a - b);
    for (let i = 0; i < bases.length; i++) {
      const isLast = i === bases.length - 1;
      const seg = this.openSegment(bases[i]!, isLast && !this.wasCleanShutdown);
      if (i > 0) this.segments[i - 1]!.nextOffset = seg.baseOffset;
      this.segments.push(seg);
    }
    if (this.segments.length === 0) {
      this.segments.push(this.createSegment(0));
      fsyncDir(this.dir);
    } else if (this.wasCleanShutdown) {
      this.recoverTailCheap(this.active());
    }
    this.startOffset = this.segments[0]!.baseOffset;
    const lsoFile = join(this.dir, LOG_START_OFFSET_FILE);
    if (existsSync(lsoFile)) {
      const n = Number(readFileSync(lsoFile, 'utf8').trim());
      if (Number.isSafeInteger(n) && n > this.startOffset) this.startOffset = n;
    }
    this.leo = this.active().nextOffset;
    if (this.startOffset > this.leo) this.startOffset = this.leo;
    this.hw = this.leo;
    this.recovery.segments = this.segments.length;
    this.loadCleanerCheckpoint();
    if (this.wasCleanShutdown) unlinkSync(cleanMarker);
  }

  private createSegment(baseOffset: number): Segment {
    const fd = openSync(join(this.dir, segmentName(baseOffset, 'log')), 'w+');
    return newSegment(baseOffset, fd, this.clock.now());
  }

  /** Opens an existing segment: loads its indexes or rebuilds them (full CRC scan when `scan`). */
  private openSegment(baseOffset: number, scan: boolean): Segment {
    const fd = openSync(join(this.dir, segmentName(baseOffset, 'log')), 'r+');
    const size = fstatSync(fd).size;
    const seg = newSegment(baseOffset, fd, this.clock.now());
    seg.sizeBytes = seg.readableBytes = size;
    seg.nextOffset = baseOffset;
    const ix = scan ? null : this.loadIndex(baseOffset, size);
    if (ix) {
      seg.index = ix;
      seg.maxTimestamp = ix.timestamps.length > 0 ? ix.timestamps[ix.timestamps.length - 1]! : -1;
      seg.maxTimestampOffset = ix.timeOffsets.length > 0 ? ix.timeOffsets[ix.timeOffsets.length - 1]! : -1;
      // nextOffset is fixed by the following segment's base (or the cheap tail walk for the last).
    } else {
      this.scanSegment(seg, scan);
    }
    return seg;
  }

  private loadIndex(base: number, size: number): SparseIndex | null {
    try {
      const o = readFileSync(join(this.dir, segmentName(base, 'index')));
      const t = readFileSync(join(this.dir, segmentName(base, 'timeindex')));
      return SparseIndex.decode(base, o, t, Math.max(size, 1));
    } catch {
      return null;
    }
  }

  /** After a clean close: walk batch headers from the last index entry to learn nextOffset. */
  private recoverTailCheap(seg: Segment): void {
    let pos = seg.index.positions.length > 0 ? seg.index.positions[seg.index.positions.length - 1]! : 0;
    while (pos + BATCH_HEADER_BYTES <= seg.sizeBytes) {
      const h = this.readHeader(seg, pos);
      if (h.sizeBytes < BATCH_HEADER_BYTES || pos + h.sizeBytes > seg.sizeBytes) break;
      seg.nextOffset = Number(h.baseOffset) + h.lastOffsetDelta + 1;
      pos += h.sizeBytes;
    }
    if (pos !== seg.sizeBytes) {
      // The marker lied (e.g. files copied mid-write): fall back to a full scan.
      seg.index = new SparseIndex();
      this.scanSegment(seg, true);
    }
  }

  /**
   * Scans a whole segment in chunks, validating every batch (CRC included), rebuilding the indexes
   * and, for the active segment, truncating at the first invalid batch.
   */
  private scanSegment(seg: Segment, truncate: boolean): void {
    const size = seg.sizeBytes;
    let chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK_BYTES, Math.max(size, 1)));
    let pos = 0;
    let expectedOffset = seg.baseOffset;
    seg.sizeBytes = 0;
    while (pos < size) {
      const len = Math.min(chunk.length, size - pos);
      const n = readSync(seg.fd, chunk, 0, len, pos);
      const r = scanBatches(chunk, 0, n, BATCH_BYTES_HARD_MAX);
      for (const h of r.headers) {
        const base = Number(h.baseOffset);
        // baseOffset is outside the CRC, so this is the only check that catches a damaged one.
        // Offsets are contiguous in the active segment; compaction leaves gaps in sealed ones.
        if (truncate ? base !== expectedOffset : base < expectedOffset) {
          this.truncateAt(seg, pos + h.position, `batch offset ${base}, expected ${expectedOffset}`, truncate);
          return;
        }
        this.indexBatch(seg, h, base, pos + h.position);
        seg.sizeBytes = pos + h.position + h.sizeBytes;
        seg.nextOffset = expectedOffset = base + h.lastOffsetDelta + 1;
        this.rememberProducerBatch(h, base);
      }
      if (r.error === null) {
        pos += r.validEnd;
        continue;
      }
      const atFileEnd = pos + n >= size;
      if (r.error.kind === 'truncated' && !atFileEnd && n === len) {
        // A batch crossing the chunk end is not damage: read again from it, with room for it.
        if (r.validEnd > 0) {
          pos += r.validEnd;
          continue;
        }
        const need = chunk.readInt32BE(OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES;
        if (need > chunk.length && need <= BATCH_BYTES_HARD_MAX) {
          chunk = Buffer.allocUnsafe(need);
          continue;
        }
      }
      this.truncateAt(seg, pos + r.validEnd, r.error.message, truncate);
      return;
    }
    seg.readableBytes = seg.sizeBytes;
  }

  private truncateAt(seg: Segment, at: number, reason: string, truncate: boolean): void {
    const total = fstatSync(seg.fd).size;
    seg.sizeBytes = seg.readableBytes = at;
    if (!truncate) {
      // A sealed segment should never be torn; keep the valid prefix readable and say so.
      this.warn(`segment ${seg.baseOffset} of ${this.topic}-${this.partition} invalid at ${at}: ${reason}`);
      return;
    }
    ftruncateSync(seg.fd, at);
    fsyncSync(seg.fd);
    this.recovery.truncatedBytes += total - at;
    this.recovery.reason = reason;
    this.warn(
      `recovery truncated ${total - at} bytes at position ${at} of ${this.topic}-${this.partition} segment ${seg.baseOffset}: ${reason}`,
    );
  }

  private rememberProducerBatch(h: BatchHeader, base: number): void {
    if (h.producerId < 0n) return;
    this.recoveredProducerBatches.push({
      producerId: Number(h.producerId),
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      lastOffsetDelta: h.lastOffsetDelta,
      baseOffset: base,
    });
    if (this.recoveredProducerBatches.length > RECOVERED_PRODUCER_BATCHES_MAX * 2) {
      this.recoveredProducerBatches = this.recoveredProducerBatches.slice(-RECOVERED_PRODUCER_BATCHES_MAX);
    }
  }

  private writeIndexFiles(seg: Segment): void {
    writeFileReplace(this.dir, segmentName(seg.baseOffset, 'index'), seg.index.encodeOffsets(seg.baseOffset));
    writeFileReplace(this.dir, segmentName(seg.baseOffset, 'timeindex'), seg.index.encodeTimes(seg.baseOffset));
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

function newSegment(baseOffset: number, fd: number, nowMs: number): Segment {
  return {
    baseOffset,
    nextOffset: baseOffset,
    sizeBytes: 0,
    readableBytes: 0,
    fd,
    createdMs: nowMs,
    maxTimestamp: -1,
    maxTimestampOffset: -1,
    index: new SparseIndex(),
    bytesSinceIndex: 0,
  };
}

function writevAsync(fd: number, iov: Buffer[], pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, iov, pos, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

function fsyncSafe(fd: number): void {
  try {
    fsyncSync(fd);
  } catch {
    // Relaxed mode promised nothing; a later strict flush or close will surface persistent errors.
  }
}
