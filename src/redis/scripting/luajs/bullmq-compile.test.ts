// Every Lua script BullMQ 6.7.0 sends (the bodies its dist/esm/scripts modules export) compiles
// with luajs, so a BullMQ queue runs compiled rather than falling back to fengari.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { testEngine } from './testing.js';
import { createStdlib } from './stdlib-loader.js';

const SCRIPTS_DIR = join(process.cwd(), 'node_modules/bullmq/dist/esm/scripts');

test("BullMQ's scripts all compile with luajs (no fallback)", async () => {
  assert.ok(createStdlib !== null, 'the luajs stdlib is switched off (NIMBUS_LUAJS_STDLIB=off)');
  const { engine } = testEngine();
  const files = readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith('.js') && f !== 'index.js');
  assert.ok(files.length >= 60, `expected BullMQ's scripts in ${SCRIPTS_DIR}`);
  const refused: string[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(SCRIPTS_DIR, f)).href)) as Record<
      string,
      { content?: unknown }
    >;
    for (const v of Object.values(mod)) {
      if (typeof v?.content !== 'string') continue;
      if (engine.compile(v.content) === null) refused.push(f);
    }
  }
  assert.deepEqual(refused, []);
});
