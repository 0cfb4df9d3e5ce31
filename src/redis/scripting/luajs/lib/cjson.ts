// lua-cjson 2.1 as Redis ships it (a port of ../../libs/cjson.ts onto the luajs value model):
// cjson.encode, cjson.decode, cjson.null and the configuration functions. Lua strings are bytes,
// so encoding escapes bytes and leaves bytes >= 0x80 alone; \u escapes decode to UTF-8 bytes.
// Encoding recurses, bounded by the encode depth limit; decoding is iterative, its open
// containers on an explicit stack bounded by the decode depth limit.
import { LuaTable, LuaUserdata, typeName, type LuaValue } from '../value.js';
import { formatG } from '../../libs/numfmt.js';
import { argError, checkInteger, checkString, libTable, luaError, truthy } from './args.js';

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
    const arr = t.arr;
    let items = 0;
    for (let i = 0; i < arr.length; i++) if (arr[i] !== undefined) items++;
    let max = arr.length;
    if (t.hash !== null) {
      for (const k of t.hash.keys()) {
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) return -1;
        if (k > max) max = k;
        items++;
      }
    }
    const cfg = this.cfg;
    if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
      if (!cfg.sparseConvert) luaError('Cannot serialise table: excessively sparse array');
      return -1;
    }
    return max;
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
    else luaError('Cannot serialise table: table key must be a number or string');
    this.out += ':';
    this.value(v, depth);
  }
}

// ---- decoding -------------------------------------------------------------------------------------

interface Frame {
  /** The array being filled, or null for an object. */
  arr: LuaValue[] | null;
  obj: LuaTable | null;
  key: string;
}

const NUMBER_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const HEX_RE = /^-?0[xX][0-9a-fA-F]+$/;
const HEX4_RE = /^[0-9a-fA-F]{4}$/;

class JsonDecoder {
  private i = 0;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly s: string,
    private readonly cfg: CjsonConfig,
  ) {}

  private fail(expected: string): never {
    const found = this.i >= this.s.length ? 'T_END' : 'invalid token';
    return luaError(`Expected ${expected} but found ${found} at character ${this.i + 1}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  decode(): LuaValue {
    for (;;) {
      this.ws();
      let v = this.openOrScalar();
      if (v === OPENED) continue; // a non-empty container: read its first value
      // A complete value: attach it to the enclosing containers, closing those that end.
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (!top) {
          this.ws();
          if (this.i !== this.s.length) this.fail('the end');
          return v;
        }
        if (top.arr !== null) top.arr.push(v);
        else top.obj!.set(top.key, v);
        this.ws();
        const c = this.s.charCodeAt(this.i);
        if (c === 0x2c) {
          this.i++;
          if (top.arr === null) top.key = this.readKey();
          break;
        }
        if (c === (top.arr !== null ? 0x5d : 0x7d)) {
          this.i++;
          this.stack.pop();
          v = top.arr !== null ? new LuaTable(top.arr) : top.obj!;
          continue;
        }
        this.fail(top.arr !== null ? 'comma or array end' : 'comma or object end');
      }
    }
  }

  /** Reads `"key":` of an object member. */
  private readKey(): string {
    this.ws();
    if (this.s.charCodeAt(this.i) !== 0x22) this.fail('object key string');
    const k = this.readString();
    this.ws();
    if (this.s.charCodeAt(this.i) !== 0x3a) this.fail('colon');
    this.i++;
    return k;
  }

  /** A scalar or an empty container, or OPENED after pushing a frame for a non-empty one. */
  private openOrScalar(): LuaValue | typeof OPENED {
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b || c === 0x5b) {
      const isArray = c === 0x5b;
      this.i++;
      if (this.stack.length + 1 > this.cfg.decodeMaxDepth)
        luaError(`Found too many nested data structures (${this.stack.length + 1}) at character ${this.i}`);
      this.ws();
      if (this.s.charCodeAt(this.i) === (isArray ? 0x5d : 0x7d)) {
        this.i++;
        return new LuaTable();
      }
      if (isArray) this.stack.push({ arr: [], obj: null, key: '' });
      else {
        const frame: Frame = { arr: null, obj: new LuaTable(), key: '' };
        this.stack.push(frame);
        frame.key = this.readKey();
      }
      return OPENED;
    }
    if (c === 0x22) return this.readString();
    if (this.word('true')) return true;
    if (this.word('false')) return false;
    if (this.word('null')) return CJSON_NULL;
    return this.readNumber();
  }

  private word(w: string): boolean {
    if (!this.s.startsWith(w, this.i)) return false;
    this.i += w.length;
    return true;
  }

  private readNumber(): number {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)
        this.i++;
      else break;
    }
    const text = s.substring(start, this.i);
    if (!NUMBER_RE.test(text) && !HEX_RE.test(text)) {
      this.i = start;
      if (this.cfg.decodeInvalidNumbers && (this.word('nan') || this.word('NaN'))) return NaN;
      this.fail('value');
    }
    return Number(text);
  }

  private readString(): string {
    const s = this.s;
    const start = ++this.i; // past the opening quote
    // Fast path: no escapes before the closing quote.
    const q = s.indexOf('"', start);
    if (q < 0) {
      this.i = s.length;
      this.fail('string end');
    }
    const bs = s.indexOf('\\', start);
    if (bs < 0 || bs > q) {
      this.i = q + 1;
      return s.substring(start, q);
    }
    const out: string[] = [];
    let lit = start;
    for (;;) {
      if (this.i >= s.length) this.fail('string end');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) break;
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      if (this.i > lit) out.push(s.substring(lit, this.i));
      this.i++;
      out.push(this.escape());
      lit = this.i;
    }
    if (this.i > lit) out.push(s.substring(lit, this.i));
    this.i++;
    return out.join('');
  }

  /** The bytes of one escape (after the backslash). */
  private escape(): string {
    const e = this.s.charCodeAt(this.i++);
    switch (e) {
      case 0x22:
      case 0x5c:
      case 0x2f:
        return String.fromCharCode(e);
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75:
        return this.unicodeEscape();
      default:
        return this.fail('valid escape');
    }
  }

  private hex4(): number {
    const t = this.s.substring(this.i, this.i + 4);
    if (!HEX4_RE.test(t)) this.fail('unicode escape');
    this.i += 4;
    return parseInt(t, 16);
  }

  private unicodeEscape(): string {
    let cp = this.hex4();
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (this.s.charCodeAt(this.i) !== 0x5c || this.s.charCodeAt(this.i + 1) !== 0x75)
        this.fail('low surrogate');
      this.i += 2;
      const lo = this.hex4();
      if (lo < 0xdc00 || lo > 0xdfff) this.fail('low surrogate');
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    return Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
  }
}

const OPENED: unique symbol = Symbol('opened');

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
    encode,
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
