// The luajs ports of cjson, cmsgpack, bit and struct against the fengari versions Nimbus runs
// today (src/redis/scripting/libs): every call of the corpus must give the same results, errors
// and bytes. Plus the expected values of libs.test.ts, and LuaBitOp's rounding of fractions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptRuntime } from '../../runtime.js';
import { withBuffers } from '../../reply.js';
import { LuaTable, type LuaFunction, type LuaValue } from '../value.js';
import { createStdlib, CJSON_NULL } from './index.js';
import { FENGARI_DIFFERS, portsCorpus } from './testing/ports-corpus.js';
import { diffCases, luaCall, luaPrelude, mismatchReport, showCase } from './testing/diff.js';

function runFengari(calls: string[]): string[] {
  // The fengari engine explicitly: the default engine now runs scripts on luajs with this library.
  const rt = new ScriptRuntime({ host: { call: () => null }, engine: 'fengari' });
  const script = `${luaPrelude()}\nlocal out = {}\n${calls.map((c) => `out[#out + 1] = ${c}`).join('\n')}\nreturn table.concat(out, '\\n')`;
  const r = rt.eval(Buffer.from(script, 'latin1'), [], [], false);
  assert.equal(r.status, 'done');
  const reply = r.status === 'done' ? withBuffers(r.reply) : null;
  assert.ok(Buffer.isBuffer(reply), `fengari run failed: ${JSON.stringify(reply)}`);
  return reply.toString('latin1').split('\n');
}

test('cjson, cmsgpack, bit and struct ports agree with the fengari libraries', () => {
  const cases = portsCorpus().filter((c) => !FENGARI_DIFFERS.has(showCase(c)));
  assert.ok(cases.length > 350, `corpus has ${cases.length} cases`);
  const lines = runFengari(cases.map(luaCall));
  assert.equal(lines.length, cases.length);
  const mismatches = diffCases(createStdlib, cases, lines, 'fengari');
  assert.equal(mismatches.length, 0, mismatchReport(mismatches, cases.length));
});

const lib = createStdlib();
const fn = (t: LuaTable, name: string): LuaFunction => t.get(name) as LuaFunction;
const hex = (v: LuaValue): string => Buffer.from(v as string, 'latin1').toString('hex');

test('libs.test.ts expectations hold for the ports', () => {
  const enc = fn(lib.cjson, 'encode');
  assert.equal(enc(new LuaTable([1, 2, 'a/b', true, CJSON_NULL]))[0], '[1,2,"a\\/b",true,null]');
  const pack = fn(lib.cmsgpack, 'pack');
  assert.equal(hex(pack(0.1)[0]), 'cb3fb999999999999a');
  assert.equal(hex(pack(1, 2)[0]), '0102');
  const self = new LuaTable();
  self.set(1, self);
  assert.throws(() => enc(self), /excessive nesting \(1001\)/);
  assert.equal(hex(fn(lib.struct, 'pack')('!4 b i4', 1, 2)[0]), '0100000002000000');
});

test('bit normalises fractions as LuaBitOp does (round half to even)', () => {
  const tobit = fn(lib.bit, 'tobit');
  assert.deepEqual(
    [1.5, 2.5, -1.5, 0.4999, 2 ** 32 + 0.5].map((x) => tobit(x)[0]),
    [2, 2, -2, 0, 0],
  );
});

test('cjson settings: sparse arrays, precision, depth limits', () => {
  const l = createStdlib();
  const enc = fn(l.cjson, 'encode');
  const sparse = new LuaTable();
  sparse.set(1, 1);
  sparse.set(100, 2);
  assert.throws(() => enc(sparse), /excessively sparse array/);
  assert.deepEqual(fn(l.cjson, 'encode_sparse_array')(true), [true, 2, 10]);
  assert.equal(enc(sparse)[0], '{"1":1,"100":2}');
  assert.deepEqual(fn(l.cjson, 'encode_number_precision')(3), [3]);
  assert.equal(enc(1 / 3)[0], '0.333');
  assert.throws(() => fn(l.cjson, 'encode_number_precision')(15), /expected integer between 1 and 14/);
  assert.deepEqual(fn(l.cjson, 'decode_max_depth')(2), [2]);
  assert.throws(() => fn(l.cjson, 'decode')('[[[1]]]'), /too many nested data structures \(3\)/);
  assert.deepEqual(fn(l.cjson, 'encode_invalid_numbers')(true), [true]);
  assert.equal(enc(Infinity)[0], 'inf');
});
