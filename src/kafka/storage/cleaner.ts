/**
 * Record-level work of log compaction (cleanup.policy=compact), as Kafka's log cleaner does it:
 *   - walkRecords: the records of one v2 batch (decompressed by an injected codec), with each
 *     record's offset, key bytes and whether it is a tombstone (null value);
 *   - rewriteBatch: re-encodes a batch keeping only some records. The batch keeps its baseOffset,
 *     lastOffsetDelta, producer id/epoch, base sequence, leader epoch, compression codec and
 *     attribute bits (Kafka's cleaner overrides the last offset to the original one, so offsets
 *     never move and the producer's sequence range stays whole). Records keep their offsetDelta;
 *     timestamp deltas are recomputed against the new baseTimestamp. CRC-32C is recomputed.
 *   - Delete horizon (KIP-534): a batch holding tombstones gets attribute bit 6 and its
 *     baseTimestamp becomes "now + delete.retention.ms" the first time it is cleaned; a later
 *     clean after that time drops the tombstones.
 * The storage layer does not own the codecs (src/kafka/protocol/compression does); they come in
 * through `RecordCodecs`, like `Decompress` in record-timestamps.ts.
 *
 * Record grammar (after the 61-byte header, possibly compressed as a whole):
 *   Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint
 *             keyLength:varint key valueLength:varint value headerCount:varint Header*
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  CRC_START,
  OFF_ATTRIBUTES,
  OFF_BASE_TIMESTAMP,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_MAX_TIMESTAMP,
  OFF_RECORD_COUNT,
  type BatchHeader,
} from './batch.js';
import { crc32c } from './crc32c.js';

/** Attribute bit 6: baseTimestamp holds the delete horizon (KIP-534). */
export const ATTR_DELETE_HORIZON = 0x40;
/** Upper bound of records walked in one batch, whatever its header claims. */
export const CLEANER_RECORDS_PER_BATCH_MAX = 1_000_000;
/** Longest varint prefix a record can gain when its timestamp delta is re-encoded (10 + 5 bytes). */
const RECORD_PREFIX_GROWTH_MAX = 16;

export interface RecordCodecs {
  decompress(codec: number, data: Buffer): Buffer;
  compress(codec: number, data: Buffer): Buffer;
}

/** One record of a batch: where it is in the (decompressed) body, and what compaction needs. */
export interface RecordView {
  /** Absolute offset. */
  offset: number;
  timestamp: number;
  /** Key bytes (a view into the body), or null for a keyless record. */
  key: Buffer | null;
  tombstone: boolean;
  /** Body position of the attributes byte, of keyLength (what follows the prefix), and the end. */
  attrPos: number;
  restPos: number;
  end: number;
}

export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

/** The batch's record section, decompressed when needed (a view into `batch` when uncompressed). */
export function batchBody(batch: Buffer, h: BatchHeader, codecs: Pick<RecordCodecs, 'decompress'>): Buffer {
  const raw = batch.subarray(h.position + BATCH_HEADER_BYTES, h.position + h.sizeBytes);
  const codec = h.attributes & ATTR_COMPRESSION_MASK;
  return codec === 0 ? raw : codecs.decompress(codec, raw);
}

/** Parses every record of a batch body. Throws RecordFormatError on malformed input. */
export function walkRecords(body: Buffer, h: BatchHeader): RecordView[] {
  const out: RecordView[] = [];
  const base = Number(h.baseOffset);
  const baseTs = Number(h.baseTimestamp);
  const cur = { p: 0 };
  const n = Math.min(h.recordCount, CLEANER_RECORDS_PER_BATCH_MAX);
  for (let i = 0; i < n; i++) {
    const len = readZigzagVarint(body, cur);
    const attrPos = cur.p;
    const end = attrPos + len;
    if (len <= 0 || end > body.length)
      throw new RecordFormatError(`record ${i}: length ${len} past the batch`);
    cur.p++;
    const tsDelta = readZigzagVarint(body, cur);
    const offDelta = readZigzagVarint(body, cur);
    if (offDelta < 0 || offDelta > h.lastOffsetDelta)
      throw new RecordFormatError(`record ${i}: offsetDelta ${offDelta}`);
    const restPos = cur.p;
    const keyLen = readZigzagVarint(body, cur);
    const keyStart = cur.p;
    if (keyLen > 0) cur.p += keyLen;
    const valueLen = cur.p <= end ? readZigzagVarint(body, cur) : -2;
    if (keyLen < -1 || valueLen < -1 || cur.p > end)
      throw new RecordFormatError(`record ${i}: key/value lengths`);
    out.push({
      offset: base + offDelta,
      timestamp: baseTs + tsDelta,
      key: keyLen < 0 ? null : body.subarray(keyStart, keyStart + keyLen),
      tombstone: valueLen < 0,
      attrPos,
      restPos,
      end,
    });
    cur.p = end;
  }
  return out;
}

