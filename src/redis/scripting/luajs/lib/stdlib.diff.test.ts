// Differential test: thousands of string/table/math library calls (and tostring) run in lua5.1,
// the reference Redis embeds, and in the JS stdlib must give the same results, errors and table
// contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireTool } from '../../../../../test/helpers/tools.js';
import { createStdlib } from './index.js';
import { generatedFormatCases, generatedPatternCases, stdlibCorpus } from './testing/corpus.js';
import { diffCases, luaCall, luaPrelude, mismatchReport, type Case } from './testing/diff.js';

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

function check(lua: string, cases: Case[]): void {
  const mismatches = diffCases(createStdlib, cases, runLua(lua, cases), 'lua5.1');
  assert.equal(mismatches.length, 0, mismatchReport(mismatches, cases.length));
}

test('string, table and math libraries agree with lua5.1', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  const cases = stdlibCorpus();
  assert.ok(cases.length > 5000, `corpus has ${cases.length} cases`);
  check(lua, cases);
});

test('generated patterns and printf specs agree with lua5.1', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  check(lua, [...generatedPatternCases(1500), ...generatedFormatCases(4000)]);
});
