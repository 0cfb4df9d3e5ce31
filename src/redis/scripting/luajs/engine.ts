// The luajs engine: compiles a Redis script (Lua 5.1) into a JS function once, caches nothing
// itself (ScriptRuntime caches by SHA1), and runs it with KEYS/ARGV in a Redis environment equal
// to the fengari runtime's (runtime.ts): read-only globals and libraries, redis.*, the base
// library, and the same Lua↔RESP conversions as convert.ts.
//
// `compile()` returns null for what the engine does not support (a parse error, nesting past the
// parser's limit, a global this environment lacks such as `coroutine` or `loadstring`, or string
// methods before the string library exists); the fengari interpreter then runs the script
// exactly as before.
//
// Busy scripts: the generated code ticks a budget at loop back-edges and function entries; every
// TICKS_PER_CHECK ticks the clock is read. Past busy-reply-threshold a script that has not
// written (nor published) yet is abandoned with BusyAbort, and the runtime re-runs it on fengari,
// which yields and serves -BUSY / SCRIPT KILL. A script that already wrote runs to completion
// synchronously (it could not be killed anyway, only -BUSY replies to others are lost).
import { LuaError, LuaTable } from './value.js';
import { luaNumberToString as numberToString } from './lib/format.js';
import type { LuaFunction, LuaValue } from './value.js';
import { createRuntime, type Runtime } from './rt.js';
import { createBaseLib, READONLY_ERROR, type BaseLib } from './baselib.js';
import { parseChunk } from './parser.js';
import { generate } from './codegen.js';
import { MAX_SOURCE_CHARS } from './lexer.js';
import { isErrorReply, type ScriptReply } from '../reply.js';
import { createHash } from 'node:crypto';
import type { StdlibFactory } from './stdlib-loader.js';
import type { Stdlib } from './lib/index.js';

/** convert.ts's MAX_NESTING_DEPTH (not imported: that module loads fengari). */
export const MAX_REPLY_DEPTH = 1000;
/** Largest number of arguments redis.call accepts (runtime.ts MAX_CALL_ARGS). */
export const MAX_CALL_ARGS = 1024 * 1024;

const CALL_ARGS_ERROR = 'Lua redis lib command arguments must be strings or integers';
/** Commands whose effect a re-run would repeat although they leave the dataset unchanged. */
const SIDE_EFFECT_COMMANDS = new Set(['publish', 'spublish']);

/** Whether a command name is one of SIDE_EFFECT_COMMANDS; no lower-casing for the others. */
function mayHaveSideEffect(cmd: string): boolean {
  const c = cmd.charCodeAt(0) | 0x20; // ASCII lower case
  if (c !== 0x70 /* p */ && c !== 0x73 /* s */) return false;
  return SIDE_EFFECT_COMMANDS.has(cmd.toLowerCase());
}

/** A compiled run was abandoned before any effect: run the script on the interpreter instead. */
export class InterpreterFallback extends Error {}

/** Thrown through the script (past pcall) to abandon a run that is past busy-reply-threshold. */
export class BusyAbort extends InterpreterFallback {
  constructor() {
    super('luajs: script past busy-reply-threshold, re-run on the interpreter');
  }
}

/**
 * A JS exception that is no Lua error (a bug in luajs or its library) ended a run that had no
 * effect yet: the interpreter runs it instead, and the reason is logged.
 */
