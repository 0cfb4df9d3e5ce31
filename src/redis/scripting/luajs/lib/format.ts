// string.format as Lua 5.1.5 implements it: each item is handed to C's sprintf, so this is a
// printf for %d %i %u %c %o %x %X %e %E %f %g %G %s %q with the flags "-+ #0", a width and a
// precision of at most two digits each, and C's conversions of doubles to long / unsigned long.
// Floating-point output rounds the exact binary value half-to-even as glibc does; JS's toFixed /
// toExponential round exact ties away from zero, so ties take an exact BigInt path.
import type { LuaValue } from '../value.js';
import { argError, checkNumber, checkString, luaError, toInteger } from './args.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  hash: boolean;
  zero: boolean;
  width: number;
  /** -1 when absent. */
  precision: number;
}

const TWO63 = 9223372036854775808;

/** Cuts a C string at its first NUL (sprintf output is measured with strlen). */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.substring(0, nul);
}

/** Pads `prefix + body` to the width: left-justified, zero-filled after the prefix, or right. */
function pad(spec: Spec, prefix: string, body: string, zeroOk: boolean): string {
  const len = prefix.length + body.length;
  if (spec.width <= len) return prefix + body;
  const fill = spec.width - len;
  if (spec.minus) return prefix + body + ' '.repeat(fill);
  if (spec.zero && zeroOk) return prefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + prefix + body;
}

function signOf(neg: boolean, spec: Spec): string {
  return neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
}

/** Integer digits with a precision (minimum digit count; precision 0 prints nothing for 0). */
function intDigits(digits: string, spec: Spec): string {
  if (spec.precision < 0) return digits;
  if (spec.precision === 0 && digits === '0') return '';
  return digits.length < spec.precision ? '0'.repeat(spec.precision - digits.length) + digits : digits;
}

function formatSigned(d: number, spec: Spec): string {
  const v = toInteger(d);
  const neg = v < 0;
  const mag = neg ? -v : v;
  const digits = mag <= Number.MAX_SAFE_INTEGER ? String(mag) : (neg ? -BigInt(v) : BigInt(v)).toString();
  return pad(spec, signOf(neg, spec), intDigits(digits, spec), spec.precision < 0);
}

/** (unsigned long)d as x86-64 code compiled by gcc computes it. */
export function toUnsigned(d: number): bigint {
  if (d >= TWO63) {
    const hi = d - TWO63;
    return hi >= TWO63 ? 0n : BigInt(Math.trunc(hi)) + (1n << 63n);
  }
  return BigInt.asUintN(64, BigInt(toInteger(d)));
}

function formatUnsigned(d: number, conv: number, spec: Spec): string {
  const v = d >= 0 && d <= Number.MAX_SAFE_INTEGER ? Math.trunc(d) : toUnsigned(d);
  const radix = conv === 0x6f ? 8 : conv === 0x75 ? 10 : 16;
  let digits = v.toString(radix);
  if (conv === 0x58) digits = digits.toUpperCase();
  digits = intDigits(digits, spec);
  let prefix = '';
  if (spec.hash) {
    if (radix === 8 && !digits.startsWith('0')) digits = '0' + digits;
    else if (radix === 16 && v !== 0 && v !== 0n) prefix = conv === 0x58 ? '0X' : '0x';
  }
  return pad(spec, prefix, digits, spec.precision < 0);
}

// ---- floating point -----------------------------------------------------------------------------

/** The exact decimal value of a finite a >= 0: digits (no leading zeros) × 10^exp10. */
function exactDecimal(a: number): { digits: string; exp10: number } {
  if (Number.isInteger(a)) return { digits: BigInt(a).toString(), exp10: 0 };
  let m = a;
  let k = 0;
  while (!Number.isInteger(m)) {
    m *= 2; // exact: only the exponent changes
    k++;
  }
  // a = m / 2^k = m * 5^k / 10^k
  return { digits: (BigInt(m) * 5n ** BigInt(k)).toString(), exp10: -k };
}

