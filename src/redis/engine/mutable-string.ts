/**
 * A string value being edited in place (SETBIT, SETRANGE, BITFIELD): bytes with spare capacity so
 * growing a bitmap bit by bit is amortised O(1) instead of copying the whole value per command.
 * Reads that need the JS binary string call toString(). TYPE reports it as "string".
 */
export class MutableString {
  buf: Buffer;
  len: number;

  constructor(initial: string | Buffer, minLen = 0) {
    const src = typeof initial === 'string' ? Buffer.from(initial, 'latin1') : initial;
    const len = Math.max(src.length, minLen);
    this.buf = Buffer.alloc(Math.max(16, len));
    src.copy(this.buf, 0);
    this.len = len;
  }

  /** Grows the logical length (zero-filled), doubling capacity when needed. */
  ensure(len: number): void {
    if (len <= this.len) return;
    if (len > this.buf.length) {
      const next = Buffer.alloc(Math.max(len, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len = len;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  toString(): string {
    return this.buf.latin1Slice(0, this.len);
  }
}
