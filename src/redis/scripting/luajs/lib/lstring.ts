// Lua 5.1's string library (lstrlib.c) on latin1 JS strings (one char per byte).
import { LuaError, LuaTable, typeName, type LuaFunction, type LuaValue } from '../value.js';
import {
  argError,
  checkInt,
  checkInteger,
  checkString,
  isStringLike,
  libTable,
  guardMemory,
  luaError,
  optInteger,
  toStr,
  truthy,
  typeError,
} from './args.js';
import { format, luaNumberToString } from './format.js';
import { hasSpecials, isDigitCode, MatchState } from './pattern.js';
import type { StdlibHooks } from './hooks.js';

/** The longest string a library function builds (V8's string length limit, about 512 MiB). */
export const MAX_STRING_LENGTH = 0x1fffffe8;

function memoryError(): never {
  throw new LuaError('not enough memory');
}

/** posrelat: a negative position counts from the end; the result is never negative. */
function posrelat(pos: number, len: number): number {
  if (pos < 0) pos += len + 1;
  return pos >= 0 ? pos : 0;
}

const NON_ASCII = /[\x80-\xff]/;

function mapAscii(s: string, from: number, to: number, delta: number): string {
  const out = new Array<string>(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c >= from && c <= to ? String.fromCharCode(c + delta) : s[i]!;
  }
  return out.join('');
}

/** A pool of match states, so that nested calls (a gsub callback calling find) get their own. */
class MatchPool {
  private readonly free: MatchState[] = [];
  constructor(private readonly hooks: StdlibHooks) {}
  acquire(src: string, pat: string): MatchState {
    const ms = this.free.pop() ?? new MatchState(this.hooks.interrupt);
    ms.reset(src, pat);
    return ms;
  }
  release(ms: MatchState): void {
    this.free.push(ms);
  }
}

/** t[k] honouring __index (tables and functions), for gsub with a table replacement. */
export function indexWithMeta(t: LuaTable, k: LuaValue): LuaValue {
  for (let depth = 0; depth < 100; depth++) {
    const v = t.get(k);
    if (v !== undefined) return v;
    const h = t.metatable?.getStr('__index');
    if (h === undefined) return undefined;
    if (typeof h === 'function') return h(t, k)[0];
    if (!(h instanceof LuaTable)) throw new LuaError(`attempt to index a ${typeName(h)} value`, true);
    t = h;
  }
  return luaError('loop in gettable');
}

