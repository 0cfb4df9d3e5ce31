// The operations compiled Lua code calls: indexing with metatables, arithmetic and comparison
// with Lua 5.1's coercions and metamethods, concatenation, calls of non-functions (__call), and
// Lua's runtime error texts ("attempt to index global 'x' (a nil value)").
//
// Each fast path is a small function V8 inlines into the generated code (a typeof test and the JS
// operator); everything else is in a separate slow function. One Runtime exists per script
// environment: it holds the current line (set by generated code before statements that can
// fail) and the instruction budget.
import { LuaError, LuaTable, LuaUserdata, stringToNumber, typeName } from './value.js';
import { luaNumberToString as numberToString } from './lib/format.js';
import type { LuaFunction, LuaValue } from './value.js';

/** Metatable chains longer than this are an error, as Lua 5.1's MAXTAGLOOP. */
export const MAX_TAG_LOOP = 100;
/** Budget ticks (loop back-edges and function entries) between two clock reads. */
export const TICKS_PER_CHECK = 10_000;
/** Source name in error positions ("user_script:3: …"), as Redis names EVAL scripts. */
export const CHUNK_NAME = 'user_script';

export const EMPTY: LuaValue[] = [];
Object.freeze(EMPTY);

/** Mutable per-environment state read and written by generated code. */
export class LineState {
  /** The source line of the statement running now. */
  line = 0;
  /** Ticks left before the next clock check. */
  budget = TICKS_PER_CHECK;
}

export function truthy(v: LuaValue): boolean {
  return v !== undefined && v !== false;
}

/** Lua 5.1's pow with C's special cases where JS differs (1^NaN, (-1)^±inf are 1 in C). */
export function pow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b);
}

function mod(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

function describe(op: string, v: LuaValue, d: string | undefined): string {
  const t = typeName(v);
  return d ? `attempt to ${op} ${d} (a ${t} value)` : `attempt to ${op} a ${t} value`;
}

const ids = new WeakMap<object, number>();
let nextId = 0x10000;

/** "table: 0x…" style address of a reference value (stable, unique per object). */
export function addressOf(o: object): string {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId += 0x20;
    ids.set(o, id);
  }
  return '0x' + id.toString(16).padStart(8, '0');
}

/** Numbers and numeric strings as numbers; undefined for everything else. */
export function toNumber(v: LuaValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return stringToNumber(v);
  return undefined;
}

export type Runtime = ReturnType<typeof createRuntime>;

/**
 * The helpers for one environment. `stringMeta` is the metatable of string values (its __index
 * is the string library table); `readonly` holds the tables scripts may not modify.
 */
