// lua-cjson 2.1 as Redis ships it: cjson.encode, cjson.decode, cjson.null and the configuration
// functions. Encoding writes bytes (Lua strings are not necessarily UTF-8); decoding is an
// iterative parser whose open containers live on the Lua stack, bounded by the nesting limit.
import { lua, lauxlib, toJsString, type LuaState } from '../lua-vm.js';
import { ByteWriter } from './bytes.js';
import { formatG } from './numfmt.js';

/** cjson.null: a light userdata, compared by identity. */
export const CJSON_NULL = Object.freeze({ cjsonNull: true });

export const DEFAULT_MAX_DEPTH = 1000;
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

interface CjsonConfig {
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  encodeInvalidNumbers: boolean;
  decodeInvalidNumbers: boolean;
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
}

const ESCAPES: Array<string | null> = (() => {
  const t: Array<string | null> = new Array<string | null>(256).fill(null);
  for (let c = 0; c < 32; c++) t[c] = '\\u' + c.toString(16).padStart(4, '0');
  t[8] = '\\b';
  t[9] = '\\t';
  t[10] = '\\n';
  t[12] = '\\f';
  t[13] = '\\r';
  t[34] = '\\"';
  t[47] = '\\/';
  t[92] = '\\\\';
  t[127] = '\\u007f';
  return t;
})();

function encodeString(w: ByteWriter, s: Uint8Array): void {
  w.byte(0x22);
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as number;
    const e = ESCAPES[c];
    if (e) w.ascii(e);
    else w.byte(c);
  }
  w.byte(0x22);
}

function encodeNumber(L: LuaState, w: ByteWriter, n: number, cfg: CjsonConfig): void {
  if (!Number.isFinite(n) && !cfg.encodeInvalidNumbers) {
    lauxlib.luaL_error(L, 'Cannot serialise number: must not be NaN or Inf');
  }
  w.ascii(formatG(n, cfg.precision));
}

/** Returns the array length when the table at the top is an array, -1 for an object. */
function arrayLength(L: LuaState, cfg: CjsonConfig): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pop(L, 1);
    if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -1);
      if (Number.isInteger(k) && k >= 1) {
        if (k > max) max = k;
        items++;
        continue;
      }
    }
    lua.lua_pop(L, 1);
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) lauxlib.luaL_error(L, 'Cannot serialise table: excessively sparse array');
    return -1;
  }
  return max;
}

function encodeValue(L: LuaState, w: ByteWriter, cfg: CjsonConfig, depth: number): void {
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) encodeString(w, lua.lua_tolstring(L, -1) as Uint8Array);
  else if (t === lua.LUA_TNUMBER) encodeNumber(L, w, lua.lua_tonumber(L, -1), cfg);
  else if (t === lua.LUA_TBOOLEAN) w.ascii(lua.lua_toboolean(L, -1) ? 'true' : 'false');
  else if (t === lua.LUA_TNIL) w.ascii('null');
  else if (t === lua.LUA_TLIGHTUSERDATA && lua.lua_touserdata(L, -1) === CJSON_NULL) w.ascii('null');
  else if (t === lua.LUA_TTABLE) encodeTable(L, w, cfg, depth + 1);
  else lauxlib.luaL_error(L, `Cannot serialise ${typeName(L)}: type not supported`);
}

function typeName(L: LuaState): string {
  return toJsString(lauxlib.luaL_typename(L, -1));
}

// Nested tables are encoded recursively, bounded by encodeMaxDepth (1000) and Lua's stack check.
function encodeTable(L: LuaState, w: ByteWriter, cfg: CjsonConfig, depth: number): void {
  if (depth > cfg.encodeMaxDepth || !lua.lua_checkstack(L, 4)) {
    lauxlib.luaL_error(L, `Cannot serialise, excessive nesting (${depth})`);
  }
  const len = arrayLength(L, cfg);
  if (len > 0) {
    w.byte(0x5b);
    for (let i = 1; i <= len; i++) {
      if (i > 1) w.byte(0x2c);
      lua.lua_rawgeti(L, -1, i);
      encodeValue(L, w, cfg, depth);
      lua.lua_pop(L, 1);
    }
    w.byte(0x5d);
    return;
  }
  w.byte(0x7b);
  let first = true;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    if (!first) w.byte(0x2c);
    first = false;
    const kt = lua.lua_type(L, -2);
    if (kt === lua.LUA_TSTRING) encodeString(w, lua.lua_tolstring(L, -2) as Uint8Array);
    else if (kt === lua.LUA_TNUMBER) {
      w.byte(0x22);
      encodeNumber(L, w, lua.lua_tonumber(L, -2), cfg);
      w.byte(0x22);
    } else lauxlib.luaL_error(L, 'Cannot serialise table: table key must be a number or string');
    w.byte(0x3a);
    encodeValue(L, w, cfg, depth);
    lua.lua_pop(L, 1);
  }
  w.byte(0x7d);
}

