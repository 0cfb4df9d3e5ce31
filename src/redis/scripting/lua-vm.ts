// Loads fengari with Lua 5.1-style number formatting.
//
// fengari reads its configuration from process.env.FENGARICONF once, when its luaconf module is
// first evaluated. Redis runs Lua 5.1, where tostring(10/2) is "5"; Lua 5.3 prints "5.0". Scripts
// build keys and arguments by concatenation (`'job:' .. n`), so the 5.1 form matters.
// LUA_COMPAT_FLOATSTRING restores it. The variable is set only around the require and restored,
// so child processes never inherit it.
import { createRequire } from 'node:module';
import type * as Fengari from 'fengari';

function loadFengari(): typeof Fengari {
  const require = createRequire(import.meta.url);
  const saved = process.env['FENGARICONF'];
  const conf: Record<string, unknown> = saved ? (JSON.parse(saved) as Record<string, unknown>) : {};
  conf['LUA_COMPAT_FLOATSTRING'] = true;
  process.env['FENGARICONF'] = JSON.stringify(conf);
  try {
    return require('fengari') as typeof Fengari;
  } finally {
    if (saved === undefined) delete process.env['FENGARICONF'];
    else process.env['FENGARICONF'] = saved;
  }
}

const fengari = loadFengari();
export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;
export const toLuaString = fengari.to_luastring;
export const toJsString = fengari.to_jsstring;
export type LuaState = Fengari.LuaState;
export type LuaCFunction = Fengari.LuaCFunction;

// ---- allocation-light string transfer -----------------------------------------------------------
//
// Redis values are binary; Nimbus keeps them as latin1 JS strings (one char per byte). fengari's
// public API copies every string it is given (lua_pushstring runs Uint8Array.from, which is slow)
// and hashes table keys by building a hex string per byte, cached on the string object. On the
// EVALSHA path these copies and re-hashes were a large part of the per-call cost, so the runtime
// moves bytes through the two internal calls lua_pushstring itself uses, on a Uint8Array it has
// just created and nobody else holds.
interface FengariInternals {
  /** lstring.js: wraps bytes in a Lua string object, taking ownership (L is unused). */
  luaS_bless(L: LuaState | null, bytes: Uint8Array): object;
  pushsvalue2s(L: LuaState, ts: object): void;
}
const internals: FengariInternals = (() => {
  const require = createRequire(import.meta.url);
  // Required after loadFengari(), so these are the module instances fengari itself uses.
  const lstring = require('fengari/src/lstring.js') as Pick<FengariInternals, 'luaS_bless'>;
  const lobject = require('fengari/src/lobject.js') as Pick<FengariInternals, 'pushsvalue2s'>;
  return { luaS_bless: lstring.luaS_bless, pushsvalue2s: lobject.pushsvalue2s };
})();

/** Strings at most this long are converted by a plain loop; longer ones by Buffer's native code. */
const SHORT_STRING = 48;
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

/** A latin1 JS string's bytes (one byte per char) in a fresh Uint8Array. */
function latin1Bytes(s: string): Uint8Array {
  const n = s.length;
  const out = new Uint8Array(n);
  if (n <= SHORT_STRING) for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
  else Buffer.from(out.buffer, out.byteOffset, n).latin1Write(s, 0, n);
  return out;
}

/** A Lua string's bytes as a latin1 JS string (no intermediate Buffer). */
function latin1String(bytes: Uint8Array): string {
  return latin1Slice.call(bytes, 0, bytes.length);
}

/**
 * A Lua string object for a constant (table keys such as KEYS, ARGV, ok, err): made once, so its
 * hash is computed once instead of on every use.
 */
export function constantString(s: string): object {
  return internals.luaS_bless(null, latin1Bytes(s));
}

/** Pushes a string made by constantString. */
export function pushConstant(L: LuaState, ts: object): void {
  internals.pushsvalue2s(L, ts);
}

/** Pushes a latin1 JS string as a Lua string (one copy, no UTF-8 step), remembering `s` on it. */
export function pushLatin1(L: LuaState, s: string): void {
  const ts = internals.luaS_bless(L, latin1Bytes(s)) as { latin1?: string };
  ts.latin1 = s;
  internals.pushsvalue2s(L, ts);
}

/** Pushes a Buffer's bytes as a Lua string (copied: the caller may keep using the Buffer). */
export function pushBytesCopy(L: LuaState, b: Uint8Array): void {
  internals.pushsvalue2s(L, internals.luaS_bless(L, new Uint8Array(b)));
}

/** fengari's stack layout (lapi.js index2addr) and string object, for argLatin1. */
interface StackInternals {
  readonly stack: ReadonlyArray<{ readonly value: unknown }>;
  readonly top: number;
  readonly ci: { readonly funcOff: number };
}
interface StringInternals {
  readonly realstring: Uint8Array;
  /** Nimbus's cache of the bytes as a latin1 JS string (Lua strings never change). */
  latin1?: string;
}

/**
 * The string at stack index `idx` (1-based argument of the running JS function, or negative from
 * the top) as a latin1 JS string; the caller has checked that lua_type is LUA_TSTRING. The
 * conversion is cached on the Lua string object, so a script's constants ('hincrby', field names)
 * convert once, and KEYS/ARGV items and call replies, pushed by pushLatin1 with their JS string
 * attached, never do.
 */
export function argLatin1(L: LuaState, idx: number): string {
  const S = L as unknown as StackInternals;
  const slot = idx > 0 ? S.ci.funcOff + idx : S.top + idx;
  const ts = (S.stack[slot] as { value: StringInternals }).value;
  let s = ts.latin1;
  if (s === undefined) {
    s = latin1String(ts.realstring);
    ts.latin1 = s;
  }
  return s;
}