export function createStringLib(hooks: StdlibHooks): LuaTable {
  const pool = new MatchPool(hooks);
  const index = hooks.index ?? indexWithMeta;

  function len(this: void, s?: LuaValue): LuaValue[] {
    return [checkString(s, 1, 'len', arguments.length).length];
  }

  function sub(this: void, s?: LuaValue, i?: LuaValue, j?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const str = checkString(s, 1, 'sub', argc);
    const l = str.length;
    let start = posrelat(checkInteger(i, 2, 'sub', argc), l);
    let end = posrelat(optInteger(j, 3, 'sub', argc, -1), l);
    if (start < 1) start = 1;
    if (end > l) end = l;
    return [start <= end ? str.substring(start - 1, end) : ''];
  }

  function upper(this: void, s?: LuaValue): LuaValue[] {
    const str = checkString(s, 1, 'upper', arguments.length);
    return [NON_ASCII.test(str) ? mapAscii(str, 0x61, 0x7a, -32) : str.toUpperCase()];
  }

  function lower(this: void, s?: LuaValue): LuaValue[] {
    const str = checkString(s, 1, 'lower', arguments.length);
    return [NON_ASCII.test(str) ? mapAscii(str, 0x41, 0x5a, 32) : str.toLowerCase()];
  }

  function rep(this: void, s?: LuaValue, n?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const str = checkString(s, 1, 'rep', argc);
    const count = checkInt(n, 2, 'rep', argc);
    if (count <= 0 || str.length === 0) return [''];
    if (str.length * count > MAX_STRING_LENGTH) memoryError();
    return [str.repeat(count)];
  }

  function reverse(this: void, s?: LuaValue): LuaValue[] {
    const str = checkString(s, 1, 'reverse', arguments.length);
    const out = new Array<string>(str.length);
    for (let i = 0, j = str.length - 1; j >= 0; i++, j--) out[i] = str[j]!;
    return [out.join('')];
  }

  function byte(this: void, s?: LuaValue, i?: LuaValue, j?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const str = checkString(s, 1, 'byte', argc);
    const l = str.length;
    let posi = posrelat(optInteger(i, 2, 'byte', argc, 1), l);
    let pose = posrelat(optInteger(j, 3, 'byte', argc, posi), l);
    if (posi <= 0) posi = 1;
    if (pose > l) pose = l;
    if (posi > pose) return [];
    const out = new Array<LuaValue>(pose - posi + 1);
    for (let k = posi; k <= pose; k++) out[k - posi] = str.charCodeAt(k - 1);
    return out;
  }

  function char(this: void, ...args: LuaValue[]): LuaValue[] {
    const n = args.length;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const c = checkInt(args[i], i + 1, 'char', n);
      if (c < 0 || c > 255) argError(i + 1, 'char', 'invalid value');
      out[i] = String.fromCharCode(c);
    }
    return [out.join('')];
  }

  function dump(this: void, f?: LuaValue): LuaValue[] {
    if (typeof f !== 'function') typeError(1, 'dump', f, 'function', arguments.length);
    return luaError('unable to dump given function');
  }

  /** str_find_aux: string.find (find = true) and string.match. */
  function findAux(
    find: boolean,
    argc: number,
    s: LuaValue,
    p: LuaValue,
    i: LuaValue,
    plain: LuaValue,
  ): LuaValue[] {
    const fname = find ? 'find' : 'match';
    const str = checkString(s, 1, fname, argc);
    const pat = checkString(p, 2, fname, argc);
    const l1 = str.length;
    let init = posrelat(optInteger(i, 3, fname, argc, 1), l1) - 1;
    if (init < 0) init = 0;
    else if (init > l1) init = l1;
    if (find && (truthy(plain) || !hasSpecials(pat))) {
      const at = str.indexOf(pat, init);
      return at < 0 ? [undefined] : [at + 1, at + pat.length];
    }
    const ms = pool.acquire(str, pat);
    let p0 = 0;
    const anchor = pat.charCodeAt(0) === 0x5e && ms.pEnd > 0;
    if (anchor) p0 = 1;
    let s1 = init;
    do {
      const e = ms.start(s1, p0);
      if (e >= 0) {
        const out: LuaValue[] = find ? [s1 + 1, e, ...ms.captures(s1, e, false)] : ms.captures(s1, e, true);
        pool.release(ms);
        return out;
      }
    } while (s1++ < ms.srcEnd && !anchor);
    pool.release(ms);
    return [undefined];
  }

  function find(this: void, s?: LuaValue, p?: LuaValue, i?: LuaValue, plain?: LuaValue): LuaValue[] {
    return findAux(true, arguments.length, s, p, i, plain);
  }

  function match(this: void, s?: LuaValue, p?: LuaValue, i?: LuaValue): LuaValue[] {
    return findAux(false, arguments.length, s, p, i, undefined);
  }

  function gmatch(this: void, s?: LuaValue, p?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const str = checkString(s, 1, 'gmatch', argc);
    const pat = checkString(p, 2, 'gmatch', argc);
    const ms = new MatchState(hooks.interrupt);
    let pos = 0;
    const iter: LuaFunction = () => {
      ms.reset(str, pat);
      for (let src = pos; src <= ms.srcEnd; src++) {
        const e = ms.start(src, 0);
        if (e >= 0) {
          pos = e === src ? e + 1 : e;
          return ms.captures(src, e, true);
        }
      }
      return [];
    };
    return [iter];
  }

  /** add_s: a replacement string with %0-%9 and %% escapes. */
  function addString(out: string[], ms: MatchState, s: number, e: number, repl: string): void {
    if (repl.indexOf('%') < 0) {
      out.push(repl);
      return;
    }
    const l = repl.length;
    let lit = 0;
    for (let i = 0; i < l; i++) {
      if (repl.charCodeAt(i) !== 0x25) continue;
      if (i > lit) out.push(repl.substring(lit, i));
      i++;
      const c = i < l ? repl.charCodeAt(i) : 0; // past the end: the C terminator
      if (!isDigitCode(c)) out.push(String.fromCharCode(c));
      else if (c === 0x30) out.push(ms.src.substring(s, e));
      else out.push(toStr(ms.capture(c - 0x31, s, e)));
      lit = i + 1;
    }
    if (lit < l) out.push(repl.substring(lit));
  }

  function addValue(out: string[], ms: MatchState, s: number, e: number, repl: LuaValue): void {
    let v: LuaValue;
    if (typeof repl === 'function') v = repl(...ms.captures(s, e, true))[0];
    else v = index(repl as LuaTable, ms.capture(0, s, e));
    if (!truthy(v)) out.push(ms.src.substring(s, e));
    else if (isStringLike(v)) out.push(toStr(v));
    else luaError(`invalid replacement value (a ${typeName(v)})`);
  }

  function gsub(this: void, s?: LuaValue, p?: LuaValue, repl?: LuaValue, n?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const src = checkString(s, 1, 'gsub', argc);
    const pat = checkString(p, 2, 'gsub', argc);
    const srcl = src.length;
    const maxS = n === undefined ? srcl + 1 : checkInt(n, 4, 'gsub', argc);
    const tr = typeof repl;
    if (!(tr === 'number' || tr === 'string' || tr === 'function' || repl instanceof LuaTable))
      argError(3, 'gsub', 'string/function/table expected');
    const replStr =
      tr === 'number' ? luaNumberToString(repl as number) : tr === 'string' ? (repl as string) : null;
    const ms = pool.acquire(src, pat);
    const anchor = pat.charCodeAt(0) === 0x5e && ms.pEnd > 0;
    const p0 = anchor ? 1 : 0;
    const out: string[] = [];
    let pos = 0;
    let copied = 0; // src[copied..pos) is unmatched text not yet in `out`
    let count = 0;
    while (count < maxS) {
      const e = ms.start(pos, p0);
      if (e >= 0) {
        count++;
        if (copied < pos) out.push(src.substring(copied, pos));
        if (replStr !== null) addString(out, ms, pos, e, replStr);
        else addValue(out, ms, pos, e, repl);
        copied = e;
      }
      if (e >= 0 && e > pos) pos = e;
      else if (pos < srcl)
        pos++; // no match, or an empty one: the char at pos is kept
      else break;
      if (anchor) break;
    }
    pool.release(ms);
    if (count === 0) return [src, 0];
    if (copied < srcl) out.push(src.substring(copied));
    const result = out.join('');
    if (result.length > MAX_STRING_LENGTH) memoryError();
    return [result, count];
  }

  function formatFn(this: void, ...args: LuaValue[]): LuaValue[] {
    return [format(args)];
  }

  return libTable({
    byte,
    char,
    dump,
    find,
    format: guardMemory(formatFn),
    gfind: gmatch,
    gmatch,
    gsub: guardMemory(gsub),
    len,
    lower,
    match,
    rep,
    reverse,
    sub,
    upper,
  });
}
