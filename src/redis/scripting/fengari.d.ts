// Minimal typings for fengari 0.1.5 (pure-JS Lua 5.3), covering only what the scripting runtime
// uses. Lua strings are Uint8Arrays; a "state" is an opaque object.
declare module 'fengari' {
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  export interface LuaDebug {
    source: Uint8Array | null;
    short_src: Uint8Array | null;
    currentline: number;
    what: Uint8Array | null;
  }
  export type LuaCFunction = (L: LuaState) => number;
  export type LuaHook = (L: LuaState, ar: LuaDebug) => void;
  export interface LuaApi {
    LUA_OK: number;
    LUA_YIELD: number;
    LUA_ERRRUN: number;
    LUA_ERRSYNTAX: number;
    LUA_MULTRET: number;
    LUA_MASKCOUNT: number;
    LUA_REGISTRYINDEX: number;
    LUA_RIDX_GLOBALS: number;
    LUA_TNONE: number;
    LUA_TNIL: number;
    LUA_TBOOLEAN: number;
    LUA_TNUMBER: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    LUA_TLIGHTUSERDATA: number;
    LUA_TFUNCTION: number;
    lua_Debug: new () => LuaDebug;
    lua_absindex(L: LuaState, idx: number): number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_copy(L: LuaState, from: number, to: number): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, idx: number, k: string | Uint8Array): number;
    lua_getglobal(L: LuaState, name: string | Uint8Array): number;
    lua_getmetatable(L: LuaState, idx: number): boolean;
    lua_geti(L: LuaState, idx: number, i: number): number;
    lua_getinfo(L: LuaState, what: string | Uint8Array, ar: LuaDebug): number;
    lua_getstack(L: LuaState, level: number, ar: LuaDebug): number;
    lua_gettop(L: LuaState): number;
    lua_insert(L: LuaState, idx: number): void;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_isnoneornil(L: LuaState, idx: number): boolean;
    lua_isyieldable(L: LuaState): boolean;
    lua_newtable(L: LuaState): void;
    lua_newthread(L: LuaState): LuaState;
    lua_next(L: LuaState, idx: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean | number): void;
    lua_pushcfunction(L: LuaState, f: LuaCFunction): void;
    lua_pushcclosure(L: LuaState, f: LuaCFunction, n: number): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushlightuserdata(L: LuaState, p: object): void;
    lua_pushliteral(L: LuaState, s: string): Uint8Array;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: string | Uint8Array): Uint8Array;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_rawequal(L: LuaState, a: number, b: number): boolean;
    lua_rawget(L: LuaState, idx: number): number;
    lua_gettable(L: LuaState, idx: number): number;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawlen(L: LuaState, idx: number): number;
    lua_rawset(L: LuaState, idx: number): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_remove(L: LuaState, idx: number): void;
    lua_replace(L: LuaState, idx: number): void;
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
    lua_setfield(L: LuaState, idx: number, k: string | Uint8Array): void;
    lua_setglobal(L: LuaState, name: string | Uint8Array): void;
    lua_sethook(L: LuaState, f: LuaHook | null, mask: number, count: number): void;
    lua_setmetatable(L: LuaState, idx: number): void;
    lua_settop(L: LuaState, idx: number): void;
    lua_status(L: LuaState): number;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tointegerx(L: LuaState, idx: number): number | false;
    lua_tolstring(L: LuaState, idx: number): Uint8Array | null;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_tonumberx(L: LuaState, idx: number): number | false;
    lua_topointer(L: LuaState, idx: number): object;
    lua_tothread(L: LuaState, idx: number): LuaState;
    lua_touserdata(L: LuaState, idx: number): unknown;
    lua_type(L: LuaState, idx: number): number;
    lua_upvalueindex(i: number): number;
    lua_xmove(from: LuaState, to: LuaState, n: number): void;
    lua_yield(L: LuaState, n: number): number;
    lua_gc(L: LuaState, what: number, data: number): number;
  }
  export interface LauxApi {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buff: Uint8Array, size: number | null, name: Uint8Array | string): number;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_checklstring(L: LuaState, arg: number): Uint8Array;
    luaL_checkstring(L: LuaState, arg: number): Uint8Array;
    luaL_checktype(L: LuaState, arg: number, t: number): void;
    luaL_checkany(L: LuaState, arg: number): void;
    luaL_optinteger(L: LuaState, arg: number, def: number): number;
    luaL_optnumber(L: LuaState, arg: number, def: number): number;
    luaL_argerror(L: LuaState, arg: number, msg: string): never;
    luaL_error(L: LuaState, fmt: string, ...args: unknown[]): never;
    luaL_len(L: LuaState, idx: number): number;
    luaL_requiref(L: LuaState, name: string | Uint8Array, f: LuaCFunction, glb: number): void;
    luaL_tolstring(L: LuaState, idx: number): Uint8Array;
    luaL_typename(L: LuaState, idx: number): Uint8Array;
    luaL_ref(L: LuaState, t: number): number;
    luaL_unref(L: LuaState, t: number, ref: number): void;
  }
  export interface LualibApi {
    luaopen_base: LuaCFunction;
    luaopen_table: LuaCFunction;
    luaopen_string: LuaCFunction;
    luaopen_math: LuaCFunction;
    luaopen_coroutine: LuaCFunction;
    luaopen_utf8: LuaCFunction;
    luaopen_debug: LuaCFunction;
  }
  export const lua: LuaApi;
  export const lauxlib: LauxApi;
  export const lualib: LualibApi;
  export function to_luastring(s: string, cache?: boolean): Uint8Array;
  export function to_jsstring(s: Uint8Array, from?: number, to?: number, replacement_char?: boolean): string;
}
