// A growable byte buffer for the serialisers (cjson, cmsgpack, struct). Doubling growth keeps
// appends amortised O(1) without building intermediate JS strings.
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(initialBytes);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b & 0xff;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i) & 0xff;
  }

  /** Appends `n` bytes written by `fill` into a DataView at offset 0. */
  view(n: number, fill: (dv: DataView) => void): void {
    this.ensure(n);
    fill(new DataView(this.buf.buffer, this.buf.byteOffset + this.length, n));
    this.length += n;
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
