// Differential test against redis-server itself (the Lua 5.1 + cjson/cmsgpack/bit/struct build
// Redis ships): the corpora run inside EVAL and directly against the JS stdlib must agree, and
// math.random must give redis-server's sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../../../../../test/helpers/tools.js';
import { startRealRedis, type RealRedis } from '../../../persistence/real-redis-harness.js';
import type { LuaFunction } from '../value.js';
import { createStdlib } from './index.js';
import { generatedFormatCases, generatedPatternCases, stdlibCorpus } from './testing/corpus.js';
import { portsCorpus, redisOnlyCorpus } from './testing/ports-corpus.js';
import { diffCases, luaCall, luaPrelude, mismatchReport, type Case } from './testing/diff.js';

/** Cases per EVAL: keeps each script well inside Lua's per-function constant limits. */
const CASES_PER_SCRIPT = 800;

async function evalLines(r: RealRedis, calls: string[]): Promise<string[]> {
  const script = `${luaPrelude()}\nlocal out = {}\n${calls.map((c) => `out[#out + 1] = ${c}`).join('\n')}\nreturn table.concat(out, '\\n')`;
  const reply = (await r.client.callBuffer('EVAL', Buffer.from(script, 'latin1'), 0)) as Buffer;
  return reply.toString('latin1').split('\n');
}

async function compare(r: RealRedis, cases: Case[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (let start = 0; start < cases.length; start += CASES_PER_SCRIPT) {
    const chunk = cases.slice(start, start + CASES_PER_SCRIPT);
    const lines = await evalLines(r, chunk.map(luaCall));
    assert.equal(lines.length, chunk.length);
    mismatches.push(...diffCases(createStdlib, chunk, lines, 'redis'));
  }
  return mismatches;
}

test('the stdlib agrees with redis-server 7 scripting', async (t) => {
  if (!requireTool(t, 'redis-server')) return;
  const dir = mkdtempSync(join(tmpdir(), 'luajs-stdlib-'));
  const r = await startRealRedis(dir);
  try {
    // math.random: a fresh server's rand48 state, then after randomseed (the state is global).
    const seq = (await r.client.eval(
      "local t = {} for i = 1, 4 do t[i] = string.format('%.17g', math.random()) end math.randomseed(42) for i = 5, 8 do t[i] = string.format('%.17g', math.random(1, 1000)) end return t",
      0,
    )) as string[];
    const lib = createStdlib();
    const random = lib.math.get('random') as LuaFunction;
    const mine: number[] = [];
    for (let i = 0; i < 4; i++) mine.push(random()[0] as number);
    (lib.math.get('randomseed') as LuaFunction)(42);
    for (let i = 0; i < 4; i++) mine.push(random(1, 1000)[0] as number);
    assert.deepEqual(seq.map(Number), mine);

    const cases = [
      ...portsCorpus(),
      ...redisOnlyCorpus(),
      ...stdlibCorpus(),
      ...generatedPatternCases(500),
      ...generatedFormatCases(1000),
    ];
    const mismatches = await compare(r, cases);
    assert.equal(mismatches.length, 0, mismatchReport(mismatches, cases.length));
  } finally {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
