// The luajs standard library (luajs/lib/) as the engine takes it: a factory of library tables.
// NIMBUS_LUAJS_STDLIB=off starts luajs without it (a debugging switch: scripts that use a library
// or string methods then run on the fengari interpreter).
import { createStdlib as createLibs, type StdlibHooks } from './lib/index.js';
import type { LuaTable } from './value.js';

export type StdlibFactory = (hooks: StdlibHooks) => Record<string, LuaTable>;

export const createStdlib: StdlibFactory | null =
  process.env['NIMBUS_LUAJS_STDLIB'] === 'off' ? null : (hooks) => ({ ...createLibs(hooks) });
