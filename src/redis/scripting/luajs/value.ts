// Values of the compiled Lua 5.1 engine ("luajs": Lua source compiled to JS functions).
//
// This is the contract between the compiler (compiler/codegen/runtime) and the standard library
// written for it. Lua values map onto plain JS values so that redis.call arguments and replies
// need no conversion, which is where fengari spends most of an EVALSHA:
//   nil      → undefined
//   boolean  → boolean
//   number   → number (Lua 5.1 has only doubles, exactly like JS)
//   string   → JS string holding one char per byte (latin1, code units 0–255), the same form the
//              Redis server uses for command arguments
//   table    → LuaTable
//   userdata → LuaUserdata (only library sentinels such as cjson.null)
//   function → LuaFunction: positional arguments (a missing argument is undefined), and it
//              always returns an array of results ([] for none). Compiled Lua functions and
//              library functions follow the same convention, so either can be called anywhere.
// Errors are thrown as LuaError. A library function that fails because of its arguments throws
// LuaError with `where: true`; the runtime then prefixes the position of the calling Lua line
// ("user_script:3: "), as luaL_error does with luaL_where(L, 1).

export type LuaValue = undefined | boolean | number | string | LuaTable | LuaFunction | LuaUserdata;
export type LuaFunction = (...args: LuaValue[]) => LuaValue[];

/** An opaque library value (lightuserdata in C Lua), e.g. cjson.null; compared by identity. */
export class LuaUserdata {
  constructor(readonly tag: string) {}
}

/** A Lua error in flight: `value` is what pcall returns as its second result. */
export class LuaError extends Error {
  constructor(
    readonly value: LuaValue,
    /** Prefix the position of the calling Lua line when the runtime catches it. */
    readonly where = false,
  ) {
    super(typeof value === 'string' ? value : 'lua error');
  }
}

/** Largest array part; beyond that integer keys go to the hash part (bounds one allocation). */
export const MAX_ARRAY_PART = 1 << 26;

/**
 * A Lua table: a dense array part for keys 1..n and a Map for the rest.
 *
 * Invariants (so that `#t` is O(1) and always a border):
 * - `arr[i - 1]` holds `t[i]` for 1 ≤ i ≤ arr.length, and the last element is never nil;
 * - the hash part never holds the key arr.length + 1 (it is moved into the array when the array
 *   grows to reach it).
 * Numbers that are integral are the same key whatever their sign of zero (Map uses
 * SameValueZero, and the array part only takes integers ≥ 1).
 */
export class LuaTable {
  arr: LuaValue[];
  hash: Map<LuaValue, LuaValue> | null = null;
  metatable: LuaTable | null = null;

  constructor(arr: LuaValue[] = []) {
    // Callers pass arrays without trailing nils (table constructors trim them).
    this.arr = arr;
  }

  /** Raw get (no metatables). */
  get(k: LuaValue): LuaValue {
    if (typeof k === 'number') {
      const a = this.arr;
      if (k >= 1 && k <= a.length && (k | 0) === k) return a[k - 1];
    }
    return this.hash === null ? undefined : this.hash.get(k);
  }

  /** Raw get of a string key (the common field access; skips the number test). */
  getStr(k: string): LuaValue {
    return this.hash === null ? undefined : this.hash.get(k);
  }

  /** Raw set (no metatables). Throws LuaError for nil and NaN keys, as Lua does. */
  set(k: LuaValue, v: LuaValue): void {
    if (typeof k === 'number') {
      const a = this.arr;
      const n = a.length;
      if (k >= 1 && k <= n + 1 && (k | 0) === k) {
        if (k <= n) {
          if (v !== undefined) a[k - 1] = v;
          else if (k === n) this.trimTail();
          else a[k - 1] = undefined;
          return;
        }
        // k === n + 1: append, then pull any following keys out of the hash part.
        if (v === undefined) {
          this.hash?.delete(k);
          return;
        }
        if (n < MAX_ARRAY_PART) {
          a.push(v);
          if (this.hash !== null && this.hash.size > 0) this.migrate();
          return;
        }
      } else if (Number.isNaN(k)) {
        throw new LuaError('table index is NaN', true);
      }
    } else if (k === undefined) {
      throw new LuaError('table index is nil', true);
    }
    if (v === undefined) {
      this.hash?.delete(k);
      return;
    }
    (this.hash ??= new Map()).set(k, v);
  }

