// Lua 5.1's table library (ltablib.c): concat, insert, remove, sort (the same quicksort, so the
// same comparator calls, the same order of equal elements and the same "invalid order function"
// errors), maxn, getn, setn (obsolete), foreach, foreachi.
import { LuaError, LuaTable, MAX_ARRAY_PART, typeName, type LuaFunction, type LuaValue } from '../value.js';
import {
  checkInt,
  checkTable,
  isStringLike,
  guardMemory,
  libTable,
  luaError,
  optInt,
  optString,
  toStr,
  truthy,
  typeError,
} from './args.js';
import type { StdlibHooks } from './hooks.js';

/** Lua's default `<` for sort: numbers and strings (byte order, as strcoll in the C locale). */
export function rawLessThan(a: LuaValue, b: LuaValue): boolean {
  const ta = typeof a;
  if (ta === typeof b && (ta === 'number' || ta === 'string')) return (a as number) < (b as number);
  const na = typeName(a);
  const nb = typeName(b);
  throw new LuaError(
    na === nb ? `attempt to compare two ${na} values` : `attempt to compare ${na} with ${nb}`,
  );
}

function concat(this: void, t?: LuaValue, sep?: LuaValue, i?: LuaValue, j?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const s = optString(sep, 2, 'concat', argc, '');
  const tbl = checkTable(t, 1, 'concat', argc);
  let first = optInt(i, 3, 'concat', argc, 1);
  const last = j === undefined ? tbl.length() : checkInt(j, 4, 'concat', argc);
  if (first > last) return [''];
  const parts: string[] = [];
  for (; first <= last; first++) {
    const v = tbl.get(first);
    if (!isStringLike(v)) luaError(`invalid value (${typeName(v)}) at index ${first} in table for 'concat'`);
    parts.push(toStr(v));
  }
  return [parts.join(s)];
}

function insert(this: void, t?: LuaValue, a?: LuaValue, b?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const tbl = checkTable(t, 1, 'insert', argc);
  let e = tbl.length() + 1;
  if (argc === 2) {
    tbl.set(e, a);
    return [];
  }
  if (argc !== 3) luaError("wrong number of arguments to 'insert'");
  const pos = checkInt(a, 2, 'insert', argc);
  if (pos > e) e = pos;
  const arr = tbl.arr;
  if (pos >= 1 && e === arr.length + 1 && pos < e && e <= MAX_ARRAY_PART) {
    // Everything moves inside the array part. It grows to e, so a key e + 1 waiting in the hash
    // part joins it (the border invariant of LuaTable).
    arr.splice(pos - 1, 0, b);
    const h = tbl.hash;
    if (h !== null && h.size > 0) {
      const next = h.get(e + 1);
      if (next !== undefined) {
        h.delete(e + 1);
        tbl.set(e + 1, next);
      }
    }
    return [];
  }
  for (let k = e; k > pos; k--) tbl.set(k, tbl.get(k - 1));
  tbl.set(pos, b);
  return [];
}

function remove(this: void, t?: LuaValue, p?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const tbl = checkTable(t, 1, 'remove', argc);
  const e = tbl.length();
  const pos = optInt(p, 2, 'remove', argc, e);
  if (!(1 <= pos && pos <= e)) return [];
  const v = tbl.get(pos);
  if (pos < e && e === tbl.arr.length) {
    tbl.arr.splice(pos - 1, 1); // the last element stays last, so the border is unchanged
    return [v];
  }
  for (let k = pos; k < e; k++) tbl.set(k, tbl.get(k + 1));
  tbl.set(e, undefined);
  return [v];
}

function maxn(this: void, t?: LuaValue): LuaValue[] {
  const tbl = checkTable(t, 1, 'maxn', arguments.length);
  let max = 0;
  if (tbl.hash !== null) {
    for (const k of tbl.hash.keys()) if (typeof k === 'number' && k > max) max = k;
  }
  for (let i = tbl.arr.length; i >= 1; i--) {
    if (tbl.arr[i - 1] !== undefined) {
      if (i > max) max = i;
      break;
    }
  }
  return [max];
}

