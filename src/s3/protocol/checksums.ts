/**
 * Checksums as S3 computes, stores and returns them.
 *
 * API
 *   createChecksum(alg) → { update(bytes), digest(): Buffer }   incremental; alg ∈ CHECKSUM_ALGORITHMS
 *   checksumBase64(alg, bytes)                                  one-shot, base64 as S3 sends it
 *   parseChecksumAlgorithm('crc32' | 'CRC32' ...) → alg | undefined
 *   checksumHeaderName(alg) → 'x-amz-checksum-crc32'            (trailer names are the same)
 *   validateChecksumValue(alg, b64) → throws InvalidRequest when not the right length of base64
 *   verifyChecksum(alg, expectedB64, actualB64) → throws BadDigest ("The CRC32 you specified did not match the calculated checksum.")
 *   compositeChecksum(alg, partB64s) → 'base64-N'              checksum of the parts' raw checksums
 *   combineCrc(alg, crcA, crcB, lengthB) → crc of A‖B          for FULL_OBJECT multipart CRCs
 *   multipartEtag(partMd5Hexes) → 'hex-N'                      MD5 of the parts' MD5s
 *   parseContentMd5(header) → 16-byte Buffer, or InvalidDigest
 *   verifyContentMd5(header, md5Digest) → throws InvalidDigest / BadDigest
 *   declaredChecksum(headers, query?) → { algorithm, base64?, source: header|query|trailer }
 *   new BodyDigests({ sha256?, checksum? })                    MD5 (always) + the others in one pass
 *
 * CRC32 uses zlib.crc32 when present (Node ≥ 20.15, native); CRC32C and CRC64NVME are
 * slicing-by-8 table implementations (reflected polynomials 0x82F63B78 and 0x9A6C9329AC4BC9B5,
 * init and final xor all ones), checked against the AWS SDK's own implementations in the tests.
 * CRC64 is kept as two uint32 halves so the hot loop never touches BigInt.
 */
import { createHash, type Hash } from 'node:crypto';
import { endianness } from 'node:os';
import * as zlib from 'node:zlib';
import { S3Error } from './errors.js';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Raw digest length in bytes per algorithm (base64 length follows). */
export const CHECKSUM_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** Big-endian raw digest, as S3 base64-encodes it. Call once. */
  digest(): Buffer;
}

// ---------------------------------------------------------------- table CRCs (slicing-by-8)
//
// Tables are flat: table k (the byte followed by k zero bytes) lives at [k*256, k*256+256).
// The 8-byte loop reads two aligned little-endian words through a Uint32Array view instead of
// eight single bytes; unaligned heads, tails and big-endian hosts use the byte loop.

const LITTLE_ENDIAN = endianness() === 'LE';

function crc32Tables(poly: number): Uint32Array {
  const t = new Uint32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let s = 1; s < 8; s++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(s - 1) * 256 + i]!;
      t[s * 256 + i] = ((prev >>> 8) ^ t[prev & 0xff]!) >>> 0;
    }
  }
  return t;
}

/** Number of leading bytes to process one at a time so that word reads are aligned. */
function headLength(data: Uint8Array): number {
  if (!LITTLE_ENDIAN) return data.length;
  return Math.min(data.length, (4 - (data.byteOffset & 3)) & 3);
}

