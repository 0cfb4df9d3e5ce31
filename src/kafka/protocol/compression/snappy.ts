/**
 * Snappy decoder (raw format) plus the xerial stream framing Java clients use in Kafka.
 *
 * Raw grammar: preamble uvarint(uncompressed length), then elements until the input ends:
 *   tag & 3 == 0  literal: len-1 = tag>>2 (<60), or 60..63 → the next 1..4 bytes (LE) hold len-1
 *   tag & 3 == 1  copy: len = 4 + ((tag>>2) & 7), offset = ((tag>>5) << 8) | next byte
 *   tag & 3 == 2  copy: len = (tag>>2) + 1, offset = next 2 bytes LE
 *   tag & 3 == 3  copy: len = (tag>>2) + 1, offset = next 4 bytes LE
 * Xerial framing: 8-byte magic 0x82 "SNAPPY" 0x00, int32 version, int32 compatible version, then
 * repeated (int32 BE block length, raw snappy block).
 */
import { ErrorCode } from '../../error-codes.js';
import { KafkaProtocolError } from '../errors.js';
import { DECOMPRESSED_BYTES_MAX } from './limits.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function corrupt(msg: string): KafkaProtocolError {
  return new KafkaProtocolError(`snappy: ${msg}`, ErrorCode.CORRUPT_MESSAGE);
}

export function isXerial(src: Uint8Array): boolean {
  return src.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.equals(src.subarray(0, 8));
}

/** Decodes raw snappy or xerial-framed snappy. */
export function snappyDecompress(src: Buffer): Buffer {
  if (!isXerial(src)) return snappyDecodeRaw(src, 0, src.length);
  const parts: Buffer[] = [];
  let total = 0;
  let p = XERIAL_HEADER_BYTES;
  while (p < src.length) {
    if (p + 4 > src.length) throw corrupt('truncated xerial block length');
    const len = src.readInt32BE(p);
    p += 4;
    if (len < 0 || p + len > src.length) throw corrupt('xerial block exceeds input');
    const block = snappyDecodeRaw(src, p, p + len);
    total += block.length;
    if (total > DECOMPRESSED_BYTES_MAX) throw corrupt('output over limit');
    parts.push(block);
    p += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function readUvarint(src: Uint8Array, pos: number, end: number): [number, number] {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw corrupt('truncated length');
    const b = src[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
  }
  throw corrupt('length varint too long');
}

export function snappyDecodeRaw(src: Uint8Array, start: number, end: number): Buffer {
  const [outLen, p0] = readUvarint(src, start, end);
  if (outLen > DECOMPRESSED_BYTES_MAX) throw corrupt(`claims ${outLen} bytes`);
  const out = Buffer.allocUnsafe(outLen);
  let o = 0;
  let p = p0;
  while (p < end) {
    const tag = src[p++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const n = len - 59;
        if (p + n > end) throw corrupt('truncated literal length');
        len = 0;
        for (let i = 0; i < n; i++) len += src[p + i]! * 2 ** (8 * i);
        p += n;
      }
      len += 1;
      if (p + len > end || o + len > outLen) throw corrupt('literal overruns');
      out.set(src.subarray(p, p + len), o);
      p += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (p + 1 > end) throw corrupt('truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[p++]!;
    } else if (kind === 2) {
      if (p + 2 > end) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[p]! | (src[p + 1]! << 8);
      p += 2;
    } else {
      if (p + 4 > end) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16)) + src[p + 3]! * 2 ** 24;
      p += 4;
    }
    if (offset === 0 || offset > o || o + len > outLen) throw corrupt('bad copy');
    copyWithin(out, o, offset, len);
    o += len;
  }
  if (o !== outLen) throw corrupt(`decoded ${o} of ${outLen} bytes`);
  return out;
}

/** Back-reference copy; overlapping copies (offset < len) repeat the pattern, as LZ77 requires. */
export function copyWithin(out: Buffer, o: number, offset: number, len: number): void {
  const from = o - offset;
  if (offset >= len) {
    out.copyWithin(o, from, from + len);
    return;
  }
  for (let i = 0; i < len; i++) out[o + i] = out[from + i]!;
}

/**
 * A valid raw snappy encoding using literals only: enough for tests and the CLI producer, which
 * care about compatibility, not ratio.
 */
export function snappyCompressLiteral(src: Uint8Array): Buffer {
  const chunks: Buffer[] = [];
  const pre: number[] = [];
  let n = src.length;
  while (n >= 0x80) {
    pre.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  pre.push(n);
  chunks.push(Buffer.from(pre));
  const LITERAL_MAX = 65536;
  for (let p = 0; p < src.length; p += LITERAL_MAX) {
    const len = Math.min(LITERAL_MAX, src.length - p);
    const hdr =
      len - 1 < 60
        ? Buffer.from([(len - 1) << 2])
        : Buffer.from([61 << 2, (len - 1) & 0xff, (len - 1) >>> 8]);
    chunks.push(hdr, Buffer.from(src.buffer, src.byteOffset + p, len));
  }
  return Buffer.concat(chunks);
}

/** Wraps raw snappy blocks in xerial framing, as the Java client writes them. */
export function xerialFrame(rawBlocks: Buffer[]): Buffer {
  const hdr = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(hdr, 0);
  hdr.writeInt32BE(1, 8);
  hdr.writeInt32BE(1, 12);
  const parts: Buffer[] = [hdr];
  for (const b of rawBlocks) {
    const l = Buffer.alloc(4);
    l.writeInt32BE(b.length, 0);
    parts.push(l, b);
  }
  return Buffer.concat(parts);
}
