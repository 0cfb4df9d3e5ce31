/**
 * CRC-64/Jones as Redis uses it for RDB files and DUMP payloads: polynomial 0xad93d23594c935a9,
 * reflected input and output, initial value 0, no final xor. Check value: crc64("123456789") =
 * 0xe9c6d914c4b8d9ca.
 *
 * API:
 *   crc64(buf, start?, end?, seed?) → bigint        one-shot
 *   Crc64 class: update(buf, start?, end?); value() → bigint; writeLE(target, offset)
 *
 * Why two 32-bit halves instead of bigint per byte: bigint arithmetic allocates, which is ~50x
 * slower on multi-megabyte dumps. The table is the classic byte-at-a-time table of the reflected
 * polynomial (0x95ac9329ac4bc9b5), split into high and low words.
 */

const TABLE_SIZE = 256;
const tableHi = new Uint32Array(TABLE_SIZE);
const tableLo = new Uint32Array(TABLE_SIZE);
const REFLECTED_POLY_HI = 0x95ac9329;
const REFLECTED_POLY_LO = 0xac4bc9b5;

for (let n = 0; n < TABLE_SIZE; n++) {
  let hi = 0;
  let lo = n;
  for (let bit = 0; bit < 8; bit++) {
    const lsb = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (lsb) {
      hi = (hi ^ REFLECTED_POLY_HI) >>> 0;
      lo = (lo ^ REFLECTED_POLY_LO) >>> 0;
    }
  }
  tableHi[n] = hi;
  tableLo[n] = lo;
}

/** Incremental CRC-64 state, for writers that produce a file in chunks. */
export class Crc64 {
  private hi = 0;
  private lo = 0;

  constructor(seed = 0n) {
    this.hi = Number((seed >> 32n) & 0xffffffffn);
    this.lo = Number(seed & 0xffffffffn);
  }

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = start; i < end; i++) {
      const idx = (lo ^ (buf[i] as number)) & 0xff;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) ^ (tableLo[idx] as number);
      hi = (hi >>> 8) ^ (tableHi[idx] as number);
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Writes the CRC as 8 little-endian bytes, the byte order RDB and DUMP use. */
  writeLE(target: Buffer, offset: number): void {
    target.writeUInt32LE(this.lo, offset);
    target.writeUInt32LE(this.hi, offset + 4);
  }
}

export function crc64(buf: Uint8Array, start = 0, end = buf.length, seed = 0n): bigint {
  return new Crc64(seed).update(buf, start, end).value();
}
