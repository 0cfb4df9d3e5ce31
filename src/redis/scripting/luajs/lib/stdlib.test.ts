// Unit and fuzz tests of the luajs stdlib: Redis's math.random sequence, the matcher's limits and
// interrupt hook, and fast-check fuzzing of patterns and string.format (only LuaErrors, bounded
// time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LuaError, LuaTable, type LuaFunction, type LuaValue } from '../value.js';
import { createStdlib, luaPow, luaToString } from './index.js';
import { luaNumberToString } from './format.js';
import { MAX_MATCH_DEPTH } from './pattern.js';

const fn = (t: LuaTable, name: string): LuaFunction => t.get(name) as LuaFunction;

test('math.random follows Redis rand48 (the sequence redis-server gives after randomseed(0))', () => {
  const lib = createStdlib();
  fn(lib.math, 'randomseed')(0);
  const r = fn(lib.math, 'random');
  assert.deepEqual(
    [r(), r(), r(), r(), r()].map((v) => luaNumberToString(v[0] as number)),
    ['0.17082803611217', '0.74990198051087', '0.09637165539729', '0.87046522734243', '0.57730350670279'],
  );
  fn(lib.math, 'randomseed')(0);
  assert.deepEqual(
    [r(1000000), r(1000000), r(1000000)].map((v) => v[0]),
    [170829, 749902, 96372],
  );
  fn(lib.math, 'randomseed')(0);
  for (let i = 0; i < 1000; i++) {
    const v = r(3, 5)[0] as number;
    assert.ok(v >= 3 && v <= 5 && Number.isInteger(v));
  }
  // The state lives as long as the library (one per engine), as in Redis 7.
  const a = createStdlib();
  const b = createStdlib();
  assert.equal(fn(a.math, 'random')()[0], fn(b.math, 'random')()[0]);
  assert.notEqual(fn(a.math, 'random')()[0], fn(a.math, 'random')()[0]);
});

test('luaPow follows C pow where Math.pow differs', () => {
  assert.equal(luaPow(1, NaN), 1);
  assert.equal(luaPow(-1, Infinity), 1);
  assert.equal(luaPow(NaN, 0), 1);
  assert.equal(luaPow(2, 10), 1024);
});

test('pattern nesting is limited ("pattern too complex") and long matches call the interrupt hook', () => {
  const lib = createStdlib();
  const find = fn(lib.string, 'find');
  assert.deepEqual(find('a'.repeat(100), 'a?'.repeat(100)), [1, 100]);
  assert.throws(
    () => find('a'.repeat(MAX_MATCH_DEPTH + 10), 'a?'.repeat(MAX_MATCH_DEPTH + 10)),
    (e: unknown) => e instanceof LuaError && e.value === 'pattern too complex',
  );
  class Killed extends Error {}
  let calls = 0;
  const hooked = createStdlib({
    interrupt: () => {
      if (++calls > 3) throw new Killed();
    },
  });
  // Polynomial backtracking: a*a*a*...b over a run of a's never matches.
  assert.throws(() => fn(hooked.string, 'find')('a'.repeat(60), 'a*'.repeat(8) + 'b'), Killed);
  assert.ok(calls > 3);
  // The same library still works afterwards (match state is not left corrupted).
  assert.deepEqual(fn(hooked.string, 'match')('key:42', '(%d+)'), ['42']);
});

test('string.rep refuses results beyond the string length limit', () => {
  const rep = fn(createStdlib().string, 'rep');
  assert.throws(
    () => rep('ab', 2 ** 30),
    (e: unknown) => e instanceof LuaError && e.value === 'not enough memory',
  );
});

test('table.sort uses the lessThan hook and interrupt; gsub uses the index hook', () => {
  const seen: string[] = [];
  const lib = createStdlib({
    lessThan: (a, b) => {
      seen.push('lt');
      return (a as LuaTable).get('v')! < (b as LuaTable).get('v')!;
    },
    index: (t, k) => (t.get(k) === undefined ? `<${String(k)}>` : t.get(k)),
  });
  const mk = (v: number): LuaTable => {
    const t = new LuaTable();
    t.set('v', v);
    return t;
  };
  const arr = new LuaTable([mk(3), mk(1), mk(2)]);
  fn(lib.table, 'sort')(arr);
  assert.deepEqual(
    arr.arr.map((t) => (t as LuaTable).get('v')),
    [1, 2, 3],
  );
  assert.ok(seen.length > 0);
  const t = new LuaTable();
  t.set('a', 'A');
  assert.deepEqual(fn(lib.string, 'gsub')('a b', '%a', t), ['A <b>', 2]);
});

