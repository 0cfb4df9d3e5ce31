/**
 * Kafka record batch v2 framing (magic 2), the unit the broker stores opaque.
 *
 * Grammar (big-endian), byte offsets in brackets:
 *   RecordBatch =>
 *     baseOffset int64            [0]   rewritten by the broker on append (not under the CRC)
 *     batchLength int32           [8]   bytes after this field = total length - 12
 *     partitionLeaderEpoch int32  [12]  rewritten by the broker (not under the CRC)
 *     magic int8                  [16]  must be 2
 *     crc uint32                  [17]  CRC-32C of bytes [21, end)
 *     attributes int16            [21]  bits 0-2 compression, 3 timestampType, 4 transactional, 5 control
 *     lastOffsetDelta int32       [23]
 *     baseTimestamp int64         [27]
 *     maxTimestamp int64          [35]
 *     producerId int64            [43]
 *     producerEpoch int16         [51]
 *     baseSequence int32          [53]
 *     recordCount int32           [57]
 *     records                     [61]  opaque here (possibly compressed)
 *
 * API (used by the storage layer and by K1's produce/fetch handlers; no wire types):
 *   - readBatchHeader(buf, pos)       → BatchHeader (fields above) without checking anything
 *   - validateBatch(buf, pos, limit)  → BatchHeader or throws BatchError (framing, magic, CRC, counts)
 *   - splitBatches(buf, opts)         → validated headers of every batch in a produce's records blob
 *   - scanBatches(buf, start, end)    → tolerant walk for recovery/reads: stops at the first bad batch
 *   - setBaseOffset / setLeaderEpoch  → in-place rewrites (the CRC stays valid)
 *   - batchNextOffset(h)              → baseOffset + lastOffsetDelta + 1
 */
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_BYTES = 61;
/** Length of baseOffset + batchLength: the part not counted in batchLength. */
export const BATCH_LOG_OVERHEAD_BYTES = 12;
export const BATCH_MAGIC_V2 = 2;
export const CRC_START = 21;
/** Default upper bound of one batch; topics lower it with max.message.bytes. */
export const BATCH_BYTES_MAX_DEFAULT = 1_048_588;
/** Hard ceiling on a single batch whatever the config says (100 MiB, Kafka's socket request limit). */
export const BATCH_BYTES_HARD_MAX = 104_857_600;

export const OFF_BASE_OFFSET = 0;
export const OFF_BATCH_LENGTH = 8;
export const OFF_LEADER_EPOCH = 12;
export const OFF_MAGIC = 16;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_BASE_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_RECORD_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

export enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export interface BatchHeader {
  /** Where the batch starts in the buffer it was read from. */
  position: number;
  /** Total bytes of the batch including the 12-byte log overhead. */
  sizeBytes: number;
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export type BatchErrorKind =
  | 'truncated' // fewer bytes than the header or batchLength says
  | 'bad-length' // batchLength below the header size or above the limit
  | 'bad-magic' // not v2 (v0/v1 message sets are not accepted)
  | 'bad-crc'
  | 'bad-count'; // recordCount / lastOffsetDelta inconsistent

/** A malformed batch. Handlers map it to CORRUPT_MESSAGE (2) or MESSAGE_TOO_LARGE (10, kind 'bad-length' with tooLarge). */
export class BatchError extends Error {
  constructor(
    readonly kind: BatchErrorKind,
    message: string,
    readonly position: number,
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = 'BatchError';
  }
}

export function readBatchHeader(buf: Buffer, pos: number): BatchHeader {
  const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
  return {
    position: pos,
    sizeBytes: batchLength + BATCH_LOG_OVERHEAD_BYTES,
    baseOffset: buf.readBigInt64BE(pos + OFF_BASE_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + OFF_LEADER_EPOCH),
    magic: buf.readInt8(pos + OFF_MAGIC),
    crc: buf.readUInt32BE(pos + OFF_CRC),
    attributes: buf.readInt16BE(pos + OFF_ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + OFF_BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + OFF_MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + OFF_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + OFF_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + OFF_BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + OFF_RECORD_COUNT),
  };
}

/**
 * Checks the framing of the batch at `pos` (which must end at or before `limit`) and its CRC.
 * Returns the parsed header; throws BatchError on anything wrong. Never reads past `limit`.
 */
export function validateBatch(
  buf: Buffer,
  pos: number,
  limit = buf.length,
  maxBatchBytes = BATCH_BYTES_HARD_MAX,
): BatchHeader {
  const available = limit - pos;
  if (available < BATCH_LOG_OVERHEAD_BYTES) {
    throw new BatchError('truncated', `batch at ${pos}: ${available} bytes, need the 12-byte log overhead`, pos);
  }
  const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
  const sizeBytes = batchLength + BATCH_LOG_OVERHEAD_BYTES;
  if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) {
    throw new BatchError('bad-length', `batch at ${pos}: batchLength ${batchLength} below header size`, pos);
  }
  if (sizeBytes > maxBatchBytes) {
    throw new BatchError('bad-length', `batch at ${pos}: ${sizeBytes} bytes over limit ${maxBatchBytes}`, pos, true);
  }
  if (available < sizeBytes) {
    throw new BatchError('truncated', `batch at ${pos}: ${available} of ${sizeBytes} bytes present`, pos);
  }
  const magic = buf.readInt8(pos + OFF_MAGIC);
  if (magic !== BATCH_MAGIC_V2) {
    throw new BatchError('bad-magic', `batch at ${pos}: magic ${magic}, only v2 is supported`, pos);
  }
  const stored = buf.readUInt32BE(pos + OFF_CRC);
  const actual = crc32c(buf, pos + CRC_START, pos + sizeBytes);
  if (stored !== actual) {
    throw new BatchError('bad-crc', `batch at ${pos}: crc ${stored.toString(16)} != ${actual.toString(16)}`, pos);
  }
  const h = readBatchHeader(buf, pos);
  if (h.recordCount < 0 || h.lastOffsetDelta < 0 || (h.recordCount > 0 && h.lastOffsetDelta < h.recordCount - 1)) {
    throw new BatchError(
      'bad-count',
      `batch at ${pos}: recordCount ${h.recordCount}, lastOffsetDelta ${h.lastOffsetDelta}`,
      pos,
    );
  }
  return h;
}

