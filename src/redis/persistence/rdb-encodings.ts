/**
 * Decoders for the compact blobs real Redis puts inside RDB strings: LZF-compressed strings,
 * listpacks (Redis ≥ 7), ziplists (Redis < 7) and intsets. Pure functions over a byte range; every
 * read is bounds-checked and failures throw RdbFormatError with the offset inside the blob.
 *
 * Grammars (all integers little-endian unless noted):
 *   LZF      ctrl < 32: literal of ctrl+1 bytes; else back-reference of (ctrl>>5)+2 bytes
 *            (len 7 takes one extra length byte), distance ((ctrl&31)<<8 | next) + 1.
 *   listpack u32 total-bytes, u16 count, entries, 0xFF. Entry = encoding+data, then backlen
 *            (1..5 bytes). Encodings: 0xxxxxxx 7-bit uint; 10xxxxxx 6-bit strlen; 110xxxxx +1B
 *            13-bit int; 1110xxxx +1B 12-bit strlen (big-endian); F0 +u32 strlen; F1 i16; F2 i24;
 *            F3 i32; F4 i64.
 *   ziplist  u32 zlbytes, u32 zltail, u16 count, entries, 0xFF. Entry = prevlen (1 byte, or FE +
 *            u32), encoding, data. 00xxxxxx 6-bit strlen; 01xxxxxx +1B 14-bit strlen (BE);
 *            10000000 + u32 BE strlen; C0 i16; D0 i32; E0 i64; F0 i24; FE i8; F1..FD imm 0..12.
 *   intset   u32 width (2|4|8), u32 count, count signed ints of that width.
 *
 * Integers inside blobs are Redis strings to the user, so they come back as decimal Buffers.
 */
import { RdbFormatError } from './errors.js';

/** LZF cannot expand by more than ~264/3 per input byte; anything claiming more is hostile. */
export const LZF_MAX_EXPANSION_RATIO = 100;

export function lzfDecompress(src: Buffer, start: number, end: number, outLen: number): Buffer {
  if (outLen > (end - start) * LZF_MAX_EXPANSION_RATIO + 64) {
    throw new RdbFormatError(`LZF claims ${outLen} bytes from ${end - start}`, start);
  }
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = src[ip++] as number;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (ip + n > end || op + n > outLen) throw new RdbFormatError('LZF literal overruns', ip);
      src.copy(out, op, ip, ip + n);
      ip += n;
      op += n;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= end) throw new RdbFormatError('LZF truncated length', ip);
      len += src[ip++] as number;
    }
    if (ip >= end) throw new RdbFormatError('LZF truncated reference', ip);
    const ref = op - ((ctrl & 0x1f) << 8) - (src[ip++] as number) - 1;
    len += 2;
    if (ref < 0 || op + len > outLen) throw new RdbFormatError('LZF reference out of range', ip);
    // Overlapping copies are the point of LZF runs, so copy byte by byte.
    for (let i = 0; i < len; i++) out[op + i] = out[ref + i] as number;
    op += len;
  }
  if (op !== outLen) throw new RdbFormatError(`LZF produced ${op} of ${outLen} bytes`, ip);
  return out;
}

function intBuf(n: number | bigint): Buffer {
  return Buffer.from(String(n), 'latin1');
}

function need(blob: Buffer, pos: number, n: number, end: number, what: string): void {
  if (pos + n > end) throw new RdbFormatError(`${what} overruns its blob`, pos);
}

/** Appends every element of the listpack in blob[start, end) to out. */
export function listpackEntries(blob: Buffer, start: number, end: number, out: Buffer[]): void {
  const LP_HEADER_BYTES = 6;
  need(blob, start, LP_HEADER_BYTES + 1, end, 'listpack header');
  const total = blob.readUInt32LE(start);
  if (total !== end - start) throw new RdbFormatError('listpack size mismatch', start);
  let p = start + LP_HEADER_BYTES;
  for (;;) {
    need(blob, p, 1, end, 'listpack entry');
    const b = blob[p] as number;
    if (b === 0xff) break;
    const entryStart = p;
    if (b < 0x80) {
      out.push(intBuf(b));
      p += 1;
    } else if ((b & 0xc0) === 0x80) {
      const n = b & 0x3f;
      need(blob, p + 1, n, end, 'listpack string');
      out.push(Buffer.from(blob.subarray(p + 1, p + 1 + n)));
      p += 1 + n;
    } else if ((b & 0xe0) === 0xc0) {
      need(blob, p, 2, end, 'listpack int13');
      let v = ((b & 0x1f) << 8) | (blob[p + 1] as number);
      if (v >= 1 << 12) v -= 1 << 13;
      out.push(intBuf(v));
      p += 2;
    } else if ((b & 0xf0) === 0xe0) {
      need(blob, p, 2, end, 'listpack str12');
      const n = ((b & 0x0f) << 8) | (blob[p + 1] as number);
      need(blob, p + 2, n, end, 'listpack string');
      out.push(Buffer.from(blob.subarray(p + 2, p + 2 + n)));
      p += 2 + n;
    } else {
      p = listpackWideEntry(blob, p, end, out);
    }
    p += backlenBytes(p - entryStart);
  }
  if (p + 1 !== end) throw new RdbFormatError('listpack terminator before end', p);
}

