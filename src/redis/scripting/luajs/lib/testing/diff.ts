// A differential-test harness for the stdlib: a case is a library call with plain arguments; it
// is rendered as Lua source for a reference interpreter (lua5.1, or the fengari runtime for the
// Redis libraries) and run directly against the JS functions. Both sides serialise results the
// same way (JSON with numbers as %.17g text and strings as hex), canonicalised before comparing.
import { LuaError, LuaTable, type LuaFunction, type LuaValue } from '../../value.js';
import { luaNumberToString } from '../format.js';
import { luaToString } from '../tostring.js';
import { CJSON_NULL, type Stdlib } from '../index.js';

/** An argument: a plain value, a table, or one of the named callbacks. */
export type Arg =
  | undefined
  | boolean
  | number
  | string
  | { t: Arg[]; h?: Array<[Arg, Arg]> }
  | { fn: keyof typeof CALLBACKS_LUA }
  | { ud: 'cjson.null' };

export interface Case {
  /** 'string.find', or a helper: 'gmatch_all'. */
  f: string;
  args: Arg[];
  /** Compare numbers with a relative tolerance (transcendental functions: libm vs V8). */
  tol?: boolean;
}

/** Callbacks, in Lua and in JS (built over the library under test). */
export const CALLBACKS_LUA = {
  upper: 'function(s) return string.upper(s) end',
  join: "function(...) local t = {...} for i = 1, select('#', ...) do t[i] = tostring(t[i]) end return table.concat(t, '|') end",
  nilf: 'function() return nil end',
  falsef: 'function() return false end',
  tablef: 'function() return {} end',
  numf: 'function() return 42 end',
  gt: 'function(a, b) return a > b end',
  always: 'function(a, b) return true end',
  errf: "function() error('boom', 0) end",
  bylen: 'function(a, b) return #a < #b end',
  pair: 'function(a, b) return a[1] < b[1] end',
};

function jsCallbacks(lib: Stdlib): Record<keyof typeof CALLBACKS_LUA, LuaFunction> {
  const upper = lib.string.get('upper') as LuaFunction;
  const concat = lib.table.get('concat') as LuaFunction;
  const tostr = (v: LuaValue): LuaValue =>
    v === undefined ? 'nil' : typeof v === 'number' ? luaNumberToString(v) : v;
  return {
    upper: (s) => upper(s),
    join: (...a) => concat(new LuaTable(a.map(tostr)), '|'),
    nilf: () => [undefined],
    falsef: () => [false],
    tablef: () => [new LuaTable()],
    numf: () => [42],
    gt: (a, b) => [(a as number) > (b as number)],
    always: () => [true],
    errf: () => {
      throw new LuaError('boom');
    },
    bylen: (a, b) => [(a as string).length < (b as string).length],
    pair: (a, b) => [((a as LuaTable).get(1) as number) < ((b as LuaTable).get(1) as number)],
  };
}

// ---- rendering as Lua --------------------------------------------------------------------------

function luaString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += '\\' + String(s.charCodeAt(i)).padStart(3, '0');
  return out + '"';
}

function luaNumber(n: number): string {
  if (n !== n) return '(0/0)';
  if (n === Infinity) return '(1/0)';
  if (n === -Infinity) return '(-1/0)';
  if (Object.is(n, -0)) return 'NZ';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return `(${n.toPrecision(17)})`;
}

export function luaArg(a: Arg): string {
  if (a === undefined) return 'nil';
  if (typeof a === 'boolean') return String(a);
  if (typeof a === 'number') return luaNumber(a);
  if (typeof a === 'string') return luaString(a);
  if ('fn' in a) return `CB.${a.fn}`;
  if ('ud' in a) return a.ud;
  const items = a.t.map(luaArg);
  for (const [k, v] of a.h ?? []) items.push(`[${luaArg(k)}]=${luaArg(v)}`);
  return `{${items.join(', ')}}`;
}

