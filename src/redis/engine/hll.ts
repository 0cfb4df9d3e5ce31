/**
 * HyperLogLog in Redis's own representation, stored as a string value (TYPE says "string", GET
 * returns the bytes, a value written by Redis can be read here and the other way round).
 *
 * Layout (hyperloglog.c): "HYLL" | encoding (0 dense, 1 sparse) | 3 unused | 8-byte cached
 * cardinality (MSB of the last byte set = invalid) | registers. Dense: 16384 registers of 6 bits,
 * packed LSB first. Sparse values written by Redis are read (converted to dense); we always write
 * dense. Hash: MurmurHash64A with seed 0xadc83b19; estimator: Ertl's improved estimator, as Redis 7.
 */
const P = 14;
export const HLL_REGISTERS = 1 << P;
const Q = 64 - P;
const BITS = 6;
const REG_MAX = (1 << BITS) - 1;
const HDR = 16;
export const HLL_DENSE_SIZE = HDR + Math.floor((HLL_REGISTERS * BITS + 7) / 8);
/** 0.5/ln(2), HLL_ALPHA_INF in hyperloglog.c. */
const ALPHA_INF = 0.7213475204444817;

const M = 0xc6a4a7935bd1e995n;
const MASK64 = 0xffffffffffffffffn;

function murmur64a(key: Buffer, seed: bigint): bigint {
  const len = key.length;
  let h = (seed ^ ((BigInt(len) * M) & MASK64)) & MASK64;
  const nblocks = len >> 3;
  for (let i = 0; i < nblocks; i++) {
    let k = key.readBigUInt64LE(i * 8);
    k = (k * M) & MASK64;
    k ^= k >> 47n;
    k = (k * M) & MASK64;
    h ^= k;
    h = (h * M) & MASK64;
  }
  const tail = nblocks * 8;
  const rem = len & 7;
  if (rem > 0) {
    for (let i = rem - 1; i >= 0; i--) h ^= BigInt(key[tail + i] as number) << BigInt(8 * i);
    h = (h * M) & MASK64;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK64;
  h ^= h >> 47n;
  return h;
}

/** Register index and run length (count of trailing zeros + 1) for an element. */
export function hllPatLen(ele: Buffer): [number, number] {
  let hash = murmur64a(ele, 0xadc83b19n);
  const index = Number(hash & BigInt(HLL_REGISTERS - 1));
  hash >>= BigInt(P);
  hash |= 1n << BigInt(Q);
  let count = 1;
  let bit = 1n;
  while ((hash & bit) === 0n) {
    count++;
    bit <<= 1n;
  }
  return [index, count];
}

function getReg(regs: Buffer, i: number): number {
  const byte = (i * BITS) >> 3;
  const fb = (i * BITS) & 7;
  const b0 = regs[HDR + byte] as number;
  const b1 = HDR + byte + 1 < regs.length ? (regs[HDR + byte + 1] as number) : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & REG_MAX;
}

function setReg(regs: Buffer, i: number, v: number): void {
  const byte = HDR + ((i * BITS) >> 3);
  const fb = (i * BITS) & 7;
  regs[byte] = ((regs[byte] as number) & ~(REG_MAX << fb) & 0xff) | ((v << fb) & 0xff);
  if (byte + 1 < regs.length) {
    const fb8 = 8 - fb;
    regs[byte + 1] = ((regs[byte + 1] as number) & ~(REG_MAX >> fb8) & 0xff) | (v >> fb8);
  }
}

export function newDenseHll(): Buffer {
  const b = Buffer.alloc(HLL_DENSE_SIZE);
  b.write('HYLL', 0, 'latin1');
  return b;
}

/** Parses a stored value into a dense register buffer, or null when it is not a valid HLL. */
export function toDense(value: string): Buffer | null {
  if (value.length < HDR || !value.startsWith('HYLL')) return null;
  const enc = value.charCodeAt(4);
  if (enc === 0) {
    if (value.length !== HLL_DENSE_SIZE) return null;
    return Buffer.from(value, 'latin1');
  }
  if (enc !== 1) return null;
  const src = Buffer.from(value, 'latin1');
  const dst = newDenseHll();
  let idx = 0;
  for (let p = HDR; p < src.length; ) {
    const b = src[p] as number;
    if ((b & 0xc0) === 0) {
      idx += (b & 0x3f) + 1;
      p++;
    } else if ((b & 0xc0) === 0x40) {
      if (p + 1 >= src.length) return null;
      idx += (((b & 0x3f) << 8) | (src[p + 1] as number)) + 1;
      p += 2;
    } else {
      const val = ((b >> 2) & 0x1f) + 1;
      const run = (b & 3) + 1;
      if (idx + run > HLL_REGISTERS) return null;
      for (let k = 0; k < run; k++) setReg(dst, idx + k, val);
      idx += run;
      p++;
    }
    if (idx > HLL_REGISTERS) return null;
  }
  return idx === HLL_REGISTERS ? dst : null;
}

/** Adds an element; true when a register changed. */
export function hllAdd(regs: Buffer, ele: Buffer): boolean {
  const [index, count] = hllPatLen(ele);
  if (getReg(regs, index) >= count) return false;
  setReg(regs, index, count);
  invalidateCache(regs);
  return true;
}

export function invalidateCache(regs: Buffer): void {
  regs[15] = (regs[15] as number) | 0x80;
}

/** Merges src registers into dst (max per register). */
export function hllMergeInto(dst: Buffer, src: Buffer): void {
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const v = getReg(src, i);
    if (v > getReg(dst, i)) setReg(dst, i, v);
  }
  invalidateCache(dst);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= Math.pow(1 - x, 2) * y;
  } while (zPrime !== z);
  return z / 3;
}

export function hllCount(regs: Buffer): number {
  const histo = new Array<number>(64).fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const r = getReg(regs, i);
    histo[r] = (histo[r] as number) + 1;
  }
  const m = HLL_REGISTERS;
  let z = m * tau((m - (histo[Q + 1] as number)) / m);
  for (let j = Q; j >= 1; --j) {
    z += histo[j] as number;
    z *= 0.5;
  }
  z += m * sigma((histo[0] as number) / m);
  return Math.round((ALPHA_INF * m * m) / z);
}