function listpackWideEntry(blob: Buffer, p: number, end: number, out: Buffer[]): number {
  const b = blob[p] as number;
  switch (b) {
    case 0xf0: {
      need(blob, p, 5, end, 'listpack str32');
      const n = blob.readUInt32LE(p + 1);
      need(blob, p + 5, n, end, 'listpack string');
      out.push(Buffer.from(blob.subarray(p + 5, p + 5 + n)));
      return p + 5 + n;
    }
    case 0xf1:
      need(blob, p, 3, end, 'listpack int16');
      out.push(intBuf(blob.readInt16LE(p + 1)));
      return p + 3;
    case 0xf2:
      need(blob, p, 4, end, 'listpack int24');
      out.push(intBuf(blob.readIntLE(p + 1, 3)));
      return p + 4;
    case 0xf3:
      need(blob, p, 5, end, 'listpack int32');
      out.push(intBuf(blob.readInt32LE(p + 1)));
      return p + 5;
    case 0xf4:
      need(blob, p, 9, end, 'listpack int64');
      out.push(intBuf(blob.readBigInt64LE(p + 1)));
      return p + 9;
    default:
      throw new RdbFormatError(`listpack encoding 0x${b.toString(16)}`, p);
  }
}

/** Size of a listpack back-length field for an entry of entryBytes (encoding + data). */
function backlenBytes(entryBytes: number): number {
  if (entryBytes <= 127) return 1;
  if (entryBytes < 16383) return 2;
  if (entryBytes < 2097151) return 3;
  if (entryBytes < 268435455) return 4;
  return 5;
}

/** Appends every element of the ziplist in blob[start, end) to out. */
export function ziplistEntries(blob: Buffer, start: number, end: number, out: Buffer[]): void {
  const ZL_HEADER_BYTES = 10;
  need(blob, start, ZL_HEADER_BYTES + 1, end, 'ziplist header');
  if (blob.readUInt32LE(start) !== end - start) {
    throw new RdbFormatError('ziplist size mismatch', start);
  }
  let p = start + ZL_HEADER_BYTES;
  for (;;) {
    need(blob, p, 1, end, 'ziplist entry');
    if (blob[p] === 0xff) break;
    p += blob[p] === 0xfe ? 5 : 1; // prevlen, not needed going forward
    need(blob, p, 1, end, 'ziplist encoding');
    p = ziplistEntry(blob, p, end, out);
  }
  if (p + 1 !== end) throw new RdbFormatError('ziplist terminator before end', p);
}

function ziplistEntry(blob: Buffer, p: number, end: number, out: Buffer[]): number {
  const b = blob[p] as number;
  const kind = b >> 6;
  let n: number;
  let dataAt: number;
  if (kind === 0) {
    n = b & 0x3f;
    dataAt = p + 1;
  } else if (kind === 1) {
    need(blob, p, 2, end, 'ziplist str14');
    n = ((b & 0x3f) << 8) | (blob[p + 1] as number);
    dataAt = p + 2;
  } else if (b === 0x80) {
    need(blob, p, 5, end, 'ziplist str32');
    n = blob.readUInt32BE(p + 1);
    dataAt = p + 5;
  } else {
    return ziplistInt(blob, p, end, out);
  }
  need(blob, dataAt, n, end, 'ziplist string');
  out.push(Buffer.from(blob.subarray(dataAt, dataAt + n)));
  return dataAt + n;
}

function ziplistInt(blob: Buffer, p: number, end: number, out: Buffer[]): number {
  const b = blob[p] as number;
  switch (b) {
    case 0xc0:
      need(blob, p, 3, end, 'ziplist int16');
      out.push(intBuf(blob.readInt16LE(p + 1)));
      return p + 3;
    case 0xd0:
      need(blob, p, 5, end, 'ziplist int32');
      out.push(intBuf(blob.readInt32LE(p + 1)));
      return p + 5;
    case 0xe0:
      need(blob, p, 9, end, 'ziplist int64');
      out.push(intBuf(blob.readBigInt64LE(p + 1)));
      return p + 9;
    case 0xf0:
      need(blob, p, 4, end, 'ziplist int24');
      out.push(intBuf(blob.readIntLE(p + 1, 3)));
      return p + 4;
    case 0xfe:
      need(blob, p, 2, end, 'ziplist int8');
      out.push(intBuf(blob.readInt8(p + 1)));
      return p + 2;
    default:
      if (b >= 0xf1 && b <= 0xfd) {
        out.push(intBuf((b & 0x0f) - 1));
        return p + 1;
      }
      throw new RdbFormatError(`ziplist encoding 0x${b.toString(16)}`, p);
  }
}

/** Appends every member of the intset in blob[start, end) to out. */
export function intsetEntries(blob: Buffer, start: number, end: number, out: Buffer[]): void {
  need(blob, start, 8, end, 'intset header');
  const width = blob.readUInt32LE(start);
  const count = blob.readUInt32LE(start + 4);
  if (width !== 2 && width !== 4 && width !== 8) {
    throw new RdbFormatError(`intset width ${width}`, start);
  }
  if (8 + count * width !== end - start) throw new RdbFormatError('intset size mismatch', start);
  for (let i = 0, p = start + 8; i < count; i++, p += width) {
    if (width === 2) out.push(intBuf(blob.readInt16LE(p)));
    else if (width === 4) out.push(intBuf(blob.readInt32LE(p)));
    else out.push(intBuf(blob.readBigInt64LE(p)));
  }
}