/** Rounds the integer n / 10^shift half to even. */
function roundShift(n: bigint, shift: number): bigint {
  if (shift <= 0) return n * 10n ** BigInt(-shift);
  const d = 10n ** BigInt(shift);
  const q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** %.<p>f of a finite a >= 0, digits only. */
function fixed(a: number, p: number): string {
  // toFixed is exact except that it rounds ties up and switches to exponent form at 1e21; a tie
  // at p decimals needs exactly p + 1 binary fraction bits.
  const tie = Number.isInteger(a * 2 ** (p + 1)) && !Number.isInteger(a * 2 ** p);
  if (a < 1e21 && !tie) return a.toFixed(p);
  const { digits, exp10 } = exactDecimal(a);
  const q = roundShift(BigInt(digits), -(exp10 + p))
    .toString()
    .padStart(p + 1, '0');
  return p === 0 ? q : `${q.slice(0, q.length - p)}.${q.slice(q.length - p)}`;
}

/** %.<p>e of a finite a >= 0 as [mantissa "d.ddd", decimal exponent]. */
function exponential(a: number, p: number): [string, number] {
  const s = a !== 0 && mayTieAt(a, p + 2) ? exactExponential(a, p) : a.toExponential(p);
  const e = s.indexOf('e');
  return [s.substring(0, e), Number(s.substring(e + 1))];
}

/**
 * Whether a's exact decimal expansion may have exactly `digits` significant digits (the only
 * way rounding it to digits - 1 can meet an exact tie). With k binary fraction bits the
 * expansion has at least 0.69 k significant digits, which rules out most numbers at once.
 */
function mayTieAt(a: number, digits: number): boolean {
  if (Number.isInteger(a)) {
    if (a >= 2 ** 53) return true; // rare: let the exact path decide
    let s = String(a);
    let end = s.length;
    while (s.charCodeAt(end - 1) === 0x30) end--;
    s = s.substring(0, end);
    return s.length === digits && s.charCodeAt(end - 1) === 0x35;
  }
  return Number.isInteger(a * 2 ** (Math.ceil(digits * 1.45) + 1));
}

function exactExponential(a: number, p: number): string {
  const { digits, exp10 } = exactDecimal(a);
  let x = digits.length - 1 + exp10;
  let q = roundShift(BigInt(digits), digits.length - (p + 1)).toString();
  if (q.length > p + 1) {
    q = q.substring(0, p + 1);
    x++;
  }
  return `${q[0]}${p > 0 ? '.' + q.substring(1) : ''}e${x}`;
}

function expString(mant: string, x: number, upper: boolean): string {
  const ax = Math.abs(x);
  return `${mant}${upper ? 'E' : 'e'}${x < 0 ? '-' : '+'}${ax < 10 ? '0' + ax : ax}`;
}

function stripFractionZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.substring(0, end);
}

function formatFloat(d: number, conv: number, spec: Spec): string {
  const upper = conv === 0x45 || conv === 0x47;
  const neg = d < 0 || Object.is(d, -0) || d !== d; // NaN prints as -nan: x86's default NaN
  const sign = signOf(neg, spec);
  if (!Number.isFinite(d)) {
    const body = d !== d ? 'nan' : 'inf';
    return pad(spec, sign, upper ? body.toUpperCase() : body, false);
  }
  const a = Math.abs(d);
  const p = spec.precision < 0 ? 6 : spec.precision;
  let body: string;
  if (conv === 0x66) {
    body = fixed(a, p);
    if (spec.hash && p === 0) body += '.';
  } else if (conv === 0x65 || conv === 0x45) {
    const [mant, x] = exponential(a, p);
    body = expString(spec.hash && p === 0 ? mant + '.' : mant, x, upper);
  } else {
    const P = p === 0 ? 1 : p;
    const [mant, x] = exponential(a, P - 1);
    if (P > x && x >= -4) {
      body = fixed(a, P - 1 - x);
      if (!spec.hash) body = stripFractionZeros(body);
      else if (body.indexOf('.') < 0) body += '.';
    } else {
      let m = mant;
      if (!spec.hash) m = stripFractionZeros(m);
      else if (m.indexOf('.') < 0) m += '.';
      body = expString(m, x, upper);
    }
  }
  return pad(spec, sign, body, true);
}

/** A spec without flags or width. */
function plainSpec(precision: number): Spec {
  return { minus: false, plus: false, space: false, hash: false, zero: false, width: 0, precision };
}

const G14 = plainSpec(14);

/**
 * Lua 5.1's number → string (LUAI_NUMFFORMAT "%.14g"), as tostring, concatenation and the
 * library's string coercions print numbers: integers below 1e14 as digits, the rest as printf
 * %.14g (rounding exact ties to even).
 */
export function luaNumberToString(n: number): string {
  if (Number.isInteger(n) && n > -1e14 && n < 1e14) return Object.is(n, -0) ? '-0' : String(n);
  return formatFloat(n, 0x67, G14);
}

// ---- %q, %s, %c -----------------------------------------------------------------------------------

const QUOTE_RE = /["\\\n\r\0]/g;
const QUOTE_MAP: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\\n',
  '\r': '\\r',
  '\0': '\\000',
};

/** %q: Lua 5.1's addquoted. */
function quoted(s: string): string {
  return `"${s.replace(QUOTE_RE, (c) => QUOTE_MAP[c]!)}"`;
}

function formatString(v: LuaValue, arg: number, argc: number, spec: Spec, hasDot: boolean): string {
  const s = checkString(v, arg, 'format', argc);
  // Lua keeps a long string whole (embedded NULs included) when there is no precision.
  if (!hasDot && s.length >= 100) return s;
  let body = cString(s);
  if (spec.precision >= 0 && body.length > spec.precision) body = body.substring(0, spec.precision);
  return pad(spec, '', body, false);
}

