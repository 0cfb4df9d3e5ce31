// The LuaBitOp `bit` library Redis ships: tobit, tohex, bnot, band, bor, bxor, lshift, rshift,
// arshift, rol, ror, bswap. Results are signed 32-bit integers. Arguments are normalised as
// LuaBitOp does, by adding 2^52 + 2^51 to the double and keeping the low 32 bits of its
// representation: integers wrap modulo 2^32, fractions round half to even.
import type { LuaTable, LuaValue } from '../value.js';
import { checkNumber, libTable } from './args.js';

const MAGIC = 6755399441055744; // 2^52 + 2^51
const view = new DataView(new ArrayBuffer(8));

function toBit(v: LuaValue, n: number, fname: string, argc: number): number {
  const d = typeof v === 'number' ? v : checkNumber(v, n, fname, argc);
  if ((d | 0) === d) return d;
  view.setFloat64(0, d + MAGIC, true);
  return view.getInt32(0, true);
}

type BitFn = (...args: LuaValue[]) => LuaValue[];

function fold(fname: string, op: (a: number, b: number) => number): BitFn {
  return function (this: void, ...args: LuaValue[]): LuaValue[] {
    const n = args.length;
    let b = toBit(args[0], 1, fname, n);
    // LuaBitOp folds from the last argument down to the second.
    for (let i = n - 1; i >= 1; i--) b = op(b, toBit(args[i], i + 1, fname, n));
    return [b | 0];
  };
}

function shift(fname: string, op: (b: number, n: number) => number): BitFn {
  return function (this: void, x?: LuaValue, s?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const b = toBit(x, 1, fname, argc);
    return [op(b, toBit(s, 2, fname, argc) & 31) | 0];
  };
}

export function createBitLib(): LuaTable {
  function tobit(this: void, x?: LuaValue): LuaValue[] {
    return [toBit(x, 1, 'tobit', arguments.length)];
  }
  function bnot(this: void, x?: LuaValue): LuaValue[] {
    return [~toBit(x, 1, 'bnot', arguments.length)];
  }
  function bswap(this: void, x?: LuaValue): LuaValue[] {
    const b = toBit(x, 1, 'bswap', arguments.length);
    return [(b >>> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24) | 0];
  }
  function tohex(this: void, x?: LuaValue, w?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    let b = toBit(x, 1, 'tohex', argc);
    let n = argc < 2 ? 8 : toBit(w, 2, 'tohex', argc);
    let digits = '0123456789abcdef';
    if (n < 0) {
      n = -n;
      digits = '0123456789ABCDEF';
    }
    if (n > 8) n = 8;
    const out = new Array<string>(n);
    for (let i = n - 1; i >= 0; i--) {
      out[i] = digits[b & 15]!;
      b >>>= 4;
    }
    return [out.join('')];
  }
  return libTable({
    tobit,
    bnot,
    band: fold('band', (a, b) => a & b),
    bor: fold('bor', (a, b) => a | b),
    bxor: fold('bxor', (a, b) => a ^ b),
    lshift: shift('lshift', (b, n) => b << n),
    rshift: shift('rshift', (b, n) => b >>> n),
    arshift: shift('arshift', (b, n) => b >> n),
    rol: shift('rol', (b, n) => (b << n) | (b >>> (32 - n))),
    ror: shift('ror', (b, n) => (b >>> n) | (b << (32 - n))),
    bswap,
    tohex,
  });
}
