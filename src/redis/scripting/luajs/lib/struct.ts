// Roberto Ierusalimschy's `struct` library as Redis ships it (a port of ../../libs/struct.ts onto
// latin1 strings): struct.pack(fmt, ...), struct.unpack(fmt, s [, init]), struct.size(fmt).
// Format: '<' little, '>' big, '=' native (little), '!n' max alignment, 'x' pad byte,
// 'b/B' char, 'h/H' short, 'l/L' long (8), 'T' size_t (8), 'i/In' int of n bytes (default 4),
// 'f' float, 'd' double, 's' zero-terminated string, 'cn' fixed string (c0: length from the
// previous value in unpack, whole string in pack), ' ' ignored.
import type { LuaTable, LuaValue } from '../value.js';
import { argError, checkNumber, checkString, libTable, luaError, optInteger } from './args.js';

/** Largest integer size (bytes) for i/I. */
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
  constructor(private readonly fmt: string) {}

  get done(): boolean {
    return this.i >= this.fmt.length;
  }

  private num(def: number): number {
    const start = this.i;
    let v = 0;
    while (this.i < this.fmt.length) {
      const c = this.fmt.charCodeAt(this.i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + c - 0x30;
      this.i++;
    }
    return this.i === start ? def : v;
  }

  /** Reads one option, applying header-changing ones; returns null for those. */
  next(h: Header): Option | null {
    const opt = this.fmt[this.i++]!;
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
      case 'd':
        return { opt, size: 8 };
      case 'f':
        return { opt, size: 4 };
      case 's':
        return { opt, size: 0 };
      case 'c':
        return { opt, size: this.num(1) };
      case 'i':
      case 'I': {
        const size = this.num(4);
        if (size > MAXINTSIZE) luaError(`integral size ${size} is larger than limit of ${MAXINTSIZE}`);
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
        if (a & (a - 1)) luaError(`alignment ${a} is not a power of 2`);
        h.align = a;
        return null;
      }
      default:
        return luaError(`invalid format option '${opt}'`);
    }
  }
}

function padding(len: number, h: Header, o: Option): number {
  let size = o.size;
  if (size === 0 || o.opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

const scratch = new DataView(new ArrayBuffer(8));

function intBytes(value: number, size: number, little: boolean): string {
  let v = BigInt.asUintN(size * 8, BigInt(Math.trunc(value)));
  const bytes = new Array<string>(size);
  for (let k = 0; k < size; k++) {
    bytes[little ? k : size - 1 - k] = String.fromCharCode(Number(v & 0xffn));
    v >>= 8n;
  }
  return bytes.join('');
}

function readInt(s: string, pos: number, size: number, little: boolean, signed: boolean): number {
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(s.charCodeAt(little ? pos + size - 1 - k : pos + k));
  if (signed) v = BigInt.asIntN(size * 8, v);
  return Number(v);
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
  const fmt = checkString(args[0], 1, 'pack', argc);
  const h: Header = { little: true, align: 1 };
  const r = new FormatReader(fmt);
  const out: string[] = [];
  let len = 0;
  let arg = 1;
  const num = (): number => {
    const d = checkNumber(args[arg], arg + 1, 'pack', argc);
    arg++;
    return d;
  };
  while (!r.done) {
    const o = r.next(h);
    if (!o) continue;
    const pad = padding(len, h, o);
    if (pad > 0) out.push('\0'.repeat(pad));
    len += pad;
    let item: string;
    switch (o.opt) {
      case 'x':
        item = '\0';
        break;
      case 'f':
        item = floatBytes(num(), 4, h.little);
        break;
      case 'd':
        item = floatBytes(num(), 8, h.little);
        break;
      case 'c':
      case 's': {
        const s = checkString(args[arg], arg + 1, 'pack', argc);
        let n = o.size;
        if (o.opt === 's' || n === 0) n = s.length;
        if (s.length < n) argError(arg + 1, 'pack', 'string too short');
        item = o.opt === 's' ? s.substring(0, n) + '\0' : s.substring(0, n);
        arg++;
        break;
      }
      default:
        item = intBytes(num(), o.size, h.little);
    }
    out.push(item);
    len += item.length;
  }
  return [out.join('')];
}

function unpack(this: void, f?: LuaValue, d?: LuaValue, init?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const fmt = checkString(f, 1, 'unpack', argc);
  const data = checkString(d, 2, 'unpack', argc);
  let pos = optInteger(init, 3, 'unpack', argc, 1) - 1;
  if (pos < 0 || pos > data.length) argError(3, 'unpack', 'offset out of range');
  const h: Header = { little: true, align: 1 };
  const r = new FormatReader(fmt);
  const out: LuaValue[] = [];
  while (!r.done) {
    const o = r.next(h);
    if (!o) continue;
    pos += padding(pos, h, o);
    if (o.size > data.length - pos) argError(2, 'unpack', 'data string too short');
    switch (o.opt) {
      case 'x':
        break;
      case 'f':
        out.push(readFloat(data, pos, 4, h.little));
        break;
      case 'd':
        out.push(readFloat(data, pos, 8, h.little));
        break;
      case 'c': {
        let size = o.size;
        if (size === 0) {
          const prev = out[out.length - 1];
          if (out.length === 0 || typeof prev !== 'number') luaError("format 'c0' needs a previous size");
          size = prev;
          out.pop();
          if (size > data.length - pos) argError(2, 'unpack', 'data string too short');
        }
        out.push(data.substring(pos, pos + size));
        pos += size;
        continue;
      }
      case 's': {
        const end = data.indexOf('\0', pos);
        if (end < 0) luaError('unfinished string in data');
        out.push(data.substring(pos, end));
        pos = end + 1;
        continue;
      }
      default:
        out.push(readInt(data, pos, o.size, h.little, o.opt === o.opt.toLowerCase() && o.opt !== 'T'));
    }
    pos += o.size;
  }
  out.push(pos + 1);
  return out;
}

function size(this: void, f?: LuaValue): LuaValue[] {
  const fmt = checkString(f, 1, 'size', arguments.length);
  const h: Header = { little: true, align: 1 };
  const r = new FormatReader(fmt);
  let total = 0;
  while (!r.done) {
    const o = r.next(h);
    if (!o) continue;
    if (o.opt === 's' || (o.opt === 'c' && o.size === 0))
      argError(1, 'size', "options 'c0' - 's' have undefined sizes");
    total += padding(total, h, o) + o.size;
  }
  return [total];
}

export function createStructLib(): LuaTable {
  return libTable({ pack, unpack, size });
}