export interface SplitOptions {
  /** Per-batch size limit (max.message.bytes). */
  maxBatchBytes?: number;
  /** Upper bound on batches in one blob, so a client cannot make us build a huge array. */
  maxBatches?: number;
}

/** Upper bound on batches accepted in one partition's produce data. */
export const BATCHES_PER_PRODUCE_MAX = 10_000;

/**
 * Validates every batch of a produce request's records blob for one partition. The blob must be a
 * whole number of batches (a trailing partial batch is corrupt input from a producer).
 */
export function splitBatches(buf: Buffer, opts: SplitOptions = {}): BatchHeader[] {
  const maxBatches = opts.maxBatches ?? BATCHES_PER_PRODUCE_MAX;
  const out: BatchHeader[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (out.length >= maxBatches) {
      throw new BatchError('bad-count', `more than ${maxBatches} batches in one produce`, pos);
    }
    const h = validateBatch(buf, pos, buf.length, opts.maxBatchBytes);
    out.push(h);
    pos += h.sizeBytes;
  }
  return out;
}

export interface ScanResult {
  headers: BatchHeader[];
  /** First byte not covered by a valid batch (== end when everything was valid). */
  validEnd: number;
  /** Why the scan stopped early, or null. */
  error: BatchError | null;
}

/**
 * Walks batches in [start, end) with full validation, stopping at the first invalid one (a torn
 * tail after a crash). `verifyCrc` false skips the CRC for fast trusted scans.
 */
export function scanBatches(buf: Buffer, start = 0, end = buf.length, maxBatchBytes = BATCH_BYTES_HARD_MAX): ScanResult {
  const headers: BatchHeader[] = [];
  let pos = start;
  while (pos < end) {
    try {
      const h = validateBatch(buf, pos, end, maxBatchBytes);
      headers.push(h);
      pos += h.sizeBytes;
    } catch (e) {
      if (e instanceof BatchError) return { headers, validEnd: pos, error: e };
      throw e;
    }
  }
  return { headers, validEnd: pos, error: null };
}

export function setBaseOffset(buf: Buffer, pos: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, pos + OFF_BASE_OFFSET);
}

export function setLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + OFF_LEADER_EPOCH);
}

/** Offset after the last record of the batch. */
export function batchNextOffset(h: BatchHeader): bigint {
  return h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
}

export function batchCompression(h: BatchHeader): Compression {
  return (h.attributes & ATTR_COMPRESSION_MASK) as Compression;
}

export function isControlBatch(h: BatchHeader): boolean {
  return (h.attributes & ATTR_CONTROL) !== 0;
}

export function isTransactionalBatch(h: BatchHeader): boolean {
  return (h.attributes & ATTR_TRANSACTIONAL) !== 0;
}

export interface BuildBatchOptions {
  baseOffset?: bigint;
  attributes?: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  recordCount: number;
  partitionLeaderEpoch?: number;
}

/**
 * Frames already-encoded records (possibly compressed) into a v2 batch with a correct CRC.
 * Used by tests and the CLI client; K1's records codec produces `records`.
 */
export function buildBatch(records: Buffer, o: BuildBatchOptions): Buffer {
  const buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES + records.length);
  buf.writeBigInt64BE(o.baseOffset ?? 0n, OFF_BASE_OFFSET);
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD_BYTES, OFF_BATCH_LENGTH);
  buf.writeInt32BE(o.partitionLeaderEpoch ?? -1, OFF_LEADER_EPOCH);
  buf.writeInt8(BATCH_MAGIC_V2, OFF_MAGIC);
  buf.writeInt16BE(o.attributes ?? 0, OFF_ATTRIBUTES);
  buf.writeInt32BE(o.lastOffsetDelta, OFF_LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(o.baseTimestamp, OFF_BASE_TIMESTAMP);
  buf.writeBigInt64BE(o.maxTimestamp, OFF_MAX_TIMESTAMP);
  buf.writeBigInt64BE(o.producerId ?? -1n, OFF_PRODUCER_ID);
  buf.writeInt16BE(o.producerEpoch ?? -1, OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(o.baseSequence ?? -1, OFF_BASE_SEQUENCE);
  buf.writeInt32BE(o.recordCount, OFF_RECORD_COUNT);
  records.copy(buf, BATCH_HEADER_BYTES);
  buf.writeUInt32BE(crc32c(buf, CRC_START, buf.length), OFF_CRC);
  return buf;
}