/**
 * Builds a batch from `h`'s header and the `kept` records of `body`, with a delete horizon when
 * `deleteHorizonMs` >= 0. Offsets, producer fields and the codec stay those of the original.
 */
export function rewriteBatch(
  batch: Buffer,
  h: BatchHeader,
  body: Buffer,
  kept: readonly RecordView[],
  deleteHorizonMs: number,
  codecs: Pick<RecordCodecs, 'compress'>,
): Buffer {
  const logAppendTime = (h.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  let maxTs = logAppendTime ? Number(h.maxTimestamp) : -1;
  if (!logAppendTime) for (const r of kept) if (r.timestamp > maxTs) maxTs = r.timestamp;
  const baseTs =
    deleteHorizonMs >= 0 ? deleteHorizonMs : kept.length > 0 ? kept[0]!.timestamp : Number(h.baseTimestamp);
  let bound = 0;
  for (const r of kept) bound += r.end - r.attrPos + RECORD_PREFIX_GROWTH_MAX;
  const records = Buffer.allocUnsafe(bound);
  let p = 0;
  for (const r of kept) {
    const restLen = r.end - r.restPos;
    const tsDelta = r.timestamp - baseTs;
    const offDelta = r.offset - Number(h.baseOffset);
    const len = 1 + varintSize(tsDelta) + varintSize(offDelta) + restLen;
    p = writeVarint(records, p, len);
    records[p++] = body[r.attrPos]!;
    p = writeVarint(records, p, tsDelta);
    p = writeVarint(records, p, offDelta);
    p += body.copy(records, p, r.restPos, r.end);
  }
  const codec = h.attributes & ATTR_COMPRESSION_MASK;
  const section = codec === 0 ? records.subarray(0, p) : codecs.compress(codec, records.subarray(0, p));
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + section.length);
  batch.copy(out, 0, h.position, h.position + BATCH_HEADER_BYTES);
  section.copy(out, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD_BYTES, OFF_BATCH_LENGTH);
  let attributes = h.attributes & ~ATTR_DELETE_HORIZON;
  if (deleteHorizonMs >= 0) attributes |= ATTR_DELETE_HORIZON;
  out.writeInt16BE(attributes, OFF_ATTRIBUTES);
  out.writeBigInt64BE(BigInt(baseTs), OFF_BASE_TIMESTAMP);
  out.writeBigInt64BE(BigInt(maxTs), OFF_MAX_TIMESTAMP);
  out.writeInt32BE(kept.length, OFF_RECORD_COUNT);
  out.writeUInt32BE(crc32c(out, CRC_START, out.length), OFF_CRC);
  return out;
}

/** The batch's delete horizon, or -1 when it has none. */
export function deleteHorizonOf(h: BatchHeader): number {
  return (h.attributes & ATTR_DELETE_HORIZON) !== 0 ? Number(h.baseTimestamp) : -1;
}

/**
 * The offset map's key for a record key: its bytes as a latin1 string, exact (no hash collisions,
 * unlike Kafka's MD5 map); the caller bounds the map by total key bytes instead.
 */
export function keyOf(key: Buffer): string {
  return key.toString('latin1');
}

/** Zigzag varint (up to 64-bit magnitudes as JS numbers; offsets and timestamps fit in 2^53). */
export function readZigzagVarint(b: Buffer, cur: { p: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (cur.p >= b.length) throw new RecordFormatError('varint past the end of the batch');
    const byte = b[cur.p++]!;
    result += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    mul *= 128;
  }
  throw new RecordFormatError('varint longer than 10 bytes');
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function varintSize(n: number): number {
  let z = zigzag(n);
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

function writeVarint(b: Buffer, p: number, n: number): number {
  let z = zigzag(n);
  while (z >= 128) {
    b[p++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  b[p++] = z;
  return p;
}
