// Redis's conversions between Lua values and replies (script_lua.c in Redis 7.2).
//
// Reply -> Lua (what redis.call returns):
//   integer -> number; bulk (a Buffer, or a latin1 JS string) -> string; nil bulk / nil array -> false (RESP2) or nil (RESP3);
//   array -> table; status -> {ok=s}; error -> {err=s}; RESP3: map -> {map={k=v}},
//   set -> {set={m=true}}, double -> {double=n}, bool -> boolean, big number -> {big_number=s},
//   verbatim -> {verbatim_string={format=f, string=s}}.
// Lua -> reply (what a script returns):
//   string -> bulk (as a latin1 JS string); number -> integer, truncated toward zero; true -> 1 (RESP2) / #t (RESP3);
//   false / nil -> nil; table with a string `err` -> error, `ok` -> status, `double`, `big_number`,
//   `map`, `set`, `verbatim_string` -> the RESP3 types; other tables -> array of t[1..] up to the
//   first nil. Functions and other types -> nil.
//
// Tables nest, so both directions recurse; the depth is bounded by MAX_NESTING_DEPTH and by Lua's
// own stack check, and an over-deep value becomes an error instead of a crash.
import {
  lua,
  toJsString,
  pushLatin1,
  pushBytesCopy,
  constantString,
  pushConstant,
  argLatin1,
  type LuaState,
} from './lua-vm.js';
import type { ScriptReply } from './reply.js';

export const MAX_NESTING_DEPTH = 1000;

const K_ERR = 'err';
const K_OK = 'ok';
/** The same keys as Lua string objects, made once (see lua-vm.ts: their hash is then cached). */
const TS_ERR = constantString(K_ERR);
const TS_OK = constantString(K_OK);
const TS_DOUBLE = constantString('double');
const TS_BIG_NUMBER = constantString('big_number');
const TS_MAP = constantString('map');
const TS_SET = constantString('set');
const TS_VERBATIM = constantString('verbatim_string');
const TS_FORMAT = constantString('format');
const TS_STRING = constantString('string');

export function pushReply(L: LuaState, reply: ScriptReply, resp3: boolean, depth = 0): void {
  if (!lua.lua_checkstack(L, 4) || depth > MAX_NESTING_DEPTH) {
    lua.lua_pushnil(L);
    return;
  }
  if (reply === null) {
    if (resp3) lua.lua_pushnil(L);
    else lua.lua_pushboolean(L, false);
    return;
  }
  if (typeof reply === 'number') {
    pushNumber(L, reply);
    return;
  }
  if (typeof reply === 'string') {
    pushLatin1(L, reply);
    return;
  }
  if (Buffer.isBuffer(reply)) {
    pushBytesCopy(L, reply);
    return;
  }
  if (Array.isArray(reply)) {
    lua.lua_createtable(L, reply.length, 0);
    for (let i = 0; i < reply.length; i++) {
      pushReply(L, reply[i] ?? null, resp3, depth + 1);
      lua.lua_rawseti(L, -2, i + 1);
    }
    return;
  }
  switch (reply.kind) {
    case 'status':
      pushTagged(L, TS_OK, reply.text);
      return;
    case 'error':
      pushTagged(L, TS_ERR, reply.text);
      return;
    case 'double':
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushnumber(L, reply.value);
      lua.lua_setfield(L, -2, 'double');
      return;
    case 'bool':
      lua.lua_pushboolean(L, reply.value);
      return;
    case 'bignum':
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushstring(L, reply.text);
      lua.lua_setfield(L, -2, 'big_number');
      return;
    case 'verbatim':
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, 2);
      lua.lua_pushstring(L, reply.format);
      lua.lua_setfield(L, -2, 'format');
      lua.lua_pushstring(L, reply.text);
      lua.lua_setfield(L, -2, 'string');
      lua.lua_setfield(L, -2, 'verbatim_string');
      return;
    case 'map':
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, reply.items.length >> 1);
      for (let i = 0; i + 1 < reply.items.length; i += 2) {
        pushReply(L, reply.items[i] ?? null, resp3, depth + 1);
        pushReply(L, reply.items[i + 1] ?? null, resp3, depth + 1);
        lua.lua_rawset(L, -3);
      }
      lua.lua_setfield(L, -2, 'map');
      return;
    case 'set':
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, reply.items.length);
      for (const item of reply.items) {
        pushReply(L, item, resp3, depth + 1);
        lua.lua_pushboolean(L, true);
        lua.lua_rawset(L, -3);
      }
      lua.lua_setfield(L, -2, 'set');
      return;
  }
}

