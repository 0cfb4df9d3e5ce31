// Differential fuzz: random expressions (every operator, mixed types: numbers, numeric strings,
// other strings, nil, booleans) and random statement sequences (assignments, tables, if, numeric
// for, ipairs, while, repeat, local functions and closures) run by lua5.1 and luajs must give the
// same values or the same error. Operands are locals, so lua5.1's constant folding (which merges
// 0 and -0 constants) does not make the reference differ from plain Lua semantics. Fixed seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { requireTool } from '../../../../test/helpers/tools.js';
import { testEngine } from './testing.js';

/** Expressions per run (one lua5.1 process evaluates them all). */
const EXPRESSIONS = 600;

const LOCALS =
  'local a, b, c, d, e, f, g, h, i, j, k = 3, -2.5, "10", "abc", nil, true, 0, 1e15, "0x10", 2^53, " 7 "';
const VARS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
const BINOPS = ['+', '-', '*', '/', '%', '^', '..', '==', '~=', '<', '<=', '>', '>=', 'and', 'or'];

const exprOver = (vars: string[]): fc.Arbitrary<string> =>
  fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...vars),
      fc.tuple(fc.constantFrom('-', 'not ', '#'), tie('e')).map(([op, x]) => `${op}(${x})`),
      fc.tuple(tie('e'), fc.constantFrom(...BINOPS), tie('e')).map(([x, op, y]) => `(${x} ${op} ${y})`),
    ),
  })).e;
const exprArb = exprOver(VARS);
/** Expressions for the statement fuzz: its locals only (others would be unknown globals). */
const stExpr = exprOver(['a', 'b', 'c', 'd', 'e', 't[1]', '#t', 't', 't.zz']);

/** Prints one result: ok flag, type and value (tostring). */
const PRINT =
  "local ok, v = pcall(function() return EXPR end) local t = type(v) return tostring(ok) .. ' ' .. t .. ' ' .. ((t == 'table' or t == 'function') and t or tostring(v))";

/**
 * What may legitimately differ: the sign C printf shows for NaN (JS does not keep NaN's sign),
 * and the variable Lua 5.1 names when an and/or result fails (its register's last variable).
 */
function normalize(expr: string, out: string): string {
  out = out.replace(/-?nan/g, 'nan');
  if (/ (and|or) /.test(expr)) out = out.replace(/(?:upvalue|local) '\w+' \(a (\w+) value\)/, 'a $1 value');
  return out;
}

function chunk(expr: string): string {
  return `${LOCALS}\n${PRINT.replace('EXPR', expr)}`;
}

/**
 * Runs every case's chunk in one lua5.1 process and in luajs; each chunk returns one line of
 * text, compared after `norm` (which gets the case, for case-dependent allowances).
 */