/** Updates a reflected 32-bit CRC state (pre-inverted). */
function crc32Update(t: Uint32Array, crcIn: number, data: Uint8Array): number {
  let crc = crcIn;
  const n = data.length;
  let i = headLength(data);
  for (let j = 0; j < i; j++) crc = t[(crc ^ data[j]!) & 0xff]! ^ (crc >>> 8);
  const blocks = (n - i) >>> 3;
  if (blocks > 0) {
    const w = new Uint32Array(data.buffer, data.byteOffset + i, blocks * 2);
    for (let k = 0; k < w.length; k += 2) {
      const a = crc ^ w[k]!;
      const b = w[k + 1]!;
      crc =
        t[1792 + (a & 0xff)]! ^
        t[1536 + ((a >>> 8) & 0xff)]! ^
        t[1280 + ((a >>> 16) & 0xff)]! ^
        t[1024 + (a >>> 24)]! ^
        t[768 + (b & 0xff)]! ^
        t[512 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
    }
    i += blocks * 8;
  }
  for (; i < n; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

const C32C = crc32Tables(0x82f63b78);

class Crc32c implements IncrementalHash {
  private crc = 0xffffffff;
  update(data: Uint8Array): void {
    this.crc = crc32Update(C32C, this.crc, data);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return b;
  }
}

// CRC32 uses zlib's native implementation when present (Node >= 20.15).
const C32 = crc32Tables(0xedb88320);
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

class Crc32 implements IncrementalHash {
  private crc = 0; // zlib-style (non-inverted) running value
  update(data: Uint8Array): void {
    if (zlibCrc32) this.crc = zlibCrc32(data, this.crc);
    else this.crc = (crc32Update(C32, (this.crc ^ 0xffffffff) >>> 0, data) ^ 0xffffffff) >>> 0;
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.crc >>> 0);
    return b;
  }
}

// CRC64NVME: the 64-bit state is two uint32 halves, so the hot loop never touches BigInt.
const C64_POLY_HI = 0x9a6c9329;
const C64_POLY_LO = 0xac4bc9b5;

function crc64Tables(): { lo: Uint32Array; hi: Uint32Array } {
  const lo = new Uint32Array(256 * 8);
  const hi = new Uint32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let l = i;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (bit) {
        l = (l ^ C64_POLY_LO) >>> 0;
        h = (h ^ C64_POLY_HI) >>> 0;
      }
    }
    lo[i] = l;
    hi[i] = h;
  }
  for (let s = 1; s < 8; s++) {
    for (let i = 0; i < 256; i++) {
      const pl = lo[(s - 1) * 256 + i]!;
      const ph = hi[(s - 1) * 256 + i]!;
      const idx = pl & 0xff;
      lo[s * 256 + i] = (((pl >>> 8) | (ph << 24)) ^ lo[idx]!) >>> 0;
      hi[s * 256 + i] = ((ph >>> 8) ^ hi[idx]!) >>> 0;
    }
  }
  return { lo, hi };
}

const C64 = crc64Tables();

