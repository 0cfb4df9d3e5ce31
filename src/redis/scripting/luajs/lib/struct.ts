// Roberto Ierusalimschy's `struct` library as Redis ships it (struct.c): struct.pack(fmt, ...),
// struct.unpack(fmt, s [, init]), struct.size(fmt). ../../libs/struct.ts is the fengari version;
// it differs from Redis in some error texts and corner cases, and this one follows Redis.
// Format: '<' little, '>' big, '!n' max alignment, 'x' pad byte,
// 'b/B' char, 'h/H' short, 'l/L' long (8), 'T' size_t (8), 'i/In' int of n bytes (default 4),
// 'f' float, 'd' double, 's' zero-terminated string, 'cn' fixed string (c0: length from the
// previous value in unpack, whole string in pack), ' ' ignored.
import type { LuaTable, LuaValue } from '../value.js';
import {
  argError,
  checkNumber,
  guardMemory,
  checkString,
  libTable,
  luaError,
  optInteger,
  toInteger,
} from './args.js';
import { toUnsigned } from './format.js';

/** Largest integer size (bytes) for i/I. */
const MAXINTSIZE = 32;
const MAXALIGN = 8;
/** LUAI_MAXCSTACK: unpack's results must fit Lua 5.1's C stack ("too many results"). */
const MAX_C_STACK = 8000;
const INT_MAX = 2147483647;

interface Header {
  little: boolean;
  align: number;
}

/** Format reading as struct.c does it: one option character at a time, numbers after some. */
class Format {
  i = 0;
  constructor(readonly fmt: string) {}

  get done(): boolean {
    return this.i >= this.fmt.length;
  }

  /** getnum: digits after an option, or the default. */
  num(def: number): number {
    const fmt = this.fmt;
    let c = fmt.charCodeAt(this.i);
    if (!(c >= 0x30 && c <= 0x39)) return def;
    let a = 0;
    do {
      if (a > INT_MAX / 10 || a * 10 > INT_MAX - (c - 0x30)) luaError('integral size overflow');
      a = a * 10 + c - 0x30;
      c = fmt.charCodeAt(++this.i);
    } while (c >= 0x30 && c <= 0x39);
    return a;
  }

