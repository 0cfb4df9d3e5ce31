/**
 * Argument parsing with Redis's rules: string2ll for integers (no '+', no leading zeros, no spaces,
 * 64-bit range), strtold-like floats (inf/-inf accepted, nan rejected), glob matching as
 * stringmatchlen (iterative, no recursion).
 */
const INT_RE = /^-?(0|[1-9][0-9]{0,18})$/;
export const I64_MAX = 9223372036854775807n;
export const I64_MIN = -9223372036854775808n;

/** A 64-bit integer as a JS number when exact, else null (out of range or not an integer). */
export function parseInteger(s: string): number | null {
  const len = s.length;
  if (len > 0 && len <= 15) {
    // Fast path without a regex: string2ll's grammar for values that fit a double exactly.
    let i = 0;
    let neg = false;
    if (s.charCodeAt(0) === 45) {
      neg = true;
      i = 1;
      if (len === 1) return null;
    }
    const first = s.charCodeAt(i);
    if (first === 48) return i + 1 === len && !neg ? 0 : null;
    let n = 0;
    for (; i < len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return null;
      n = n * 10 + d;
    }
    return neg ? -n : n;
  }
  if (len === 0 || len > 20 || !INT_RE.test(s)) return null;
  const n = Number(s);
  if (Number.isSafeInteger(n)) return n;
  // Exact only as bigint: accept if within int64; the caller gets a rounded number.
  const b = BigInt(s);
  if (b > I64_MAX || b < I64_MIN) return null;
  return n;
}

/** Exact 64-bit integer as bigint, or null. */
export function parseBigInt(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return null;
  const b = BigInt(s);
  return b > I64_MAX || b < I64_MIN ? null : b;
}

const FLOAT_RE = /^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|infinity)$/i;

/** A float as Redis parses scores/increments (strtod; "inf", "+inf", "-inf" accepted; nan rejected). */
export function parseFloatArg(s: string): number | null {
  const len = s.length;
  if (len > 0 && len < 32) {
    // Fast path: plain decimal numbers (what clients send) go straight to Number().
    const c0 = s.charCodeAt(0);
    const cl = s.charCodeAt(len - 1);
    const startOk = (c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46;
    if (startOk && cl >= 48 && cl <= 57) {
      const n = Number(s);
      if (!Number.isNaN(n)) return n;
    }
  }
  if (s.length === 0 || s.length > 5000 || !FLOAT_RE.test(s)) {
    // Hex floats and other strtod corner cases are not accepted here.
    return null;
  }
  const lower = s.toLowerCase();
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

/** Case-insensitive ASCII compare of an argument with an upper-case keyword. */
export function is(arg: string | undefined, upper: string): boolean {
  return arg !== undefined && arg.length === upper.length && arg.toUpperCase() === upper;
}

/** Redis's stringmatchlen: * ? [abc] [^a-z] and \x escapes; iterative with one backtrack point. */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  if (nocase) {
    pattern = pattern.toLowerCase();
    str = str.toLowerCase();
  }
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = -1;
  const pl = pattern.length;
  const sl = str.length;
  while (s < sl || p < pl) {
    if (p < pl) {
      const c = pattern[p] as string;
      if (c === '*') {
        while (p + 1 < pl && pattern[p + 1] === '*') p++;
        starP = p;
        starS = s;
        p++;
        continue;
      }
      if (s < sl) {
        const r = matchOne(pattern, p, str[s] as string);
        if (r > 0) {
          p = r;
          s++;
          continue;
        }
      }
    }
    if (starP >= 0 && starS < sl) {
      starS++;
      s = starS;
      p = starP + 1;
      continue;
    }
    return false;
  }
  return true;
}

/** Matches one pattern element at p against ch; returns the next pattern index or 0 for no match. */
function matchOne(pattern: string, p: number, ch: string): number {
  const c = pattern[p] as string;
  const pl = pattern.length;
  if (c === '?') return p + 1;
  if (c === '\\' && p + 1 < pl) return pattern[p + 1] === ch ? p + 2 : 0;
  if (c !== '[') return c === ch ? p + 1 : 0;
  p++;
  const not = pattern[p] === '^';
  if (not) p++;
  let match = false;
  for (;;) {
    if (p >= pl) {
      p--; // unterminated class: Redis treats the end as closing
      break;
    }
    const x = pattern[p] as string;
    if (x === ']') break;
    if (x === '\\' && p + 2 < pl) {
      p++;
      if (pattern[p] === ch) match = true;
    } else if (pattern[p + 1] === '-' && p + 2 < pl && pattern[p + 2] !== ']') {
      let start = x;
      let end = pattern[p + 2] as string;
      if (start > end) [start, end] = [end, start];
      if (ch >= start && ch <= end) match = true;
      p += 2;
    } else if (x === ch) match = true;
    p++;
  }
  if (not) match = !match;
  return match ? p + 1 : 0;
}

/** Clamps a Redis start/end index pair (negative = from the end) to [0, len-1]; null when empty. */
export function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}