/** Lua 5.1 source (also valid for the fengari runtime) defining CB, NZ, ser and run. */
export function luaPrelude(): string {
  const cbs = Object.entries(CALLBACKS_LUA)
    .map(([k, v]) => `${k} = ${v}`)
    .join(',\n  ');
  return `
local CB = {
  ${cbs}
}
local NZ = (function() local z = 0 return -z end)()
local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end
local ser
ser = function(v, depth)
  local t = type(v)
  if t == 'nil' then return '"nil"'
  elseif t == 'boolean' then return tostring(v)
  elseif t == 'number' then
    if v ~= v then return '{"n":"nan"}' elseif v == 1/0 then return '{"n":"inf"}' elseif v == -1/0 then return '{"n":"-inf"}' end
    return '{"n":"' .. string.format('%.17g', v) .. '"}'
  elseif t == 'string' then return '{"s":"' .. hex(v) .. '"}'
  elseif t == 'table' then
    if depth > 20 then return '"deep"' end
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = '[' .. ser(k, depth + 1) .. ',' .. ser(x, depth + 1) .. ']' end
    return '{"t":[' .. table.concat(parts, ',') .. ']}'
  elseif t == 'function' then return '"fn"'
  else return '"ud"' end
end
local function pack(...) return {n = select('#', ...), ...} end
local function gmatch_all(s, p)
  local out = {}
  local it = string.gmatch(s, p)
  for i = 1, 200 do
    local r = pack(it())
    if r[1] == nil then break end
    out[#out + 1] = r
  end
  return out
end
local function run(f, ...)
  local args = pack(...)
  local r = pack(pcall(f, ...))
  local head
  if r[1] then
    local vals = {}
    for i = 2, r.n do vals[#vals + 1] = ser(r[i], 0) end
    head = '{"ok":true,"r":[' .. table.concat(vals, ',') .. ']'
  else
    head = '{"ok":false,"e":' .. ser(r[2], 0)
  end
  local ta = {}
  for i = 1, args.n do if type(args[i]) == 'table' then ta[#ta + 1] = ser(args[i], 0) end end
  return head .. ',"a":[' .. table.concat(ta, ',') .. ']}'
end
`;
}

/**
 * The Lua call of a case. The function is called from a Lua wrapper (not a tail call), so that
 * argument errors name it ("bad argument #1 to 'rep'") as they do in scripts.
 */
export function luaCall(c: Case): string {
  const wrapper = `function(...) local r = pack(${c.f}(...)) return unpack(r, 1, r.n) end`;
  return `run(${wrapper}${c.args.map((a) => ', ' + luaArg(a)).join('')})`;
}

// ---- running in JS ---------------------------------------------------------------------------------

function jsArg(a: Arg, cbs: Record<string, LuaFunction>): LuaValue {
  if (a === undefined || typeof a !== 'object') return a;
  if ('fn' in a) return cbs[a.fn];
  if ('ud' in a) return CJSON_NULL;
  const t = new LuaTable();
  a.t.forEach((v, i) => t.set(i + 1, jsArg(v, cbs)));
  for (const [k, v] of a.h ?? []) t.set(jsArg(k, cbs), jsArg(v, cbs));
  return t;
}

function pack(values: LuaValue[]): LuaTable {
  const t = new LuaTable();
  values.forEach((v, i) => t.set(i + 1, v));
  t.set('n', values.length);
  return t;
}

function jsFunction(lib: Stdlib, name: string): LuaFunction {
  if (name === 'tostring') return (v) => [luaToString(v)];
  if (name === 'gmatch_all') {
    const gmatch = lib.string.get('gmatch') as LuaFunction;
    return (s, p) => {
      const it = gmatch(s, p)[0] as LuaFunction;
      const out = new LuaTable();
      for (let i = 0; i < 200; i++) {
        const r = it();
        if (r[0] === undefined) break;
        out.set(out.length() + 1, pack(r));
      }
      return [out];
    };
  }
  const [libName, fname] = name.split('.') as [keyof Stdlib, string];
  const f = lib[libName].get(fname);
  if (typeof f !== 'function') throw new Error(`no function ${name}`);
  return f;
}

/** Runs a case against the JS library; returns the same JSON line the Lua `run` prints. */
export function jsRun(lib: Stdlib, c: Case): Canon {
  const cbs = jsCallbacks(lib);
  const args = c.args.map((a) => jsArg(a, cbs));
  const f = jsFunction(lib, c.f);
  let head: { ok: boolean; r?: Canon[]; e?: Canon };
  try {
    head = { ok: true, r: f(...args).map((v) => canon(v)) };
  } catch (e) {
    if (!(e instanceof LuaError)) throw e;
    head = { ok: false, e: canon(e.value) };
  }
  return { ...head, a: args.filter((a) => a instanceof LuaTable).map((v) => canon(v)) };
}

// ---- canonical forms ---------------------------------------------------------------------------------

export type Canon = null | boolean | string | number | Canon[] | { [k: string]: Canon };

