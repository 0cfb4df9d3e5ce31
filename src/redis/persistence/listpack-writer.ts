/**
 * Listpack encoder (Redis ≥ 7 compact container), used for stream nodes in RDB files. The grammar
 * is in rdb-encodings.ts (the decoder). Integers get the smallest integer encoding, as Redis's
 * lpAppendInteger does; strings the smallest string encoding.
 *
 * API: new ListpackWriter().int(n).str(buf)…; .count; .bytes (encoded size so far); .finish() → Buffer
 */

const LP_HEADER_BYTES = 6;
const LP_COUNT_UNKNOWN = 65535;

export class ListpackWriter {
  private parts: Buffer[] = [];
  private size = LP_HEADER_BYTES + 1;
  count = 0;

  get bytes(): number {
    return this.size;
  }

  int(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`listpack int ${v} is not a safe integer`);
    let enc: Buffer;
    if (v >= 0 && v <= 127) {
      enc = Buffer.from([v]);
    } else if (v >= -4096 && v <= 4095) {
      const uv = v < 0 ? (1 << 13) + v : v;
      enc = Buffer.from([(uv >> 8) | 0xc0, uv & 0xff]);
    } else if (v >= -32768 && v <= 32767) {
      enc = Buffer.alloc(3);
      enc[0] = 0xf1;
      enc.writeInt16LE(v, 1);
    } else if (v >= -8388608 && v <= 8388607) {
      enc = Buffer.alloc(4);
      enc[0] = 0xf2;
      enc.writeIntLE(v, 1, 3);
    } else if (v >= -2147483648 && v <= 2147483647) {
      enc = Buffer.alloc(5);
      enc[0] = 0xf3;
      enc.writeInt32LE(v, 1);
    } else {
      enc = Buffer.alloc(9);
      enc[0] = 0xf4;
      enc.writeBigInt64LE(BigInt(v), 1);
    }
    return this.push(enc);
  }

  str(s: Buffer): this {
    const n = s.length;
    let head: Buffer;
    if (n < 64) head = Buffer.from([0x80 | n]);
    else if (n < 4096) head = Buffer.from([0xe0 | (n >> 8), n & 0xff]);
    else {
      head = Buffer.alloc(5);
      head[0] = 0xf0;
      head.writeUInt32LE(n, 1);
    }
    return this.push(Buffer.concat([head, s]));
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    out.writeUInt32LE(this.size, 0);
    out.writeUInt16LE(Math.min(this.count, LP_COUNT_UNKNOWN), 4);
    let p = LP_HEADER_BYTES;
    for (const part of this.parts) p += part.copy(out, p);
    out[p] = 0xff;
    return out;
  }

  private push(entry: Buffer): this {
    const back = backlen(entry.length);
    this.parts.push(entry, back);
    this.size += entry.length + back.length;
    this.count++;
    return this;
  }
}

/** The entry length written after each entry, read right-to-left (7 bits per byte, high bit = more). */
function backlen(l: number): Buffer {
  if (l <= 127) return Buffer.from([l]);
  if (l < 16383) return Buffer.from([l >> 7, (l & 127) | 128]);
  if (l < 2097151) return Buffer.from([l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  if (l < 268435455)
    return Buffer.from([l >>> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  return Buffer.from([
    Math.floor(l / 2 ** 28),
    ((l >>> 21) & 127) | 128,
    ((l >> 14) & 127) | 128,
    ((l >> 7) & 127) | 128,
    (l & 127) | 128,
  ]);
}
