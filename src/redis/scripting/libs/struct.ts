// Roberto Ierusalimschy's `struct` library as Redis ships it: struct.pack(fmt, ...),
// struct.unpack(fmt, s [, init]) and struct.size(fmt).
// Format: '<' little, '>' big, '=' native (little), '!n' max alignment, 'x' pad byte,
// 'b/B' char, 'h/H' short, 'l/L' long (8), 'T' size_t (8), 'i/In' int of n bytes (default 4),
// 'f' float, 'd' double, 's' zero-terminated string, 'cn' fixed string (c0: length from the
// previous value in unpack, whole string in pack), ' ' ignored.
import { lua, lauxlib, toJsString, type LuaState } from '../lua-vm.js';
import { ByteWriter } from './bytes.js';

const MAXINTSIZE = 32;
const NATIVE_ALIGN = 8;

interface Header {
  little: boolean;
  align: number;
}

interface Option {
  opt: string;
  size: number;
}

class FormatReader {
  i = 0;
  constructor(
    private readonly L: LuaState,
    private readonly fmt: string,
  ) {}

  get done(): boolean {
    return this.i >= this.fmt.length;
  }

  private num(def: number): number {
    const m = /^[0-9]+/.exec(this.fmt.slice(this.i));
    if (!m) return def;
    this.i += m[0].length;
    return Number(m[0]);
  }

  /** Reads one option, applying header-changing ones; returns null for those. */
  next(h: Header): Option | null {
    const L = this.L;
    const opt = this.fmt[this.i++] as string;
    switch (opt) {
      case 'b':
      case 'B':
      case 'x':
        return { opt, size: 1 };
      case 'h':
      case 'H':
        return { opt, size: 2 };
      case 'l':
      case 'L':
      case 'T':
        return { opt, size: 8 };
      case 'f':
        return { opt, size: 4 };
      case 'd':
        return { opt, size: 8 };
      case 's':
        return { opt, size: 0 };
      case 'c':
        return { opt, size: this.num(1) };
      case 'i':
      case 'I': {
        const size = this.num(4);
        if (size > MAXINTSIZE)
          lauxlib.luaL_error(L, 'integral size %d is larger than limit of %d', size, MAXINTSIZE);
        return { opt, size };
      }
      case ' ':
        return null;
      case '>':
        h.little = false;
        return null;
      case '<':
      case '=':
        h.little = true;
        return null;
      case '!': {
        const a = this.num(NATIVE_ALIGN);
        if (a & (a - 1)) lauxlib.luaL_error(L, 'alignment %d is not a power of 2', a);
        h.align = a;
        return null;
      }
      default:
        return lauxlib.luaL_error(L, "invalid format option '%s'", opt);
    }
  }
}