// ---- the format string ----------------------------------------------------------------------------

const FLAG_LIMIT = 6; // sizeof("-+ #0"): Lua refuses this many flag characters

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** string.format(fmt, ...): args[0] is the format. */
export function format(args: LuaValue[]): string {
  const argc = args.length;
  const fmt = checkString(args[0], 1, 'format', argc);
  const n = fmt.length;
  let pct = fmt.indexOf('%');
  if (pct < 0) return fmt;
  let out = ''; // concatenated whole items: a rope, flattened once
  let lit = 0;
  let arg = 0;
  while (pct >= 0) {
    if (pct > lit) out += fmt.substring(lit, pct);
    let i = pct + 1;
    if (i < n && fmt.charCodeAt(i) === 0x25) {
      out += '%';
      lit = i + 1;
      pct = fmt.indexOf('%', lit);
      continue;
    }
    if (++arg >= argc) argError(arg + 1, 'format', 'no value');
    const simple = i < n ? simpleItem(fmt.charCodeAt(i), args[arg]) : null;
    if (simple !== null) {
      out += simple;
      lit = i + 1;
      pct = lit < n ? fmt.indexOf('%', lit) : -1;
      continue;
    }
    const spec = plainSpec(-1);
    const flagsStart = i;
    for (; i < n; i++) {
      const c = fmt.charCodeAt(i);
      if (c === 0x2d) spec.minus = true;
      else if (c === 0x2b) spec.plus = true;
      else if (c === 0x20) spec.space = true;
      else if (c === 0x23) spec.hash = true;
      else if (c === 0x30) spec.zero = true;
      else break;
    }
    if (i - flagsStart >= FLAG_LIMIT) luaError('invalid format (repeated flags)');
    for (let k = 0; k < 2 && i < n && isDigit(fmt.charCodeAt(i)); k++, i++)
      spec.width = spec.width * 10 + fmt.charCodeAt(i) - 0x30;
    const hasDot = i < n && fmt.charCodeAt(i) === 0x2e;
    if (hasDot) {
      i++;
      spec.precision = 0;
      for (let k = 0; k < 2 && i < n && isDigit(fmt.charCodeAt(i)); k++, i++)
        spec.precision = spec.precision * 10 + fmt.charCodeAt(i) - 0x30;
    }
    if (i < n && isDigit(fmt.charCodeAt(i))) luaError('invalid format (width or precision too long)');
    const conv = i < n ? fmt.charCodeAt(i) : 0;
    out += formatItem(conv, args[arg], arg + 1, argc, spec, hasDot);
    lit = i + 1;
    pct = lit < n ? fmt.indexOf('%', lit) : -1;
  }
  return lit < n ? out + fmt.substring(lit) : out;
}

/** The common items without flags, width or precision (%d of a safe integer, %s of a short string). */
function simpleItem(conv: number, v: LuaValue): string | null {
  if (conv === 0x64 && typeof v === 'number') {
    const t = Math.trunc(v);
    return t >= -Number.MAX_SAFE_INTEGER && t <= Number.MAX_SAFE_INTEGER ? String(t) : null;
  }
  if (conv === 0x73 && typeof v === 'string' && (v.length >= 100 || v.indexOf('\0') < 0)) return v;
  return null;
}

function formatItem(
  conv: number,
  v: LuaValue,
  arg: number,
  argc: number,
  spec: Spec,
  hasDot: boolean,
): string {
  switch (conv) {
    case 0x64: // d
    case 0x69: // i
      return formatSigned(checkNumber(v, arg, 'format', argc), spec);
    case 0x6f: // o
    case 0x75: // u
    case 0x78: // x
    case 0x58: // X
      return formatUnsigned(checkNumber(v, arg, 'format', argc), conv, spec);
    case 0x65: // e
    case 0x45: // E
    case 0x66: // f
    case 0x67: // g
    case 0x47: // G
      return formatFloat(checkNumber(v, arg, 'format', argc), conv, spec);
    case 0x63: {
      // c: (int) of the number (x86: 0x80000000 when out of range), printed as one byte; the
      // item ends at a NUL like any C string
      const d = Math.trunc(checkNumber(v, arg, 'format', argc));
      const code = d >= -2147483648 && d <= 2147483647 ? d & 0xff : 0;
      return cString(pad(spec, '', String.fromCharCode(code), false));
    }
    case 0x71: // q
      return quoted(checkString(v, arg, 'format', argc));
    case 0x73: // s
      return formatString(v, arg, argc, spec, hasDot);
    default:
      return luaError(`invalid option '%${conv === 0 ? '' : String.fromCharCode(conv)}' to 'format'`);
  }
}
