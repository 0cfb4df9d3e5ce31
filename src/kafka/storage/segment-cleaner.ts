/**
 * Segment-level log compaction for FileLog (the record-level rules are in cleaner.ts).
 *
 * One pass over the cleanable range (closed segments, never the active one, whose newest record
 * is older than min.compaction.lag.ms):
 *   1. build the offset map (key → latest offset) over the dirty part of the range (segments at
 *      or after the cleaner checkpoint), and note each producer's last batch;
 *   2. rewrite each segment of the range that changes into `<base>.log.cleaned`, fsync it, drop
 *      the old index files, rename it over `<base>.log` (atomic), fsync the directory, then
 *      write the rebuilt indexes. A crash leaves either the old or the new log file; a leftover
 *      `.cleaned` file is deleted at the next open, and missing indexes are rebuilt by scanning.
 * Segments are rewritten one for one (Kafka also merges small cleaned segments; we do not), so
 * an emptied segment stays as a 0-byte file and every offset keeps its segment.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  BATCH_BYTES_HARD_MAX,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  OFF_BATCH_LENGTH,
  isControlBatch,
  readBatchHeader,
  type BatchHeader,
} from './batch.js';
import {
  batchBody,
  deleteHorizonOf,
  keyOf,
  rewriteBatch,
  walkRecords,
  type RecordCodecs,
  type RecordView,
} from './cleaner.js';
import { fsyncDir, segmentName } from './segment-files.js';

/** Bytes read from a segment at a time while cleaning. */
export const CLEANER_READ_CHUNK_BYTES = 4 * 1024 * 1024;
/** Buffered output of a cleaned segment before one write. */
export const CLEANER_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Upper bound of key bytes held in the offset map (Kafka's log.cleaner.dedupe.buffer.size is
 * 128 MiB). When the dirty range has more, the pass stops at the segment where it filled up and the
 * next pass continues from there.
 */
export const OFFSET_MAP_KEY_BYTES_MAX = 64 * 1024 * 1024;
export const CLEANED_SUFFIX = '.cleaned';

export interface CompactionConfig {
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  minCleanableDirtyRatio: number;
  maxCompactionLagMs: number;
}

export interface CompactionResult {
  cleanedSegments: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** First offset after the cleaned range: the new cleaner checkpoint. */
  firstDirtyOffset: number;
  /** Earliest delete horizon of tombstones still in the log, -1 when none. */
  tombstoneHorizonMs: number;
}

/** What the cleaner needs of a FileLog segment (or of a MemoryLog batch, its unit of cleaning). */
export interface CleanableSegment {
  baseOffset: number;
  nextOffset: number;
  sizeBytes: number;
  fd: number;
  maxTimestamp: number;
}

/** A unit of the cleanable range and a walk over its batches. */
export interface CleanUnit {
  baseOffset: number;
  nextOffset: number;
  sizeBytes: number;
  maxTimestamp: number;
  forEach(visit: (buf: Buffer, h: BatchHeader) => void): void;
}

export function segmentUnit(seg: CleanableSegment): CleanUnit {
  return {
    baseOffset: seg.baseOffset,
    nextOffset: seg.nextOffset,
    sizeBytes: seg.sizeBytes,
    maxTimestamp: seg.maxTimestamp,
    forEach: (visit) => forEachBatch(seg.fd, seg.sizeBytes, visit),
  };
}

/**
 * Where the cleanable range ends: the first of units[0, closed) whose newest record is younger
 * than min.compaction.lag.ms (everything after it waits too).
 */
export function cleanableEnd(
  units: readonly { maxTimestamp: number }[],
  closed: number,
  nowMs: number,
  cfg: CompactionConfig,
): number {
  let end = 0;
  while (end < closed && units[end]!.maxTimestamp <= nowMs - cfg.minCompactionLagMs) end++;
  return end;
}

/**
 * Whether a pass is due over units[0, end): the dirty ratio reaches min.cleanable.dirty.ratio, a
 * dirty unit is older than max.compaction.lag.ms, or a kept tombstone's delete horizon has passed.
 */
