// Lua 5.1 patterns (lstrlib.c's matcher) over latin1 strings, working on char codes.
//
// Semantics follow Lua 5.1.5 exactly, including its C-string quirks: a pattern ends at its first
// NUL byte, and reading one position past the subject yields 0 (the terminator) for %f and %b.
// The matcher backtracks recursively like the C one; the nesting of match() calls is bounded by
// MAX_MATCH_DEPTH ("pattern too complex", as Lua 5.2+ do with MAXCCALLS), and long searches call
// the interrupt hook every INTERRUPT_STEPS steps so a busy script can still be stopped.
import { luaError } from './args.js';

/** Nesting limit of match() calls (Lua's MAXCCALLS for patterns). */
export const MAX_MATCH_DEPTH = 200;
/** LUA_MAXCAPTURES. */
export const MAX_CAPTURES = 32;
/** Matcher steps between calls of the interrupt hook. */
export const INTERRUPT_STEPS = 1 << 16;

const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;
const L_ESC = 0x25; // '%'

// Character classes of the C locale, indexed by byte.
const ALPHA = 1;
const CNTRL = 2;
const DIGIT = 4;
const LOWER = 8;
const PUNCT = 16;
const SPACE = 32;
const UPPER = 64;
const XDIGIT = 128;
const CTYPE = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 128; c++) {
    let f = 0;
    if (c >= 0x41 && c <= 0x5a) f |= ALPHA | UPPER;
    if (c >= 0x61 && c <= 0x7a) f |= ALPHA | LOWER;
    if (c >= 0x30 && c <= 0x39) f |= DIGIT | XDIGIT;
    if ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) f |= XDIGIT;
    if (c < 32 || c === 127) f |= CNTRL;
    if ((c >= 9 && c <= 13) || c === 32) f |= SPACE;
    if (c > 32 && c < 127 && !(f & (ALPHA | DIGIT))) f |= PUNCT;
    t[c] = f;
  }
  return t;
})();

/** Lua's match_class: %a %c %d %l %p %s %u %w %x %z and their complements. */
function matchClass(c: number, cl: number): boolean {
  let res: boolean;
  switch (cl | 0x20) {
    case 0x61: // a
      res = (CTYPE[c]! & ALPHA) !== 0;
      break;
    case 0x63: // c
      res = (CTYPE[c]! & CNTRL) !== 0;
      break;
    case 0x64: // d
      res = (CTYPE[c]! & DIGIT) !== 0;
      break;
    case 0x6c: // l
      res = (CTYPE[c]! & LOWER) !== 0;
      break;
    case 0x70: // p
      res = (CTYPE[c]! & PUNCT) !== 0;
      break;
    case 0x73: // s
      res = (CTYPE[c]! & SPACE) !== 0;
      break;
    case 0x75: // u
      res = (CTYPE[c]! & UPPER) !== 0;
      break;
    case 0x77: // w
      res = (CTYPE[c]! & (ALPHA | DIGIT)) !== 0;
      break;
    case 0x78: // x
      res = (CTYPE[c]! & XDIGIT) !== 0;
      break;
    case 0x7a: // z
      res = c === 0;
      break;
    default:
      return cl === c;
  }
  return cl >= 0x41 && cl <= 0x5a ? !res : res;
}

export function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The subset of SPECIALS "^$*+?.([%-" test used by string.find for its plain-search shortcut. */
export function hasSpecials(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0) return false; // strpbrk stops at the terminator
    if (
      c === 0x5e ||
      c === 0x24 ||
      c === 0x2a ||
      c === 0x2b ||
      c === 0x3f ||
      c === 0x2e ||
      c === 0x28 ||
      c === 0x5b ||
      c === 0x25 ||
      c === 0x2d
    )
      return true;
  }
  return false;
}

/** A match in progress: subject, pattern and captures (positions are 0-based indexes). */
export class MatchState {
  src = '';
  srcEnd = 0;
  pat = '';
  /** The pattern's end: its length, or its first NUL. */
  pEnd = 0;
  level = 0;
  // Plain arrays (of small integers): cheaper to create than typed arrays, and they only grow
  // to the number of captures the pattern opens (at most MAX_CAPTURES).
  readonly capInit: number[] = [];
  readonly capLen: number[] = [];
  private depth = 0;
  private steps = 0;

  constructor(private readonly interrupt: (() => void) | undefined) {}