function numText(n: number): string {
  if (n !== n) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return Object.is(n, -0) ? '-0' : String(n);
}

/** A JS value in canonical form. */
export function canon(v: LuaValue, depth = 0): Canon {
  if (v === undefined) return 'nil';
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return { n: numText(v) };
  if (typeof v === 'string') return { s: Buffer.from(v, 'latin1').toString('hex') };
  if (typeof v === 'function') return 'fn';
  if (!(v instanceof LuaTable)) return 'ud';
  if (depth > 20) return 'deep';
  const pairs: Canon[] = [];
  for (let kv = v.next(undefined); kv !== undefined; kv = v.next(kv[0]))
    pairs.push([canon(kv[0], depth + 1), canon(kv[1], depth + 1)]);
  return { t: sortPairs(pairs) };
}

function sortPairs(pairs: Canon[]): Canon[] {
  return pairs
    .map((p) => [JSON.stringify((p as Canon[])[0]), p] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((x) => x[1]);
}

/**
 * A line printed by the Lua `run`, in canonical form (numbers re-read, table pairs sorted). An
 * error raised by a library function called from Lua carries the caller's position ("stdin:9: ");
 * the JS functions leave that to the runtime (LuaError.where), so it is removed.
 */
export function canonLua(line: string): Canon {
  const fix = (x: Canon): Canon => {
    if (Array.isArray(x)) return x.map(fix);
    if (x === null || typeof x !== 'object') return x;
    if ('n' in x && typeof x.n === 'string') {
      const t = x.n;
      return {
        n:
          t === 'nan' || t === 'inf' || t === '-inf' || t === '-nan'
            ? t.replace('-nan', 'nan')
            : numText(Number(t)),
      };
    }
    if ('t' in x) return { t: sortPairs((x.t as Canon[]).map(fix)) };
    if ('s' in x && typeof x.s === 'string') {
      const text = Buffer.from(x.s, 'hex')
        .toString('latin1')
        .replace(/^(stdin|user_script):\d+: /, '');
      return { s: Buffer.from(text, 'latin1').toString('hex') };
    }
    const out: { [k: string]: Canon } = {};
    for (const [k, v] of Object.entries(x)) out[k] = fix(v);
    return out;
  };
  return fix(JSON.parse(line) as Canon);
}

/** Deep equality, numbers within a relative tolerance when asked. */
export function sameCanon(a: Canon, b: Canon, tol: boolean): boolean {
  if (tol && a && b && typeof a === 'object' && typeof b === 'object' && 'n' in a && 'n' in b) {
    const x = Number(a.n);
    const y = Number(b.n);
    if (a.n === b.n) return true;
    return (
      Number.isFinite(x) &&
      Number.isFinite(y) &&
      Math.abs(x - y) <= 1e-13 * Math.max(Math.abs(x), Math.abs(y))
    );
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameCanon(x, b[i]!, tol));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every(
      (k) => k in b && sameCanon((a as Record<string, Canon>)[k]!, (b as Record<string, Canon>)[k]!, tol),
    );
  }
  return a === b;
}

/** A canonical value made readable: hex strings shown as text. */
export function showCanon(c: Canon): string {
  return JSON.stringify(c, (_k, v: Canon) =>
    v && typeof v === 'object' && !Array.isArray(v) && 's' in v && typeof v.s === 'string'
      ? 'S:' + Buffer.from(v.s, 'hex').toString('latin1')
      : v,
  );
}

/** A case made readable. */
export function showCase(c: Case): string {
  return `${c.f}(${c.args.map((a) => JSON.stringify(a) ?? 'nil').join(', ')})`;
}

/**
 * Compares reference output lines (one per case) with the JS library, a fresh one per case so
 * no state (random seed, cjson settings) leaks between cases. Returns readable mismatches.
 */
export function diffCases(lib: () => Stdlib, cases: Case[], lines: string[], label: string): string[] {
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const got = jsRun(lib(), c);
    const want = canonLua(lines[i]!);
    if (!sameCanon(got, want, c.tol === true))
      mismatches.push(`${showCase(c)}\n  ${label}: ${showCanon(want)}\n  js: ${showCanon(got)}`);
  });
  return mismatches;
}

/** The assertion message for mismatches (DIFF_SHOW=n shows more of them). */
export function mismatchReport(mismatches: string[], total: number): string {
  const show = Number(process.env['DIFF_SHOW'] ?? 25);
  return `${mismatches.length} of ${total} differ:\n${mismatches.slice(0, show).join('\n')}`;
}
