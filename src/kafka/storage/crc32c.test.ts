/**
 * Proves: both CRC-32C implementations (WebAssembly slicing-by-16 and JS slicing-by-8) give the
 * standard check values, agree with a plain bitwise reference on random inputs, offsets and
 * chaining (including inputs longer than the WebAssembly staging area), and that the WebAssembly
 * path is actually the one used when available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c, crc32cJs, crc32cUsesWasm, WASM_MIN_BYTES } from './crc32c.js';
import { STAGE_BYTES } from './crc32c-wasm.js';

/** The textbook bit-at-a-time CRC-32C: slow, obviously right. */
function crcBitwise(bytes: Uint8Array, start: number, end: number, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

const VECTORS: [Buffer, number][] = [
  [Buffer.from('123456789'), 0xe3069283],
  [Buffer.alloc(32, 0), 0x8a9136aa], // RFC 3720 B.4
  [Buffer.alloc(32, 0xff), 0x62a8ab43],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

test('known vectors, both implementations, also embedded in inputs long enough for WebAssembly', () => {
  for (const [input, expected] of VECTORS) {
    assert.equal(crc32c(input), expected);
    assert.equal(crc32cJs(input), expected);
    const padded = Buffer.concat([Buffer.alloc(300, 7), input, Buffer.alloc(300, 9)]);
    const start = 300;
    const end = 300 + input.length;
    assert.equal(crc32c(padded, start, end), expected);
    // Chained across the JS/WebAssembly threshold.
    const pre = crc32c(padded, 0, start);
    assert.equal(crc32c(padded, start, padded.length, pre), crcBitwise(padded, 0, padded.length));
  }
});

test('WebAssembly is used on this Node', () => {
  assert.equal(crc32cUsesWasm(), true);
});

test('fuzz: crc32c and crc32cJs equal the bitwise reference for any bytes, range and seed', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 0xffffffff }),
      (bytes, a, b, seed) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const want = crcBitwise(bytes, start, end, seed);
        assert.equal(crc32c(bytes, start, end, seed), want);
        assert.equal(crc32cJs(bytes, start, end, seed), want);
      },
    ),
    { numRuns: 300 },
  );
});

test('inputs spanning several WebAssembly staging chunks, at unaligned offsets', () => {
  const big = Buffer.allocUnsafe(STAGE_BYTES * 3 + 777);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  for (const [start, end] of [
    [0, big.length],
    [1, big.length - 3],
    [STAGE_BYTES - 5, STAGE_BYTES * 2 + 11],
    [13, 13 + WASM_MIN_BYTES],
    [13, 13 + WASM_MIN_BYTES - 1],
  ] as const) {
    assert.equal(crc32c(big, start, end), crcBitwise(big, start, end), `${start}..${end}`);
  }
});
