// Loads the luajs standard library (luajs/lib/, written separately) if it is present and loads.
// Until it does, the engine runs without it and compile() sends scripts that use a library (or
// string methods) to the fengari interpreter. The import is dynamic so that this module type-checks
// and runs whatever state lib/ is in.
import type { LuaTable } from './value.js';

export interface StdlibHooksLike {
  interrupt?: () => void;
  index?: (t: LuaTable, k: unknown) => unknown;
  lessThan?: (a: unknown, b: unknown) => boolean;
}
export type StdlibFactory = (hooks: StdlibHooksLike) => Record<string, LuaTable>;

/** Why the library is missing (for logs and tests), or null when it loaded. */
export let stdlibLoadError: string | null = null;

async function load(): Promise<StdlibFactory | null> {
  const path = './lib/index.js';
  try {
    const m = (await import(path)) as { createStdlib?: StdlibFactory };
    if (typeof m.createStdlib === 'function') return m.createStdlib;
    stdlibLoadError = 'lib/index.js has no createStdlib';
  } catch (e) {
    stdlibLoadError = e instanceof Error ? e.message : String(e);
  }
  return null;
}

export const createStdlib: StdlibFactory | null =
  process.env['NIMBUS_LUAJS_STDLIB'] === 'off' ? null : await load();