export class InternalFallback extends InterpreterFallback {
  constructor(override readonly cause: unknown) {
    super(
      `luajs internal error, script re-run on the interpreter: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** The run fields the engine reads and writes (runtime.ts's RunState has them). */
export interface LuajsRunState {
  resp3: boolean;
  replFlags: number;
  wrote: boolean;
  startedMs: number;
  timedOut: boolean;
}

export interface LuajsHost {
  call(argv: string[], resp3: boolean): ScriptReply;
  log?(level: number, message: string): void;
  /** The run in progress (null outside a run). */
  run(): LuajsRunState | null;
  now(): number;
  busyThresholdMs(): number;
}


/** Globals the interpreter has and this engine does not: scripts naming them stay on fengari. */
const INTERPRETER_ONLY = ['coroutine', 'loadstring', 'rawlen'];
/** The library globals; without the stdlib, scripts naming them stay on fengari. */
const LIBRARY_GLOBALS: ReadonlyArray<keyof Stdlib> = ['string', 'table', 'math', 'cjson', 'bit', 'struct', 'cmsgpack'];

export interface CompiledScript {
  readonly main: LuaFunction;
  readonly source: string;
}

export class LuajsEngine {
  private readonly rt: Runtime;
  private readonly base: BaseLib;
  private readonly G: LuaTable;
  private readonly R: Record<string, unknown>;
  /** Globals whose use sends a script to the interpreter. */
  private readonly unsupported: Set<string>;
  private readonly hasStringLib: boolean;
  /** A command with an effect outside the dataset ran (a re-run would repeat it). */
  private sideEffects = false;
  /** host.call threw (not an engine bug: a re-run would throw again). */
  private hostThrew = false;

  constructor(
    private readonly host: LuajsHost,
    stdlibFactory: StdlibFactory | null,
  ) {
    const readonly = new WeakSet<LuaTable>();
    this.rt = createRuntime({ readonly, onTick: () => this.onTick() });
    this.base = createBaseLib(this.rt);
    const rt = this.rt;
    const stdlib =
      stdlibFactory === null
        ? null
        : stdlibFactory({
            interrupt: () => this.onTick(),
            index: (t, k) => rt.index(t, k as LuaValue),
            lessThan: (a, b) => rt.lt(a as LuaValue, b as LuaValue),
          });
    const G = new LuaTable();
    this.G = G;
    for (const [k, f] of Object.entries(this.base.functions)) G.set(k, f);
    G.set('_G', G);
    G.set('_VERSION', 'Lua 5.1');
    G.set('redis', this.redisLib());
    for (const [name, t] of Object.entries(stdlib ?? {})) G.set(name, t);
    const str = stdlib?.['string'];
    this.hasStringLib = str !== undefined;
    if (str !== undefined) {
      this.rt.stringMeta.set('__index', str);
      this.rt.stringMeta.set('__metatable', false);
    }
    this.protect(G, readonly);
    for (const [, v] of iterate(G)) {
      if (typeof v === 'function') this.rt.builtins.add(v);
      else if (v instanceof LuaTable && v !== G)
        for (const [, f] of iterate(v)) if (typeof f === 'function') this.rt.builtins.add(f);
    }
    this.unsupported = new Set([
      ...INTERPRETER_ONLY,
      ...LIBRARY_GLOBALS.filter((n) => stdlib?.[n] === undefined),
    ]);
    this.R = this.helpers();
  }

  /** Compiles a script; null when it must run on the interpreter instead. */
  compile(body: Buffer | string): CompiledScript | null {
    const src = typeof body === 'string' ? body : body.toString('latin1');
    if (src.length > MAX_SOURCE_CHARS) return null;
    let gen;
    try {
      // Globals other than KEYS/ARGV never change (the global table is read-only to scripts).
      const gmap = this.G.hash as Map<LuaValue, LuaValue>;
      gen = generate(parseChunk(src, 'user_script'), (n) => n !== 'KEYS' && n !== 'ARGV' && gmap.has(n));
    } catch {
      return null; // syntax errors: the interpreter reports them as today
    }
    for (const g of gen.globals) if (this.unsupported.has(g)) return null;
    if (gen.methods && !this.hasStringLib) return null;
    // The generated source escapes all Lua text (codegen.ts).
    let factory: (R: Record<string, unknown>) => LuaFunction;
    try {
      factory = new Function('R', gen.source) as typeof factory;
    } catch {
      return null; // a construct the generator got wrong: the interpreter still runs it correctly
    }
    return { main: factory(this.R), source: gen.source };
  }

  /**
   * Runs a compiled script with fresh KEYS/ARGV tables; returns its reply (errors formatted as
   * runtime.ts does). Throws BusyAbort when abandoned past busy-reply-threshold.
   */
  run(
    script: CompiledScript,
    keys: ReadonlyArray<Buffer | string>,
    args: ReadonlyArray<Buffer | string>,
    funcName: string,
  ): ScriptReply {
    const G = this.G;
    G.set('KEYS', argTable(keys));
    G.set('ARGV', argTable(args));
    const S = this.rt.S;
    S.line = 0;
    this.sideEffects = false;
    this.hostThrew = false;
    let result: LuaValue[];
    try {
      result = script.main();
    } catch (e) {
      return this.failed(e, funcName);
    }
    const run = this.host.run();
    const resp3 = run !== null && run.resp3;
    try {
      return result.length === 0 ? null : luaToReply(this.rt, result[0], resp3, 0);
    } catch (e) {
      return this.failed(e, funcName);
    }
  }

  /** A run ended by an exception: a Lua error becomes the error reply; see InterpreterFallback. */
  private failed(e: unknown, funcName: string): ScriptReply {
    if (e instanceof InterpreterFallback) throw e;
    // The JS stack holds about 5,000 nested Lua calls where Lua 5.1 allows about 16,000 (and
    // fengari, whose Lua calls do not nest JS calls, more): an uncaught overflow is retried there.
    const run = this.host.run();
    const effectFree = !this.hostThrew && run !== null && !run.wrote && !this.sideEffects;
    if (!(e instanceof LuaError) && effectFree) throw new InternalFallback(e);
    return this.errorReply(e, funcName);
  }

  /** Formats a failed run as Redis 7 does: "<msg> script: <func>, on @user_script:<line>." */
  private errorReply(e: unknown, funcName: string): ScriptReply {
    let v: LuaValue;
    try {
      v = this.rt.errorValue(e);
    } catch (internal) {
      v = `luajs internal error: ${internal instanceof Error ? internal.message : String(internal)}`;
    }
    let msg: string;
    if (v instanceof LuaTable) {
      const err = this.rt.index(v, 'err');
      msg =
        typeof err === 'string' ? err : typeof err === 'number' ? numberToString(err) : 'ERR unknown error';
      if (msg.startsWith('-')) msg = msg.slice(1);
    } else if (typeof v === 'string' || typeof v === 'number') {
      msg = 'ERR ' + (typeof v === 'string' ? v : numberToString(v));
    } else msg = 'ERR execution failure';
    return { kind: 'error', text: `${msg} script: ${funcName}, on @user_script:${this.rt.S.line}.` };
  }

  private onTick(): void {
    const run = this.host.run();
    if (run === null) return;
    if (this.host.now() - run.startedMs < this.host.busyThresholdMs()) return;
    run.timedOut = true;
    if (!run.wrote && !this.sideEffects) throw new BusyAbort();
  }

  // ---- environment ------------------------------------------------------------------------------

  private helpers(): Record<string, unknown> {
    const rt = this.rt;
    const G = this.G;
    const gmap = G.hash as Map<LuaValue, LuaValue>;
    return {
      ...rt,
      gget: (name: string): LuaValue => {
        const v = gmap.get(name);
        return v !== undefined ? v : rt.index(G, name, `global '${name}'`);
      },
      gset: (name: string, v: LuaValue): void => rt.setindex(G, name, v),
      NEXT: this.base.next,
      INEXT: this.base.inext,
    };
  }

  /** Redis makes the globals and every library table read-only; unknown globals are errors. */
  private protect(G: LuaTable, readonly: WeakSet<LuaTable>): void {
    const refuse: LuaFunction = () => {
      throw new LuaError(READONLY_ERROR, true);
    };
    for (const [, v] of iterate(G)) {
      if (v instanceof LuaTable && v !== G) {
        readonly.add(v);
        const mt = new LuaTable();
        mt.set('__newindex', refuse);
        mt.set('__metatable', false);
        v.metatable = mt;
      }
    }
    const gmt = new LuaTable();
    gmt.set('__newindex', refuse);
    gmt.set('__index', (_t: LuaValue, k: LuaValue): LuaValue[] => {
      throw new LuaError(
        `Script attempted to access nonexistent global variable '${typeof k === 'string' ? k : '?'}'`,
        true,
      );
    });
    gmt.set('__metatable', false);
    G.metatable = gmt;
    readonly.add(G);
  }

  private redisLib(): LuaTable {
    const t = new LuaTable();
    const fn = (name: string, f: LuaFunction): void => t.set(name, f);
    fn('call', (...a) => this.redisCall(true, a));
    fn('pcall', (...a) => this.redisCall(false, a));
    fn('register_function', () => {
      throw new LuaError('redis.register_function can only be called on FUNCTION LOAD command', true);
    });
    fn('error_reply', (...a) => [tagged('err', a, true)]);
    fn('status_reply', (...a) => [tagged('ok', a, false)]);
    fn('sha1hex', (...a) => {
      if (a.length !== 1) throw new LuaError('wrong number of arguments', true);
      return [
        createHash('sha1')
          .update(Buffer.from(this.base.tostring(a[0]), 'latin1'))
          .digest('hex'),
      ];
    });
    fn('log', (...a) => this.redisLog(a));
    fn('setresp', (...a) => {
      const v = a.length === 1 ? toNum(a[0]) : 0;
      if (v !== 2 && v !== 3) throw new LuaError('RESP version must be 2 or 3.', true);
      const run = this.host.run();
      if (run !== null) run.resp3 = v === 3;
      return [];
    });
    fn('set_repl', (...a) => {
      if (a.length !== 1) throw new LuaError('redis.set_repl() requires one argument.', true);
      const flags = toNum(a[0]);
      if (!Number.isInteger(flags) || flags < 0 || flags > 3)
        throw new LuaError(
          'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.',
          true,
        );
      const run = this.host.run();
      if (run !== null) run.replFlags = flags;
      return [];
    });
    fn('replicate_commands', () => [true]);
    fn('breakpoint', () => [false]);
    fn('debug', () => []);
    const consts: Array<[string, number]> = [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
      ['REPL_NONE', 0],
      ['REPL_AOF', 1],
      ['REPL_SLAVE', 2],
      ['REPL_REPLICA', 2],
      ['REPL_ALL', 3],
      ['REDIS_VERSION_NUM', 0x070204],
    ];
    for (const [k, v] of consts) t.set(k, v);
    t.set('REDIS_VERSION', '7.2.4');
    return t;
  }

  private redisCall(raise: boolean, a: LuaValue[]): LuaValue[] {
    const run = this.host.run();
    if (run === null)
      throw new LuaError('redis.call/pcall can only be called inside a script invocation', true);
    const argc = a.length;
    if (argc === 0)
      return callError(raise, 'ERR Please specify at least one argument for this redis lib call');
    if (argc > MAX_CALL_ARGS) return callError(raise, 'ERR too many arguments for a redis lib call');
    // `a` is the call's own rest-parameter array: it becomes argv in place (no copy).
    for (let i = 0; i < argc; i++) {
      const v = a[i];
      if (typeof v === 'string') continue;
      // runtime.ts formatNumberArg: the shortest decimal form ("10", not "10.0").
      if (typeof v === 'number') a[i] = String(v);
      else return callError(raise, `ERR ${CALL_ARGS_ERROR}`);
    }
    const argv = a as string[];
    const cmd = argv[0] as string;
    if (!this.sideEffects && mayHaveSideEffect(cmd)) this.sideEffects = true;
    const resp3 = run.resp3;
    let reply: ScriptReply;
    try {
      reply = this.host.call(argv, resp3);
    } catch (e) {
      this.hostThrew = true;
      throw e;
    }
    if (raise && isErrorReply(reply)) return callError(true, reply.text);
    return [replyToLua(reply, resp3, 0)];
  }

  private redisLog(a: LuaValue[]): LuaValue[] {
    if (a.length < 2) throw new LuaError('redis.log() requires two arguments or more.', true);
    if (typeof a[0] !== 'number') throw new LuaError('First argument must be a number (log level).', true);
    const level = a[0];
    if (level < 0 || level > 3) throw new LuaError('Invalid debug level.', true);
    const parts: string[] = [];
    for (let i = 1; i < a.length; i++) {
      const v = a[i];
      if (typeof v === 'string') parts.push(v);
      else if (typeof v === 'number') parts.push(numberToString(v));
    }
    this.host.log?.(level, Buffer.from(parts.join(' '), 'latin1').toString());
    return [];
  }
}

function toNum(v: LuaValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return v.trim() === '' ? 0 : n;
  }
  return 0;
}

function* iterate(t: LuaTable): Generator<[LuaValue, LuaValue]> {
  let k: LuaValue = undefined;
  for (;;) {
    const r = t.next(k);
    if (r === undefined) return;
    yield r;
    k = r[0];
  }
}

/** KEYS / ARGV: a fresh table per run (a script may change it; the next run must not see that). */
function argTable(items: ReadonlyArray<Buffer | string>): LuaTable {
  const arr = new Array<LuaValue>(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as Buffer | string;
    arr[i] = typeof it === 'string' ? it : it.toString('latin1');
  }
  return new LuaTable(arr);
}

function callError(raise: boolean, text: string): LuaValue[] {
  const t = new LuaTable();
  t.set('err', text);
  if (raise) throw new LuaError(t);
  return [t];
}

/** redis.error_reply / status_reply: {err=msg} (with a leading '-') or {ok=msg}. */
function tagged(key: 'err' | 'ok', a: LuaValue[], dash: boolean): LuaTable {
  const s = a[0];
  if (a.length !== 1 || typeof s !== 'string') throw new LuaError('wrong number or type of arguments', true);
  const t = new LuaTable();
  t.set(key, dash && !s.startsWith('-') ? '-' + s : s);
  return t;
}

function table1(key: string, v: LuaValue): LuaTable {
  const t = new LuaTable();
  t.set(key, v);
  return t;
}

/** A command's reply as the Lua value redis.call returns (convert.ts pushReply). */
export function replyToLua(reply: ScriptReply, resp3: boolean, depth: number): LuaValue {
  if (depth > MAX_REPLY_DEPTH) return undefined;
  if (reply === null) return resp3 ? undefined : false;
  if (typeof reply === 'number' || typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('latin1');
  if (Array.isArray(reply)) {
    const arr = new Array<LuaValue>(reply.length);
    for (let i = 0; i < reply.length; i++) arr[i] = replyToLua(reply[i] ?? null, resp3, depth + 1);
    let n = arr.length;
    while (n > 0 && arr[n - 1] === undefined) n--;
    arr.length = n;
    return new LuaTable(arr);
  }
  switch (reply.kind) {
    case 'status':
      return table1('ok', reply.text);
    case 'error':
      return table1('err', reply.text);
    case 'double':
      return table1('double', reply.value);
    case 'bool':
      return reply.value;
    case 'bignum':
      return table1('big_number', reply.text);
    case 'verbatim': {
      const v = new LuaTable();
      v.set('format', reply.format);
      v.set('string', reply.text.toString('latin1'));
      return table1('verbatim_string', v);
    }
    case 'map': {
      const m = new LuaTable();
      for (let i = 0; i + 1 < reply.items.length; i += 2) {
        const k = replyToLua(reply.items[i] ?? null, resp3, depth + 1);
        if (k !== undefined && !(typeof k === 'number' && Number.isNaN(k)))
          m.set(k, replyToLua(reply.items[i + 1] ?? null, resp3, depth + 1));
      }
      return table1('map', m);
    }
    case 'set': {
      const s = new LuaTable();
      for (const item of reply.items) {
        const k = replyToLua(item, resp3, depth + 1);
        if (k !== undefined) s.set(k, true);
      }
      return table1('set', s);
    }
  }
}

function rawString(t: LuaTable, key: string): string | undefined {
  const v = t.getStr(key);
  return typeof v === 'string' ? v : undefined;
}

/** A script's return value as a reply (convert.ts popReply); resp3 is the script's protocol. */
export function luaToReply(rt: Runtime, v: LuaValue, resp3: boolean, depth: number): ScriptReply {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return resp3 ? { kind: 'bool', value: v } : v ? 1 : null;
  if (!(v instanceof LuaTable)) return null;
  if (depth > MAX_REPLY_DEPTH) return { kind: 'error', text: 'ERR reached lua stack limit' };
  const err = rawString(v, 'err');
  if (err !== undefined) return { kind: 'error', text: err.startsWith('-') ? err.slice(1) : err };
  const ok = rawString(v, 'ok');
  if (ok !== undefined) return { kind: 'status', text: ok };
  const dbl = rt.index(v, 'double');
  if (typeof dbl === 'number') return { kind: 'double', value: dbl };
  const big = rawString(v, 'big_number');
  if (big !== undefined) return { kind: 'bignum', text: big };
  const special = specialToReply(rt, v, resp3, depth);
  if (special !== undefined) return special;
  const out: ScriptReply[] = [];
  for (let j = 1; ; j++) {
    const item = v.get(j);
    if (item === undefined) break;
    out.push(luaToReply(rt, item, resp3, depth + 1));
  }
  return out;
}

function specialToReply(rt: Runtime, v: LuaTable, resp3: boolean, depth: number): ScriptReply | undefined {
  const map = rt.index(v, 'map');
  if (map instanceof LuaTable) {
    const items: ScriptReply[] = [];
    for (const [k, x] of iterate(map))
      items.push(luaToReply(rt, k, resp3, depth + 1), luaToReply(rt, x, resp3, depth + 1));
    return { kind: 'map', items };
  }
  const set = rt.index(v, 'set');
  if (set instanceof LuaTable) {
    const items: ScriptReply[] = [];
    for (const [k] of iterate(set)) items.push(luaToReply(rt, k, resp3, depth + 1));
    return { kind: 'set', items };
  }
  const verb = rt.index(v, 'verbatim_string');
  if (verb instanceof LuaTable) {
    const format = rawString(verb, 'format');
    const text = rawString(verb, 'string');
    if (format !== undefined && text !== undefined)
      return { kind: 'verbatim', format, text: Buffer.from(text, 'latin1') };
  }
  return undefined;
}
