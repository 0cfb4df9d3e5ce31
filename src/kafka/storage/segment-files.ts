/**
 * File naming and index encodings of one partition directory (`<topic>-<partition>/`), following
 * Kafka's layout so the files look familiar:
 *   00000000000000000000.log        batches as received (baseOffset/leader epoch rewritten)
 *   00000000000000000000.index      sparse offset index: (relativeOffset u32, position u32) BE, 8 B/entry
 *   00000000000000000000.timeindex  sparse time index: (timestamp i64, relativeOffset u32) BE, 12 B/entry
 *   log-start-offset                decimal logStartOffset after DeleteRecords/retention
 *   clean-shutdown                  present only between a clean close and the next open
 * Index files are written when a segment rolls and at clean close (by rename, without fsync: they
 * are validated on load and rebuilt by scanning when malformed); after a crash the active
 * segment's indexes are rebuilt by the recovery scan.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;
export const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';
export const LOG_START_OFFSET_FILE = 'log-start-offset';
const NAME_DIGITS = 20;

export function segmentName(baseOffset: number, ext: 'log' | 'index' | 'timeindex'): string {
  return `${String(baseOffset).padStart(NAME_DIGITS, '0')}.${ext}`;
}

/** Parses `00000000000000000042.log` → 42, anything else → null. */
export function parseSegmentName(name: string): number | null {
  const m = /^(\d{20})\.log$/.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** Sparse index of one segment, in memory. Parallel arrays, appended in offset order. */
export class SparseIndex {
  offsets: number[] = [];
  positions: number[] = [];
  timestamps: number[] = [];
  timeOffsets: number[] = [];

  addOffset(offset: number, position: number): void {
    this.offsets.push(offset);
    this.positions.push(position);
  }
  addTime(timestamp: number, offset: number): void {
    const last = this.timestamps.length - 1;
    if (last >= 0 && this.timestamps[last]! >= timestamp) return;
    this.timestamps.push(timestamp);
    this.timeOffsets.push(offset);
  }
  /** Position of the largest indexed offset <= target (0 when none). */
  floorPosition(target: number): number {
    const i = floorIndex(this.offsets, target);
    return i < 0 ? 0 : this.positions[i]!;
  }
  /** Offset of the last time entry with timestamp < target, or -1 to start at the segment base. */
  timeFloorOffset(target: number): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? -1 : this.timeOffsets[found]!;
  }
  encodeOffsets(base: number): Buffer {
    const b = Buffer.allocUnsafe(this.offsets.length * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.offsets.length; i++) {
      b.writeUInt32BE(this.offsets[i]! - base, i * 8);
      b.writeUInt32BE(this.positions[i]!, i * 8 + 4);
    }
    return b;
  }
  encodeTimes(base: number): Buffer {
    const b = Buffer.allocUnsafe(this.timestamps.length * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.timestamps.length; i++) {
      b.writeBigInt64BE(BigInt(this.timestamps[i]!), i * 12);
      b.writeUInt32BE(this.timeOffsets[i]! - base, i * 12 + 8);
    }
    return b;
  }
  /** Loads encoded indexes; returns null when a file is malformed (caller rebuilds by scanning). */
  static decode(base: number, offsets: Buffer, times: Buffer, segmentBytes: number): SparseIndex | null {
    if (offsets.length % OFFSET_INDEX_ENTRY_BYTES !== 0 || times.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const ix = new SparseIndex();
    let lastOff = -1;
    let lastPos = -1;
    for (let p = 0; p < offsets.length; p += 8) {
      const off = base + offsets.readUInt32BE(p);
      const pos = offsets.readUInt32BE(p + 4);
      if (off <= lastOff || pos <= lastPos || pos >= segmentBytes) return null;
      ix.addOffset(off, pos);
      lastOff = off;
      lastPos = pos;
    }
    for (let p = 0; p < times.length; p += 12) {
      ix.addTime(Number(times.readBigInt64BE(p)), base + times.readUInt32BE(p + 8));
    }
    return ix;
  }
}

/** Index of the last element <= target in a sorted array, -1 when none. */
export function floorIndex(sorted: readonly number[], target: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Writes a small file atomically: temp file, fsync, rename, fsync the directory. */
export function writeFileAtomic(dir: string, name: string, data: string | Buffer): void {
  const tmp = join(dir, `${name}.tmp`);
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncDir(dir);
}

/**
 * Replaces a file by rename without fsync: for files that are checked on load and rebuilt when
 * wrong (indexes, snapshots, the clean-shutdown marker). A process crash cannot lose them (the page
 * cache survives); a power loss can leave them empty, which loading detects or tolerates.
 */
export function writeFileReplace(dir: string, name: string, data: string | Buffer): void {
  const tmp = join(dir, `${name}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, join(dir, name));
}

export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}
