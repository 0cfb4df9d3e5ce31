// Proves the cjson, cmsgpack, bit and struct libraries produce the bytes and values the C
// libraries Redis ships produce, round-trip, and turn arbitrary input into Lua errors (never a
// crash of the runtime).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScriptRuntime } from '../runtime.js';
import { withBuffers, type ScriptReply } from '../reply.js';
import { formatG } from './numfmt.js';

const rt = new ScriptRuntime({ host: { call: () => null } });
function run(body: string, args: Array<string | Buffer> = []): ScriptReply {
  const r = rt.eval(
    Buffer.from(body),
    [],
    args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(a))),
    false,
  );
  assert.equal(r.status, 'done');
  return r.status === 'done' ? withBuffers(r.reply) : null;
}
const str = (r: ScriptReply): string => (Buffer.isBuffer(r) ? r.toString('latin1') : JSON.stringify(r));

test('formatG matches printf %.14g', () => {
  assert.equal(formatG(1, 14), '1');
  assert.equal(formatG(0.1, 14), '0.1');
  assert.equal(formatG(1e15, 14), '1e+15');
  assert.equal(formatG(123456789012345, 14), '1.2345678901235e+14');
  assert.equal(formatG(0.00001, 14), '1e-05');
  assert.equal(formatG(-2.5, 14), '-2.5');
  assert.equal(formatG(100, 14), '100');
});

test('cjson.encode', () => {
  assert.equal(str(run("return cjson.encode({1, 2, 'a/b', true, cjson.null})")), '[1,2,"a\\/b",true,null]');
  assert.equal(str(run('return cjson.encode({})')), '{}');
  assert.equal(str(run("return cjson.encode({a={b='\\n'}})")), '{"a":{"b":"\\n"}}');
  assert.equal(str(run('return cjson.encode(3.25)')), '3.25');
  assert.match(str(run('return cjson.encode({[1]=1, [100]=2})')), /excessively sparse array/);
  assert.match(str(run('return cjson.encode(function() end)')), /Cannot serialise function/);
  assert.match(str(run('local t = {} t[1] = t return cjson.encode(t)')), /excessive nesting/);
});

test('cjson.decode', () => {
  assert.deepEqual(
    run(`local t = cjson.decode(ARGV[1]) return {t.a, t.b[2], t.c == cjson.null and 1 or 0, t.d}`, [
      '{"a":"x","b":[1,2.5],"c":null,"d":"\\u00e9\\ud83d\\ude00"}',
    ]),
    [Buffer.from('x'), 2, 1, Buffer.from('é😀')],
  );
  assert.match(str(run('return cjson.decode(ARGV[1])', ['{"a":'])), /Expected/);
  assert.match(str(run('return cjson.decode(ARGV[1])', ['[1] x'])), /Expected/);
  assert.match(str(run('return cjson.decode(ARGV[1])', ['['.repeat(1100)])), /too many nested/);
});

test('cjson round-trips and never crashes on arbitrary input', () => {
  fc.assert(
    fc.property(fc.json(), (j) => {
      const r = run('return cjson.encode(cjson.decode(ARGV[1]))', [j]);
      assert.ok(
        Buffer.isBuffer(r) || (r !== null && typeof r === 'object' && 'kind' in r && r.kind === 'error'),
      );
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      run('local ok = pcall(cjson.decode, ARGV[1]) return 1', [Buffer.from(bytes)]);
    }),
    { numRuns: 300 },
  );
});

test('cmsgpack encodes like lua-cmsgpack and round-trips', () => {
  const hex = (body: string): string => (run(body) as Buffer).toString('hex');
  assert.equal(hex('return cmsgpack.pack(1)'), '01');
  assert.equal(hex('return cmsgpack.pack(-1)'), 'ff');
  assert.equal(hex('return cmsgpack.pack(300)'), 'cd012c');
  assert.equal(hex('return cmsgpack.pack(-200)'), 'd1ff38');
  assert.equal(hex('return cmsgpack.pack(1.5)'), 'ca3fc00000');
  assert.equal(hex('return cmsgpack.pack(0.1)'), 'cb3fb999999999999a');
  assert.equal(hex("return cmsgpack.pack('abc')"), 'a3616263');
  assert.equal(hex('return cmsgpack.pack({1,2})'), '920102');
  assert.equal(hex('return cmsgpack.pack({a=true})'), '81a161c3');
  assert.equal(hex('return cmsgpack.pack({})'), '90');
  assert.equal(hex('return cmsgpack.pack(1, 2)'), '0102');
  assert.deepEqual(run('return {cmsgpack.unpack(cmsgpack.pack(1, "x", {5, {y=2}}))}'), [
    1,
    Buffer.from('x'),
    [5, []],
  ]);
  assert.deepEqual(
    run('local t = select(3, cmsgpack.unpack(cmsgpack.pack(1, "x", {5, {y=2}}))) return t[2].y'),
    2,
  );
  assert.deepEqual(run('local off, v = cmsgpack.unpack_one(cmsgpack.pack(7, 8)) return {off, v}'), [1, 7]);
  assert.match(str(run("return cmsgpack.unpack('\\220\\0\\5')")), /Missing bytes/);
  assert.match(str(run("return cmsgpack.unpack('\\193')")), /Bad data format/);
});

test('cmsgpack.unpack never crashes on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      run('pcall(cmsgpack.unpack, ARGV[1]) return 1', [Buffer.from(bytes)]);
    }),
    { numRuns: 300 },
  );
});

test('bit library is 32-bit LuaBitOp', () => {
  assert.deepEqual(
    run(
      'return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(3, 1), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.tobit(0xffffffff + 1)}',
    ),
    [15, 7, 2, -1, -2147483648, 15, -4, 0],
  );
  assert.deepEqual(
    run(
      'return {bit.tohex(255), bit.tohex(255, -2), bit.tohex(bit.bswap(0x12345678)), bit.tohex(bit.rol(0x12345678, 8))}',
    ),
    [Buffer.from('000000ff'), Buffer.from('FF'), Buffer.from('78563412'), Buffer.from('34567812')],
  );
});

test('struct pack/unpack/size', () => {
  assert.equal((run("return struct.pack('>I2', 258)") as Buffer).toString('hex'), '0102');
  assert.equal((run("return struct.pack('<i4', -2)") as Buffer).toString('hex'), 'feffffff');
  assert.equal((run("return struct.pack('!4 b i4', 1, 2)") as Buffer).toString('hex'), '0100000002000000');
  assert.deepEqual(run("return {struct.unpack('>hBsc2', struct.pack('>hBsc2', -5, 200, 'ab', 'xy'))}"), [
    -5,
    200,
    Buffer.from('ab'),
    Buffer.from('xy'),
    9,
  ]);
  assert.equal(run("return struct.size('>i4hd')"), 14);
  assert.deepEqual(run("return {struct.unpack('b c0', struct.pack('b c0', 3, 'abc'))}"), [
    Buffer.from('abc'),
    5,
  ]);
  assert.deepEqual(run("return {struct.unpack('<d', struct.pack('<d', 2.5))}"), [2, 9]);
  assert.match(str(run("return struct.unpack('>i4', 'ab')")), /data string too short/);
  assert.match(str(run("return struct.pack('q', 1)")), /invalid format option/);
});
