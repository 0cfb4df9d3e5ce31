// The LuaBitOp `bit` library Redis ships (bit.tobit, band, bor, bxor, bnot, lshift, rshift,
// arshift, rol, ror, bswap, tohex). All results are signed 32-bit integers, as in LuaBitOp.
import { lua, lauxlib, type LuaState } from '../lua-vm.js';

/** LuaBitOp normalises a number modulo 2^32 (it adds 2^52+2^51 to a double); same result here. */
function toBit(L: LuaState, arg: number): number {
  const n = lauxlib.luaL_checknumber(L, arg);
  if (!Number.isFinite(n)) return 0;
  const t = Math.trunc(n) % 4294967296;
  return t | 0;
}

function ret(L: LuaState, v: number): number {
  lua.lua_pushinteger(L, v | 0);
  return 1;
}

function fold(op: (a: number, b: number) => number): (L: LuaState) => number {
  return (L) => {
    let acc = toBit(L, 1);
    const n = lua.lua_gettop(L);
    for (let i = 2; i <= n; i++) acc = op(acc, toBit(L, i));
    return ret(L, acc);
  };
}

const fns: Record<string, (L: LuaState) => number> = {
  tobit: (L) => ret(L, toBit(L, 1)),
  bnot: (L) => ret(L, ~toBit(L, 1)),
  band: fold((a, b) => a & b),
  bor: fold((a, b) => a | b),
  bxor: fold((a, b) => a ^ b),
  lshift: (L) => ret(L, toBit(L, 1) << (toBit(L, 2) & 31)),
  rshift: (L) => ret(L, toBit(L, 1) >>> (toBit(L, 2) & 31)),
  arshift: (L) => ret(L, toBit(L, 1) >> (toBit(L, 2) & 31)),
  rol: (L) => {
    const b = toBit(L, 1);
    const n = toBit(L, 2) & 31;
    return ret(L, (b << n) | (b >>> (32 - n)));
  },
  ror: (L) => {
    const b = toBit(L, 1);
    const n = toBit(L, 2) & 31;
    return ret(L, (b >>> n) | (b << (32 - n)));
  },
  bswap: (L) => {
    const b = toBit(L, 1);
    return ret(L, (b >>> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24) | 0);
  },
  tohex: (L) => {
    let b = toBit(L, 1);
    let n = lua.lua_isnoneornil(L, 2) ? 8 : toBit(L, 2);
    let digits = '0123456789abcdef';
    if (n < 0) {
      n = -n;
      digits = '0123456789ABCDEF';
    }
    if (n > 8) n = 8;
    let s = '';
    for (let i = 0; i < n; i++) {
      s = (digits[b & 15] as string) + s;
      b >>>= 4;
    }
    lua.lua_pushstring(L, s);
    return 1;
  },
};

export function openBit(L: LuaState): number {
  lua.lua_createtable(L, 0, Object.keys(fns).length);
  for (const [name, f] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  return 1;
}
