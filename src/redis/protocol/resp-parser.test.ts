// Proves the request parser: multibulk and inline requests, split at every byte boundary; Redis's
// exact protocol error texts; the named limits; and (fuzzed) that arbitrary bytes only ever yield
// requests or a RespProtocolError, never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PROTO_INLINE_MAX_SIZE_BYTES, RespParser, RespProtocolError, splitArgs } from './resp-parser.js';
import { RespReply, formatDouble } from './reply.js';

function encode(argv: string[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

function parseAll(p: RespParser): string[][] {
  const out: string[][] = [];
  for (let r = p.next(); r !== null; r = p.next()) out.push(r);
  return out;
}

test('multibulk requests parse, including binary and empty args', () => {
  const p = new RespParser();
  p.feed(Buffer.concat([encode(['SET', 'k', '\x00\xff\r\n']), encode(['GET', '']), encode(['PING'])]));
  assert.deepEqual(parseAll(p), [['SET', 'k', '\x00\xff\r\n'], ['GET', ''], ['PING']]);
});

test('a request split at every byte boundary parses the same', () => {
  const whole = Buffer.concat([encode(['SET', 'key', 'value']), Buffer.from('PING\r\n'), encode(['ECHO', 'x'.repeat(40000)])]);
  for (let cut = 1; cut < whole.length; cut += cut < 100 ? 1 : 997) {
    const p = new RespParser();
    p.feed(whole.subarray(0, cut));
    const got = parseAll(p);
    p.feed(whole.subarray(cut));
    got.push(...parseAll(p));
    assert.equal(got.length, 3, `cut at ${cut}`);
    assert.deepEqual(got[1], ['PING']);
    assert.equal(got[2]?.[1]?.length, 40000);
  }
});

test('inline requests: quotes, escapes, empty lines skipped', () => {
  const p = new RespParser();
  p.feed(Buffer.from('\r\nSET a "b c\\n\\x41" \'d\\\'e\'\r\nPING\n'));
  assert.deepEqual(parseAll(p), [['SET', 'a', 'b c\nA', "d'e"], ['PING']]);
  assert.equal(splitArgs('"unterminated'), null);
  assert.equal(splitArgs('"a"b'), null);
});

function errorOf(input: string | Buffer, limits?: { protoMaxBulkLenBytes: number }): string {
  const p = new RespParser(limits);
  p.feed(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  try {
    parseAll(p);
  } catch (e) {
    assert.ok(e instanceof RespProtocolError);
    return e.message;
  }
  return 'no error';
}

test('protocol errors carry Redis texts', () => {
  assert.equal(errorOf('*abc\r\n'), 'Protocol error: invalid multibulk length');
  assert.equal(errorOf('*1\r\n$x\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(errorOf('*1\r\n$-1\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(errorOf('*1\r\n+OK\r\n'), "Protocol error: expected '$', got '+'");
  assert.equal(errorOf('SET "a\r\n'), 'Protocol error: unbalanced quotes in request');
  assert.equal(errorOf('*1\r\n$11\r\n', { protoMaxBulkLenBytes: 10 }), 'Protocol error: invalid bulk length');
  assert.equal(errorOf('*1\r\n$10\r\n', { protoMaxBulkLenBytes: 10 }), 'no error');
});

test('inline and header lines are limited to PROTO_INLINE_MAX_SIZE_BYTES', () => {
  assert.equal(errorOf('x'.repeat(PROTO_INLINE_MAX_SIZE_BYTES)), 'no error');
  assert.equal(errorOf('x'.repeat(PROTO_INLINE_MAX_SIZE_BYTES + 1)), 'Protocol error: too big inline request');
  assert.equal(errorOf('*' + '1'.repeat(PROTO_INLINE_MAX_SIZE_BYTES + 1)), 'Protocol error: too big mbulk count string');
  assert.equal(errorOf('*1\r\n$' + '1'.repeat(PROTO_INLINE_MAX_SIZE_BYTES + 1)), 'Protocol error: too big bulk count string');
});

test('bufferedBytes counts a partially received request (the query buffer limit input)', () => {
  const p = new RespParser();
  p.feed(Buffer.from('*2\r\n$3\r\nGET\r\n$100000\r\n' + 'a'.repeat(50000)));
  assert.equal(p.next(), null);
  assert.ok(p.bufferedBytes() >= 50000);
});

test('fuzz: arbitrary bytes never throw anything but a protocol error', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const p = new RespParser({ protoMaxBulkLenBytes: 1 << 20 });
      try {
        for (const ch of chunks) {
          p.feed(Buffer.from(ch));
          parseAll(p);
        }
      } catch (e) {
        if (!(e instanceof RespProtocolError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: encode → parse round-trips argv through any chunking', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n)), maxLength: 20 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 17 }),
      (reqs, step) => {
        const whole = Buffer.concat(reqs.map(encode));
        const p = new RespParser();
        const got: string[][] = [];
        for (let i = 0; i < whole.length; i += step) {
          p.feed(whole.subarray(i, i + step));
          got.push(...parseAll(p));
        }
        assert.deepEqual(got, reqs);
      },
    ),
    { numRuns: 300 },
  );
});

/** Every request and the error (if any) from feeding `bytes` in `step`-byte chunks. */
function outcome(bytes: Buffer, step: number, maxBulk: number): { reqs: string[][]; error: string | null } {
  const p = new RespParser({ protoMaxBulkLenBytes: maxBulk });
  const reqs: string[][] = [];
  try {
    for (let i = 0; i < bytes.length; i += step) {
      p.feed(bytes.subarray(i, i + step));
      for (let r = p.next(); r !== null; r = p.next()) reqs.push(r);
    }
  } catch (e) {
    if (!(e instanceof RespProtocolError)) throw e;
    return { reqs, error: e.message };
  }
  return { reqs, error: null };
}

test('fuzz: whole requests (the one-pass fast path) parse exactly as byte-at-a-time input (the general path)', () => {
  // Fed one byte at a time, no request is ever whole when parsing starts, so every header goes
  // through the general path; fed at once, well-formed requests take the fast path. Mutating valid
  // streams with protocol bytes hits the fast path's every bail-out (odd digits, zero and negative
  // counts, missing '$', lengths over the limit, short payloads).
  const byte = fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n));
  const arg = fc.oneof(fc.string({ unit: byte, maxLength: 20 }), fc.string({ unit: byte, minLength: 15, maxLength: 40 }));
  const noise = fc.constantFrom(...'*$\r\n0123456789-+ a'.split('').map((ch) => ch.charCodeAt(0)));
  fc.assert(
    fc.property(
      fc.array(fc.array(arg, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), noise), { maxLength: 3 }),
      fc.integer({ min: 8, max: 64 }),
      (reqs, mutations, maxBulk) => {
        const bytes = Buffer.concat(reqs.map(encode));
        for (const [at, v] of mutations) bytes[at % bytes.length] = v;
        assert.deepEqual(outcome(bytes, bytes.length, maxBulk), outcome(bytes, 1, maxBulk));
      },
    ),
    { numRuns: 3000 },
  );
});

test('short and long arguments decode to the same latin1 strings (JS and native decoders)', () => {
  const all = Array.from({ length: 40 }, (_, i) => String.fromCharCode(...Array.from({ length: i }, (_, j) => (j * 37 + i * 11) % 256)));
  const p = new RespParser();
  p.feed(Buffer.concat(all.map((a) => encode(['SET', a, a]))));
  assert.deepEqual(parseAll(p), all.map((a) => ['SET', a, a]));
});

test('reply writer: RESP2 and RESP3 encodings', () => {
  const r2 = new RespReply(2);
  r2.map(1);
  r2.bulk('a');
  r2.double(1.5);
  r2.nullBulk();
  r2.nullArray();
  r2.bool(true);
  assert.equal(r2.take(), '*2\r\n$1\r\na\r\n$3\r\n1.5\r\n$-1\r\n*-1\r\n:1\r\n');
  const r3 = new RespReply(3);
  r3.map(1);
  r3.bulk('a');
  r3.double(Infinity);
  r3.nullBulk();
  r3.push(1);
  r3.verbatim('hi');
  assert.equal(r3.take(), '%1\r\n$1\r\na\r\n,inf\r\n_\r\n>1\r\n=6\r\ntxt:hi\r\n');
  assert.equal(formatDouble(1e-7), '1e-07');
});
