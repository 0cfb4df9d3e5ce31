/**
 * LZ4 frame format decoder (the format Kafka uses for compression type 3).
 *
 * Frame: magic 0x184D2204 (LE), FLG (version bits 7-6 = 01, bit 5 block independence, bit 4 block
 * checksum, bit 3 content size, bit 2 content checksum, bit 0 dictionary id), BD (block max size),
 * [content size u64], [dict id u32], header checksum byte; then blocks: u32 LE size (high bit set =
 * stored uncompressed, 0 = end mark), data, [u32 block checksum]; then [u32 content checksum].
 * Checksums are skipped, not verified (the batch CRC-32C already covers these bytes, and Kafka
 * 0.8-era frames carry a wrong header checksum).
 * Block: sequences of token (literal length high nibble, match length-4 low nibble; 15 = more
 * bytes follow, each added until one is < 255), literals, u16 LE offset, match. The last sequence
 * has literals only. Several frames may follow each other.
 */
import { ErrorCode } from '../../error-codes.js';
import { KafkaProtocolError } from '../errors.js';
import { DECOMPRESSED_BYTES_MAX } from './limits.js';
import { copyWithin } from './snappy.js';

const LZ4_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

function corrupt(msg: string): KafkaProtocolError {
  return new KafkaProtocolError(`lz4: ${msg}`, ErrorCode.CORRUPT_MESSAGE);
}

/** Output buffer that doubles up to DECOMPRESSED_BYTES_MAX. */
class Out {
  buf = Buffer.allocUnsafe(64 * 1024);
  len = 0;
  reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    if (need > DECOMPRESSED_BYTES_MAX) throw corrupt('output over limit');
    const next = Buffer.allocUnsafe(Math.min(DECOMPRESSED_BYTES_MAX, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

export function lz4Decompress(src: Buffer): Buffer {
  const out = new Out();
  let p = 0;
  while (p < src.length) {
    if (p + 4 > src.length) throw corrupt('truncated magic');
    const magic = src.readUInt32LE(p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (p + 8 > src.length) throw corrupt('truncated skippable frame');
      p += 8 + src.readUInt32LE(p + 4);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw corrupt(`bad magic 0x${magic.toString(16)}`);
    p = decodeFrame(src, p + 4, out);
  }
  return out.buf.subarray(0, out.len);
}

function decodeFrame(src: Buffer, start: number, out: Out): number {
  let p = start;
  if (p + 3 > src.length) throw corrupt('truncated frame header');
  const flg = src[p++]!;
  p++; // BD: the block max size only matters to encoders
  if (flg >> 6 !== 1) throw corrupt('unsupported frame version');
  const blockChecksum = (flg & 0x10) !== 0;
  if (flg & 0x08) p += 8;
  if (flg & 0x01) p += 4;
  p++; // header checksum
  for (;;) {
    if (p + 4 > src.length) throw corrupt('truncated block size');
    const raw = src.readUInt32LE(p);
    p += 4;
    if (raw === 0) break;
    const size = raw & 0x7fffffff;
    if (p + size > src.length) throw corrupt('block exceeds input');
    if (raw & 0x80000000) {
      out.reserve(size);
      src.copy(out.buf, out.len, p, p + size);
      out.len += size;
    } else {
      decodeBlock(src, p, p + size, out);
    }
    p += size + (blockChecksum ? 4 : 0);
  }
  if (flg & 0x04) p += 4;
  if (p > src.length) throw corrupt('truncated frame trailer');
  return p;
}

function readLength(src: Buffer, p: number, end: number, base: number): [number, number] {
  let len = base;
  if (base !== 15) return [len, p];
  for (;;) {
    if (p >= end) throw corrupt('truncated length');
    const b = src[p++]!;
    len += b;
    if (len > DECOMPRESSED_BYTES_MAX) throw corrupt('length over limit');
    if (b !== 255) return [len, p];
  }
}

/** Decodes one block, appending to `out` (earlier blocks stay addressable for dependent blocks). */
export function decodeBlock(
  src: Buffer,
  start: number,
  end: number,
  out: Out | { buf: Buffer; len: number; reserve(n: number): void },
): void {
  let p = start;
  while (p < end) {
    const token = src[p++]!;
    let litLen: number;
    [litLen, p] = readLength(src, p, end, token >>> 4);
    if (p + litLen > end) throw corrupt('literals overrun');
    out.reserve(litLen);
    src.copy(out.buf, out.len, p, p + litLen);
    out.len += litLen;
    p += litLen;
    if (p === end) return; // last sequence: literals only
    if (p + 2 > end) throw corrupt('truncated offset');
    const offset = src[p]! | (src[p + 1]! << 8);
    p += 2;
    let matchLen: number;
    [matchLen, p] = readLength(src, p, end, token & 15);
    matchLen += 4;
    if (offset === 0 || offset > out.len) throw corrupt('bad match offset');
    out.reserve(matchLen);
    copyWithin(out.buf, out.len, offset, matchLen);
    out.len += matchLen;
  }
}

/** A valid LZ4 frame holding the input as stored (uncompressed) blocks: for tests and the CLI. */
export function lz4FrameStored(src: Uint8Array): Buffer {
  const BLOCK = 64 * 1024;
  // FLG 0x60: version 01, independent blocks; BD 0x40: 64 KiB blocks; header checksum byte
  // ((xxh32(descriptor) >> 8) & 0xff = 0x82 for 60 40; the lz4 CLI test decodes this frame).
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])];
  for (let p = 0; p < src.length; p += BLOCK) {
    const len = Math.min(BLOCK, src.length - p);
    const h = Buffer.alloc(4);
    h.writeUInt32LE((len | 0x80000000) >>> 0, 0);
    parts.push(h, Buffer.from(src.buffer, src.byteOffset + p, len));
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}