/** Arbitrary latin1 strings. */
const bytes = (max: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((a) => String.fromCharCode(...a));
const TOKENS = [
  '%',
  '(',
  ')',
  '[',
  ']',
  '^',
  '$',
  '*',
  '+',
  '-',
  '?',
  '.',
  '%b',
  '%f',
  '%1',
  '%a',
  'a',
  '\0',
];
const patterns = fc.oneof(
  bytes(12),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 10 }).map((a) => a.join('')),
);

/** Runs f, allowing only LuaErrors and the interrupt signal. */
function onlyLuaErrors(f: () => unknown, allowed: (e: unknown) => boolean = () => false): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof LuaError) && !allowed(e)) throw e;
  }
}

test('pattern functions never crash and stop within the interrupt budget', () => {
  class Budget extends Error {}
  let ticks = 0;
  const lib = createStdlib({
    interrupt: () => {
      if (++ticks > 20) throw new Budget();
    },
  });
  const s = lib.string;
  const repl = fc.oneof(
    bytes(6),
    fc.constant(fn(s, 'upper') as LuaValue),
    fc.constant(new LuaTable() as LuaValue),
  );
  fc.assert(
    fc.property(bytes(40), patterns, repl, fc.integer({ min: -50, max: 50 }), (subject, p, r, init) => {
      for (const call of [
        () => fn(s, 'find')(subject, p, init),
        () => fn(s, 'match')(subject, p, init),
        () => fn(s, 'gsub')(subject, p, r),
        () => {
          const it = fn(s, 'gmatch')(subject, p)[0] as LuaFunction;
          for (let i = 0; i < 50 && it().length > 0; i++);
        },
      ]) {
        ticks = 0;
        onlyLuaErrors(call, (e) => e instanceof Budget);
      }
    }),
    { numRuns: 1500 },
  );
});

test('string.format never crashes on arbitrary formats and arguments', () => {
  const format = fn(createStdlib().string, 'format');
  const value = fc.oneof(
    fc.double(),
    fc.integer(),
    bytes(8),
    fc.constant(undefined),
    fc.boolean(),
    fc.constant(new LuaTable() as LuaValue),
  );
  const spec = fc
    .tuple(fc.stringMatching(/^[-+ #0]{0,7}[0-9]{0,3}(\.[0-9]{0,3})?[a-zA-Z%]?$/), fc.boolean())
    .map(([x, pct]) => (pct ? '%' : '') + x);
  fc.assert(
    fc.property(
      fc.array(fc.oneof(spec, bytes(4)), { maxLength: 4 }),
      fc.array(value, { maxLength: 4 }),
      (parts, args) => {
        onlyLuaErrors(() => {
          const r = format(parts.join(''), ...args);
          assert.equal(typeof r[0], 'string');
        });
      },
    ),
    { numRuns: 3000 },
  );
});

test('cjson and cmsgpack decoders never crash on arbitrary bytes', () => {
  const lib = createStdlib();
  fc.assert(
    fc.property(bytes(64), (s) => {
      onlyLuaErrors(() => fn(lib.cjson, 'decode')(s));
      onlyLuaErrors(() => fn(lib.cmsgpack, 'unpack')(s));
      onlyLuaErrors(() => fn(lib.struct, 'unpack')(s.slice(0, 6), s));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.json(), (j) => {
      const v = fn(lib.cjson, 'decode')(j)[0];
      assert.equal(typeof fn(lib.cjson, 'encode')(v)[0], 'string');
    }),
    { numRuns: 300 },
  );
});

test('luaToString prints like Lua 5.1 tostring', () => {
  assert.equal(luaToString(undefined), 'nil');
  assert.equal(luaToString(false), 'false');
  assert.equal(luaToString(10 / 2), '5');
  assert.equal(luaToString(1e14), '1e+14');
  assert.equal(luaToString(0.1), '0.1');
  assert.equal(luaToString(-0), '-0');
  assert.equal(luaToString(0 / 0), '-nan');
  assert.equal(luaToString(1 / 0), 'inf');
  const t = new LuaTable();
  assert.match(luaToString(t), /^table: 0x[0-9a-f]{12}$/);
  assert.equal(luaToString(t), luaToString(t));
  assert.notEqual(luaToString(t), luaToString(new LuaTable()));
  assert.match(luaToString(fn(createStdlib().string, 'len')), /^function: 0x/);
});

test('results beyond the string length limit are "not enough memory", not a JS crash', () => {
  const lib = createStdlib();
  // 600 references to one 1 MiB string: joining them passes V8's ~512 MiB string limit, which is
  // checked before anything is allocated.
  const mib = 'x'.repeat(1 << 20);
  const many = Array.from({ length: 600 }, () => mib);
  const oom = (e: unknown): boolean => e instanceof LuaError && e.value === 'not enough memory';
  assert.throws(() => fn(lib.table, 'concat')(new LuaTable(many)), oom);
  assert.throws(() => fn(lib.string, 'format')('%s'.repeat(600), ...many), oom);
});
