// Loads fengari with Lua 5.1-style number formatting.
//
// fengari reads its configuration from process.env.FENGARICONF once, when its luaconf module is
// first evaluated. Redis runs Lua 5.1, where tostring(10/2) is "5"; Lua 5.3 prints "5.0". Scripts
// build keys and arguments by concatenation (`'job:' .. n`), so the 5.1 form matters.
// LUA_COMPAT_FLOATSTRING restores it. The variable is set only around the require and restored,
// so child processes never inherit it.
import { createRequire } from 'node:module';
import type * as Fengari from 'fengari';

function loadFengari(): typeof Fengari {
  const require = createRequire(import.meta.url);
  const saved = process.env['FENGARICONF'];
  const conf: Record<string, unknown> = saved ? (JSON.parse(saved) as Record<string, unknown>) : {};
  conf['LUA_COMPAT_FLOATSTRING'] = true;
  process.env['FENGARICONF'] = JSON.stringify(conf);
  try {
    return require('fengari') as typeof Fengari;
  } finally {
    if (saved === undefined) delete process.env['FENGARICONF'];
    else process.env['FENGARICONF'] = saved;
  }
}

const fengari = loadFengari();
export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;
export const toLuaString = fengari.to_luastring;
export const toJsString = fengari.to_jsstring;
export type LuaState = Fengari.LuaState;
export type LuaCFunction = Fengari.LuaCFunction;