class Crc64Nvme implements IncrementalHash {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): void {
    const { lo: L, hi: H } = C64;
    let lo = this.lo;
    let hi = this.hi;
    const n = data.length;
    let i = headLength(data);
    for (let j = 0; j < i; j++) {
      const idx = (lo ^ data[j]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L[idx]!;
      hi = (hi >>> 8) ^ H[idx]!;
    }
    const blocks = (n - i) >>> 3;
    if (blocks > 0) {
      const w = new Uint32Array(data.buffer, data.byteOffset + i, blocks * 2);
      for (let k = 0; k < w.length; k += 2) {
        const a = lo ^ w[k]!;
        const b = hi ^ w[k + 1]!;
        const i0 = 1792 + (a & 0xff);
        const i1 = 1536 + ((a >>> 8) & 0xff);
        const i2 = 1280 + ((a >>> 16) & 0xff);
        const i3 = 1024 + (a >>> 24);
        const i4 = 768 + (b & 0xff);
        const i5 = 512 + ((b >>> 8) & 0xff);
        const i6 = 256 + ((b >>> 16) & 0xff);
        const i7 = b >>> 24;
        lo = L[i0]! ^ L[i1]! ^ L[i2]! ^ L[i3]! ^ L[i4]! ^ L[i5]! ^ L[i6]! ^ L[i7]!;
        hi = H[i0]! ^ H[i1]! ^ H[i2]! ^ H[i3]! ^ H[i4]! ^ H[i5]! ^ H[i6]! ^ H[i7]!;
      }
      i += blocks * 8;
    }
    for (; i < n; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L[idx]!;
      hi = (hi >>> 8) ^ H[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  digest(): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    b.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return b;
  }
}

// ---------------------------------------------------------------- factory and helpers

class NodeHash implements IncrementalHash {
  private readonly h: Hash;
  constructor(alg: string) {
    this.h = createHash(alg);
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Buffer {
    return this.h.digest();
  }
}

export function createChecksum(alg: ChecksumAlgorithm): IncrementalHash {
  switch (alg) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new NodeHash('sha1');
    case 'SHA256':
      return new NodeHash('sha256');
  }
}

export function checksumBase64(alg: ChecksumAlgorithm, data: Uint8Array): string {
  const h = createChecksum(alg);
  h.update(data);
  return h.digest().toString('base64');
}

export function parseChecksumAlgorithm(s: string | undefined): ChecksumAlgorithm | undefined {
  if (s === undefined) return undefined;
  const up = s.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(up) ? (up as ChecksumAlgorithm) : undefined;
}

export function checksumHeaderName(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Throws InvalidRequest unless `b64` is canonical base64 of exactly the algorithm's digest size. */
export function validateChecksumValue(alg: ChecksumAlgorithm, b64: string): void {
  const ok =
    BASE64.test(b64) && b64.length % 4 === 0 && Buffer.from(b64, 'base64').length === CHECKSUM_BYTES[alg];
  if (!ok)
    throw new S3Error('InvalidRequest', {
      message: `Value for ${checksumHeaderName(alg)} header is invalid.`,
    });
}

export function verifyChecksum(alg: ChecksumAlgorithm, expectedB64: string, actualB64: string): void {
  if (expectedB64 !== actualB64) {
    throw new S3Error('BadDigest', {
      message: `The ${alg} you specified did not match the calculated checksum.`,
    });
  }
}

/** S3 COMPOSITE multipart checksum: the algorithm over the concatenated raw part checksums, then `-N`. */
export function compositeChecksum(alg: ChecksumAlgorithm, partChecksumsB64: readonly string[]): string {
  const h = createChecksum(alg);
  for (const p of partChecksumsB64) h.update(Buffer.from(p, 'base64'));
  return `${h.digest().toString('base64')}-${partChecksumsB64.length}`;
}

/** Multipart ETag (unquoted): MD5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(partMd5Hexes: readonly string[]): string {
  const h = createHash('md5');
  for (const p of partMd5Hexes) h.update(Buffer.from(p, 'hex'));
  return `${h.digest('hex')}-${partMd5Hexes.length}`;
}

export function parseContentMd5(header: string): Buffer {
  const b = BASE64.test(header) && header.length === 24 ? Buffer.from(header, 'base64') : undefined;
  if (!b || b.length !== 16) throw new S3Error('InvalidDigest');
  return b;
}

export function verifyContentMd5(header: string, md5Digest: Uint8Array): void {
  const expected = parseContentMd5(header);
  if (!expected.equals(md5Digest)) {
    throw new S3Error('BadDigest', {
      fields: {
        ExpectedDigest: expected.toString('hex'),
        CalculatedDigest: Buffer.from(md5Digest).toString('base64'),
      },
    });
  }
}

// ---------------------------------------------------------------- CRC combination (FULL_OBJECT)
//
// crc(A‖B) = crc(A)·x^(8·len(B)) mod P  xor  crc(B). Polynomials are in the reflected order CRCs
// use (x^0 in the top bit); a 64-bit value is a [hi, lo] pair of uint32 so no BigInt is needed.
// x^(8·2^k) is tabulated once per algorithm, so one combine costs about log2(len(B))
// multiplications of 64 shift-and-xor steps each.

type Poly64 = [number, number];

function mul32(a: number, b: number, poly: number): number {
  let p = 0;
  for (let m = 0x80000000; m !== 0 && a !== 0; m >>>= 1) {
    if (a & m) {
      p ^= b;
      a = (a ^ m) >>> 0;
    }
    b = b & 1 ? (b >>> 1) ^ poly : b >>> 1;
  }
  return p >>> 0;
}

function mul(a: Poly64, b: Poly64, shape: CrcShape): Poly64 {
  return shape.bytes === 4 ? [mul32(a[0], b[0], shape.poly[0]), 0] : mul64(a, b, shape.poly);
}

function mul64(a: Poly64, b: Poly64, poly: Poly64): Poly64 {
  let [aHi, aLo] = a;
  let [bHi, bLo] = b;
  let pHi = 0;
  let pLo = 0;
  for (let bit = 0; bit < 64 && (aHi | aLo) !== 0; bit++) {
    const set = bit < 32 ? (aHi >>> (31 - bit)) & 1 : (aLo >>> (63 - bit)) & 1;
    if (set) {
      pHi ^= bHi;
      pLo ^= bLo;
      if (bit < 32) aHi = (aHi & ~(1 << (31 - bit))) >>> 0;
      else aLo = (aLo & ~(1 << (63 - bit))) >>> 0;
    }
    const carry = bLo & 1;
    bLo = ((bLo >>> 1) | ((bHi & 1) << 31)) >>> 0;
    bHi = bHi >>> 1;
    if (carry) {
      bHi = (bHi ^ poly[0]) >>> 0;
      bLo = (bLo ^ poly[1]) >>> 0;
    }
  }
  return [pHi >>> 0, pLo >>> 0];
}

interface CrcShape {
  readonly poly: Poly64;
  readonly bytes: number;
  powers?: Poly64[];
  /** x^(8·len) for recently seen lengths: multipart parts mostly share one size. */
  readonly shifts: Map<number, Poly64>;
}

/** Distinct part lengths whose shift polynomial is remembered per algorithm. */
const CRC_SHIFT_CACHE_MAX = 16;

// 32-bit CRCs use the high word only.
const CRC_SHAPES: Partial<Record<ChecksumAlgorithm, CrcShape>> = {
  CRC32: { poly: [0xedb88320, 0], bytes: 4, shifts: new Map() },
  CRC32C: { poly: [0x82f63b78, 0], bytes: 4, shifts: new Map() },
  CRC64NVME: { poly: [C64_POLY_HI, C64_POLY_LO], bytes: 8, shifts: new Map() },
};

function powersOf(shape: CrcShape): Poly64[] {
  if (shape.powers) return shape.powers;
  const powers: Poly64[] = [[0x00800000, 0]]; // x^8
  for (let k = 1; k < 64; k++) powers.push(mul(powers[k - 1]!, powers[k - 1]!, shape));
  shape.powers = powers;
  return powers;
}

function shiftFor(shape: CrcShape, length: number): Poly64 {
  const hit = shape.shifts.get(length);
  if (hit) return hit;
  const powers = powersOf(shape);
  let shift: Poly64 = [0x80000000, 0]; // the polynomial 1
  let n = length;
  for (let k = 0; n > 0 && k < 64; k++) {
    if (n % 2 === 1) shift = mul(shift, powers[k]!, shape);
    n = Math.floor(n / 2);
  }
  if (shape.shifts.size >= CRC_SHIFT_CACHE_MAX)
    shape.shifts.delete(shape.shifts.keys().next().value as number);
  shape.shifts.set(length, shift);
  return shift;
}

/**
 * CRC of A‖B from crc(A), crc(B) (final values, big-endian raw bytes as digest() returns them)
 * and len(B). Used for FULL_OBJECT multipart checksums.
 */
export function combineCrc(
  alg: ChecksumAlgorithm,
  crcA: Uint8Array,
  crcB: Uint8Array,
  lengthB: number,
): Buffer {
  const shape = CRC_SHAPES[alg];
  if (!shape) throw new Error(`combineCrc: ${alg} is not a CRC`);
  const read = (b: Uint8Array): Poly64 => {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return shape.bytes === 8 ? [buf.readUInt32BE(0), buf.readUInt32BE(4)] : [buf.readUInt32BE(0), 0];
  };
  const a = mul(shiftFor(shape, lengthB), read(crcA), shape);
  const b = read(crcB);
  const out = Buffer.alloc(shape.bytes);
  out.writeUInt32BE((a[0] ^ b[0]) >>> 0, 0);
  if (shape.bytes === 8) out.writeUInt32BE((a[1] ^ b[1]) >>> 0, 4);
  return out;
}

// ---------------------------------------------------------------- which checksum a request declares

export interface DeclaredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Absent when the value arrives in the aws-chunked trailer. */
  readonly base64?: string;
  readonly source: 'header' | 'query' | 'trailer';
}

/** Header values as Node gives them (req.headers or req.headersDistinct). */
type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;
/** A Map or URLSearchParams of the decoded query. */
interface QueryLike {
  get(name: string): string | null | undefined;
}

function first(v: string | readonly string[] | undefined): string | undefined {
  return v === undefined || typeof v === 'string' ? v : v[0];
}

/**
 * The checksum a request asks S3 to verify: an `x-amz-checksum-<alg>` header, the same name as
 * a query parameter of a presigned URL (the JS SDK signs CRC32 of the empty body into presigned
 * PUT URLs, and S3 then refuses any other body with BadDigest), or the `x-amz-trailer` named
 * checksum of an aws-chunked body. Values are validated (InvalidRequest); more than one is an
 * InvalidRequest as in S3. Compare with verifyChecksum() once the body is read.
 */
export function declaredChecksum(headers: Headers, query?: QueryLike): DeclaredChecksum | undefined {
  const found: DeclaredChecksum[] = [];
  for (const alg of CHECKSUM_ALGORITHMS) {
    const name = checksumHeaderName(alg);
    const h = first(headers[name]);
    const q = h === undefined ? (query?.get(name) ?? undefined) : undefined;
    const value = h ?? q;
    if (value === undefined) continue;
    validateChecksumValue(alg, value.trim());
    found.push({ algorithm: alg, base64: value.trim(), source: h !== undefined ? 'header' : 'query' });
  }
  if (found.length > 1) {
    throw new S3Error('InvalidRequest', {
      message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    });
  }
  if (found.length === 1) return found[0];
  const trailer = first(headers['x-amz-trailer'])?.trim().toLowerCase();
  if (trailer === undefined || trailer === '') return undefined;
  const alg = trailer.startsWith('x-amz-checksum-')
    ? parseChecksumAlgorithm(trailer.slice('x-amz-checksum-'.length))
    : undefined;
  if (!alg)
    throw new S3Error('InvalidRequest', {
      message: 'The value specified in the x-amz-trailer header is not supported',
    });
  return { algorithm: alg, source: 'trailer' };
}

// ---------------------------------------------------------------- one pass over a body

export interface BodyDigestsResult {
  readonly md5: Buffer;
  readonly sha256?: Buffer;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly base64: string };
  readonly bytes: number;
}

