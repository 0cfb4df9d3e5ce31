/**
 * Source adjustments that give Lua 5.1 meaning to a script compiled by fengari (Lua 5.3 with
 * 32-bit integers).
 *
 * Hex numerals: in Lua 5.1 `0x100000000` is the double 4294967296; in Lua 5.3 hex integer
 * numerals wrap around, and with fengari's 32-bit integers it becomes 0 (BullMQ computes job
 * priorities as `priority * 0x100000000`). Hex numerals above 2^31-1 are therefore rewritten to
 * their decimal value, which the lexer reads as a float when it does not fit an integer.
 *
 * The scan is a single forward pass that skips strings, long strings and comments, so only
 * real numerals are touched. It never recurses and allocates only when something is rewritten.
 */

const INT32_MAX = 0x7fffffff;

function isIdent(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** Length of a long bracket opener "[==[" at i (0 when not one), level in `out`. */
function longBracket(s: Buffer, i: number): { len: number; level: number } {
  if (s[i] !== 0x5b) return { len: 0, level: 0 };
  let j = i + 1;
  while (s[j] === 0x3d) j++;
  return s[j] === 0x5b ? { len: j - i + 1, level: j - i - 1 } : { len: 0, level: 0 };
}

function skipLong(s: Buffer, i: number, level: number): number {
  const close = Buffer.from(']' + '='.repeat(level) + ']', 'latin1');
  const end = s.indexOf(close, i);
  return end < 0 ? s.length : end + close.length;
}

function skipQuoted(s: Buffer, i: number, q: number): number {
  i++;
  while (i < s.length) {
    const c = s[i] as number;
    if (c === 0x5c) i += 2;
    else if (c === q || c === 0x0a) return i + 1;
    else i++;
  }
  return i;
}

/** Returns the source with large hex numerals made decimal (the same Buffer when unchanged). */
export function adaptLua51Source(s: Buffer): Buffer {
  let parts: Buffer[] | null = null;
  let copied = 0;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as number;
    if (c === 0x2d && s[i + 1] === 0x2d) {
      const lb = longBracket(s, i + 2);
      if (lb.len > 0) i = skipLong(s, i + 2 + lb.len, lb.level);
      else {
        const nl = s.indexOf(0x0a, i);
        i = nl < 0 ? s.length : nl + 1;
      }
    } else if (c === 0x22 || c === 0x27) i = skipQuoted(s, i, c);
    else if (c === 0x5b) {
      const lb = longBracket(s, i);
      i = lb.len > 0 ? skipLong(s, i + lb.len, lb.level) : i + 1;
    } else if (isIdent(c)) {
      const start = i;
      while (i < s.length && isIdent(s[i] as number)) i++;
      // A hex integer numeral: 0x… not preceded by an identifier char, not followed by '.' or 'p'.
      const word = s.toString('latin1', start, i);
      if (
        /^0[xX][0-9a-fA-F]+$/.test(word) &&
        s[i] !== 0x2e &&
        (start === 0 || !isIdent(s[start - 1] as number))
      ) {
        const value = Number(BigInt(word));
        if (value > INT32_MAX) {
          parts ??= [];
          parts.push(s.subarray(copied, start), Buffer.from(`${value}.0`, 'latin1'));
          copied = i;
        }
      }
    } else i++;
  }
  if (!parts) return s;
  parts.push(s.subarray(copied));
  return Buffer.concat(parts);
}
