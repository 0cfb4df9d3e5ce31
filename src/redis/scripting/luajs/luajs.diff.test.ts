// Differential test: every snippet of corpus.ts runs in the reference Lua 5.1 (/usr/bin/lua5.1)
// and in luajs; the printed results (values with their types, or the error text) must be equal.
// Skipped with a printed reason when lua5.1 is missing (fails under CI=true: CI installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireTool } from '../../../../test/helpers/tools.js';
import { CORE_CORPUS, LIB_CORPUS } from './corpus.js';
import { testEngine } from './testing.js';
import { createStdlib } from './stdlib-loader.js';

/** Prints a pcall result list: count, then type:value per value (tables as their array part). */
const SER =
  "local __v = function(v) local t = type(v) if t == 'table' or t == 'function' or t == 'userdata' then return t end return t .. ':' .. tostring(v) end " +
  "local __ser = function(...) local n = select('#', ...) local s = tostring(n) for i = 1, n do local v = (select(i, ...)) " +
  "if type(v) == 'table' then local p = '{' for j = 1, #v do p = p .. __v(v[j]) .. ',' end s = s .. ' ' .. p .. '}#' .. #v else s = s .. ' ' .. __v(v) end end return s end " +
  'return __ser(pcall(function(...) ';

const wrap = (snippet: string): string => `${SER}${snippet}\nend))`;

/** A long-bracket level whose closing bracket does not occur in s. */
function longQuote(s: string): string {
  let eq = '';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[\n${s}]${eq}]`;
}

function runReference(lua: string, chunks: string[]): string[] {
  const driver =
    'local chunks = {\n' +
    chunks.map((c) => longQuote(c)).join(',\n') +
    '\n}\nfor _, src in ipairs(chunks) do\n' +
    "  local f, err = loadstring(src, '=user_script')\n" +
    "  if not f then io.write('COMPILE ERROR ', err) else\n" +
    "    local ok, r = pcall(f) io.write(ok and tostring(r) or ('RUNTIME ' .. tostring(r))) end\n" +
    "  io.write('\\n\\0END\\n')\nend\n";
  const r = spawnSync(lua, ['-'], { input: Buffer.from(driver, 'latin1'), maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString('latin1').split('\n\0END\n').slice(0, chunks.length);
}

function compare(lua: string, corpus: string[]): void {
  const chunks = corpus.map(wrap);
  const expected = runReference(lua, chunks);
  const { exec } = testEngine();
  const failures: string[] = [];
  chunks.forEach((src, i) => {
    const got = exec(src);
    if (got !== expected[i])
      failures.push(`${corpus[i]}\n  lua5.1: ${expected[i]}\n  luajs:  ${String(got)}`);
  });
  assert.equal(failures.length, 0, `${failures.length} of ${chunks.length} differ:\n${failures.join('\n')}`);
}

test('luajs matches lua5.1 on the core corpus', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (lua) compare(lua, CORE_CORPUS);
});

test('luajs matches lua5.1 on library calls through the compiler', (t) => {
  const lua = requireTool(t, 'lua5.1');
  if (!lua) return;
  if (createStdlib === null) {
    if (process.env['CI'] === 'true') throw new Error('CI=true but the luajs stdlib did not load');
    t.skip('the luajs stdlib (luajs/lib) does not load yet');
    return;
  }
  compare(lua, LIB_CORPUS);
});
