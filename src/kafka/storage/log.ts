/**
 * The partition log interface: what the engine (and K1's handlers through it) use to store and
 * read record batches. Two implementations: FileLog (segments on disk, file-log.ts) and MemoryLog
 * (memory-log.ts, tests and --ephemeral). No wire types here: offsets and timestamps are plain
 * numbers (safe integers: 2^53 offsets outlast any disk), batches are Buffers of whole v2 batches.
 *
 * Semantics shared by every implementation:
 *   - append() assigns offsets synchronously at call time (so callers can check producer
 *     sequences and append atomically within one tick) and rewrites baseOffset and the leader
 *     epoch in place in the caller's buffer; the returned promise resolves once the batches are
 *     durable according to the durability policy (fsync with group commit by default).
 *   - highWatermark is the end of what is durable in fsync mode (written in relaxed mode), so a
 *     consumer never sees a record that a crash could take back and reuse the offset of.
 *   - read() returns whole batches starting with the batch containing `offset`, up to maxBytes,
 *     but always at least one batch when any exists below the high watermark.
 *   - onAdvance() listeners run (synchronously, must not throw) whenever the high watermark moves;
 *     Fetch long polls subscribe to it instead of polling.
 */
import type { BatchHeader } from './batch.js';
import type { RecordCodecs } from './cleaner.js';
import type { CompactionConfig, CompactionResult } from './segment-cleaner.js';

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this size. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment is older than this. */
  segmentMs: number;
  /** index.interval.bytes: bytes between sparse offset/time index entries. */
  indexIntervalBytes: number;
  /** retention.ms, -1 = keep forever. */
  retentionMs: number;
  /** retention.bytes per partition, -1 = unlimited. */
  retentionBytes: number;
  /**
   * flush.messages / flush.ms. When both are null (the Nimbus default), every append is fsync-ed
   * before it is acknowledged (group commit). When either is set, Kafka's relaxed behaviour:
   * acknowledge after write(), fsync every N messages or every T ms.
   */
  flushMessages: number | null;
  flushMs: number | null;
  /** max.message.bytes: the largest batch accepted. */
  maxMessageBytes: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  indexIntervalBytes: 4096,
  retentionMs: 604_800_000,
  retentionBytes: -1,
  flushMessages: null,
  flushMs: null,
  maxMessageBytes: 1_048_588,
};

export interface AppendResult {
  baseOffset: number;
  /** Offset of the last record appended. */
  lastOffset: number;
  logStartOffset: number;
}

export interface ReadResult {
  /** Whole batches concatenated; empty Buffer when nothing at or after offset below the HW. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  /**
   * Set when `records` lives in a pooled buffer (read-pool.ts): call it once nothing refers to
   * the bytes any more, so the buffer is reused. Never calling it is safe.
   */
  release?: (() => void) | null;
}

export interface TimestampLookup {
  offset: number;
  timestamp: number;
}

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

export interface RecoveryReport {
  /** Bytes cut from the end of the active segment because the last batch was torn or corrupt. */
  truncatedBytes: number;
  /** Why, when truncatedBytes > 0. */
  reason: string | null;
  segments: number;
}

export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  logStartOffset(): number;
  /** Next offset to assign (includes appends still waiting for their fsync). */
  logEndOffset(): number;
  /** First offset not yet readable by consumers. */
  highWatermark(): number;
  /** Total bytes of all segments. */
  sizeBytes(): number;
  /**
   * Appends validated batches (the headers from splitBatches over `batches`). Offsets are assigned
   * before this returns; the promise resolves when durable. Rejects with KafkaStorageError on I/O failure.
   */
  append(batches: Buffer, headers: readonly BatchHeader[], leaderEpoch: number): Promise<AppendResult>;
  /** Throws OffsetOutOfRangeError when offset < logStartOffset or > highWatermark. */
  read(offset: number, maxBytes: number): ReadResult;
  /** First batch with maxTimestamp >= timestampMs (its baseOffset and maxTimestamp), or null. */
  offsetForTimestamp(timestampMs: number): TimestampLookup | null;
  /** Largest timestamp in the log and the base offset of its batch (ListOffsets -3), or null when empty. */
  maxTimestamp(): TimestampLookup | null;
  /** DeleteRecords: moves logStartOffset to `offset` (≤ HW) and drops whole segments below it. */
  deleteRecordsBefore(offset: number): number;
  /** Drops segments by retention.ms (against nowMs) and retention.bytes. Never the active segment. */
  applyRetention(nowMs: number): RetentionResult;
  /**
   * One log-cleaner pass for cleanup.policy=compact (called on clock ticks): the latest record per
   * key, offsets unchanged, never the active segment. Null when no pass was due.
   */
  compact(nowMs: number, cfg: CompactionConfig, codecs: RecordCodecs): CompactionResult | null;
  /** Rolls the active segment if segment.ms has passed (called on clock ticks). */
  maybeRollByTime(nowMs: number): void;
  updateConfig(config: LogConfig): void;
  onAdvance(listener: () => void): () => void;
  /** Forces everything written to disk. */
  flush(): Promise<void>;
  /** Flushes and closes file handles; the log is unusable afterwards. */
  close(): Promise<void>;
  /** Closes and removes every byte of this partition (topic deletion). */
  destroy(): Promise<void>;
  readonly recovery: RecoveryReport;
}

/** Kafka error code 1. */
export class OffsetOutOfRangeError extends Error {
  readonly errorCode = 1;
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly highWatermark: number,
  ) {
    super(`offset ${offset} out of range [${logStartOffset}, ${highWatermark}]`);
    this.name = 'OffsetOutOfRangeError';
  }
}

/** Kafka error code 56: the disk failed us. The log refuses further appends after one. */
export class KafkaStorageError extends Error {
  readonly errorCode = 56;
  constructor(message: string) {
    super(message);
    this.name = 'KafkaStorageError';
  }
}
