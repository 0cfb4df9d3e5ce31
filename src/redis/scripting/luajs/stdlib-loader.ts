// The luajs standard library (luajs/lib/) as the engine takes it: a factory of library tables.
// NIMBUS_LUAJS_STDLIB=off starts luajs without it (a debugging switch: scripts that use a library
// or string methods then run on the fengari interpreter).
import { createStdlib as createLibs } from './lib/index.js';

export type StdlibFactory = typeof createLibs;

export const createStdlib: StdlibFactory | null = process.env['NIMBUS_LUAJS_STDLIB'] === 'off' ? null : createLibs;
