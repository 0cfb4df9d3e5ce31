// Lua 5.1 lexer (llex.c's rules) over a latin1 string (one char per source byte).
//
// Tokens are produced on demand by the parser; a token is its kind (a keyword or symbol text, or
// 'name' / 'string' / 'number' / 'eof'), its value and the line it starts on. The lexer is a
// loop over char codes: no recursion, no per-char allocation (strings without escapes are one
// slice; long strings are one slice).
import { stringToNumber } from './value.js';

export type TokenKind = string;

/** Longest source the compiler accepts (longer scripts fall back to the interpreter). */
export const MAX_SOURCE_CHARS = 4 * 1024 * 1024;

export class LuaSyntaxError extends Error {}

const KEYWORDS = new Set([
  'and',
  'break',
  'do',
  'else',
  'elseif',
  'end',
  'false',
  'for',
  'function',
  'if',
  'in',
  'local',
  'nil',
  'not',
  'or',
  'repeat',
  'return',
  'then',
  'true',
  'until',
  'while',
]);

/** Lua 5.1's one-letter escapes by char code: \a \b \f \n \r \t \v. */
const SIMPLE_ESCAPES: Record<number, string> = {
  97: '\x07',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
  118: '\v',
};

const C_NL = 10;
const C_CR = 13;

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export class Lexer {
  private pos = 0;
  line = 1;
  /** The current token. */
  kind: TokenKind = 'eof';
  value: string | number = '';
  tokLine = 1;
  /** One token of lookahead (only `peek` fills it). */
  private ahead: {
    kind: TokenKind;
    value: string | number;
    line: number;
    pos: number;
    endLine: number;
  } | null = null;

  constructor(
    private readonly src: string,
    private readonly chunk: string,
  ) {
    // A first line starting with '#' is skipped (luaL_loadfile does it for files; Redis blanks
    // shebangs before compiling, so this only matters for odd input).
    this.next();
  }

  error(msg: string, token = true): never {
    const near = token ? ` near '${this.tokenText()}'` : '';
    throw new LuaSyntaxError(`${this.chunk}:${this.line}: ${msg}${near}`);
  }

  private tokenText(): string {
    if (this.kind === 'eof') return '<eof>';
    if (this.kind === 'name' || this.kind === 'string' || this.kind === 'number') return String(this.value);
    return this.kind;
  }

  next(): void {
    if (this.ahead !== null) {
      const a = this.ahead;
      this.ahead = null;
      this.kind = a.kind;
      this.value = a.value;
      this.tokLine = a.line;
      this.pos = a.pos;
      this.line = a.endLine;
      return;
    }
    this.scan();
  }

  /** The kind of the token after the current one. */
  peek(): TokenKind {
    if (this.ahead === null) {
      const save = { kind: this.kind, value: this.value, line: this.tokLine };
      this.scan();
      this.ahead = {
        kind: this.kind,
        value: this.value,
        line: this.tokLine,
        pos: this.pos,
        endLine: this.line,
      };
      this.kind = save.kind;
      this.value = save.value;
      this.tokLine = save.line;
    }
    return this.ahead.kind;
  }

  private scan(): void {
    const s = this.src;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (Number.isNaN(c)) {
        this.set('eof', '');
        return;
      }
      if (c === C_NL || c === C_CR) {
        this.newline();
        continue;
      }
      if (isSpace(c)) {
        this.pos++;
        continue;
      }
      if (c === 45 /* - */ && s.charCodeAt(this.pos + 1) === 45) {
        this.comment();
        continue;
      }
      this.tokLine = this.line;
      if (isAlpha(c)) return this.name();
      if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(this.pos + 1)))) return this.number();
      if (c === 34 || c === 39) return this.quoted(c);
      if (c === 91 /* [ */) {
        const level = this.longOpen();
        if (level >= 0) {
          this.set('string', this.longString(level));
          return;
        }
        if (level === -2) this.error('invalid long string delimiter', false);
      }
      this.symbol(c);
      return;
    }
  }

  private set(kind: TokenKind, value: string | number): void {
    this.kind = kind;
    this.value = value;
  }

  /** Skips \n, \r, \n\r or \r\n as one line break. */
  private newline(): void {
    const s = this.src;
    const c = s.charCodeAt(this.pos++);
    const d = s.charCodeAt(this.pos);
    if ((d === C_NL || d === C_CR) && d !== c) this.pos++;
    this.line++;
  }

  private comment(): void {
    this.pos += 2;
    if (this.src.charCodeAt(this.pos) === 91) {
      const level = this.longOpen();
      if (level >= 0) {
        this.longString(level);
        return;
      }
    }
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === C_NL || c === C_CR) return;
      this.pos++;
    }
  }

  /**
   * At '[': the level of a long bracket "[==[" (pos moved past it), -1 when it is a plain '['
   * (pos unchanged), -2 for "[=" without a second '['.
   */
  private longOpen(): number {
    const s = this.src;
    let j = this.pos + 1;
    while (s.charCodeAt(j) === 61) j++;
    if (s.charCodeAt(j) === 91) {
      const level = j - this.pos - 1;
      this.pos = j + 1;
      return level;
    }
    return j === this.pos + 1 ? -1 : -2;
  }

  private longString(level: number): string {
    const s = this.src;
    // A newline right after the opening bracket is not part of the string.
    const c0 = s.charCodeAt(this.pos);
    if (c0 === C_NL || c0 === C_CR) this.newline();
    const parts: string[] = [];
    let start = this.pos;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.error('unfinished long string', false);
      if (c === 93 /* ] */) {
        let j = this.pos + 1;
        while (s.charCodeAt(j) === 61) j++;
        if (s.charCodeAt(j) === 93 && j - this.pos - 1 === level) {
          parts.push(s.slice(start, this.pos));
          this.pos = j + 1;
          return parts.join('');
        }
        this.pos++;
      } else if (c === C_NL || c === C_CR) {
        // Line breaks inside long strings read as "\n" whatever their form.
        parts.push(s.slice(start, this.pos), '\n');
        this.newline();
        start = this.pos;
      } else this.pos++;
    }
  }

  private name(): void {
    const s = this.src;
    const start = this.pos;
    while (isAlnum(s.charCodeAt(this.pos))) this.pos++;
    const w = s.slice(start, this.pos);
    if (KEYWORDS.has(w)) this.set(w, w);
    else this.set('name', w);
  }

  private number(): void {
    // llex.c read_numeral: digits and '.', an exponent with its sign, then any alnum/'_'.
    const s = this.src;
    const start = this.pos;
    while (isDigit(s.charCodeAt(this.pos)) || s.charCodeAt(this.pos) === 46) this.pos++;
    const e = s.charCodeAt(this.pos);
    if (e === 69 || e === 101) {
      this.pos++;
      const sign = s.charCodeAt(this.pos);
      if (sign === 43 || sign === 45) this.pos++;
    }
    while (isAlnum(s.charCodeAt(this.pos))) this.pos++;
    const text = s.slice(start, this.pos);
    const v = stringToNumber(text);
    if (v === undefined || /\s/.test(text)) {
      this.kind = 'number';
      this.value = text;
      this.error('malformed number');
    }
    this.set('number', v);
  }

  private quoted(q: number): void {
    const s = this.src;
    this.pos++;
    let start = this.pos;
    const parts: string[] = [];
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (Number.isNaN(c)) {
        this.set('eof', '');
        this.error('unfinished string');
      }
      if (c === C_NL || c === C_CR) {
        this.set('string', s.slice(start, this.pos));
        this.error('unfinished string');
      }
      if (c === q) break;
      if (c !== 92 /* \ */) {
        this.pos++;
        continue;
      }
      parts.push(s.slice(start, this.pos));
      this.pos++;
      parts.push(this.escape());
      start = this.pos;
    }
    parts.push(s.slice(start, this.pos));
    this.pos++;
    this.set('string', parts.length === 1 ? (parts[0] as string) : parts.join(''));
  }

  /** After a backslash: the escaped char (Lua 5.1: \a \b \f \n \r \t \v, \ddd, newline, else itself). */
  private escape(): string {
    const s = this.src;
    const c = s.charCodeAt(this.pos);
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      this.pos++;
      return simple;
    }
    if (c === C_NL || c === C_CR) {
      this.newline();
      return '\n';
    }
    if (Number.isNaN(c)) return '';
    if (!isDigit(c)) {
      this.pos++;
      return s[this.pos - 1] as string;
    }
    let v = 0;
    for (let i = 0; i < 3 && isDigit(s.charCodeAt(this.pos)); i++) v = v * 10 + s.charCodeAt(this.pos++) - 48;
    if (v > 255) {
      this.set('string', '');
      this.error('escape sequence too large');
    }
    return String.fromCharCode(v);
  }

  private symbol(c: number): void {
    const s = this.src;
    const d = s.charCodeAt(this.pos + 1);
    let tok: string;
    switch (c) {
      case 61: // =
        tok = d === 61 ? '==' : '=';
        break;
      case 60: // <
        tok = d === 61 ? '<=' : '<';
        break;
      case 62: // >
        tok = d === 61 ? '>=' : '>';
        break;
      case 126: // ~
        tok = d === 61 ? '~=' : '~';
        break;
      case 46: // .
        if (d === 46) tok = s.charCodeAt(this.pos + 2) === 46 ? '...' : '..';
        else tok = '.';
        break;
      default:
        tok = s[this.pos] as string;
    }
    this.pos += tok.length;
    // Lua 5.1 has no '~' operator alone; the parser rejects unknown single chars as unexpected.
    this.set(tok, tok);
  }
}