export function cleaningDue(
  units: readonly CleanUnit[],
  end: number,
  firstDirty: number,
  horizonMs: number,
  nowMs: number,
  cfg: CompactionConfig,
): boolean {
  let dirtyBytes = 0;
  let cleanBytes = 0;
  let overdue = false;
  for (let i = 0; i < end; i++) {
    const u = units[i]!;
    if (u.nextOffset <= firstDirty) cleanBytes += u.sizeBytes;
    else {
      dirtyBytes += u.sizeBytes;
      if (u.maxTimestamp >= 0 && nowMs - u.maxTimestamp > cfg.maxCompactionLagMs) overdue = true;
    }
  }
  const ratioDue = dirtyBytes > 0 && dirtyBytes / (dirtyBytes + cleanBytes) >= cfg.minCleanableDirtyRatio;
  return ratioDue || overdue || (horizonMs >= 0 && nowMs >= horizonMs);
}

/** Called for every batch of a cleaned segment, in order, with its position in the new file. */
export type BatchSink = (h: BatchHeader, position: number) => void;

/** Walks the batches of [0, size) of a segment file in chunks. `h.position` is relative to `buf`. */
export function forEachBatch(
  fd: number,
  size: number,
  visit: (buf: Buffer, h: BatchHeader, filePos: number) => void,
): void {
  let chunk = Buffer.allocUnsafe(Math.min(CLEANER_READ_CHUNK_BYTES, Math.max(size, BATCH_HEADER_BYTES)));
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= size) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
    let p = 0;
    while (p + BATCH_HEADER_BYTES <= n) {
      const total = chunk.readInt32BE(p + OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES;
      if (total < BATCH_HEADER_BYTES || total > BATCH_BYTES_HARD_MAX)
        throw new Error(`bad batch length ${total} at ${pos + p}`);
      if (p + total > n) break;
      visit(chunk, readBatchHeader(chunk, p), pos + p);
      p += total;
    }
    if (p === 0) {
      // One batch bigger than the chunk: grow the chunk to hold it.
      const total = chunk.readInt32BE(OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES;
      if (total <= chunk.length || pos + total > size) throw new Error(`truncated batch at ${pos}`);
      chunk = Buffer.allocUnsafe(total);
      continue;
    }
    pos += p;
  }
}

/** Pass 1: key → latest offset over the dirty segments, and each producer's last batch. */
export interface OffsetMap {
  latest: Map<string, number>;
  lastBatchOfProducer: Map<number, number>;
  /** Segments [0, end) were mapped completely (end may be lower than asked when the map filled). */
  end: number;
}

export function buildOffsetMap(
  segs: readonly CleanUnit[],
  firstDirty: number,
  end: number,
  codecs: RecordCodecs,
): OffsetMap {
  const map: OffsetMap = { latest: new Map(), lastBatchOfProducer: new Map(), end };
  let keyBytes = 0;
  for (let i = 0; i < end; i++) {
    const seg = segs[i]!;
    const dirty = seg.baseOffset >= firstDirty;
    seg.forEach((buf, h) => {
      if (h.producerId >= 0n) map.lastBatchOfProducer.set(Number(h.producerId), Number(h.baseOffset));
      if (!dirty || isControlBatch(h)) return;
      let records: RecordView[];
      try {
        records = walkRecords(batchBody(buf, h, codecs), h);
      } catch {
        return; // An unreadable batch is kept whole by pass 2 and keys nothing.
      }
      for (const r of records) {
        if (r.key === null) continue;
        const k = keyOf(r.key);
        if (!map.latest.has(k)) keyBytes += k.length;
        map.latest.set(k, r.offset);
      }
    });
    if (dirty && keyBytes > OFFSET_MAP_KEY_BYTES_MAX) {
      map.end = i + 1;
      break;
    }
  }
  return map;
}

export interface CleanStats {
  recordsRemoved: number;
  /** Earliest horizon of tombstones kept, -1 when none. */
  horizon: number;
}

/**
 * Pass 2 for one segment: writes the cleaned copy to `<base>.log.cleaned` (fsync-ed) when anything
 * changes and returns its path, or null when the segment stays as it is. `sink` sees each batch
 * of the new file (for the indexes) only when a copy is written.
 */