function getn(this: void, t?: LuaValue): LuaValue[] {
  return [checkTable(t, 1, 'getn', arguments.length).length()];
}

function setn(this: void, t?: LuaValue): LuaValue[] {
  checkTable(t, 1, 'setn', arguments.length);
  return luaError("'setn' is obsolete");
}

function foreachi(this: void, t?: LuaValue, f?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const tbl = checkTable(t, 1, 'foreachi', argc);
  if (typeof f !== 'function') return typeError(2, 'foreachi', f, 'function', argc);
  const n = tbl.length();
  for (let i = 1; i <= n; i++) {
    const r = f(i, tbl.get(i))[0];
    if (r !== undefined) return [r];
  }
  return [];
}

function foreach(this: void, t?: LuaValue, f?: LuaValue): LuaValue[] {
  const argc = arguments.length;
  const tbl = checkTable(t, 1, 'foreach', argc);
  if (typeof f !== 'function') return typeError(2, 'foreach', f, 'function', argc);
  for (let kv = tbl.next(undefined); kv !== undefined; kv = tbl.next(kv[0])) {
    const r = f(kv[0], kv[1])[0];
    if (r !== undefined) return [r];
  }
  return [];
}

/**
 * ltablib.c's auxsort: median-of-three quicksort, recursing into the smaller half. It works on
 * the table's array part, which holds every element 1..n (the length is the array part's); reads
 * past either end give nil, as rawgeti does.
 */
class Sorter {
  constructor(
    private readonly a: LuaValue[],
    private readonly less: (a: LuaValue, b: LuaValue) => boolean,
    private readonly interrupt: (() => void) | undefined,
  ) {}

  private swap(i: number, j: number): void {
    const a = this.a;
    const vi = a[i - 1];
    a[i - 1] = a[j - 1];
    a[j - 1] = vi;
  }

  sort(l: number, u: number): void {
    const less = this.less;
    const a = this.a;
    while (l < u) {
      this.interrupt?.();
      if (less(a[u - 1], a[l - 1])) this.swap(l, u);
      if (u - l === 1) break;
      let i = (l + u) >>> 1;
      if (less(a[i - 1], a[l - 1])) this.swap(i, l);
      else if (less(a[u - 1], a[i - 1])) this.swap(i, u);
      if (u - l === 2) break;
      const pivot = a[i - 1];
      this.swap(i, u - 1);
      i = l;
      let j = u - 1;
      for (;;) {
        while (less(a[++i - 1], pivot)) {
          if (i > u) luaError('invalid order function for sorting');
        }
        while (less(pivot, a[--j - 1])) {
          if (j < l) luaError('invalid order function for sorting');
        }
        if (j < i) break;
        this.swap(i, j);
      }
      this.swap(u - 1, i);
      if (i - l < u - i) {
        j = l;
        i = i - 1;
        l = i + 2;
      } else {
        j = i + 1;
        i = u;
        u = j - 2;
      }
      this.sort(j, i);
    }
  }
}

export function createTableLib(hooks: StdlibHooks): LuaTable {
  const defaultLess = hooks.lessThan ?? rawLessThan;

  function sort(this: void, t?: LuaValue, comp?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const tbl = checkTable(t, 1, 'sort', argc);
    const n = tbl.length();
    let less = defaultLess;
    if (comp !== undefined) {
      if (typeof comp !== 'function') typeError(2, 'sort', comp, 'function', argc);
      const f: LuaFunction = comp;
      less = (a, b) => truthy(f(a, b)[0]);
    }
    const arr = tbl.arr;
    new Sorter(arr, less, hooks.interrupt).sort(1, n);
    // Holes (nils) may have been moved to the end: keep the last element non-nil.
    while (arr.length > 0 && arr[arr.length - 1] === undefined) arr.pop();
    return [];
  }

  return libTable({ concat: guardMemory(concat), foreach, foreachi, getn, insert, maxn, remove, setn, sort });
}
