// Differential fuzz: random expressions (every operator, mixed types: numbers, numeric strings,
// other strings, nil, booleans) evaluated by lua5.1 and luajs must give the same values or the
// same error. Operands are locals, so lua5.1's constant folding (which merges 0 and -0
// constants) does not make the reference differ from plain Lua semantics. Deterministic seed.
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

const exprArb: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...VARS),
    fc.tuple(fc.constantFrom('-', 'not ', '#'), tie('e')).map(([op, x]) => `${op}(${x})`),
    fc.tuple(tie('e'), fc.constantFrom(...BINOPS), tie('e')).map(([x, op, y]) => `(${x} ${op} ${y})`),
  ),
})).e;

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

test('random expressions: luajs matches lua5.1 (values and error texts)', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  const exprs = fc.sample(exprArb, { numRuns: EXPRESSIONS, seed: 20261126 });
  const driver =
    'local chunks = {\n' +
    exprs.map((e) => `[==[${chunk(e)}]==]`).join(',\n') +
    "\n}\nfor _, src in ipairs(chunks) do local f = assert(loadstring(src, '=user_script')) io.write(f(), '\\n') end\n";
  const r = spawnSync(lua, ['-'], { input: driver, maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  const expected = r.stdout.toString('latin1').split('\n');
  const { exec } = testEngine();
  const failures: string[] = [];
  exprs.forEach((e, n) => {
    const got = exec(chunk(e));
    if (typeof got !== 'string' || normalize(e, got) !== normalize(e, expected[n] ?? ''))
      failures.push(`${e}\n  lua5.1: ${expected[n]}\n  luajs:  ${JSON.stringify(got)}`);
  });
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${exprs.length} differ:\n${failures.slice(0, 10).join('\n')}`,
  );
});