function padding(len: number, h: Header, o: Option): number {
  let size = o.size;
  if (size === 0 || o.opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function writeInt(w: ByteWriter, value: number, size: number, little: boolean): void {
  let v = BigInt.asUintN(size * 8, BigInt(Math.trunc(value)));
  const bytes = new Uint8Array(size);
  for (let k = 0; k < size; k++) {
    bytes[little ? k : size - 1 - k] = Number(v & 0xffn);
    v >>= 8n;
  }
  w.bytes(bytes);
}

function readInt(s: Uint8Array, pos: number, size: number, little: boolean, signed: boolean): number {
  let v = 0n;
  for (let k = 0; k < size; k++) {
    const b = s[little ? pos + size - 1 - k : pos + k] as number;
    v = (v << 8n) | BigInt(b);
  }
  if (signed) v = BigInt.asIntN(size * 8, v);
  return Number(v);
}

function pack(L: LuaState): number {
  const fmt = toJsString(lauxlib.luaL_checklstring(L, 1));
  const h: Header = { little: true, align: 1 };
  const r = new FormatReader(L, fmt);
  const w = new ByteWriter();
  let arg = 2;
  while (!r.done) {
    const o = r.next(h);
    if (!o) continue;
    for (let p = padding(w.length, h, o); p > 0; p--) w.byte(0);
    switch (o.opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        writeInt(w, lauxlib.luaL_checknumber(L, arg++), o.size, h.little);
        break;
      case 'x':
        w.byte(0);
        break;
      case 'f':
        w.view(4, (d) => d.setFloat32(0, lauxlib.luaL_checknumber(L, arg++), h.little));
        break;
      case 'd':
        w.view(8, (d) => d.setFloat64(0, lauxlib.luaL_checknumber(L, arg++), h.little));
        break;
      case 'c':
      case 's': {
        const s = lauxlib.luaL_checklstring(L, arg);
        let n = o.size;
        if (o.opt === 's' || n === 0) n = s.length;
        if (s.length < n) lauxlib.luaL_argerror(L, arg, 'string too short');
        w.bytes(s.subarray(0, n));
        if (o.opt === 's') w.byte(0);
        arg++;
        break;
      }
    }
  }
  lua.lua_pushstring(L, w.result());
  return 1;
}

function unpack(L: LuaState): number {
  const fmt = toJsString(lauxlib.luaL_checklstring(L, 1));
  const data = lauxlib.luaL_checklstring(L, 2);
  let pos = lauxlib.luaL_optinteger(L, 3, 1) - 1;
  if (pos < 0 || pos > data.length) lauxlib.luaL_argerror(L, 3, 'offset out of range');
  const h: Header = { little: true, align: 1 };
  const r = new FormatReader(L, fmt);
  lua.lua_settop(L, 2);
  let n = 0;
  while (!r.done) {
    const o = r.next(h);
    if (!o) continue;
    pos += padding(pos, h, o);
    if (o.size > data.length - pos) lauxlib.luaL_argerror(L, 2, 'data string too short');
    if (!lua.lua_checkstack(L, 2)) lauxlib.luaL_error(L, 'too many results');
    switch (o.opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua.lua_pushnumber(
          L,
          readInt(data, pos, o.size, h.little, o.opt === o.opt.toLowerCase() && o.opt !== 'T'),
        );
        n++;
        break;
      case 'x':
        break;
      case 'f':
        lua.lua_pushnumber(L, new DataView(data.buffer, data.byteOffset + pos, 4).getFloat32(0, h.little));
        n++;
        break;
      case 'd':
        lua.lua_pushnumber(L, new DataView(data.buffer, data.byteOffset + pos, 8).getFloat64(0, h.little));
        n++;
        break;
      case 'c': {
        let size = o.size;
        if (size === 0) {
          if (n === 0 || lua.lua_type(L, -1) !== lua.LUA_TNUMBER)
            lauxlib.luaL_error(L, "format 'c0' needs a previous size");
          size = lua.lua_tonumber(L, -1);
          lua.lua_pop(L, 1);
          n--;
          if (size > data.length - pos) lauxlib.luaL_argerror(L, 2, 'data string too short');
        }
        lua.lua_pushstring(L, data.subarray(pos, pos + size));
        n++;
        pos += size;
        continue;
      }
      case 's': {
        const end = data.indexOf(0, pos);
        if (end < 0) lauxlib.luaL_error(L, 'unfinished string in data');
        lua.lua_pushstring(L, data.subarray(pos, end));
        n++;
        pos = end + 1;
        continue;
      }
    }
    pos += o.size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return n + 1;
}

function size(L: LuaState): number {
  const fmt = toJsString(lauxlib.luaL_checklstring(L, 1));
  const h: Header = { little: true, align: 1 };
  const r = new FormatReader(L, fmt);
  let total = 0;
  while (!r.done) {
    const o = r.next(h);
    if (!o) continue;
    if (o.opt === 's' || (o.opt === 'c' && o.size === 0))
      lauxlib.luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
    total += padding(total, h, o) + o.size;
  }
  lua.lua_pushnumber(L, total);
  return 1;
}

export function openStruct(L: LuaState): number {
  lua.lua_createtable(L, 0, 3);
  for (const [name, f] of [
    ['pack', pack],
    ['unpack', unpack],
    ['size', size],
  ] as const) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  return 1;
}
