/** Proves our CRC-64 matches Redis's Jones CRC (check value) and that chunked = one-shot. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64, Crc64 } from './crc64.js';

test('crc64 check value matches Redis crc64 test vector', () => {
  assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  assert.equal(crc64(Buffer.alloc(0)), 0n);
});

test('crc64 incremental equals one-shot', () => {
  const data = Buffer.alloc(1000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  const c = new Crc64();
  c.update(data, 0, 333).update(data, 333, 999).update(data, 999);
  assert.equal(c.value(), crc64(data));
  const out = Buffer.alloc(8);
  c.writeLE(out, 0);
  assert.equal(out.readBigUInt64LE(0), crc64(data));
});

/** Byte-at-a-time reference straight from the definition (bit by bit), to check the sliced tables. */
function crc64Bitwise(data: Uint8Array): bigint {
  const POLY = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc;
}

test('sliced crc64 equals the bitwise definition at every length and offset', () => {
  const data = Buffer.alloc(100);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 17) & 0xff;
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= data.length; end += 7) {
      assert.equal(crc64(data, start, end), crc64Bitwise(data.subarray(start, end)), `${start}..${end}`);
    }
  }
});