function compareWithLua(
  lua: string,
  cases: string[],
  toChunk: (c: string) => string,
  norm: (c: string, out: string) => string,
): void {
  const driver =
    'local chunks = {\n' +
    cases.map((c) => `[==[${toChunk(c)}]==]`).join(',\n') +
    "\n}\nfor _, src in ipairs(chunks) do local f = assert(loadstring(src, '=user_script')) io.write((f():gsub('\\n', ' ')), '\\n') end\n";
  const r = spawnSync(lua, ['-'], { input: driver, maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  const expected = r.stdout.toString('latin1').split('\n');
  const { exec } = testEngine();
  const failures: string[] = [];
  cases.forEach((c, n) => {
    const got = exec(toChunk(c));
    if (typeof got !== 'string' || norm(c, got) !== norm(c, expected[n] ?? ''))
      failures.push(`${c}\n  lua5.1: ${expected[n]}\n  luajs:  ${JSON.stringify(got)}`);
  });
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${cases.length} differ:\n${failures.slice(0, 5).join('\n')}`,
  );
}

test('random expressions: luajs matches lua5.1 (values and error texts)', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  const exprs = fc.sample(exprArb, { numRuns: EXPRESSIONS, seed: 20261126 });
  compareWithLua(lua, exprs, chunk, (e, out) => normalize(e, out));
});

/** Random statement blocks over the locals a..e and the table t; every loop is bounded. */
const blockArb: fc.Arbitrary<string> = fc.letrec<{ block: string; stat: string }>((tie) => ({
  block: fc.array(tie('stat'), { minLength: 1, maxLength: 4 }).map((ss) => ss.join('\n')),
  stat: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), stExpr).map(([v, x]) => `${v} = ${x}`),
    fc.tuple(fc.constantFrom('1', '2', '3', '"x"', 'a', '#t + 1'), stExpr).map(([k, x]) => `t[${k}] = ${x}`),
    fc.tuple(stExpr, tie('block'), tie('block')).map(([c, x, y]) => `if ${c} then\n${x}\nelse\n${y}\nend`),
    fc
      .tuple(
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: -3, max: 3 }),
        fc.constantFrom('1', '-1', '0.5', '2'),
        tie('block'),
      )
      .map(([x, y, st, b]) => `for n = ${x}, ${y}, ${st} do\nd = n\n${b}\nend`),
    tie('block').map((b) => `for i, v in ipairs(t) do\ne = v\n${b}\nend`),
    tie('block').map((b) => `do\nlocal w = 0\nwhile w < 3 do\nw = w + 1\n${b}\nend\nend`),
    tie('block').map((b) => `do\nlocal r = 0\nrepeat\nlocal q = r\nr = r + 1\n${b}\nuntil q >= 2\nend`),
    fc
      .tuple(tie('block'), stExpr)
      .map(([b, x]) => `do\nlocal function fx(p)\nlocal a = p\n${b}\nreturn ${x}\nend\nc = fx(a)\nend`),
    fc.tuple(stExpr).map(([x]) => `do\nlocal cap = ${x}\nfs[#fs + 1] = function() return cap end\nend`),
    fc.tuple(stExpr, stExpr).map(([x, y]) => `a, b, c = ${x}, ${y}`),
    fc
      .tuple(stExpr, stExpr)
      .map(
        ([x, y]) =>
          `do\nlocal function mr(...) return ..., select('#', ...) end\nb, c, d, e = mr(${x}, ${y})\nend`,
      ),
    fc.constant('setmetatable(t, MT)'),
    fc.constant('setmetatable(t, nil)'),
  ),
})).block;

const STAT_PRINT =
  'local function show(v) local ty = type(v) return (ty == "table" or ty == "function") and ty or tostring(v) end ' +
  'local ok, err = pcall(function()\nBODY\nend) ' +
  'local out = tostring(ok) .. " " .. show(err) ' +
  'for _, v in ipairs({a, b, c, d, e, t[1], t[2], t[3], t.x, #t}) do out = out .. " " .. show(v) end ' +
  'for n = 1, #fs do out = out .. " f" .. show(fs[n]()) end return out';

/** A metatable the blocks may give t: arithmetic, concat, order, __index and __newindex. */
const METATABLE =
  'local MT = {__add = function(x, y) return 7 end, __sub = function() return "s" end, ' +
  '__concat = function(x, y) return "cc" end, __lt = function() return true end, __le = function() return false end, ' +
  '__unm = function() return -1 end, __index = function(_, k) return tostring(k) .. "!" end, ' +
  '__newindex = function(tt, k, v) rawset(tt, k, v) end, __call = function(self, x) return x end}';

/**
 * Variable names in error texts are left out of the statement comparison: Lua 5.1 names the
 * variable its register last held, also for an operator's result (an artefact the expression
 * test above already checks the ordinary cases of).
 */
function unnamed(out: string): string {
  return out.replace(/(?:upvalue|local|global|field) '[^']*' \(a (\w+) value\)/g, 'a $1 value');
}

function statChunk(body: string): string {
  return `local a, b, c, d, e = 3, "10", nil, true, 0.5\nlocal t, fs = {1, "x"}, {}\n${METATABLE}\n${STAT_PRINT.replace('BODY', body)}`;
}

test('random statement blocks: luajs matches lua5.1', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  const blocks = fc.sample(blockArb, { numRuns: 300, seed: 1126 });
  compareWithLua(lua, blocks, statChunk, (b, out) => unnamed(normalize(b, out.replace(/\n/g, ' '))));
});
