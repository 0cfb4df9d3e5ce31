/**
 * Records inside a v2 record batch, and legacy message sets (magic 0/1) for decoding only.
 *
 * v2 record grammar (after the 61-byte batch header, possibly compressed as a whole):
 *   Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint
 *             keyLength:varint key valueLength:varint value headerCount:varint Header*
 *   Header => keyLength:varint key(utf8) valueLength:varint value      (length -1 = null)
 * Legacy message (magic 0/1):
 *   offset:int64 size:int32 crc:int32 magic:int8 attributes:int8 [timestamp:int64 if magic 1]
 *   key:bytes value:bytes        — a compressed wrapper's value is an inner message set; Kafka
 *                                  allows one level of nesting, so decoding loops without recursion.
 * Framing and CRC of batches are K2's (src/kafka/storage/batch.ts); this file decodes contents.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  buildBatch,
  readBatchHeader,
  type BatchHeader,
} from '../storage/batch.js';
import { compress, decompress } from './compression/index.js';
import { ErrorCode } from '../error-codes.js';
import { KafkaProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Upper bound of records in one batch, whatever its header claims. */
export const RECORDS_PER_BATCH_MAX = 1_000_000;
/** Upper bound of headers on one record. */
export const HEADERS_PER_RECORD_MAX = 10_000;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  header: BatchHeader;
  isControl: boolean;
  records: KafkaRecord[];
}

export interface NewRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | null> | RecordHeader[];
  timestamp?: number;
}

function corrupt(msg: string): KafkaProtocolError {
  return new KafkaProtocolError(msg, ErrorCode.CORRUPT_MESSAGE);
}

function varBytes(r: Reader): Buffer | null {
  const len = r.varint();
  if (len < -1) throw corrupt(`bad length ${len}`);
  return len === -1 ? null : r.raw(len);
}