  /** optsize: the size of a data option (0 for the others). */
  size(opt: string): number {
    switch (opt) {
      case 'B':
      case 'b':
      case 'x':
        return 1;
      case 'H':
      case 'h':
        return 2;
      case 'L':
      case 'l':
      case 'T':
      case 'd':
        return 8;
      case 'f':
        return 4;
      case 'c':
        return this.num(1);
      case 'i':
      case 'I': {
        const sz = this.num(4);
        if (sz > MAXINTSIZE) luaError(`integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
        return sz;
      }
      default:
        return 0;
    }
  }

  /** controloptions: endianness, alignment, spaces; anything else is an invalid option. */
  control(opt: string, h: Header): void {
    switch (opt) {
      case ' ':
        return;
      case '>':
        h.little = false;
        return;
      case '<':
        h.little = true;
        return;
      case '!': {
        const a = this.num(MAXALIGN);
        if (a & (a - 1)) luaError(`alignment ${a} is not a power of 2`);
        h.align = a;
        return;
      }
      default:
        argError(1, this.fname, `invalid format option '${opt}'`);
    }
  }

  fname = 'pack';
}

function toAlign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

/** The integer options (lower case signed, upper case unsigned). */
const INT_OPTIONS = new Set(['b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I']);

const scratch = new DataView(new ArrayBuffer(8));

/** putinteger: the value as a 64-bit integer (two's complement when negative), size bytes of it. */
function intBytes(n: number, size: number, little: boolean): string {
  let v = n < 0 ? BigInt.asUintN(64, BigInt(toInteger(n))) : toUnsigned(n);
  const bytes = new Array<string>(size);
  for (let k = 0; k < size; k++) {
    bytes[little ? k : size - 1 - k] = String.fromCharCode(Number(v & 0xffn));
    v >>= 8n; // past 8 bytes the 64-bit value is exhausted: zeros, as in C
  }
  return bytes.join('');
}

/** getinteger: the low 64 bits of the bytes, sign-extended from the size's top bit when signed. */
function readInt(s: string, pos: number, size: number, little: boolean, signed: boolean): number {
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(s.charCodeAt(little ? pos + size - 1 - k : pos + k));
  v = BigInt.asUintN(64, v);
  if (!signed) return Number(v);
  const mask = BigInt.asUintN(64, ~0n << BigInt((size * 8 - 1) & 63)); // x86 masks shift counts to 6 bits
  if (v & mask) v |= mask;
  return Number(BigInt.asIntN(64, v));
}

function floatBytes(d: number, size: 4 | 8, little: boolean): string {
  if (size === 4) scratch.setFloat32(0, d, little);
  else scratch.setFloat64(0, d, little);
  let s = '';
  for (let k = 0; k < size; k++) s += String.fromCharCode(scratch.getUint8(k));
  return s;
}

function readFloat(s: string, pos: number, size: 4 | 8, little: boolean): number {
  for (let k = 0; k < size; k++) scratch.setUint8(k, s.charCodeAt(pos + k));
  return size === 4 ? scratch.getFloat32(0, little) : scratch.getFloat64(0, little);
}

function pack(this: void, ...args: LuaValue[]): LuaValue[] {
  const argc = args.length;
  // struct.c pushes a nil mark after the arguments: one argument too many reads as "got nil".
  const arg = (k: number): [LuaValue, number] => [args[k - 1], k === argc + 1 ? argc + 1 : argc];
  const fmt = checkString(args[0], 1, 'pack', argc);
  const h: Header = { little: true, align: 1 };
  const f = new Format(fmt);
  const out: string[] = [];
  let total = 0;
  let a = 2;
  const num = (): number => {
    const [v, n] = arg(a);
    return checkNumber(v, a++, 'pack', n);
  };
  while (!f.done) {
    const opt = fmt[f.i++]!;
    let size = f.size(opt);
    const pad = toAlign(total, h, opt, size);
    total += pad;
    if (pad > 0) out.push('\0'.repeat(pad));
    if (INT_OPTIONS.has(opt)) {
      out.push(intBytes(num(), size, h.little));
      total += size;
      continue;
    }
    switch (opt) {
      case 'x':
        out.push('\0');
        break;
      case 'f':
        out.push(floatBytes(num(), 4, h.little));
        break;
      case 'd':
        out.push(floatBytes(num(), 8, h.little));
        break;
      case 'c':
      case 's': {
        const [v, n] = arg(a);
        const str = checkString(v, a++, 'pack', n);
        if (size === 0) size = str.length;
        // struct.c names the argument after the string in this error.
        if (str.length < size) argError(a, 'pack', 'string too short');
        out.push(str.substring(0, size));
        if (opt === 's') {
          out.push('\0');
          size++;
        }
        break;
      }
      default:
        f.control(opt, h);
    }
    total += size;
  }
  return [out.join('')];
}

function unpack(this: void, f?: LuaValue, d?: LuaValue, init?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const fmt = checkString(f, 1, 'unpack', argc);
  const data = checkString(d, 2, 'unpack', argc);
  const ld = data.length;
  let pos = optInteger(init, 3, 'unpack', argc, 1);
  if (!(pos > 0)) argError(3, 'unpack', 'offset must be 1 or greater');
  pos--;
  const h: Header = { little: true, align: 1 };
  const r = new Format(fmt);
  r.fname = 'unpack';
  const out: LuaValue[] = [];
  while (!r.done) {
    const opt = fmt[r.i++]!;
    let size = r.size(opt);
    pos += toAlign(pos, h, opt, size);
    if (!(size <= ld && pos <= ld - size)) argError(2, 'unpack', 'data string too short');
    if (argc + out.length + 2 > MAX_C_STACK) luaError('stack overflow (too many results)');
    if (INT_OPTIONS.has(opt)) {
      out.push(readInt(data, pos, size, h.little, opt === opt.toLowerCase()));
      pos += size;
      continue;
    }
    switch (opt) {
      case 'x':
        break;
      case 'f':
        out.push(readFloat(data, pos, 4, h.little));
        break;
      case 'd':
        out.push(readFloat(data, pos, 8, h.little));
        break;
      case 'c': {
        if (size === 0) {
          const prev = out[out.length - 1];
          if (out.length === 0 || typeof prev !== 'number') luaError("format 'c0' needs a previous size");
          size = toInteger(prev);
          out.pop();
          if (!(size <= ld && pos <= ld - size)) argError(2, 'unpack', 'data string too short');
        }
        out.push(data.substring(pos, pos + size));
        break;
      }
      case 's': {
        const end = data.indexOf('\0', pos);
        if (end < 0) luaError('unfinished string in data');
        size = end - pos + 1;
        out.push(data.substring(pos, end));
        break;
      }
      default:
        r.control(opt, h);
    }
    pos += size;
  }
  out.push(pos + 1);
  return out;
}

const ALNUM = /[0-9A-Za-z]/;

function size(this: void, f?: LuaValue): LuaValue[] {
  const fmt = checkString(f, 1, 'size', arguments.length);
  const h: Header = { little: true, align: 1 };
  const r = new Format(fmt);
  r.fname = 'size';
  let pos = 0;
  while (!r.done) {
    const opt = fmt[r.i++]!;
    const sz = r.size(opt);
    pos += toAlign(pos, h, opt, sz);
    if (opt === 's') argError(1, 'size', "option 's' has no fixed size");
    else if (opt === 'c' && sz === 0) argError(1, 'size', "option 'c0' has no fixed size");
    // Unknown letters count as size 0; other characters must be control options.
    if (!ALNUM.test(opt)) r.control(opt, h);
    pos += sz;
  }
  return [pos];
}

export function createStructLib(): LuaTable {
  return libTable({ pack: guardMemory(pack), unpack, size });
}