/** {ok=text} / {err=text}: a fresh table without metatable, so a raw set is a plain set. */
function pushTagged(L: LuaState, key: object, text: string): void {
  lua.lua_createtable(L, 0, 1);
  pushConstant(L, key);
  lua.lua_pushstring(L, text);
  lua.lua_rawset(L, -3);
}

/**
 * Every number reaches Lua as a float, as in Lua 5.1 where all numbers were doubles. fengari's
 * integers are 32-bit and wrap on overflow (a seconds value times 1000 would wrap), floats do
 * not; this build prints integral floats without ".0", so scripts see 5.1 behaviour.
 */
export function pushNumber(L: LuaState, n: number): void {
  lua.lua_pushnumber(L, n);
}

/**
 * Converts the value at the top of the stack (popping it) into a reply. `scriptResp3` is the
 * protocol the script chose with redis.setresp: it decides only how booleans convert.
 */
export function popReply(L: LuaState, scriptResp3: boolean, depth = 0): ScriptReply {
  const r = toReply(L, scriptResp3, depth);
  lua.lua_pop(L, 1);
  return r;
}

function toReply(L: LuaState, resp3: boolean, depth: number): ScriptReply {
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) return argLatin1(L, -1);
  if (t === lua.LUA_TNUMBER) return Math.trunc(lua.lua_tonumber(L, -1));
  if (t === lua.LUA_TBOOLEAN) {
    const b = lua.lua_toboolean(L, -1);
    if (resp3) return { kind: 'bool', value: b };
    return b ? 1 : null;
  }
  if (t !== lua.LUA_TTABLE) return null;
  if (depth > MAX_NESTING_DEPTH || !lua.lua_checkstack(L, 4)) {
    return { kind: 'error', text: 'ERR reached lua stack limit' };
  }
  return tableToReply(L, resp3, depth);
}

function tableToReply(L: LuaState, resp3: boolean, depth: number): ScriptReply {
  const err = rawStringField(L, TS_ERR);
  if (err !== undefined) return { kind: 'error', text: err.startsWith('-') ? err.slice(1) : err };
  const ok = rawStringField(L, TS_OK);
  if (ok !== undefined) return { kind: 'status', text: ok };
  getField(L, TS_DOUBLE);
  if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
    const value = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return { kind: 'double', value };
  }
  lua.lua_pop(L, 1);
  const big = rawStringField(L, TS_BIG_NUMBER);
  if (big !== undefined) return { kind: 'bignum', text: big };
  const special = specialTable(L, resp3, depth);
  if (special !== undefined) return special;
  const out: ScriptReply[] = [];
  for (let j = 1; ; j++) {
    if (lua.lua_rawgeti(L, -1, j) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    out.push(popReply(L, resp3, depth + 1));
  }
  return out;
}

/** {map=...}, {set=...} and {verbatim_string=...}: undefined when the table is none of them. */
function specialTable(L: LuaState, resp3: boolean, depth: number): ScriptReply | undefined {
  getField(L, TS_MAP);
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
    const items: ScriptReply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pushvalue(L, -2);
      items.push(popReply(L, resp3, depth + 1));
      items.push(popReply(L, resp3, depth + 1));
    }
    lua.lua_pop(L, 1);
    return { kind: 'map', items };
  }
  lua.lua_pop(L, 1);
  getField(L, TS_SET);
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
    const items: ScriptReply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      items.push(popReply(L, resp3, depth + 1));
    }
    lua.lua_pop(L, 1);
    return { kind: 'set', items };
  }
  lua.lua_pop(L, 1);
  getField(L, TS_VERBATIM);
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
    const format = rawStringField(L, TS_FORMAT);
    const text = rawStringField(L, TS_STRING);
    lua.lua_pop(L, 1);
    if (format !== undefined && text !== undefined) {
      return { kind: 'verbatim', format, text: Buffer.from(text) };
    }
    return undefined;
  }
  lua.lua_pop(L, 1);
  return undefined;
}

/** lua_getfield with a key made once by constantString (no string object or hash per lookup). */
function getField(L: LuaState, key: object): void {
  pushConstant(L, key);
  lua.lua_gettable(L, -2);
}

function rawStringField(L: LuaState, key: object): string | undefined {
  pushConstant(L, key);
  lua.lua_rawget(L, -2);
  let v: string | undefined;
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) v = toJsString(lua.lua_tolstring(L, -1) as Uint8Array);
  lua.lua_pop(L, 1);
  return v;
}