/** MD5 (for the ETag) plus, on request, SHA-256 (payload signature) and one flexible checksum. */
export class BodyDigests {
  private readonly md5 = createHash('md5');
  private readonly sha256: Hash | undefined;
  private readonly checksum: IncrementalHash | undefined;
  private readonly algorithm: ChecksumAlgorithm | undefined;
  private bytes = 0;

  constructor(opts: { sha256?: boolean; checksum?: ChecksumAlgorithm } = {}) {
    this.sha256 = opts.sha256 ? createHash('sha256') : undefined;
    this.algorithm = opts.checksum;
    // SHA256 as flexible checksum can share the payload hash.
    this.checksum =
      opts.checksum && !(opts.checksum === 'SHA256' && this.sha256)
        ? createChecksum(opts.checksum)
        : undefined;
  }

  update(chunk: Uint8Array): void {
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    this.bytes += chunk.byteLength;
  }

  finish(): BodyDigestsResult {
    const md5 = this.md5.digest();
    const sha256 = this.sha256?.digest();
    const out: { -readonly [K in keyof BodyDigestsResult]: BodyDigestsResult[K] } = {
      md5,
      bytes: this.bytes,
    };
    if (sha256) out.sha256 = sha256;
    if (this.algorithm) {
      const raw = this.checksum ? this.checksum.digest() : sha256!;
      out.checksum = { algorithm: this.algorithm, base64: raw.toString('base64') };
    }
    return out;
  }
}
