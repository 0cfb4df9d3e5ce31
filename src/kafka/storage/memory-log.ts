/**
 * MemoryLog: the PartitionLog contract kept in memory (tests, --ephemeral). Same offset, read and
 * retention semantics as FileLog; appends become visible (high watermark) on the next microtask so
 * callers see the same asynchronous acknowledgement shape as with disk.
 */
import { readBatchHeader, setBaseOffset, setLeaderEpoch, type BatchHeader } from './batch.js';
import type { RecordCodecs } from './cleaner.js';
import { buildOffsetMap, cleanBatch, cleanableEnd, cleaningDue, type CleanUnit, type CompactionConfig, type CompactionResult } from './segment-cleaner.js';
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

interface StoredBatch {
  baseOffset: number;
  nextOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

export class MemoryLog implements PartitionLog {
  readonly recovery: RecoveryReport = { truncatedBytes: 0, reason: null, segments: 1 };
  private batches: StoredBatch[] = [];
  private startOffset = 0;
  private leo = 0;
  private hw = 0;
  private bytes = 0;
  private closed = false;
  /** Compaction: batches before this offset have been cleaned. */
  private firstDirtyOffset = 0;
  /** Earliest delete horizon of tombstones kept by the cleaner, -1 when none. */
  private tombstoneHorizonMs = -1;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    private config: LogConfig,
  ) {}

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
    return this.bytes;
  }
  updateConfig(config: LogConfig): void {
    this.config = config;
  }
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(buf: Buffer, headers: readonly BatchHeader[], leaderEpoch: number): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new KafkaStorageError('log closed'));
    const baseOffset = this.leo;
    let next = baseOffset;
    for (const h of headers) {
      setBaseOffset(buf, h.position, BigInt(next));
      setLeaderEpoch(buf, h.position, leaderEpoch);
      h.baseOffset = BigInt(next);
      const end = next + h.lastOffsetDelta + 1;
      // Copy: the caller's buffer is a request frame we must not retain.
      const bytes = Buffer.from(buf.subarray(h.position, h.position + h.sizeBytes));
      this.batches.push({ baseOffset: next, nextOffset: end, maxTimestamp: Number(h.maxTimestamp), bytes });
      this.bytes += bytes.length;
      next = end;
    }
    this.leo = next;
    const result = { baseOffset, lastOffset: next - 1, logStartOffset: this.startOffset };
    return Promise.resolve().then(() => {
      if (next > this.hw) {
        this.hw = next;
        for (const l of this.listeners) l();
      }
      return result;
    });
  }

  read(offset: number, maxBytes: number): ReadResult {
    if (offset < this.startOffset || offset > this.hw) throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw);
    const out: Buffer[] = [];
    let size = 0;
    for (let i = this.firstBatchEndingAfter(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (b.baseOffset >= this.hw) break;
      if (out.length > 0 && size + b.bytes.length > maxBytes) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return { records: Buffer.concat(out), highWatermark: this.hw, logStartOffset: this.startOffset };
  }

  private firstBatchEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.nextOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  offsetForTimestamp(timestampMs: number): TimestampLookup | null {
    for (const b of this.batches) {
      if (b.baseOffset >= this.hw) break;
      if (b.nextOffset <= this.startOffset) continue;
      if (b.maxTimestamp >= timestampMs) {
        return { offset: Math.max(b.baseOffset, this.startOffset), timestamp: b.maxTimestamp };
      }
    }
    return null;
  }

  maxTimestamp(): TimestampLookup | null {
    let best: TimestampLookup | null = null;
    for (const b of this.batches) {
      if (b.baseOffset >= this.hw) break;
      if (best === null || b.maxTimestamp > best.timestamp) best = { offset: b.baseOffset, timestamp: b.maxTimestamp };
    }
    return best;
  }

  deleteRecordsBefore(offset: number): number {
    if (offset < 0 || offset > this.hw) throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw);
    if (offset > this.startOffset) this.startOffset = offset;
    while (this.batches.length > 0 && this.batches[0]!.nextOffset <= this.startOffset) this.dropOldest();
    return this.startOffset;
  }

  /** Memory batches stand in for segments: each batch is its own retention unit. */
  applyRetention(nowMs: number): RetentionResult {
    const r: RetentionResult = { deletedSegments: 0, deletedBytes: 0 };
    const { retentionMs, retentionBytes } = this.config;
    while (this.batches.length > 1) {
      const b = this.batches[0]!;
      const byTime = retentionMs >= 0 && b.maxTimestamp >= 0 && nowMs - b.maxTimestamp > retentionMs;
      const bySize = retentionBytes >= 0 && this.bytes - b.bytes.length >= retentionBytes;
      if (!byTime && !bySize) break;
      r.deletedSegments++;
      r.deletedBytes += b.bytes.length;
      this.dropOldest();
      this.startOffset = Math.max(this.startOffset, this.batches[0]!.baseOffset);
    }
    return r;
  }

  private dropOldest(): void {
    const b = this.batches.shift()!;
    this.bytes -= b.bytes.length;
  }

  /**
   * The log cleaner over memory: each batch stands in for a segment, and the last visible batch
   * for the active segment (never cleaned). Same rules as FileLog.compact (segment-cleaner.ts).
   */
  compact(nowMs: number, cfg: CompactionConfig, codecs: RecordCodecs): CompactionResult | null {
    let visible = this.batches.length;
    while (visible > 0 && this.batches[visible - 1]!.nextOffset > this.hw) visible--;
    const units: CleanUnit[] = this.batches.slice(0, visible).map((b) => ({
      baseOffset: b.baseOffset,
      nextOffset: b.nextOffset,
      sizeBytes: b.bytes.length,
      maxTimestamp: b.maxTimestamp,
      forEach: (visit) => visit(b.bytes, readBatchHeader(b.bytes, 0)),
    }));
    const end = cleanableEnd(units, visible - 1, nowMs, cfg);
    const firstDirty = Math.max(this.firstDirtyOffset, this.startOffset);
    if (end <= 0 || !cleaningDue(units, end, firstDirty, this.tombstoneHorizonMs, nowMs, cfg)) return null;
    const map = buildOffsetMap(units, firstDirty, end, codecs);
    const stats = { recordsRemoved: 0, horizon: -1 };
    const result: CompactionResult = { cleanedSegments: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, firstDirtyOffset: 0, tombstoneHorizonMs: -1 };
    const kept: StoredBatch[] = [];
    for (let i = 0; i < map.end; i++) {
      const b = this.batches[i]!;
      const out = cleanBatch(b.bytes, readBatchHeader(b.bytes, 0), map, nowMs, cfg, codecs, stats);
      if (out === 'keep') {
        kept.push(b);
        continue;
      }
      result.cleanedSegments++;
      result.bytesBefore += b.bytes.length;
      if (out === null) continue;
      result.bytesAfter += out.length;
      kept.push({ ...b, maxTimestamp: Number(readBatchHeader(out, 0).maxTimestamp), bytes: out });
    }
    // The first batch stays (possibly empty of records) only if kept; offsets never move either way.
    this.batches.splice(0, map.end, ...kept);
    this.bytes += result.bytesAfter - result.bytesBefore;
    result.recordsRemoved = stats.recordsRemoved;
    result.firstDirtyOffset = this.firstDirtyOffset = this.batches[kept.length]?.baseOffset ?? this.leo;
    const horizonDue = this.tombstoneHorizonMs >= 0 && nowMs >= this.tombstoneHorizonMs;
    // Horizons of batches past the mapped range (when the map filled) are still pending.
    this.tombstoneHorizonMs = result.tombstoneHorizonMs = map.end < end && horizonDue ? nowMs : stats.horizon;
    return result;
  }

  maybeRollByTime(): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
  async destroy(): Promise<void> {
    await this.close();
    this.batches = [];
  }
}