/** Decodes the records of the batch starting at `pos` (framing assumed valid). */
export function decodeBatchRecords(buf: Buffer, pos = 0): DecodedBatch {
  if (buf.length - pos < BATCH_HEADER_BYTES) throw corrupt('truncated batch header');
  const header = readBatchHeader(buf, pos);
  if (header.magic !== 2) throw corrupt(`magic ${header.magic} is not a v2 batch`);
  const end = pos + header.sizeBytes;
  if (end > buf.length || header.sizeBytes < BATCH_HEADER_BYTES) throw corrupt('batch length exceeds buffer');
  if (header.recordCount < 0 || header.recordCount > RECORDS_PER_BATCH_MAX)
    throw corrupt(`bad record count ${header.recordCount}`);
  const body = decompress(
    header.attributes & ATTR_COMPRESSION_MASK,
    buf.subarray(pos + BATCH_HEADER_BYTES, end),
  );
  const r = new Reader(body);
  const baseOffset = Number(header.baseOffset);
  const baseTs = Number(header.baseTimestamp);
  const records: KafkaRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const len = r.varint();
    if (len < 0 || len > r.remaining) throw corrupt(`bad record length ${len}`);
    const recEnd = r.pos + len;
    r.int8(); // record attributes: unused
    const tsDelta = Number(r.varlong());
    const offDelta = r.varint();
    const key = varBytes(r);
    const value = varBytes(r);
    const nh = r.varint();
    if (nh < 0 || nh > HEADERS_PER_RECORD_MAX) throw corrupt(`bad header count ${nh}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < nh; h++) {
      const k = varBytes(r);
      if (k === null) throw corrupt('null header key');
      headers.push({ key: k.toString('utf8'), value: varBytes(r) });
    }
    if (r.pos !== recEnd) throw corrupt('record length mismatch');
    records.push({ offset: baseOffset + offDelta, timestamp: baseTs + tsDelta, key, value, headers });
  }
  return { header, isControl: (header.attributes & ATTR_CONTROL) !== 0, records };
}

/**
 * Decodes every whole batch in `buf` (a Fetch partition's records). A partial batch at the end,
 * which Fetch may return, is ignored as Kafka clients do. v0/v1 message sets are decoded too.
 */
export function decodeRecordSet(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (buf.length - pos >= BATCH_LOG_OVERHEAD_BYTES + 5) {
    const size = buf.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD_BYTES;
    if (size < BATCH_LOG_OVERHEAD_BYTES || pos + size > buf.length) break;
    const magic = buf.readInt8(pos + 16);
    if (magic === 2) out.push(decodeBatchRecords(buf, pos));
    else out.push(decodeLegacyMessage(buf, pos, size));
    pos += size;
  }
  return out;
}

interface LegacyMessage {
  offset: number;
  magic: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function readLegacy(r: Reader): LegacyMessage {
  const offset = Number(r.int64());
  const size = r.int32();
  if (size < 14 || size > r.remaining) throw corrupt(`bad legacy message size ${size}`);
  const end = r.pos + size;
  r.uint32(); // crc: legacy CRC-32 (not C); not checked here
  const magic = r.int8();
  const attributes = r.int8();
  const timestamp = magic >= 1 ? Number(r.int64()) : -1;
  const key = r.nullableBytes();
  const value = r.nullableBytes();
  if (r.pos !== end) throw corrupt('legacy message size mismatch');
  return { offset, magic, attributes, timestamp, key, value };
}

/** Decodes one legacy message (and its inner set when compressed) as a pseudo batch. */
function decodeLegacyMessage(buf: Buffer, pos: number, size: number): DecodedBatch {
  const outer = readLegacy(new Reader(buf, pos, pos + size));
  const codec = outer.attributes & ATTR_COMPRESSION_MASK;
  let messages: LegacyMessage[] = [outer];
  if (codec !== 0 && outer.value) {
    const inner = new Reader(decompress(codec, outer.value));
    messages = [];
    while (inner.remaining > 0) messages.push(readLegacy(inner));
    // Magic 1 wrappers carry the offset of the last inner message; inner offsets are relative.
    const last = messages[messages.length - 1];
    if (outer.magic >= 1 && last) {
      const shift = outer.offset - last.offset;
      for (const m of messages) m.offset += shift;
    }
  }
  const header = readBatchHeader(Buffer.alloc(BATCH_HEADER_BYTES), 0);
  header.position = pos;
  header.sizeBytes = size;
  header.magic = outer.magic;
  header.baseOffset = BigInt(messages[0]?.offset ?? outer.offset);
  header.recordCount = messages.length;
  return {
    header,
    isControl: false,
    records: messages.map((m) => ({
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key,
      value: m.value,
      headers: [],
    })),
  };
}

const toBuf = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.varint(-1);
  else {
    w.varint(b.length);
    w.raw(b);
  }
}

export interface EncodeBatchOptions {
  compression?: number;
  baseOffset?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** Used for records without a timestamp (default Date.now()). */
  nowMs?: number;
}

/** Encodes records into one v2 batch with a valid CRC (for the CLI producer and tests). */
export function encodeBatch(records: readonly NewRecord[], opts: EncodeBatchOptions = {}): Buffer {
  if (records.length === 0) throw new RangeError('a batch needs at least one record');
  const now = opts.nowMs ?? Date.now();
  const ts = records.map((rec) => rec.timestamp ?? now);
  const baseTs = Math.min(...ts);
  const maxTs = Math.max(...ts);
  const body = new Writer();
  records.forEach((r, i) => {
    const headers: RecordHeader[] = Array.isArray(r.headers)
      ? r.headers
      : Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: toBuf(value) }));
    const rec = new Writer();
    rec.int8(0);
    rec.varlong(BigInt(ts[i]! - baseTs));
    rec.varint(i);
    writeVarBytes(rec, toBuf(r.key));
    writeVarBytes(rec, toBuf(r.value));
    rec.varint(headers.length);
    for (const h of headers) {
      writeVarBytes(rec, Buffer.from(h.key, 'utf8'));
      writeVarBytes(rec, h.value);
    }
    body.varint(rec.length);
    body.appendWriter(rec);
  });
  const compression = opts.compression ?? 0;
  const data = compress(compression, body.toBuffer());
  return buildBatch(data, {
    baseOffset: opts.baseOffset ?? 0n,
    attributes: compression | (opts.transactional ? 0x10 : 0),
    lastOffsetDelta: records.length - 1,
    baseTimestamp: BigInt(baseTs),
    maxTimestamp: BigInt(maxTs),
    producerId: opts.producerId ?? -1n,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    recordCount: records.length,
  });
}
