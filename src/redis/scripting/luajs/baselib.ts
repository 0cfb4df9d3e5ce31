// Lua 5.1's base library in the luajs value model: the globals Redis scripts get besides the
// libraries (assert error getmetatable setmetatable ipairs pairs next pcall xpcall rawequal rawget
// rawset select tonumber tostring type unpack collectgarbage gcinfo).
//
// Argument errors are LuaError with `where: true`: the caller's line is prefixed when caught.
import { LuaError, LuaTable, stringToNumber, typeName } from './value.js';
import { luaNumberToString as numberToString } from './lib/format.js';
import type { LuaFunction, LuaValue } from './value.js';
import { addressOf, EMPTY, type Runtime } from './rt.js';

/** Largest number of results unpack() produces (Lua's stack limit "too many results to unpack"). */
export const MAX_UNPACK = 8000;

export const READONLY_ERROR = 'Attempt to modify a readonly table';
/** strtoul's clamp (2^64 - 1 rounds to 2^64 as a double). */
const ULONG_MAX = 2 ** 64;

function argError(n: number, fname: string, msg: string): LuaError {
  return new LuaError(`bad argument #${n} to '${fname}' (${msg})`, true);
}

/** `argc` is the call's argument count: a missing argument is "no value", not nil. */
function checkTable(v: LuaValue, n: number, fname: string, argc = n): LuaTable {
  if (v instanceof LuaTable) return v;
  throw argError(n, fname, `table expected, got ${n > argc ? 'no value' : typeName(v)}`);
}

function checkInt(v: LuaValue, n: number, fname: string): number {
  const x = typeof v === 'number' ? v : typeof v === 'string' ? stringToNumber(v) : undefined;
  if (x === undefined) throw argError(n, fname, `number expected, got ${typeName(v)}`);
  return x >= 0 ? Math.floor(x) : Math.ceil(x);
}

function optInt(v: LuaValue, n: number, fname: string, def: number): number {
  return v === undefined ? def : checkInt(v, n, fname);
}

/** tostring() without the __tostring step. */
export function rawToString(v: LuaValue): string {
  switch (typeof v) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return numberToString(v);
    case 'string':
      return v;
    case 'function':
      return `function: ${addressOf(v)}`;
    default:
      return `${v instanceof LuaTable ? 'table' : 'userdata'}: ${addressOf(v)}`;
  }
}

/** strtoul in base 2..36 over the whole string (surrounding spaces allowed), as tonumber(s, b). */
function parseInBase(s: string, base: number): number | undefined {
  const m = /^[ \t\n\v\f\r]*([-+]?)([0-9a-zA-Z]+)[ \t\n\v\f\r]*$/.exec(s);
  if (m === null) return undefined;
  let n = 0;
  for (const ch of m[2] as string) {
    const d = parseInt(ch, 36);
    if (d >= base) return undefined;
    n = n * base + d;
  }
  n = Math.min(n, ULONG_MAX);
  return m[1] === '-' ? -n : n;
}

export interface BaseLib {
  readonly functions: Record<string, LuaFunction>;
  readonly next: LuaFunction;
  readonly inext: LuaFunction;
  tostring(v: LuaValue): string;
}