  /** The length operator's raw result (a border). */
  length(): number {
    return this.arr.length;
  }

  /** Drops trailing nils after the last element was set to nil. */
  private trimTail(): void {
    const a = this.arr;
    a.pop();
    while (a.length > 0 && a[a.length - 1] === undefined) a.pop();
  }

  private migrate(): void {
    const h = this.hash as Map<LuaValue, LuaValue>;
    const a = this.arr;
    for (;;) {
      const next = a.length + 1;
      const v = h.get(next);
      if (v === undefined || a.length >= MAX_ARRAY_PART) return;
      h.delete(next);
      a.push(v);
    }
  }

  /**
   * `next(t, k)`: the key after k (array part first, then the hash part in insertion order), or
   * undefined at the end. Keys whose value was set to nil during a traversal are skipped, as in
   * Lua. Cost is O(1) amortised for a traversal from the start (the iteration cursor is cached).
   */
  next(k: LuaValue): [LuaValue, LuaValue] | undefined {
    const a = this.arr;
    let i = 0;
    if (k !== undefined) {
      if (typeof k === 'number' && k >= 1 && (k | 0) === k && (k <= a.length || !this.hash?.has(k))) {
        // A key past the array's end that is not in the hash part was in the array until a
        // traversal set the last elements to nil (the array shrank): continue after the array.
        i = Math.min(k, a.length);
      } else return this.nextInHash(k);
    }
    for (; i < a.length; i++) if (a[i] !== undefined) return [i + 1, a[i]];
    return this.firstInHash();
  }

  private cursorKeys: LuaValue[] | null = null;
  private cursorPos = 0;

  private firstInHash(): [LuaValue, LuaValue] | undefined {
    if (this.hash === null || this.hash.size === 0) return undefined;
    this.cursorKeys = [...this.hash.keys()];
    this.cursorPos = 0;
    return this.fromCursor(0);
  }

  private nextInHash(k: LuaValue): [LuaValue, LuaValue] | undefined {
    const keys = this.cursorKeys;
    let pos: number;
    if (keys !== null && keys[this.cursorPos] === k) pos = this.cursorPos + 1;
    else {
      if (this.hash === null || !this.hash.has(k)) throw new LuaError("invalid key to 'next'", true);
      this.cursorKeys = [...this.hash.keys()];
      pos = this.cursorKeys.indexOf(k) + 1;
    }
    return this.fromCursor(pos);
  }

  private fromCursor(pos: number): [LuaValue, LuaValue] | undefined {
    const keys = this.cursorKeys as LuaValue[];
    const h = this.hash as Map<LuaValue, LuaValue>;
    for (; pos < keys.length; pos++) {
      const v = h.get(keys[pos]);
      if (v !== undefined) {
        this.cursorPos = pos;
        return [keys[pos], v];
      }
    }
    this.cursorKeys = null;
    return undefined;
  }
}

/** Lua's type() names. */
export function typeName(v: LuaValue): string {
  switch (typeof v) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'function':
      return 'function';
    default:
      return v instanceof LuaTable ? 'table' : 'userdata';
  }
}

const NUMERIC_RE =
  /^[ \t\n\v\f\r]*[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[ \t\n\v\f\r]*$/;

/**
 * Lua 5.1's string → number coercion (lua_str2number: strtod, or strtoul for hex; surrounding
 * whitespace allowed). Returns undefined when the string is not a number.
 */
export function stringToNumber(s: string): number | undefined {
  if (!NUMERIC_RE.test(s)) return undefined;
  const t = s.trim();
  const neg = t.startsWith('-');
  const body = t.startsWith('-') || t.startsWith('+') ? t.slice(1) : t;
  if (body.length > 1 && (body[1] === 'x' || body[1] === 'X')) {
    const v = parseInt(body.slice(2), 16);
    return neg ? -v : v;
  }
  return Number(t);
}
