// Lua 5.1's math library (lmathlib.c), with math.random / math.randomseed replaced as Redis 7.2
// does: a rand48 generator (Redis's rand.c, the same sequence on every platform) whose state lives
// as long as the scripting engine (Redis 7 no longer reseeds it before each script).
import type { LuaTable, LuaValue } from '../value.js';
import { argError, checkInt, checkNumber, libTable, luaError } from './args.js';

const RADIANS_PER_DEGREE = Math.PI / 180;

/** C's pow where it differs from Math.pow: pow(1, y) and pow(-1, ±inf) are 1. */
export function luaPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

const f64 = new DataView(new ArrayBuffer(8));

/** frexp: x = m * 2^e with 0.5 <= |m| < 1. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = 0;
  if (Math.abs(x) < 2.2250738585072014e-308) {
    x *= 18446744073709551616; // 2^64: make a subnormal normal
    e = -64;
  }
  f64.setFloat64(0, x);
  const hi = f64.getUint32(0);
  e += ((hi >>> 20) & 0x7ff) - 1022;
  f64.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [f64.getFloat64(0), e];
}

/** ldexp: x * 2^n rounded once (scaled in steps that cannot round twice, as scalbn does). */
export function ldexp(x: number, n: number): number {
  if (n > 1023) {
    x *= 2 ** 1023;
    n -= 1023;
    if (n > 1023) {
      x *= 2 ** 1023;
      n -= 1023;
      if (n > 1023) n = 1023;
    }
  } else if (n < -1022) {
    // Stop 53 above the subnormal range so only the last step rounds.
    x *= 2 ** -1022 * 2 ** 53;
    n += 1022 - 53;
    if (n < -1022) {
      x *= 2 ** -1022 * 2 ** 53;
      n += 1022 - 53;
      if (n < -1022) n = -1022;
    }
  }
  return x * 2 ** n;
}

/** Redis's rand48 (lrand48 constants): X' = (a X + c) mod 2^48, output bits 47..17. */
export class Rand48 {
  // X as two 24-bit halves, so that every product stays below 2^53.
  private hi = 0x1234ab;
  private lo = 0xcd330e;

  seed(seed: number): void {
    // X = seed (32 bits) << 16 | 0x330E
    const s = seed >>> 0;
    this.hi = s >>> 8;
    this.lo = ((s & 0xff) << 16) | 0x330e;
  }

  next(): number {
    const A_HI = 0x5de; // a = 0x5DEECE66D
    const A_LO = 0xece66d;
    const lo = A_LO * this.lo + 0xb;
    const carry = Math.floor(lo / 0x1000000);
    const hi = (A_HI * this.lo + A_LO * this.hi + carry) % 0x1000000;
    this.lo = lo % 0x1000000;
    this.hi = hi;
    return this.hi * 128 + (this.lo >>> 17); // X >> 17
  }
}

const LRAND48_MAX = 2147483647;

function unary(fname: string, f: (x: number) => number): (...args: LuaValue[]) => LuaValue[] {
  return function (this: void, x?: LuaValue): LuaValue[] {
    return [f(checkNumber(x, 1, fname, arguments.length))];
  };
}

function binary(fname: string, f: (x: number, y: number) => number): (...args: LuaValue[]) => LuaValue[] {
  return function (this: void, x?: LuaValue, y?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    return [f(checkNumber(x, 1, fname, argc), checkNumber(y, 2, fname, argc))];
  };
}

function minmax(fname: string, isMin: boolean): (...args: LuaValue[]) => LuaValue[] {
  return function (this: void, ...args: LuaValue[]): LuaValue[] {
    const n = args.length;
    let best = checkNumber(args[0], 1, fname, n);
    for (let i = 1; i < n; i++) {
      const d = checkNumber(args[i], i + 1, fname, n);
      if (isMin ? d < best : d > best) best = d;
    }
    return [best];
  };
}

export function createMathLib(rng: Rand48): LuaTable {
  function random(this: void, m?: LuaValue, n?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const r = (rng.next() % LRAND48_MAX) / LRAND48_MAX;
    switch (argc) {
      case 0:
        return [r];
      case 1: {
        const u = checkInt(m, 1, 'random', argc);
        if (!(1 <= u)) argError(1, 'random', 'interval is empty');
        return [Math.floor(r * u) + 1];
      }
      case 2: {
        const l = checkInt(m, 1, 'random', argc);
        const u = checkInt(n, 2, 'random', argc);
        if (!(l <= u)) argError(2, 'random', 'interval is empty');
        return [Math.floor(r * (u - l + 1)) + l];
      }
      default:
        return luaError('wrong number of arguments');
    }
  }

  function randomseed(this: void, s?: LuaValue): LuaValue[] {
    rng.seed(checkInt(s, 1, 'randomseed', arguments.length));
    return [];
  }

  function modf(this: void, x?: LuaValue): LuaValue[] {
    const d = checkNumber(x, 1, 'modf', arguments.length);
    const ip = Math.trunc(d);
    // C's modf: the fraction keeps the sign of x, also when it is zero (integers, infinities).
    let fp = Number.isFinite(d) ? d - ip : d !== d ? d : 0;
    if (fp === 0 && (d < 0 || Object.is(d, -0))) fp = -0;
    return [ip, fp];
  }

  function frexpFn(this: void, x?: LuaValue): LuaValue[] {
    return frexp(checkNumber(x, 1, 'frexp', arguments.length));
  }

  function ldexpFn(this: void, x?: LuaValue, e?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    return [ldexp(checkNumber(x, 1, 'ldexp', argc), checkInt(e, 2, 'ldexp', argc))];
  }

  const fmod = binary('fmod', (a, b) => a % b);
  return libTable({
    abs: unary('abs', Math.abs),
    acos: unary('acos', Math.acos),
    asin: unary('asin', Math.asin),
    atan2: binary('atan2', Math.atan2),
    atan: unary('atan', Math.atan),
    ceil: unary('ceil', Math.ceil),
    cosh: unary('cosh', Math.cosh),
    cos: unary('cos', Math.cos),
    deg: unary('deg', (x) => x / RADIANS_PER_DEGREE),
    exp: unary('exp', Math.exp),
    floor: unary('floor', Math.floor),
    fmod,
    frexp: frexpFn,
    ldexp: ldexpFn,
    log10: unary('log10', Math.log10),
    log: unary('log', Math.log),
    max: minmax('max', false),
    min: minmax('min', true),
    mod: fmod,
    modf,
    pow: binary('pow', luaPow),
    rad: unary('rad', (x) => x * RADIANS_PER_DEGREE),
    random,
    randomseed,
    sinh: unary('sinh', Math.sinh),
    sin: unary('sin', Math.sin),
    sqrt: unary('sqrt', Math.sqrt),
    tanh: unary('tanh', Math.tanh),
    tan: unary('tan', Math.tan),
    pi: Math.PI,
    huge: Infinity,
  });
}
