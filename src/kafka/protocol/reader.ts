/**
 * Bounds-checked big-endian reader over one request/response buffer.
 *
 * Grammar of the primitives (Kafka protocol guide, "Protocol Primitive Types"):
 *   INT8/16/32/64, UINT16 big-endian; FLOAT64 IEEE-754; BOOLEAN one byte (non-zero = true);
 *   UUID 16 bytes; UNSIGNED_VARINT LEB128 (max 5 bytes for 32 bits); VARINT/VARLONG zigzag;
 *   STRING int16 length + UTF-8 (NULLABLE: -1 = null); COMPACT_STRING uvarint length+1 (0 = null);
 *   BYTES int32 length (-1 = null); COMPACT_BYTES uvarint length+1;
 *   ARRAY int32 count (-1 = null); COMPACT_ARRAY uvarint count+1;
 *   TAGGED_FIELDS uvarint count, then (uvarint tag, uvarint size, size bytes) each.
 * Every read checks the remaining bytes first and throws KafkaProtocolError, so a decoder fed
 * arbitrary bytes only ever throws that. Byte fields are zero-copy views into the source buffer.
 */
import { KafkaProtocolError } from './errors.js';

/** Upper bound of elements in one array, whatever the frame says (guards zero-byte elements). */
export const ARRAY_ELEMENTS_MAX = 10_000_000;

export class Reader {
  pos: number;
  readonly end: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  error(msg: string): KafkaProtocolError {
    return new KafkaProtocolError(`${msg} at byte ${this.pos}`);
  }
  private need(n: number): number {
    const p = this.pos;
    if (n > this.end - p) throw this.error(`need ${n} bytes, ${this.end - p} left`);
    this.pos = p + n;
    return p;
  }
  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  uuid(): string {
    const p = this.need(16);
    const h = this.buf.toString('hex', p, p + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** Unsigned LEB128 up to 32 bits. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw this.error('truncated varint');
      const b = this.buf[this.pos++]!;
      if (i === 4 && b > 0x0f) throw this.error('varint over 32 bits');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw this.error('varint too long');
  }
  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /** Zigzag-encoded signed 64-bit varint. */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.error('truncated varlong');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    throw this.error('varlong too long');
  }
  private utf8(len: number): string {
    const p = this.need(len);
    return this.buf.toString('utf8', p, p + len);
  }
  string(): string {
    const len = this.int16();
    if (len < 0) throw this.error('null string where not nullable');
    return this.utf8(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < -1) throw this.error(`bad string length ${len}`);
    return len === -1 ? null : this.utf8(len);
  }
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw this.error('null compact string where not nullable');
    return this.utf8(n - 1);
  }
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.utf8(n - 1);
  }
  /** A zero-copy view of `len` bytes. */
  raw(len: number): Buffer {
    const p = this.need(len);
    return this.buf.subarray(p, p + len);
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw this.error('null bytes where not nullable');
    return this.raw(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < -1) throw this.error(`bad bytes length ${len}`);
    return len === -1 ? null : this.raw(len);
  }
  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw this.error('null compact bytes where not nullable');
    return this.raw(n - 1);
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }
  private checkCount(n: number): number {
    // Each element takes at least one byte in every schema except empty structs; the cap covers those.
    if (n > this.remaining || n > ARRAY_ELEMENTS_MAX)
      throw this.error(`array of ${n} elements exceeds the frame`);
    return n;
  }
  /** ARRAY count; -1 means null. */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) throw this.error(`bad array length ${n}`);
    return n === -1 ? -1 : this.checkCount(n);
  }
  /** COMPACT_ARRAY count; -1 means null. */
  compactArrayLength(): number {
    const n = this.uvarint();
    return n === 0 ? -1 : this.checkCount(n - 1);
  }
  /** Number of tagged fields that follow. */
  taggedCount(): number {
    return this.checkCount(this.uvarint());
  }
  /** Reads a tagged field's size and returns where it ends (checked against the buffer). */
  taggedEnd(): number {
    const size = this.uvarint();
    if (size > this.remaining) throw this.error(`tagged field of ${size} bytes exceeds the frame`);
    return this.pos + size;
  }
  expectAt(end: number): void {
    if (this.pos !== end) throw this.error(`tagged field size mismatch (ends at ${end})`);
  }
  seek(pos: number): void {
    if (pos < this.pos || pos > this.end) throw this.error(`bad seek to ${pos}`);
    this.pos = pos;
  }
  skip(n: number): void {
    this.need(n);
  }
}