  reset(src: string, pat: string): void {
    this.src = src;
    this.srcEnd = src.length;
    this.pat = pat;
    const nul = pat.indexOf('\0');
    this.pEnd = nul < 0 ? pat.length : nul;
  }

  /** Pattern char at i, 0 at or past its end (the C terminator). */
  private pc(i: number): number {
    return i < this.pEnd ? this.pat.charCodeAt(i) : 0;
  }

  private tick(): void {
    if (++this.steps >= INTERRUPT_STEPS) {
      this.steps = 0;
      this.interrupt?.();
    }
  }

  private classEnd(p: number): number {
    const c = this.pc(p++);
    if (c === L_ESC) {
      if (p >= this.pEnd) luaError("malformed pattern (ends with '%')");
      return p + 1;
    }
    if (c === 0x5b) {
      if (this.pc(p) === 0x5e) p++;
      do {
        if (p >= this.pEnd) luaError("malformed pattern (missing ']')");
        if (this.pat.charCodeAt(p++) === L_ESC && p < this.pEnd) p++;
      } while (this.pc(p) !== 0x5d);
      return p + 1;
    }
    return p;
  }

  /** matchbracketclass: p at '[', ec at the closing ']'. */
  private matchBracket(c: number, p: number, ec: number): boolean {
    const pat = this.pat;
    let sig = true;
    if (pat.charCodeAt(p + 1) === 0x5e) {
      sig = false;
      p++;
    }
    while (++p < ec) {
      const pch = pat.charCodeAt(p);
      if (pch === L_ESC) {
        p++;
        if (matchClass(c, this.pc(p))) return sig;
      } else if (this.pc(p + 1) === 0x2d && p + 2 < ec) {
        p += 2;
        if (pch <= c && c <= pat.charCodeAt(p)) return sig;
      } else if (pch === c) return sig;
    }
    return !sig;
  }

  private singleMatch(c: number, p: number, ep: number): boolean {
    const pch = this.pat.charCodeAt(p);
    switch (pch) {
      case 0x2e:
        return true;
      case L_ESC:
        return matchClass(c, this.pc(p + 1));
      case 0x5b:
        return this.matchBracket(c, p, ep - 1);
      default:
        return pch === c;
    }
  }

  /** A fresh attempt to match pattern[p..] at subject position s: the match's end, or -1. */
  start(s: number, p: number): number {
    this.level = 0;
    this.depth = 0;
    return this.match(s, p);
  }

  // An error thrown below leaves depth unbalanced; start() resets it for the next attempt.
  private match(s: number, p: number): number {
    if (++this.depth > MAX_MATCH_DEPTH) luaError('pattern too complex');
    const res = this.doMatch(s, p);
    this.depth--;
    return res;
  }

  private doMatch(s: number, p: number): number {
    const src = this.src;
    for (;;) {
      this.tick();
      if (p >= this.pEnd) return s;
      const pch = this.pat.charCodeAt(p);
      switch (pch) {
        case 0x28: // '('
          if (this.pc(p + 1) === 0x29) return this.startCapture(s, p + 2, CAP_POSITION);
          return this.startCapture(s, p + 1, CAP_UNFINISHED);
        case 0x29: // ')'
          return this.endCapture(s, p + 1);
        case L_ESC: {
          const next = this.pc(p + 1);
          if (next === 0x62) {
            // %b
            s = this.matchBalance(s, p + 2);
            if (s < 0) return -1;
            p += 4;
            continue;
          }
          if (next === 0x66) {
            // %f
            p += 2;
            if (this.pc(p) !== 0x5b) luaError("missing '[' after '%f' in pattern");
            const ep = this.classEnd(p);
            const prev = s === 0 ? 0 : src.charCodeAt(s - 1);
            const cur = s < this.srcEnd ? src.charCodeAt(s) : 0;
            if (this.matchBracket(prev, p, ep - 1) || !this.matchBracket(cur, p, ep - 1)) return -1;
            p = ep;
            continue;
          }
          if (isDigitCode(next)) {
            s = this.matchCapture(s, next);
            if (s < 0) return -1;
            p += 2;
            continue;
          }
          break;
        }
        case 0x24: // '$'
          if (p + 1 === this.pEnd) return s === this.srcEnd ? s : -1;
          break;
      }
      // A single-char item, possibly followed by a quantifier.
      const ep = this.classEnd(p);
      const m = s < this.srcEnd && this.singleMatch(src.charCodeAt(s), p, ep);
      switch (this.pc(ep)) {
        case 0x3f: {
          // '?'
          if (m) {
            const res = this.match(s + 1, ep + 1);
            if (res >= 0) return res;
          }
          p = ep + 1;
          continue;
        }
        case 0x2a: // '*'
          return this.maxExpand(s, p, ep);
        case 0x2b: // '+'
          return m ? this.maxExpand(s + 1, p, ep) : -1;
        case 0x2d: // '-'
          return this.minExpand(s, p, ep);
        default:
          if (!m) return -1;
          s++;
          p = ep;
      }
    }
  }

