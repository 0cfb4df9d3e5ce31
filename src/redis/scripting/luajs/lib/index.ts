// The Lua 5.1 standard library for the compiled engine (luajs), as Redis 7.2 ships it.
//
// Checked by differential tests: stdlib.diff.test.ts runs ~11k string/table/math/tostring calls
// in lua5.1, redis.diff.test.ts runs ~9k calls (with cjson, cmsgpack, bit, struct) inside
// redis-server's EVAL, ports.test.ts compares with the fengari libraries in ../../libs (except
// the listed cases where those differ from redis-server; this library follows redis-server).
//
// Contract for the compiler:
// - `createStdlib(hooks?)` returns fresh library tables { string, table, math, cjson, bit, struct,
//   cmsgpack }. Create one per scripting engine (the math.random state and the cjson settings
//   live in it, as in Redis's single Lua state) and install them as globals.
// - Every function is a LuaFunction: `(...args) => LuaValue[]`. Call it with exactly the
//   arguments the Lua call has, trailing nils included (arguments.length is lua_gettop: it picks
//   "got no value" vs "got nil" in errors, and table.insert(t, pos, nil) vs table.insert(t, v)).
// - Errors are LuaError with `where: true` (luaL_error): the runtime prefixes "user_script:N: "
//   of the calling Lua line. pcall(string.rep) in real Lua shows no prefix; neither must yours.
// - String methods: `("x"):rep(3)` indexes the string table returned here.
// - gmatch/gfind return an iterator function that returns [] when done.
// - Hooks (all optional, see hooks.ts): `interrupt` is called from long pattern matches and
//   sorts and may throw to stop the script; `index` and `lessThan` give gsub's table lookup and
//   sort's default comparison the engine's metamethod semantics (the defaults handle __index and
//   numbers/strings only).
// - Also exported: `luaToString` (tostring without metamethods: numbers as %.14g, tables as
//   "table: 0x…"), `luaNumberToString` (Lua 5.1 number → string; value.ts's numberToString
//   prints integers from 1e14 to 1e15 as digits where Lua prints "1e+14"), `luaPow` (C pow, for
//   the ^ operator: pow(1, nan) and pow(-1, ±inf) are 1), `CJSON_NULL` (the cjson.null
//   userdata), `format` (string.format on an argument array), `rawLessThan` (the < of sort).
import { LuaUserdata, type LuaTable } from '../value.js';
import type { StdlibHooks } from './hooks.js';
import { createStringLib } from './lstring.js';
import { createTableLib } from './ltable.js';
import { createMathLib, Rand48 } from './lmath.js';
import { createBitLib } from './bit.js';
import { createCjsonLib, CJSON_NULL } from './cjson.js';
import { createStructLib } from './struct.js';
import { createCmsgpackLib } from './cmsgpack.js';

export interface Stdlib {
  string: LuaTable;
  table: LuaTable;
  math: LuaTable;
  cjson: LuaTable;
  bit: LuaTable;
  struct: LuaTable;
  cmsgpack: LuaTable;
}

export function createStdlib(hooks: StdlibHooks = {}): Stdlib {
  return {
    string: createStringLib(hooks),
    table: createTableLib(hooks),
    math: createMathLib(new Rand48()),
    cjson: createCjsonLib(),
    bit: createBitLib(),
    struct: createStructLib(),
    cmsgpack: createCmsgpackLib(),
  };
}

export type { StdlibHooks };
export { CJSON_NULL, LuaUserdata };
export { luaPow } from './lmath.js';
export { format, luaNumberToString } from './format.js';
export { luaToString } from './tostring.js';
export { rawLessThan } from './ltable.js';
