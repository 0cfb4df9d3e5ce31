// Differential test: hundreds of string/table/math library calls run in lua5.1 (the reference
// Redis embeds) and in the JS stdlib must give the same results, errors and table contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireTool } from '../../../../../test/helpers/tools.js';
import { createStdlib } from './index.js';
import { generatedFormatCases, generatedPatternCases, stdlibCorpus } from './testing/corpus.js';
import {
  canonLua,
  jsRun,
  luaCall,
  luaPrelude,
  sameCanon,
  showCanon,
  showCase,
  type Case,
} from './testing/diff.js';

/** Runs the cases in lua5.1, one output line per case. */
function runLua(lua: string, cases: Case[]): string[] {
  const src = luaPrelude() + cases.map((c) => `print(${luaCall(c)})`).join('\n') + '\n';
  const r = spawnSync(lua, ['-'], { input: src, encoding: 'latin1', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  lines.pop();
  assert.equal(lines.length, cases.length);
  return lines;
}

test('string, table and math libraries agree with lua5.1', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  const cases = stdlibCorpus();
  const lines = runLua(lua, cases);
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    // A fresh library per case: no state (random seed, cjson settings) leaks between cases.
    const got = jsRun(createStdlib(), c);
    const want = canonLua(lines[i]!);
    if (!sameCanon(got, want, c.tol === true)) {
      mismatches.push(`${showCase(c)}\n  lua5.1: ${showCanon(want)}\n  js:     ${showCanon(got)}`);
    }
  });
  assert.ok(cases.length > 500, `corpus has ${cases.length} cases`);
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length} of ${cases.length} differ:\n${mismatches.slice(0, Number(process.env['DIFF_SHOW'] ?? 25)).join('\n')}`,
  );
});

test('generated patterns and printf specs agree with lua5.1', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  const cases = [...generatedPatternCases(1500), ...generatedFormatCases(4000)];
  const lines = runLua(lua, cases);
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const got = jsRun(createStdlib(), c);
    const want = canonLua(lines[i]!);
    if (!sameCanon(got, want, false))
      mismatches.push(`${showCase(c)}\n  lua5.1: ${showCanon(want)}\n  js:     ${showCanon(got)}`);
  });
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length} of ${cases.length} differ:\n${mismatches.slice(0, Number(process.env['DIFF_SHOW'] ?? 25)).join('\n')}`,
  );
});