  private maxExpand(s: number, p: number, ep: number): number {
    const src = this.src;
    let i = 0;
    while (s + i < this.srcEnd && this.singleMatch(src.charCodeAt(s + i), p, ep)) i++;
    while (i >= 0) {
      const res = this.match(s + i, ep + 1);
      if (res >= 0) return res;
      i--;
    }
    return -1;
  }

  private minExpand(s: number, p: number, ep: number): number {
    for (;;) {
      const res = this.match(s, ep + 1);
      if (res >= 0) return res;
      if (s < this.srcEnd && this.singleMatch(this.src.charCodeAt(s), p, ep)) s++;
      else return -1;
    }
  }

  private startCapture(s: number, p: number, what: number): number {
    const level = this.level;
    if (level >= MAX_CAPTURES) luaError('too many captures');
    this.capInit[level] = s;
    this.capLen[level] = what;
    this.level = level + 1;
    const res = this.match(s, p);
    if (res < 0) this.level--;
    return res;
  }

  private endCapture(s: number, p: number): number {
    const l = this.captureToClose();
    this.capLen[l] = s - this.capInit[l]!;
    const res = this.match(s, p);
    if (res < 0) this.capLen[l] = CAP_UNFINISHED;
    return res;
  }

  private captureToClose(): number {
    for (let level = this.level - 1; level >= 0; level--) {
      if (this.capLen[level] === CAP_UNFINISHED) return level;
    }
    return luaError('invalid pattern capture');
  }

  private matchBalance(s: number, p: number): number {
    if (p >= this.pEnd || p + 1 >= this.pEnd) luaError('unbalanced pattern');
    const src = this.src;
    const b = this.pat.charCodeAt(p);
    if (s >= this.srcEnd || src.charCodeAt(s) !== b) return -1;
    const e = this.pat.charCodeAt(p + 1);
    let cont = 1;
    while (++s < this.srcEnd) {
      const c = src.charCodeAt(s);
      if (c === e) {
        if (--cont === 0) return s + 1;
      } else if (c === b) cont++;
    }
    return -1;
  }

  private matchCapture(s: number, digit: number): number {
    const l = this.checkCapture(digit);
    const len = this.capLen[l]!;
    // A position capture (len < 0) never matches: C compares it as a huge size_t.
    if (len >= 0 && this.srcEnd - s >= len) {
      const init = this.capInit[l]!;
      if (this.src.startsWith(this.src.substring(init, init + len), s)) return s + len;
    }
    return -1;
  }

  private checkCapture(digit: number): number {
    const l = digit - 0x31;
    if (l < 0 || l >= this.level || this.capLen[l] === CAP_UNFINISHED) luaError('invalid capture index');
    return l;
  }

  /** push_onecapture: capture i of the match s..e (the whole match when there are none). */
  capture(i: number, s: number, e: number): string | number {
    if (i >= this.level) {
      if (i === 0) return this.src.substring(s, e);
      luaError('invalid capture index');
    }
    const l = this.capLen[i]!;
    if (l === CAP_UNFINISHED) luaError('unfinished capture');
    const init = this.capInit[i]!;
    if (l === CAP_POSITION) return init + 1;
    return this.src.substring(init, init + l);
  }

  /** push_captures: all captures, or the whole match (when `wholeIfNone`) if there are none. */
  captures(s: number, e: number, wholeIfNone: boolean): Array<string | number> {
    const n = this.level === 0 && wholeIfNone ? 1 : this.level;
    const out = new Array<string | number>(n);
    for (let i = 0; i < n; i++) out[i] = this.capture(i, s, e);
    return out;
  }
}
