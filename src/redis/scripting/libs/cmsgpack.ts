// lua-cmsgpack as Redis ships it: cmsgpack.pack(...), unpack(s), unpack_one(s [, offset]),
// unpack_limit(s, limit [, offset]). Encoding follows lua-cmsgpack's choices: integral numbers
// use the smallest integer form, other numbers float32 when exact else float64, tables that are
// 1..n sequences become arrays, others maps; nesting past MAX_ENCODE_NESTING encodes nil.
// Decoding is iterative: open containers are tracked in a frame stack, values live on the Lua
// stack.
import { lua, lauxlib, type LuaState } from '../lua-vm.js';
import { ByteWriter } from './bytes.js';

export const MAX_ENCODE_NESTING = 16;
/** Containers open at once while decoding; bounds both our frame stack and Lua's. */
export const MAX_DECODE_NESTING = 1000;

function encodeInteger(w: ByteWriter, n: number): void {
  if (n >= 0) {
    if (n < 128) w.byte(n);
    else if (n < 0x100) {
      w.byte(0xcc);
      w.byte(n);
    } else if (n < 0x10000)
      w.view(3, (d) => {
        d.setUint8(0, 0xcd);
        d.setUint16(1, n);
      });
    else if (n < 0x100000000)
      w.view(5, (d) => {
        d.setUint8(0, 0xce);
        d.setUint32(1, n);
      });
    else
      w.view(9, (d) => {
        d.setUint8(0, 0xcf);
        d.setBigUint64(1, BigInt(n));
      });
  } else {
    if (n >= -32) w.byte(n & 0xff);
    else if (n >= -128) {
      w.byte(0xd0);
      w.byte(n & 0xff);
    } else if (n >= -32768)
      w.view(3, (d) => {
        d.setUint8(0, 0xd1);
        d.setInt16(1, n);
      });
    else if (n >= -2147483648)
      w.view(5, (d) => {
        d.setUint8(0, 0xd2);
        d.setInt32(1, n);
      });
    else
      w.view(9, (d) => {
        d.setUint8(0, 0xd3);
        d.setBigInt64(1, BigInt(n));
      });
  }
}

function encodeNumber(w: ByteWriter, n: number): void {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) {
    encodeInteger(w, n);
    return;
  }
  if (Math.fround(n) === n || Number.isNaN(n))
    w.view(5, (d) => {
      d.setUint8(0, 0xca);
      d.setFloat32(1, n);
    });
  else
    w.view(9, (d) => {
      d.setUint8(0, 0xcb);
      d.setFloat64(1, n);
    });
}

function encodeBytes(w: ByteWriter, s: Uint8Array): void {
  const n = s.length;
  if (n < 32) w.byte(0xa0 | n);
  else if (n < 0x100) {
    w.byte(0xd9);
    w.byte(n);
  } else if (n < 0x10000)
    w.view(3, (d) => {
      d.setUint8(0, 0xda);
      d.setUint16(1, n);
    });
  else
    w.view(5, (d) => {
      d.setUint8(0, 0xdb);
      d.setUint32(1, n);
    });
  w.bytes(s);
}

function header(w: ByteWriter, n: number, fix: number, b16: number, b32: number): void {
  if (n < 16) w.byte(fix | n);
  else if (n < 0x10000)
    w.view(3, (d) => {
      d.setUint8(0, b16);
      d.setUint16(1, n);
    });
  else
    w.view(5, (d) => {
      d.setUint8(0, b32);
      d.setUint32(1, n);
    });
}

/** Array length if the table at the top is a 1..n sequence, else -1. */
function sequenceLength(L: LuaState): number {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pop(L, 1);
    const k = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : 0;
    if (!Number.isInteger(k) || k < 1) {
      lua.lua_pop(L, 1);
      return -1;
    }
    if (k > max) max = k;
    count++;
  }
  return max === count ? count : -1;
}

// Recursion bounded by MAX_ENCODE_NESTING (16), as in lua-cmsgpack.
function encodeValue(L: LuaState, w: ByteWriter, level: number): void {
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) encodeBytes(w, lua.lua_tolstring(L, -1) as Uint8Array);
  else if (t === lua.LUA_TNUMBER) encodeNumber(w, lua.lua_tonumber(L, -1));
  else if (t === lua.LUA_TBOOLEAN) w.byte(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
  else if (t === lua.LUA_TTABLE && level < MAX_ENCODE_NESTING && lua.lua_checkstack(L, 4))
    encodeTable(L, w, level + 1);
  else w.byte(0xc0);
}

