// Argument checks with Lua 5.1's lauxlib wording ("bad argument #1 to 'rep' (number expected, got
// no value)"). Library functions take positional parameters; `argc` is the number of arguments
// the Lua call passed (arguments.length, lua_gettop in C), needed only to tell "no value" from
// "nil" on the error path.
import { LuaError, LuaTable, stringToNumber, typeName, type LuaFunction, type LuaValue } from '../value.js';
import { luaNumberToString } from './format.js';

/** A library error at the calling Lua line (luaL_error). */
export function luaError(msg: string): never {
  throw new LuaError(msg, true);
}

/** luaL_argerror. */
export function argError(n: number, fname: string, msg: string): never {
  throw new LuaError(`bad argument #${n} to '${fname}' (${msg})`, true);
}

/** luaL_typerror: "<expected> expected, got <type or 'no value'>". */
export function typeError(n: number, fname: string, v: LuaValue, expected: string, argc: number): never {
  return argError(n, fname, `${expected} expected, got ${n > argc ? 'no value' : typeName(v)}`);
}

/** luaL_checknumber: numbers, and strings that convert to numbers. */
export function checkNumber(v: LuaValue, n: number, fname: string, argc: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const x = stringToNumber(v);
    if (x !== undefined) return x;
  }
  return typeError(n, fname, v, 'number', argc);
}

export function optNumber(v: LuaValue, n: number, fname: string, argc: number, def: number): number {
  return v === undefined ? def : checkNumber(v, n, fname, argc);
}

const TWO63 = 9223372036854775808;

/**
 * A double converted to lua_Integer (ptrdiff_t) as x86-64 does: truncation toward zero, and the
 * "integer indefinite" value -2^63 for NaN and out-of-range values.
 */
export function toInteger(d: number): number {
  if (d !== d || d >= TWO63 || d < -TWO63) return -TWO63;
  return Math.trunc(d);
}

/** (int) of a lua_Integer: the low 32 bits, signed. */
export function toInt(d: number): number {
  const i = toInteger(d);
  return i >= -2147483648 && i <= 2147483647 ? i : Number(BigInt.asIntN(32, BigInt(i)));
}

/** luaL_checkinteger. */
export function checkInteger(v: LuaValue, n: number, fname: string, argc: number): number {
  return toInteger(typeof v === 'number' ? v : checkNumber(v, n, fname, argc));
}

/** luaL_checkint. */
export function checkInt(v: LuaValue, n: number, fname: string, argc: number): number {
  const d = typeof v === 'number' ? v : checkNumber(v, n, fname, argc);
  return (d | 0) === d ? d : toInt(d);
}

export function optInteger(v: LuaValue, n: number, fname: string, argc: number, def: number): number {
  return v === undefined ? def : checkInteger(v, n, fname, argc);
}

export function optInt(v: LuaValue, n: number, fname: string, argc: number, def: number): number {
  return v === undefined ? def : checkInt(v, n, fname, argc);
}

/** luaL_checklstring: strings, and numbers converted with "%.14g". */
export function checkString(v: LuaValue, n: number, fname: string, argc: number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return luaNumberToString(v);
  return typeError(n, fname, v, 'string', argc);
}

export function optString(v: LuaValue, n: number, fname: string, argc: number, def: string): string {
  return v === undefined ? def : checkString(v, n, fname, argc);
}

export function checkTable(v: LuaValue, n: number, fname: string, argc: number): LuaTable {
  if (v instanceof LuaTable) return v;
  return typeError(n, fname, v, 'table', argc);
}

/** lua_isstring: strings and numbers. */
export function isStringLike(v: LuaValue): v is string | number {
  return typeof v === 'string' || typeof v === 'number';
}

/** lua_tostring for a value known to be a string or number. */
export function toStr(v: string | number): string {
  return typeof v === 'string' ? v : luaNumberToString(v);
}

/** Lua truthiness. */
export function truthy(v: LuaValue): boolean {
  return v !== undefined && v !== false;
}

/** Builds a library table from named functions and constants. */
export function libTable(entries: Record<string, LuaValue>): LuaTable {
  const t = new LuaTable();
  for (const [k, v] of Object.entries(entries)) t.set(k, v);
  return t;
}

/**
 * The integer-key shape of a table, for the serialisers' array tests: the largest key and the
 * number of keys, or null when some key is not a positive integer.
 */
export function arrayShape(t: LuaTable): { max: number; items: number } | null {
  const arr = t.arr;
  let items = 0;
  for (let i = 0; i < arr.length; i++) if (arr[i] !== undefined) items++;
  let max = arr.length;
  if (t.hash !== null) {
    for (const k of t.hash.keys()) {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) return null;
      if (k > max) max = k;
      items++;
    }
  }
  return { max, items };
}

const OUT_OF_MEMORY =
  /Invalid string length|Invalid array length|Invalid typed array length|Array buffer allocation failed/;

/**
 * Wraps a function that builds strings or buffers: a result beyond V8's limits (a RangeError
 * from join, concatenation or a typed array) becomes Lua's "not enough memory" error instead of
 * a JS crash. Other errors, including stack overflows, pass through.
 */
export function guardMemory(f: LuaFunction): LuaFunction {
  return function (this: void, ...args: LuaValue[]): LuaValue[] {
    try {
      return f(...args);
    } catch (e) {
      if (e instanceof RangeError && OUT_OF_MEMORY.test(e.message)) throw new LuaError('not enough memory');
      throw e;
    }
  };
}