export function createBaseLib(rt: Runtime): BaseLib {
  const S = rt.S;

  function tostring(v: LuaValue): string {
    const h = rt.metaField(v, '__tostring');
    if (h !== undefined) {
      const r = rt.fn(h)(v)[0];
      if (typeof r !== 'string') {
        if (typeof r === 'number') return numberToString(r);
        throw new LuaError("'__tostring' must return a string", true);
      }
      return r;
    }
    return rawToString(v);
  }

  const next: LuaFunction = (t, k) => {
    const r = checkTable(t, 1, 'next').next(k);
    return r === undefined ? [undefined] : r;
  };
  const inext: LuaFunction = (t, i) => {
    const n = (i as number) + 1;
    const v = (t as LuaTable).get(n);
    return v === undefined ? EMPTY : [n, v];
  };

  function getmetatable(v: LuaValue): LuaValue {
    const mt = rt.metaOf(v);
    if (mt === null) return undefined;
    const protectedMt = mt.getStr('__metatable');
    return protectedMt !== undefined ? protectedMt : mt;
  }

  /**
   * The error of a library function pcall called directly: Lua's luaL_where(L, 1) then names a C
   * function, so there is no position, and the function has no name ('?').
   */
  function directError(e: unknown): LuaValue {
    if (e instanceof LuaError && e.where && typeof e.value === 'string')
      return e.value.replace(/^bad argument #(\d+) to '[^']*'/, "bad argument #$1 to '?'");
    return rt.errorValue(e);
  }

  function pcallResult(r: LuaValue[]): LuaValue[] {
    const out = new Array<LuaValue>(r.length + 1);
    out[0] = true;
    for (let i = 0; i < r.length; i++) out[i + 1] = r[i];
    return out;
  }

  const functions: Record<string, LuaFunction> = {
    assert: (...args) => {
      const v = args[0];
      if (v !== undefined && v !== false) return args;
      const msg = args[1];
      throw new LuaError(msg === undefined ? 'assertion failed!' : rawToString(msg), true);
    },
    error: (msg, level) => {
      const lv = level === undefined ? 1 : checkInt(level, 2, 'error');
      if ((typeof msg === 'string' || typeof msg === 'number') && lv > 0) {
        // The position is added where the error is caught (the current line, as for library
        // errors). Level 2+ would name the caller's line; the current line is the closest known.
        throw new LuaError(rawToString(msg), true);
      }
      throw new LuaError(msg);
    },
    getmetatable: (v) => [getmetatable(v)],
    setmetatable: (...a) => {
      const [t, mt] = a;
      const tbl = checkTable(t, 1, 'setmetatable', a.length);
      if (mt !== undefined && !(mt instanceof LuaTable))
        throw argError(2, 'setmetatable', 'nil or table expected');
      if (rt.readonly.has(tbl)) throw new LuaError(READONLY_ERROR, true);
      if (tbl.metatable !== null && tbl.metatable.getStr('__metatable') !== undefined)
        throw new LuaError('cannot change a protected metatable', true);
      tbl.metatable = mt ?? null;
      return [tbl];
    },
    ipairs: (...a) => [inext, checkTable(a[0], 1, 'ipairs', a.length), 0],
    pairs: (...a) => [next, checkTable(a[0], 1, 'pairs', a.length), undefined],
    next,
    pcall: (f, ...args) => {
      const line = S.line;
      try {
        return pcallResult(rt.fn(f)(...args));
      } catch (e) {
        const v = typeof f === 'function' && rt.builtins.has(f) ? directError(e) : rt.errorValue(e);
        S.line = line;
        return [false, v];
      }
    },
    xpcall: (f, handler) => {
      const line = S.line;
      try {
        return pcallResult(rt.fn(f)());
      } catch (e) {
        const v = rt.errorValue(e);
        const r = rt.fn(handler)(v);
        S.line = line;
        return [false, r[0]];
      }
    },
    rawequal: (a, b) => [a === b],
    rawget: (...a) => [checkTable(a[0], 1, 'rawget', a.length).get(a[1])],
    rawset: (t, k, v) => {
      const tbl = checkTable(t, 1, 'rawset');
      if (rt.readonly.has(tbl)) throw new LuaError(READONLY_ERROR, true);
      tbl.set(k, v);
      return [tbl];
    },
    select: (n, ...args) => {
      if (n === '#') return [args.length];
      let i = checkInt(n, 1, 'select');
      if (i < 0) i = args.length + i;
      else if (i > args.length) i = args.length;
      else i--;
      if (i < 0) throw argError(1, 'select', 'index out of range');
      return args.slice(i);
    },
    tonumber: (v, base) => {
      if (base === undefined || base === 10) {
        if (typeof v === 'number') return [v];
        return [typeof v === 'string' ? stringToNumber(v) : undefined];
      }
      const b = checkInt(base, 2, 'tonumber');
      if (b < 2 || b > 36) throw argError(2, 'tonumber', 'base out of range');
      const s = typeof v === 'number' ? numberToString(v) : v;
      if (typeof s !== 'string') throw argError(1, 'tonumber', `string expected, got ${typeName(v)}`);
      return [parseInBase(s, b)];
    },
    tostring: (...a) => {
      if (a.length === 0) throw argError(1, 'tostring', 'value expected');
      return [tostring(a[0])];
    },
    type: (...a) => {
      if (a.length === 0) throw argError(1, 'type', 'value expected');
      return [typeName(a[0])];
    },
    unpack: (...a) => {
      const [t, i, j] = a;
      const tbl = checkTable(t, 1, 'unpack', a.length);
      const from = optInt(i, 2, 'unpack', 1);
      const to = j === undefined ? tbl.length() : checkInt(j, 3, 'unpack');
      if (from > to) return EMPTY;
      if (to - from >= MAX_UNPACK) throw new LuaError('too many results to unpack', true);
      const out = new Array<LuaValue>(to - from + 1);
      for (let k = from; k <= to; k++) out[k - from] = tbl.get(k);
      return out;
    },
    collectgarbage: (opt) => {
      const o = opt === undefined ? 'collect' : rawToString(opt);
      if (o === 'count') return [process.memoryUsage().heapUsed / 1024];
      return [0];
    },
    gcinfo: () => [Math.floor(process.memoryUsage().heapUsed / 1024)],
  };
  return { functions, next, inext, tostring };
}