function encodeTable(L: LuaState, w: ByteWriter, level: number): void {
  const n = sequenceLength(L);
  if (n >= 0) {
    header(w, n, 0x90, 0xdc, 0xdd);
    for (let i = 1; i <= n; i++) {
      lua.lua_rawgeti(L, -1, i);
      encodeValue(L, w, level);
      lua.lua_pop(L, 1);
    }
    return;
  }
  let count = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pop(L, 1);
    count++;
  }
  header(w, count, 0x80, 0xde, 0xdf);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pushvalue(L, -2);
    encodeValue(L, w, level);
    lua.lua_pop(L, 1);
    encodeValue(L, w, level);
    lua.lua_pop(L, 1);
  }
}

// ---- decoding -------------------------------------------------------------------------------

class Missing extends Error {}
class BadFormat extends Error {}

interface Frame {
  isMap: boolean;
  /** Elements (arrays) or key+value slots (maps, counted twice) still to read. */
  left: number;
  index: number;
}

class Decoder {
  pos: number;
  constructor(
    private readonly L: LuaState,
    private readonly s: Uint8Array,
    offset: number,
  ) {
    this.pos = offset;
  }

  private need(n: number): DataView {
    if (this.pos + n > this.s.length) throw new Missing();
    const d = new DataView(this.s.buffer, this.s.byteOffset + this.pos, n);
    this.pos += n;
    return d;
  }

  private str(n: number): void {
    if (this.pos + n > this.s.length) throw new Missing();
    lua.lua_pushstring(this.L, this.s.subarray(this.pos, this.pos + n));
    this.pos += n;
  }

  /** Decodes one complete value onto the Lua stack. */
  one(): void {
    const L = this.L;
    const frames: Frame[] = [];
    for (;;) {
      const opened = this.item(frames);
      if (opened) continue;
      for (;;) {
        const f = frames[frames.length - 1];
        if (!f) return;
        if (f.isMap) {
          f.left--;
          if (f.left % 2 === 1) break; // just read a key; read its value next
          lua.lua_rawset(L, -3);
        } else {
          f.left--;
          lua.lua_rawseti(L, -2, ++f.index);
        }
        if (f.left > 0) break;
        frames.pop();
      }
    }
  }

  /** Pushes a scalar (false) or opens a non-empty container (true). */
  private item(frames: Frame[]): boolean {
    const L = this.L;
    const c = this.need(1).getUint8(0);
    if (c <= 0x7f) lua.lua_pushnumber(L, c);
    else if (c >= 0xe0) lua.lua_pushnumber(L, c - 0x100);
    else if (c >= 0xa0 && c <= 0xbf) this.str(c & 0x1f);
    else if (c >= 0x90 && c <= 0x9f) return this.open(frames, false, c & 0x0f);
    else if (c >= 0x80 && c <= 0x8f) return this.open(frames, true, c & 0x0f);
    else return this.typed(frames, c);
    return false;
  }

  private typed(frames: Frame[], c: number): boolean {
    const L = this.L;
    switch (c) {
      case 0xc0:
        lua.lua_pushnil(L);
        break;
      case 0xc2:
        lua.lua_pushboolean(L, false);
        break;
      case 0xc3:
        lua.lua_pushboolean(L, true);
        break;
      case 0xc4:
      case 0xd9:
        this.str(this.need(1).getUint8(0));
        break;
      case 0xc5:
      case 0xda:
        this.str(this.need(2).getUint16(0));
        break;
      case 0xc6:
      case 0xdb:
        this.str(this.need(4).getUint32(0));
        break;
      case 0xca:
        lua.lua_pushnumber(L, this.need(4).getFloat32(0));
        break;
      case 0xcb:
        lua.lua_pushnumber(L, this.need(8).getFloat64(0));
        break;
      case 0xcc:
        lua.lua_pushnumber(L, this.need(1).getUint8(0));
        break;
      case 0xcd:
        lua.lua_pushnumber(L, this.need(2).getUint16(0));
        break;
      case 0xce:
        lua.lua_pushnumber(L, this.need(4).getUint32(0));
        break;
      case 0xcf:
        lua.lua_pushnumber(L, Number(this.need(8).getBigUint64(0)));
        break;
      case 0xd0:
        lua.lua_pushnumber(L, this.need(1).getInt8(0));
        break;
      case 0xd1:
        lua.lua_pushnumber(L, this.need(2).getInt16(0));
        break;
      case 0xd2:
        lua.lua_pushnumber(L, this.need(4).getInt32(0));
        break;
      case 0xd3:
        lua.lua_pushnumber(L, Number(this.need(8).getBigInt64(0)));
        break;
      case 0xdc:
        return this.open(frames, false, this.need(2).getUint16(0));
      case 0xdd:
        return this.open(frames, false, this.need(4).getUint32(0));
      case 0xde:
        return this.open(frames, true, this.need(2).getUint16(0));
      case 0xdf:
        return this.open(frames, true, this.need(4).getUint32(0));
      default:
        throw new BadFormat();
    }
    return false;
  }