// ---- decoding -------------------------------------------------------------------------------

interface Frame {
  isArray: boolean;
  n: number;
}

class JsonDecoder {
  private i = 0;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly L: LuaState,
    private readonly s: Uint8Array,
    private readonly cfg: CjsonConfig,
  ) {}

  private fail(expected: string): never {
    const found = this.i >= this.s.length ? 'T_END' : 'invalid token';
    return lauxlib.luaL_error(this.L, `Expected ${expected} but found ${found} at character ${this.i + 1}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  decode(): void {
    const L = this.L;
    for (;;) {
      this.ws();
      if (this.openOrScalar()) continue; // opened a non-empty container: read its first value
      // a complete value is on the stack: attach it to the enclosing container
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (!top) {
          this.ws();
          if (this.i !== this.s.length) this.fail('the end');
          return;
        }
        if (top.isArray) lua.lua_rawseti(L, -2, ++top.n);
        else lua.lua_rawset(L, -3);
        this.ws();
        const c = this.s[this.i];
        if (c === 0x2c) {
          this.i++;
          if (!top.isArray) this.readKey();
          break;
        }
        if (c === (top.isArray ? 0x5d : 0x7d)) {
          this.i++;
          this.stack.pop();
          continue;
        }
        this.fail(top.isArray ? 'comma or array end' : 'comma or object end');
      }
    }
  }

  /** Reads "key": for an object member, leaving the key on the stack. */
  private readKey(): void {
    this.ws();
    if (this.s[this.i] !== 0x22) this.fail('object key string');
    this.readString();
    this.ws();
    if (this.s[this.i] !== 0x3a) this.fail('colon');
    this.i++;
  }

  /** Pushes a scalar or an empty container (false), or opens a container and returns true. */
  private openOrScalar(): boolean {
    const L = this.L;
    const c = this.s[this.i];
    if (c === 0x7b || c === 0x5b) {
      const isArray = c === 0x5b;
      this.i++;
      if (this.stack.length + 1 > this.cfg.decodeMaxDepth || !lua.lua_checkstack(L, 4)) {
        lauxlib.luaL_error(
          L,
          `Found too many nested data structures (${this.stack.length + 1}) at character ${this.i}`,
        );
      }
      lua.lua_newtable(L);
      this.ws();
      if (this.s[this.i] === (isArray ? 0x5d : 0x7d)) {
        this.i++;
        return false;
      }
      this.stack.push({ isArray, n: 0 });
      if (!isArray) this.readKey();
      return true;
    }
    if (c === 0x22) this.readString();
    else if (this.word('true')) lua.lua_pushboolean(L, true);
    else if (this.word('false')) lua.lua_pushboolean(L, false);
    else if (this.word('null')) lua.lua_pushlightuserdata(L, CJSON_NULL);
    else this.readNumber();
    return false;
  }

  private word(w: string): boolean {
    for (let k = 0; k < w.length; k++) if (this.s[this.i + k] !== w.charCodeAt(k)) return false;
    this.i += w.length;
    return true;
  }

  private readNumber(): void {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length) {
      const c = s[this.i] as number;
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)
        this.i++;
      else break;
    }
    const text = toJsString(s.subarray(start, this.i));
    const valid = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text);
    const hex = /^-?0[xX][0-9a-fA-F]+$/.test(text);
    if (!valid && !hex) {
      this.i = start;
      if (this.cfg.decodeInvalidNumbers && (this.word('nan') || this.word('NaN'))) {
        lua.lua_pushnumber(this.L, NaN);
        return;
      }
      this.fail('value');
    }
    lua.lua_pushnumber(this.L, Number(text));
  }

  private readString(): void {
    const s = this.s;
    this.i++; // opening quote
    const out: number[] = [];
    for (;;) {
      if (this.i >= s.length) this.fail('string end');
      const c = s[this.i++] as number;
      if (c === 0x22) break;
      if (c !== 0x5c) {
        out.push(c);
        continue;
      }
      const e = s[this.i++];
      switch (e) {
        case 0x22:
        case 0x5c:
        case 0x2f:
          out.push(e);
          break;
        case 0x62:
          out.push(8);
          break;
        case 0x66:
          out.push(12);
          break;
        case 0x6e:
          out.push(10);
          break;
        case 0x72:
          out.push(13);
          break;
        case 0x74:
          out.push(9);
          break;
        case 0x75:
          this.readUnicodeEscape(out);
          break;
        default:
          this.fail('valid escape');
      }
    }
    lua.lua_pushstring(this.L, Uint8Array.from(out));
  }

  private hex4(): number {
    const t = toJsString(this.s.subarray(this.i, this.i + 4));
    if (!/^[0-9a-fA-F]{4}$/.test(t)) this.fail('unicode escape');
    this.i += 4;
    return parseInt(t, 16);
  }

  private readUnicodeEscape(out: number[]): void {
    let cp = this.hex4();
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (this.s[this.i] !== 0x5c || this.s[this.i + 1] !== 0x75) this.fail('low surrogate');
      this.i += 2;
      const lo = this.hex4();
      if (lo < 0xdc00 || lo > 0xdfff) this.fail('low surrogate');
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
  }
}

export function openCjson(L: LuaState): number {
  const cfg: CjsonConfig = {
    encodeMaxDepth: DEFAULT_MAX_DEPTH,
    decodeMaxDepth: DEFAULT_MAX_DEPTH,
    precision: 14,
    encodeInvalidNumbers: false,
    decodeInvalidNumbers: true,
    sparseConvert: false,
    sparseRatio: SPARSE_RATIO,
    sparseSafe: SPARSE_SAFE,
  };
  const fns: Record<string, (L: LuaState) => number> = {
    encode: (S) => {
      if (lua.lua_gettop(S) !== 1) lauxlib.luaL_argerror(S, 1, 'expected 1 argument');
      const w = new ByteWriter();
      encodeValue(S, w, cfg, 0);
      lua.lua_pushstring(S, w.result());
      return 1;
    },
    decode: (S) => {
      if (lua.lua_gettop(S) !== 1) lauxlib.luaL_argerror(S, 1, 'expected 1 argument');
      const s = lauxlib.luaL_checklstring(S, 1);
      new JsonDecoder(S, s, cfg).decode();
      return 1;
    },
    encode_max_depth: (S) => intOption(S, cfg, 'encodeMaxDepth'),
    decode_max_depth: (S) => intOption(S, cfg, 'decodeMaxDepth'),
    encode_number_precision: (S) => {
      const r = intOption(S, cfg, 'precision');
      if (cfg.precision < 1 || cfg.precision > 14)
        lauxlib.luaL_argerror(S, 1, 'expected integer between 1 and 14');
      return r;
    },
    encode_invalid_numbers: (S) => boolOption(S, cfg, 'encodeInvalidNumbers'),
    decode_invalid_numbers: (S) => boolOption(S, cfg, 'decodeInvalidNumbers'),
    encode_keep_buffer: (S) => {
      lua.lua_pushboolean(S, true);
      return 1;
    },
    encode_sparse_array: (S) => {
      if (!lua.lua_isnoneornil(S, 1)) cfg.sparseConvert = lua.lua_toboolean(S, 1);
      if (!lua.lua_isnoneornil(S, 2)) cfg.sparseRatio = lauxlib.luaL_checkinteger(S, 2);
      if (!lua.lua_isnoneornil(S, 3)) cfg.sparseSafe = lauxlib.luaL_checkinteger(S, 3);
      lua.lua_pushboolean(S, cfg.sparseConvert);
      lua.lua_pushinteger(S, cfg.sparseRatio);
      lua.lua_pushinteger(S, cfg.sparseSafe);
      return 3;
    },
  };
  lua.lua_createtable(L, 0, Object.keys(fns).length + 2);
  for (const [name, f] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_pushlightuserdata(L, CJSON_NULL);
  lua.lua_setfield(L, -2, 'null');
  lua.lua_pushstring(L, 'cjson');
  lua.lua_setfield(L, -2, '_NAME');
  lua.lua_pushstring(L, '2.1.0');
  lua.lua_setfield(L, -2, '_VERSION');
  return 1;
}

type IntKey = 'encodeMaxDepth' | 'decodeMaxDepth' | 'precision';
type BoolKey = 'encodeInvalidNumbers' | 'decodeInvalidNumbers';

function intOption(L: LuaState, cfg: CjsonConfig, key: IntKey): number {
  if (!lua.lua_isnoneornil(L, 1)) {
    const v = lauxlib.luaL_checkinteger(L, 1);
    if (v < 1) lauxlib.luaL_argerror(L, 1, 'expected positive integer');
    cfg[key] = v;
  }
  lua.lua_pushinteger(L, cfg[key]);
  return 1;
}

function boolOption(L: LuaState, cfg: CjsonConfig, key: BoolKey): number {
  if (!lua.lua_isnoneornil(L, 1)) cfg[key] = lua.lua_toboolean(L, 1);
  lua.lua_pushboolean(L, cfg[key]);
  return 1;
}
