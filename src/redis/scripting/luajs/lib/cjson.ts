// lua-cjson 2.1 as Redis ships it (a port of ../../libs/cjson.ts onto the luajs value model):
// cjson.encode, cjson.decode, cjson.null and the configuration functions. Lua strings are bytes,
// so encoding escapes bytes and leaves bytes >= 0x80 alone; \u escapes decode to UTF-8 bytes.
// Encoding recurses, bounded by the encode depth limit; decoding is iterative, its open
// containers on an explicit stack bounded by the decode depth limit.
import { LuaTable, LuaUserdata, typeName, type LuaValue } from '../value.js';
import { formatG } from '../../libs/numfmt.js';
import {
  argError,
  arrayShape,
  guardMemory,
  checkInteger,
  checkString,
  libTable,
  luaError,
  truthy,
} from './args.js';

/** cjson.null: a light userdata, compared by identity. */
export const CJSON_NULL = new LuaUserdata('cjson.null');

export const DEFAULT_MAX_DEPTH = 1000;
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;
const DEFAULT_PRECISION = 14;

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

const ESCAPES: string[] = (() => {
  const t = new Array<string>(256).fill('');
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
/** A JSON string: runs of plain bytes as slices, escapes from the table. */
function jsonString(s: string): string {
  let out = '"';
  let lit = 0;
  for (let i = 0; i < s.length; i++) {
    const e = ESCAPES[s.charCodeAt(i)];
    if (!e) continue;
    if (i > lit) out += s.substring(lit, i);
    out += e;
    lit = i + 1;
  }
  return (lit === 0 ? out + s : lit < s.length ? out + s.substring(lit) : out) + '"';
}

// The output is built by string concatenation of whole tokens: V8 keeps it as a rope and
// flattens it once, which is cheaper than an array of small pieces joined at the end.
class Encoder {
  out = '';
  constructor(private readonly cfg: CjsonConfig) {}

  number(n: number): string {
    if (!Number.isFinite(n) && !this.cfg.encodeInvalidNumbers)
      luaError('Cannot serialise number: must not be NaN or Inf');
    const p = this.cfg.precision;
    // Integers with at most `precision` digits print as themselves under %.<p>g.
    if (Number.isInteger(n) && Math.abs(n) < 10 ** p && !Object.is(n, -0)) return String(n);
    return formatG(n, p);
  }

  value(v: LuaValue, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.out += jsonString(v);
        return;
      case 'number':
        this.out += this.number(v);
        return;
      case 'boolean':
        this.out += v ? 'true' : 'false';
        return;
      case 'undefined':
        this.out += 'null';
        return;
    }
    if (v === CJSON_NULL) this.out += 'null';
    else if (v instanceof LuaTable) this.table(v, depth + 1);
    else luaError(`Cannot serialise ${typeName(v)}: type not supported`);
  }

  /** The array length when every key is a positive integer (and not too sparse), else -1. */
  private arrayLength(t: LuaTable): number {
    const shape = arrayShape(t);
    if (shape === null) return -1;
    const cfg = this.cfg;
    if (cfg.sparseRatio > 0 && shape.max > shape.items * cfg.sparseRatio && shape.max > cfg.sparseSafe) {
      if (!cfg.sparseConvert) luaError('Cannot serialise table: excessively sparse array');
      return -1;
    }
    return shape.max;
  }

  private table(t: LuaTable, depth: number): void {
    if (depth > this.cfg.encodeMaxDepth) luaError(`Cannot serialise, excessive nesting (${depth})`);
    const len = this.arrayLength(t);
    if (len > 0) {
      this.out += '[';
      for (let i = 1; i <= len; i++) {
        if (i > 1) this.out += ',';
        this.value(t.get(i), depth);
      }
      this.out += ']';
      return;
    }
    // The order of next(): the array part, then the hash part in insertion order. Nothing can
    // change the table while it is encoded, so both parts are walked directly.
    this.out += '{';
    let first = true;
    const arr = t.arr;
    for (let i = 0; i < arr.length; i++) {
      if (arr[i] === undefined) continue;
      if (!first) this.out += ',';
      first = false;
      this.out += '"' + this.number(i + 1) + '":';
      this.value(arr[i], depth);
    }
    if (t.hash !== null) {
      for (const [k, v] of t.hash) {
        if (!first) this.out += ',';
        first = false;
        this.member(k, v, depth);
      }
    }
    this.out += '}';
  }

  private member(k: LuaValue, v: LuaValue, depth: number): void {
    if (typeof k === 'string') this.out += jsonString(k);
    else if (typeof k === 'number') this.out += '"' + this.number(k) + '"';
    else luaError(`Cannot serialise ${typeName(k)}: table key must be a number or string`);
    this.out += ':';
    this.value(v, depth);
  }
}

// ---- decoding -------------------------------------------------------------------------------------
//
// lua-cjson's tokenizer and error texts: "Expected <what> but found <token or error> at
// character N". Numbers are read by strtod (so hex, a leading '+' or zeros, "1.", inf and nan are
// accepted), a NUL byte ends the input, and strings end at an unescaped quote.

const enum T {
  OBJ_BEGIN,
  OBJ_END,
  ARR_BEGIN,
  ARR_END,
  STRING,
  NUMBER,
  BOOLEAN,
  NULL,
  COLON,
  COMMA,
  END,
  WHITESPACE,
  ERROR,
  UNKNOWN,
}
const TOKEN_NAMES = [
  'T_OBJ_BEGIN',
  'T_OBJ_END',
  'T_ARR_BEGIN',
  'T_ARR_END',
  'T_STRING',
  'T_NUMBER',
  'T_BOOLEAN',
  'T_NULL',
  'T_COLON',
  'T_COMMA',
  'T_END',
  'T_WHITESPACE',
  'T_ERROR',
  'T_UNKNOWN',
];
const CH2TOKEN: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(T.ERROR);
  t[0] = T.END;
  t[0x20] = t[0x09] = t[0x0a] = t[0x0d] = T.WHITESPACE;
  t[0x7b] = T.OBJ_BEGIN;
  t[0x7d] = T.OBJ_END;
  t[0x5b] = T.ARR_BEGIN;
  t[0x5d] = T.ARR_END;
  t[0x2c] = T.COMMA;
  t[0x3a] = T.COLON;
  for (const c of 'fiInNt"+-0123456789') t[c.charCodeAt(0)] = T.UNKNOWN;
  return t;
})();
const ESCAPE2CHAR: Record<number, string> = {
  0x22: '"',
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

interface Token {
  type: T;
  /** 0-based position (of the token, or where the error was found). */
  index: number;
  value: LuaValue;
  /** The error text of a T_ERROR token. */
  error: string;
}

/** glibc strtod's longest accepted prefix at s[i..]: [value, end] (end === i when none). */
export function strtod(s: string, i: number): [number, number] {
  const m = STRTOD_RE.exec(s.substring(i, i + 400));
  if (m === null || m[0] === '' || m[0] === '+' || m[0] === '-') return [0, i];
  const text = m[0];
  const neg = text.charCodeAt(0) === 0x2d;
  const body = neg || text.charCodeAt(0) === 0x2b ? text.substring(1) : text;
  const lower = body.toLowerCase();
  let v: number;
  if (lower.startsWith('inf')) v = Infinity;
  else if (lower.startsWith('nan')) v = NaN;
  else if (lower.startsWith('0x')) v = hexFloat(lower.substring(2));
  else v = Number(body);
  return [neg ? -v : v, i + text.length];
}
// sign, then: infinity | inf | nan(chars) | nan | hex float with at least one digit | decimal.
// A decimal needs a digit; an exponent only counts with digits after it; "0x" alone is "0".
const STRTOD_RE =
  /^[+-]?(?:infinity|inf|nan\([0-9a-z_]*\)|nan|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)?/i;

function hexFloat(h: string): number {
  const p = h.indexOf('p');
  const mant = p < 0 ? h : h.substring(0, p);
  const exp = p < 0 ? 0 : Number(h.substring(p + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.substring(0, dot) + mant.substring(dot + 1);
  const fracDigits = dot < 0 ? 0 : mant.length - dot - 1;
  if (digits === '') return 0;
  return Number(BigInt('0x' + digits)) * 2 ** (exp - 4 * fracDigits);
}

class JsonDecoder {
  private ptr = 0;
  /** Input end: the first NUL byte, where lua-cjson's C string scan stops. */
  private readonly end: number;
  private depth = 0;
  private readonly tok: Token = { type: T.END, index: 0, value: undefined, error: '' };

  constructor(
    private readonly s: string,
    private readonly cfg: CjsonConfig,
  ) {
    const nul = s.indexOf('\0');
    this.end = nul < 0 ? s.length : nul;
  }

  private ch(i: number): number {
    return i < this.end ? this.s.charCodeAt(i) : 0;
  }

  private fail(expected: string, t: Token): never {
    const found = t.type === T.ERROR ? t.error : TOKEN_NAMES[t.type];
    return luaError(`Expected ${expected} but found ${found} at character ${t.index + 1}`);
  }

  private tokenError(error: string): void {
    const t = this.tok;
    t.type = T.ERROR;
    t.index = this.ptr;
    t.error = error;
  }

  /** json_next_token. */
  private next(): Token {
    const t = this.tok;
    let c: number;
    for (;;) {
      c = this.ch(this.ptr);
      t.type = c < 256 ? (CH2TOKEN[c] as T) : T.ERROR;
      if (t.type !== T.WHITESPACE) break;
      this.ptr++;
    }
    t.index = this.ptr;
    if (t.type === T.ERROR) this.tokenError('invalid token');
    else if (t.type === T.END) return t;
    else if (t.type !== T.UNKNOWN) this.ptr++;
    else if (c === 0x22) this.stringToken();
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.numberToken();
    else if (this.word('true')) this.literal(T.BOOLEAN, true, 4);
    else if (this.word('false')) this.literal(T.BOOLEAN, false, 5);
    else if (this.word('null')) this.literal(T.NULL, CJSON_NULL, 4);
    else if (this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) this.numberToken();
    else this.tokenError('invalid token');
    return t;
  }

  private word(w: string): boolean {
    return this.s.startsWith(w, this.ptr) && this.ptr + w.length <= this.end;
  }

  private literal(type: T, value: LuaValue, len: number): void {
    this.tok.type = type;
    this.tok.value = value;
    this.ptr += len;
  }

  /** json_is_invalid_number: a leading '+', hex, leading zeros, inf or nan. */
  private isInvalidNumber(): boolean {
    let p = this.ptr;
    const c0 = this.ch(p);
    if (c0 === 0x2b) return true;
    if (c0 === 0x2d) p++;
    const c = this.ch(p);
    if (c === 0x30) {
      const c2 = this.ch(p + 1);
      return (c2 | 0x20) === 0x78 || (c2 >= 0x30 && c2 <= 0x39);
    }
    if (c <= 0x39) return false;
    const w = this.s.substring(p, Math.min(p + 3, this.end)).toLowerCase();
    return w === 'inf' || w === 'nan';
  }

  private numberToken(): void {
    const [v, endp] = strtod(this.s.substring(0, this.end), this.ptr);
    if (endp === this.ptr) {
      this.tokenError('invalid number');
      return;
    }
    this.tok.type = T.NUMBER;
    this.tok.value = v;
    this.ptr = endp;
  }

  private stringToken(): void {
    const s = this.s;
    let lit = ++this.ptr; // past the opening quote
    let out = '';
    for (;;) {
      const c = this.ch(this.ptr);
      if (c === 0x22) break;
      if (c === 0) {
        this.tokenError('unexpected end of string');
        return;
      }
      if (c !== 0x5c) {
        this.ptr++;
        continue;
      }
      if (this.ptr > lit) out += s.substring(lit, this.ptr);
      const e = this.ch(this.ptr + 1);
      if (e === 0x75) {
        const u = this.unicodeEscape();
        if (u === null) {
          this.tokenError('invalid unicode escape code');
          return;
        }
        out += u;
      } else {
        const r = ESCAPE2CHAR[e];
        if (r === undefined) {
          this.tokenError('invalid escape code');
          return;
        }
        out += r;
        this.ptr += 2;
      }
      lit = this.ptr;
    }
    if (this.ptr > lit) out += s.substring(lit, this.ptr);
    this.ptr++; // the closing quote
    this.tok.type = T.STRING;
    this.tok.value = out;
  }

  private hex4(at: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.ch(at + k);
      const d =
        c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  /** json_append_unicode_escape at "\u": the UTF-8 bytes, or null when invalid. */
  private unicodeEscape(): string | null {
    let cp = this.hex4(this.ptr + 2);
    if (cp < 0) return null;
    let len = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return null; // a low surrogate first
      if (this.ch(this.ptr + 6) !== 0x5c || this.ch(this.ptr + 7) !== 0x75) return null;
      const lo = this.hex4(this.ptr + 8);
      if (lo < 0 || (lo & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (lo & 0x3ff)) + 0x10000;
      len = 12;
    }
    this.ptr += len;
    return Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
  }

  decode(): LuaValue {
    if (this.s.length >= 2 && (this.s.charCodeAt(0) === 0 || this.s.charCodeAt(1) === 0))
      luaError('JSON parser does not support UTF-16 or UTF-32');
    const v = this.value(this.next());
    const t = this.next();
    if (t.type !== T.END) this.fail('the end', t);
    return v;
  }

  /**
   * json_process_value, with the containers it opens parsed on an explicit stack (no recursion):
   * each frame is a table being filled and, for objects, the pending key.
   */
  private value(first: Token): LuaValue {
    const stack: Array<{ table: LuaTable; n: number; key: string | null }> = [];
    let t = first;
    for (;;) {
      let v: LuaValue;
      // A value starts at t.
      if (t.type === T.OBJ_BEGIN || t.type === T.ARR_BEGIN) {
        const isObj = t.type === T.OBJ_BEGIN;
        this.descend();
        const table = new LuaTable();
        t = this.next();
        if (t.type === (isObj ? T.OBJ_END : T.ARR_END)) {
          this.depth--;
          v = table;
        } else {
          const frame = { table, n: 0, key: isObj ? this.key(t) : null };
          stack.push(frame);
          if (isObj) t = this.next();
          continue;
        }
      } else if (t.type === T.STRING || t.type === T.NUMBER || t.type === T.BOOLEAN || t.type === T.NULL) {
        v = t.value;
      } else return this.fail('value', t);
      // Attach v to the enclosing containers, closing those that end.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return v;
        if (top.key === null) top.table.set(++top.n, v);
        else top.table.set(top.key, v);
        t = this.next();
        if (t.type === (top.key === null ? T.ARR_END : T.OBJ_END)) {
          stack.pop();
          this.depth--;
          v = top.table;
          continue;
        }
        if (t.type !== T.COMMA) this.fail(top.key === null ? 'comma or array end' : 'comma or object end', t);
        t = this.next();
        if (top.key !== null) {
          top.key = this.key(t);
          t = this.next();
        }
        break;
      }
    }
  }

  /** An object key and its colon: t is the key token. */
  private key(t: Token): string {
    if (t.type !== T.STRING) this.fail('object key string', t);
    const k = t.value as string;
    const c = this.next();
    if (c.type !== T.COLON) this.fail('colon', c);
    return k;
  }

  private descend(): void {
    if (++this.depth > this.cfg.decodeMaxDepth)
      luaError(`Found too many nested data structures (${this.depth}) at character ${this.ptr}`);
  }
}

export function createCjsonLib(): LuaTable {
  const cfg: CjsonConfig = {
    encodeMaxDepth: DEFAULT_MAX_DEPTH,
    decodeMaxDepth: DEFAULT_MAX_DEPTH,
    precision: DEFAULT_PRECISION,
    encodeInvalidNumbers: false,
    decodeInvalidNumbers: true,
    sparseConvert: false,
    sparseRatio: SPARSE_RATIO,
    sparseSafe: SPARSE_SAFE,
  };

  function encode(this: void, v?: LuaValue): LuaValue[] {
    if (arguments.length !== 1) argError(1, 'encode', 'expected 1 argument');
    const enc = new Encoder(cfg);
    enc.value(v, 0);
    return [enc.out];
  }

  function decode(this: void, s?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    if (argc !== 1) argError(1, 'decode', 'expected 1 argument');
    return [new JsonDecoder(checkString(s, 1, 'decode', argc), cfg).decode()];
  }

  type IntKey = 'encodeMaxDepth' | 'decodeMaxDepth' | 'precision';
  const intOption =
    (fname: string, key: IntKey, max = Infinity) =>
    (...args: LuaValue[]): LuaValue[] => {
      if (args[0] !== undefined) {
        const v = checkInteger(args[0], 1, fname, args.length);
        if (v < 1 || v > max)
          argError(
            1,
            fname,
            max < Infinity ? `expected integer between 1 and ${max}` : 'expected positive integer',
          );
        cfg[key] = v;
      }
      return [cfg[key]];
    };
  const boolOption =
    (key: 'encodeInvalidNumbers' | 'decodeInvalidNumbers') =>
    (...args: LuaValue[]): LuaValue[] => {
      if (args[0] !== undefined) cfg[key] = truthy(args[0]);
      return [cfg[key]];
    };

  function encodeSparseArray(this: void, ...args: LuaValue[]): LuaValue[] {
    const n = args.length;
    if (args[0] !== undefined) cfg.sparseConvert = truthy(args[0]);
    if (args[1] !== undefined) cfg.sparseRatio = checkInteger(args[1], 2, 'encode_sparse_array', n);
    if (args[2] !== undefined) cfg.sparseSafe = checkInteger(args[2], 3, 'encode_sparse_array', n);
    return [cfg.sparseConvert, cfg.sparseRatio, cfg.sparseSafe];
  }

  return libTable({
    encode: guardMemory(encode),
    decode,
    encode_max_depth: intOption('encode_max_depth', 'encodeMaxDepth'),
    decode_max_depth: intOption('decode_max_depth', 'decodeMaxDepth'),
    encode_number_precision: intOption('encode_number_precision', 'precision', 14),
    encode_invalid_numbers: boolOption('encodeInvalidNumbers'),
    decode_invalid_numbers: boolOption('decodeInvalidNumbers'),
    encode_keep_buffer: (): LuaValue[] => [true],
    encode_sparse_array: encodeSparseArray,
    null: CJSON_NULL,
    _NAME: 'cjson',
    _VERSION: '2.1.0',
  });
}