export function cleanSegment(
  dir: string,
  seg: CleanableSegment,
  map: OffsetMap,
  nowMs: number,
  cfg: CompactionConfig,
  codecs: RecordCodecs,
  stats: CleanStats,
  sink: BatchSink,
): string | null {
  // The copy is written as the segment is read (memory stays at one chunk plus the write buffer),
  // and thrown away when nothing changed.
  const path = join(dir, segmentName(seg.baseOffset, 'log') + CLEANED_SUFFIX);
  const fd = openSync(path, 'w');
  let changed = false;
  try {
    let pos = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pendingBytes === 0) return;
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      writeSync(fd, all, 0, all.length, pos - pendingBytes);
      pending = [];
      pendingBytes = 0;
    };
    forEachBatch(seg.fd, seg.sizeBytes, (buf, h) => {
      const out = cleanBatch(buf, h, map, nowMs, cfg, codecs, stats);
      if (out !== 'keep') changed = true;
      if (out === null) return;
      // A kept batch is copied: `buf` is the reader's chunk, reused for the next read.
      const bytes = out === 'keep' ? Buffer.from(buf.subarray(h.position, h.position + h.sizeBytes)) : out;
      const nh = readBatchHeader(bytes, 0);
      sink(nh, pos);
      pending.push(bytes);
      pendingBytes += bytes.length;
      pos += bytes.length;
      if (pendingBytes >= CLEANER_WRITE_BUFFER_BYTES) flush();
    });
    flush();
    if (changed) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw e;
  }
  closeSync(fd);
  if (!changed) {
    rmSync(path, { force: true });
    return null;
  }
  return path;
}

/**
 * The cleaned form of one batch: 'keep' (unchanged), null (dropped) or new bytes. Control batches
 * and batches the cleaner cannot read are kept as they are.
 */
export function cleanBatch(
  buf: Buffer,
  h: BatchHeader,
  map: OffsetMap,
  nowMs: number,
  cfg: CompactionConfig,
  codecs: RecordCodecs,
  stats: CleanStats,
): 'keep' | null | Buffer {
  if (isControlBatch(h) || h.recordCount === 0) return 'keep';
  let body: Buffer;
  let records: RecordView[];
  try {
    body = batchBody(buf, h, codecs);
    records = walkRecords(body, h);
  } catch {
    return 'keep';
  }
  const horizon = deleteHorizonOf(h);
  const kept: RecordView[] = [];
  let tombstones = 0;
  for (const r of records) {
    const latest = r.key === null ? undefined : map.latest.get(keyOf(r.key));
    if (latest !== undefined && r.offset < latest) continue;
    if (r.tombstone) {
      if (horizon >= 0 && nowMs >= horizon) continue;
      tombstones++;
    }
    kept.push(r);
  }
  const newHorizon = horizon >= 0 ? horizon : tombstones > 0 ? nowMs + cfg.deleteRetentionMs : -1;
  stats.recordsRemoved += records.length - kept.length;
  if (tombstones > 0 && (stats.horizon < 0 || newHorizon < stats.horizon)) stats.horizon = newHorizon;
  if (kept.length === records.length && newHorizon === horizon) return 'keep';
  if (kept.length === 0) {
    // Kafka keeps an empty batch when it is its producer's last, so the producer's sequence
    // numbers and epoch survive compaction.
    const pid = Number(h.producerId);
    if (h.producerId < 0n || map.lastBatchOfProducer.get(pid) !== Number(h.baseOffset)) return null;
  }
  try {
    return rewriteBatch(
      buf,
      h,
      body,
      kept,
      kept.length === 0 ? -1 : tombstones > 0 ? newHorizon : -1,
      codecs,
    );
  } catch {
    return 'keep'; // No encoder for the codec: the batch stays whole rather than change codec.
  }
}

/**
 * Replaces `<base>.log` by its cleaned copy. Order matters for crash safety: the old indexes go
 * first (so they can never describe the new file), then the atomic rename, then a directory
 * fsync. Missing indexes are rebuilt by scanning on the next open.
 */
export function swapInCleaned(dir: string, baseOffset: number, cleanedPath: string): void {
  rmSync(join(dir, segmentName(baseOffset, 'index')), { force: true });
  rmSync(join(dir, segmentName(baseOffset, 'timeindex')), { force: true });
  renameSync(cleanedPath, join(dir, segmentName(baseOffset, 'log')));
  fsyncDir(dir);
}