export function createRuntime(opts: { readonly: WeakSet<LuaTable>; onTick: () => void }) {
  const S = new LineState();
  const readonly = opts.readonly;
  /** Library functions (not compiled Lua): pcall(f) of one reports errors without a position. */
  const builtins = new WeakSet<LuaFunction>();
  const stringMeta = new LuaTable();
  const onTick = opts.onTick;

  function rtError(msg: string): LuaError {
    return new LuaError(`${CHUNK_NAME}:${S.line}: ${msg}`);
  }

  function metaOf(v: LuaValue): LuaTable | null {
    if (v instanceof LuaTable) return v.metatable;
    if (typeof v === 'string') return stringMeta;
    return null;
  }

  function metaField(v: LuaValue, event: string): LuaValue {
    const mt = metaOf(v);
    return mt === null ? undefined : mt.getStr(event);
  }

  function tick(): void {
    S.budget = TICKS_PER_CHECK;
    onTick();
  }

  // ---- indexing ---------------------------------------------------------------------------------

  function index(o: LuaValue, k: LuaValue, d?: string): LuaValue {
    if (o instanceof LuaTable) {
      const v = o.get(k);
      if (v !== undefined || o.metatable === null) return v;
    }
    return indexSlow(o, k, d);
  }

  /** t.name: a string key known at compile time. */
  function indexS(o: LuaValue, k: string, d?: string): LuaValue {
    if (o instanceof LuaTable) {
      const h = o.hash;
      const v = h === null ? undefined : h.get(k);
      if (v !== undefined || o.metatable === null) return v;
    }
    return indexSlow(o, k, d);
  }

  function indexSlow(o: LuaValue, k: LuaValue, d: string | undefined): LuaValue {
    let t = o;
    for (let loop = 0; loop < MAX_TAG_LOOP; loop++) {
      let h: LuaValue;
      if (t instanceof LuaTable) {
        const v = t.get(k);
        if (v !== undefined || t.metatable === null) return v;
        h = t.metatable.getStr('__index');
        if (h === undefined) return undefined;
      } else {
        h = metaField(t, '__index');
        if (h === undefined) throw rtError(describe('index', t, d));
      }
      if (typeof h === 'function') return h(t, k)[0];
      t = h;
      d = undefined;
    }
    throw rtError('loop in gettable');
  }

  function setindex(o: LuaValue, k: LuaValue, v: LuaValue, d?: string): void {
    if (o instanceof LuaTable && o.metatable === null) o.set(k, v);
    else setSlow(o, k, v, d);
  }

  function setSlow(o: LuaValue, k: LuaValue, v: LuaValue, d: string | undefined): void {
    let t = o;
    for (let loop = 0; loop < MAX_TAG_LOOP; loop++) {
      let h: LuaValue;
      if (t instanceof LuaTable) {
        if (readonly.has(t)) throw rtError('Attempt to modify a readonly table');
        if (t.metatable === null || t.get(k) !== undefined) return t.set(k, v);
        h = t.metatable.getStr('__newindex');
        if (h === undefined) return t.set(k, v);
      } else {
        h = metaField(t, '__newindex');
        if (h === undefined) throw rtError(describe('index', t, d));
      }
      if (typeof h === 'function') {
        h(t, k, v);
        return;
      }
      t = h;
      d = undefined;
    }
    throw rtError('loop in settable');
  }

  // ---- calls ------------------------------------------------------------------------------------

  /** The function to call for `f(...)`: f itself, or a closure over its __call metamethod. */
  function fn(f: LuaValue, d?: string): LuaFunction {
    if (typeof f === 'function') return f;
    return callable(f, d);
  }

  function callable(f: LuaValue, d: string | undefined): LuaFunction {
    const h = metaField(f, '__call');
    if (typeof h === 'function') return (...args: LuaValue[]) => h(f, ...args);
    throw rtError(describe('call', f, d));
  }

  // ---- arithmetic -------------------------------------------------------------------------------

  function arith(ev: string, a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x !== undefined && y !== undefined) {
      switch (ev) {
        case '__add':
          return x + y;
        case '__sub':
          return x - y;
        case '__mul':
          return x * y;
        case '__div':
          return x / y;
        case '__mod':
          return mod(x, y);
        default:
          return pow(x, y);
      }
    }
    let h = metaField(a, ev);
    if (h === undefined) h = metaField(b, ev);
    if (h !== undefined) return fn(h)(a, b)[0];
    // luaG_aritherror: blame the first operand unless it converts.
    if (x === undefined) throw rtError(describe('perform arithmetic on', a, da));
    throw rtError(describe('perform arithmetic on', b, db));
  }

  function add(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    return typeof a === 'number' && typeof b === 'number' ? a + b : arith('__add', a, b, da, db);
  }
  function sub(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    return typeof a === 'number' && typeof b === 'number' ? a - b : arith('__sub', a, b, da, db);
  }
  function mul(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    return typeof a === 'number' && typeof b === 'number' ? a * b : arith('__mul', a, b, da, db);
  }
  function div(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    return typeof a === 'number' && typeof b === 'number' ? a / b : arith('__div', a, b, da, db);
  }
  function modOp(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    return typeof a === 'number' && typeof b === 'number' ? mod(a, b) : arith('__mod', a, b, da, db);
  }
  function powOp(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    return typeof a === 'number' && typeof b === 'number' ? pow(a, b) : arith('__pow', a, b, da, db);
  }

  function unm(a: LuaValue, d?: string): LuaValue {
    if (typeof a === 'number') return -a;
    const x = toNumber(a);
    if (x !== undefined) return -x;
    const h = metaField(a, '__unm');
    if (h !== undefined) return fn(h)(a, a)[0];
    throw rtError(describe('perform arithmetic on', a, d));
  }

  function len(a: LuaValue, d?: string): LuaValue {
    if (typeof a === 'string') return a.length;
    if (a instanceof LuaTable) return a.length();
    const h = metaField(a, '__len');
    if (h !== undefined) return fn(h)(a)[0];
    throw rtError(describe('get length of', a, d));
  }

  function concat(a: LuaValue, b: LuaValue, da?: string, db?: string): LuaValue {
    if (typeof a === 'string') {
      if (typeof b === 'string') return a + b;
      if (typeof b === 'number') return a + numberToString(b);
    } else if (typeof a === 'number') {
      if (typeof b === 'string') return numberToString(a) + b;
      if (typeof b === 'number') return numberToString(a) + numberToString(b);
    }
    let h = metaField(a, '__concat');
    if (h === undefined) h = metaField(b, '__concat');
    if (h !== undefined) return fn(h)(a, b)[0];
    // luaG_concaterror: blame the first operand unless it is a string or number.
    if (typeof a === 'string' || typeof a === 'number') throw rtError(describe('concatenate', b, db));
    throw rtError(describe('concatenate', a, da));
  }

  // ---- comparison -------------------------------------------------------------------------------

  /** The metamethod both operands share for `ev` (Lua 5.1's get_compTM), or undefined. */
  function compMeta(a: LuaValue, b: LuaValue, ev: string): LuaValue {
    const h1 = metaField(a, ev);
    if (h1 === undefined) return undefined;
    const ma = metaOf(a);
    if (ma === metaOf(b)) return h1;
    const h2 = metaField(b, ev);
    return h1 === h2 ? h1 : undefined;
  }

  function eq(a: LuaValue, b: LuaValue): boolean {
    if (a === b) return true;
    if (!(a instanceof LuaTable) || !(b instanceof LuaTable)) return false;
    const h = compMeta(a, b, '__eq');
    return h !== undefined && truthy(fn(h)(a, b)[0]);
  }

  function orderError(a: LuaValue, b: LuaValue): LuaError {
    const t1 = typeName(a);
    const t2 = typeName(b);
    return rtError(t1 === t2 ? `attempt to compare two ${t1} values` : `attempt to compare ${t1} with ${t2}`);
  }

  function lt(a: LuaValue, b: LuaValue): boolean {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    if (typeof a === 'string' && typeof b === 'string') return a < b;
    if (typeName(a) === typeName(b)) {
      const h = compMeta(a, b, '__lt');
      if (h !== undefined) return truthy(fn(h)(a, b)[0]);
    }
    throw orderError(a, b);
  }

  function le(a: LuaValue, b: LuaValue): boolean {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    if (typeof a === 'string' && typeof b === 'string') return a <= b;
    if (typeName(a) === typeName(b)) {
      const h = compMeta(a, b, '__le');
      if (h !== undefined) return truthy(fn(h)(a, b)[0]);
      const h2 = compMeta(b, a, '__lt');
      if (h2 !== undefined) return !truthy(fn(h2)(b, a)[0]);
    }
    throw orderError(a, b);
  }

  // ---- for loops --------------------------------------------------------------------------------

  function forNum(v: LuaValue, what: string): number {
    const n = toNumber(v);
    if (n === undefined) throw rtError(`'for' ${what} must be a number`);
    return n;
  }

  // ---- tables -----------------------------------------------------------------------------------

  /** A table constructor: keyed fields first, then positional ones (which win, as SETLIST does). */
  function mktable(pos: LuaValue[], keyed: LuaValue[] | null): LuaTable {
    let n = pos.length;
    while (n > 0 && pos[n - 1] === undefined) n--;
    if (n !== pos.length) pos.length = n;
    if (keyed === null) return new LuaTable(pos);
    const t = new LuaTable();
    for (let i = 0; i < keyed.length; i += 2) {
      const k = keyed[i];
      if (k === undefined) throw rtError('table index is nil');
      if (typeof k === 'number' && Number.isNaN(k)) throw rtError('table index is NaN');
      t.set(k, keyed[i + 1]);
    }
    for (let i = 0; i < pos.length; i++) t.set(i + 1, pos[i]);
    return t;
  }

  /** Converts a caught JS exception into the Lua error value pcall returns; rethrows others. */
  function errorValue(e: unknown): LuaValue {
    if (e instanceof LuaError) {
      if (e.where && typeof e.value === 'string') return `${CHUNK_NAME}:${S.line}: ${e.value}`;
      return e.value;
    }
    if (e instanceof RangeError && /call stack/i.test(e.message))
      return `${CHUNK_NAME}:${S.line}: stack overflow`;
    throw e;
  }

  return {
    S,
    stringMeta,
    readonly,
    builtins,
    rtError,
    metaOf,
    metaField,
    tick,
    index,
    indexS,
    setindex,
    fn,
    add,
    sub,
    mul,
    div,
    mod: modOp,
    pow: powOp,
    unm,
    len,
    concat,
    eq,
    lt,
    le,
    forNum,
    mktable,
    errorValue,
    truthy,
    LuaTable,
    LuaUserdata,
    EMPTY,
  };
}
