/**
 * Finds the first record at or after a timestamp inside one v2 batch, for ListOffsets by time
 * (Kafka answers with the record, not the batch). Only the record prefix is parsed:
 *   Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint …
 * Compressed record sections are handed to an injected `decompress` (the protocol layer owns the
 * codecs); without one, or on any malformed input, the answer falls back to the batch itself.
 */
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_BYTES, type BatchHeader } from './batch.js';
import { readZigzagVarint as readVarint } from './cleaner.js';

export type Decompress = (codec: number, data: Buffer) => Buffer;

/** Upper bound of records walked in one batch. */
export const TIMESTAMP_WALK_RECORDS_MAX = 1_000_000;

/**
 * Returns {offset, timestamp} of the first record with timestamp >= target in the batch at
 * `batch[0..]` (whose header is `h`), or the batch's (baseOffset, maxTimestamp) when it cannot tell.
 */
export function firstRecordAtOrAfter(batch: Buffer, h: BatchHeader, target: number, decompress?: Decompress): { offset: number; timestamp: number } {
  const base = Number(h.baseOffset);
  const fallback = { offset: base, timestamp: Number(h.maxTimestamp) };
  if ((h.attributes & ATTR_TIMESTAMP_TYPE) !== 0) return fallback; // LogAppendTime: one time for all
  const codec = h.attributes & ATTR_COMPRESSION_MASK;
  let body = batch.subarray(BATCH_HEADER_BYTES, h.sizeBytes);
  if (codec !== 0) {
    if (!decompress) return fallback;
    try {
      body = decompress(codec, body);
    } catch {
      return fallback;
    }
  }
  const baseTs = Number(h.baseTimestamp);
  const cur = { p: 0 };
  try {
    for (let i = 0; i < h.recordCount && i < TIMESTAMP_WALK_RECORDS_MAX; i++) {
      const len = readVarint(body, cur);
      const start = cur.p;
      cur.p += 1; // attributes
      const tsDelta = readVarint(body, cur);
      const offDelta = readVarint(body, cur);
      // Deltas may be negative (baseTimestamp is the first record's); anything outside the
      // header's bounds means bytes we do not understand: answer with the batch.
      if (len <= 0 || offDelta < 0 || offDelta > h.lastOffsetDelta || baseTs + tsDelta > Number(h.maxTimestamp)) return fallback;
      if (baseTs + tsDelta >= target) return { offset: base + offDelta, timestamp: baseTs + tsDelta };
      cur.p = start + len;
      if (cur.p > body.length) return fallback;
    }
  } catch {
    return fallback;
  }
  return fallback;
}