  private open(frames: Frame[], isMap: boolean, n: number): boolean {
    // Every element needs at least one byte: reject impossible counts before allocating.
    if (n * (isMap ? 2 : 1) > this.s.length - this.pos) throw new Missing();
    if (frames.length >= MAX_DECODE_NESTING || !lua.lua_checkstack(this.L, 4)) throw new BadFormat();
    lua.lua_createtable(this.L, isMap ? 0 : n, isMap ? n : 0);
    if (n === 0) return false;
    frames.push({ isMap, left: isMap ? n * 2 : n, index: 0 });
    return true;
  }
}

/** Decodes up to `limit` values (0 = all) from `offset`; returns [count, next offset or -1]. */
function decodeMany(L: LuaState, s: Uint8Array, offset: number, limit: number): [number, number] {
  const d = new Decoder(L, s, offset);
  let count = 0;
  try {
    while (d.pos < s.length && (limit <= 0 || count < limit)) {
      if (!lua.lua_checkstack(L, 8)) lauxlib.luaL_error(L, 'too many values to unpack');
      const base = lua.lua_gettop(L);
      try {
        d.one();
      } catch (e) {
        lua.lua_settop(L, base);
        throw e;
      }
      count++;
    }
  } catch (e) {
    if (e instanceof Missing) lauxlib.luaL_error(L, 'Missing bytes in input.');
    if (e instanceof BadFormat) lauxlib.luaL_error(L, 'Bad data format in input.');
    throw e;
  }
  return [count, d.pos >= s.length ? -1 : d.pos];
}

function unpackWithOffset(L: LuaState, limit: number, offsetArg: number): number {
  const s = lauxlib.luaL_checklstring(L, 1);
  const offset = lauxlib.luaL_optinteger(L, offsetArg, 0);
  if (offset < 0 || offset > s.length)
    lauxlib.luaL_error(L, 'Start offset %d greater than input length %d.', offset, s.length);
  lua.lua_settop(L, 0);
  lua.lua_pushnil(L); // placeholder for the offset
  const [count, next] = decodeMany(L, s, offset, limit);
  lua.lua_pushnumber(L, next);
  lua.lua_replace(L, 1);
  return count + 1;
}

export function openCmsgpack(L: LuaState): number {
  const fns: Record<string, (L: LuaState) => number> = {
    pack: (S) => {
      const n = lua.lua_gettop(S);
      if (n === 0) lauxlib.luaL_argerror(S, 0, 'MessagePack pack needs input.');
      const w = new ByteWriter();
      for (let i = 1; i <= n; i++) {
        lua.lua_pushvalue(S, i);
        encodeValue(S, w, 0);
        lua.lua_pop(S, 1);
      }
      lua.lua_pushstring(S, w.result());
      return 1;
    },
    unpack: (S) => {
      const s = lauxlib.luaL_checklstring(S, 1);
      lua.lua_settop(S, 0);
      return decodeMany(S, s, 0, 0)[0];
    },
    unpack_one: (S) => unpackWithOffset(S, 1, 2),
    unpack_limit: (S) => unpackWithOffset(S, lauxlib.luaL_checkinteger(S, 2), 3),
  };
  lua.lua_createtable(L, 0, 6);
  for (const [name, f] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_pushstring(L, 'cmsgpack');
  lua.lua_setfield(L, -2, '_NAME');
  lua.lua_pushstring(L, 'lua-cmsgpack 0.4.0');
  lua.lua_setfield(L, -2, '_VERSION');
  return 1;
}
