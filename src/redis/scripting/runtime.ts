// The Lua scripting runtime behind EVAL / EVALSHA / FCALL.
//
// One Lua state holds every compiled script, as in Redis. Scripts run inside a coroutine so that a
// count hook can *yield* a script that has run past busy-reply-threshold: the event loop cannot be
// interrupted, so instead the caller gets a 'busy' result, answers other clients with -BUSY, and
// resumes the script in time slices until it ends or SCRIPT KILL stops it. Without
// `yieldWhenBusy` the hook never yields and a slow script simply runs to completion.
//
// The runtime knows nothing about the keyspace: redis.call goes to `host.call`, so it is tested
// on its own and the command layer decides ACL, read-only and "not allowed from scripts" rules.
import { createHash } from 'node:crypto';
import {
  lua,
  lauxlib,
  lualib,
  toLuaString,
  toJsString,
  argLatin1,
  pushLatin1,
  pushBytesCopy,
  constantString,
  pushConstant,
  type LuaState,
} from './lua-vm.js';
import { pushReply, popReply, pushNumber } from './convert.js';
import { errorReply, isErrorReply, type ScriptReply } from './reply.js';
import { openBit } from './libs/bit.js';
import { openCjson } from './libs/cjson.js';
import { openCmsgpack } from './libs/cmsgpack.js';
import { openStruct } from './libs/struct.js';
import { adaptLua51Source } from './lua51-source.js';
import { BusyAbort, InterpreterFallback, LuajsEngine, type CompiledScript } from './luajs/engine.js';
import { createStdlib } from './luajs/stdlib-loader.js';

/** Instructions between two hook calls; each call only reads the clock. */
export const HOOK_INSTRUCTIONS = 20_000;
/** While busy, how long one resume() runs before yielding back to the event loop. */
export const BUSY_SLICE_MS = 20;
/** Largest number of arguments redis.call accepts (LUA_CMD_OBJCACHE_SIZE is unrelated; this bounds allocation). */
export const MAX_CALL_ARGS = 1024 * 1024;
export const DEFAULT_BUSY_THRESHOLD_MS = 5000;

export const REPL_NONE = 0;
export const REPL_AOF = 1;
export const REPL_REPLICA = 2;
export const REPL_ALL = 3;

/** KEYS / ARGV items: Buffers, or latin1 JS strings (one char per byte, the server's own form). */
export type ScriptArgs = ReadonlyArray<Buffer | string>;

export interface ScriptHost {
  /**
   * Runs one command for redis.call / redis.pcall. The arguments are latin1 JS strings (one char
   * per byte). Errors come back as ErrorReply, never thrown.
   */
  call(argv: string[], resp3: boolean): ScriptReply;
  /** redis.log; level is 0 debug … 3 warning. */
  log?(level: number, message: string): void;
}

export interface ScriptRuntimeOptions {
  host: ScriptHost;
  busyThresholdMs?: number;
  now?: () => number;
  yieldWhenBusy?: boolean;
  /**
   * 'luajs' (default) runs EVAL/EVALSHA scripts compiled to JS when they compile, and the fengari
   * interpreter otherwise; 'fengari' always interprets. Default from NIMBUS_LUA_ENGINE.
   */
  engine?: LuaEngineName;
}

export type LuaEngineName = 'luajs' | 'fengari';

/** The engine named by NIMBUS_LUA_ENGINE ('fengari' forces the interpreter). */
export function defaultLuaEngine(): LuaEngineName {
  return process.env['NIMBUS_LUA_ENGINE'] === 'fengari' ? 'fengari' : 'luajs';
}

export type RunResult =
  { readonly status: 'done'; readonly reply: ScriptReply } | { readonly status: 'busy' };
export type KillOutcome = 'ok' | 'notbusy' | 'unkillable';

export interface RegisteredFunction {
  readonly name: string;
  /** Registry ref of the callback (pass to runRef). */
  readonly ref: number;
  readonly flags: readonly string[];
  readonly description: string | null;
}

export interface LoadedLibrary {
  readonly name: string;
  readonly functions: RegisteredFunction[];
}

/** Function flags Redis 7 accepts in register_function and script shebangs. */
export const FUNCTION_FLAGS = [
  'no-writes',
  'allow-oom',
  'allow-stale',
  'no-cluster',
  'allow-cross-slot-keys',
] as const;
const FUNCTION_NAME_RE = /^[A-Za-z0-9_]+$/;

export function sha1hex(body: Buffer | Uint8Array | string): string {
  return createHash('sha1').update(body).digest('hex');
}

const READONLY_ERROR = 'Attempt to modify a readonly table';
const KILLED_ERROR = 'ERR Script killed by user with SCRIPT KILL...';
const E_ALREADY_RUNNING = 'ERR a script is already running';
const CALL_ARGS_ERROR = 'Lua redis lib command arguments must be strings or integers';
/** The global names EVAL sets per run, as Lua string objects made once (hash computed once). */
const TS_KEYS = constantString('KEYS');
const TS_ARGV = constantString('ARGV');

/** One per runtime, reset by each run (one run at a time): no allocation per script call. */
interface RunState {
  funcName: string;
  clientResp3: boolean;
  startedMs: number;
  sliceStartMs: number;
  resp3: boolean;
  timedOut: boolean;
  killRequested: boolean;
  wrote: boolean;
  replFlags: number;
}

export class ScriptRuntime {
  private L!: LuaState;
  private runner: LuaState | null = null;
  private runnerRef = -1;
  private readonly refs = new Map<string, number>();
  private readonly bodies = new Map<string, Buffer>();
  private readonly protectedTables = new Set<object>();
  private run: RunState | null = null;
  private readonly runState: RunState = {
    funcName: '',
    clientResp3: false,
    startedMs: 0,
    sliceStartMs: 0,
    resp3: false,
    timedOut: false,
    killRequested: false,
    wrote: false,
    replFlags: REPL_ALL,
  };
  /** Collects register_function calls while a FUNCTION LOAD library body runs. */
  private librarySink: RegisteredFunction[] | null = null;
  private readonly host: ScriptHost;
  private readonly now: () => number;
  private readonly yieldWhenBusy: boolean;
  busyThresholdMs: number;
  readonly engine: LuaEngineName;
  private luajs: LuajsEngine | null = null;
  /** SHA → the script compiled by luajs, or null when it runs on fengari. */
  private readonly compiled = new Map<string, CompiledScript | null>();
  /**
   * SHAs that ran past busy-reply-threshold under luajs: they stay on fengari, whose count hook
   * can yield (serve -BUSY, accept SCRIPT KILL) where compiled code cannot.
   */
  private readonly pinned = new Set<string>();

  constructor(opts: ScriptRuntimeOptions) {
    this.host = opts.host;
    this.now = opts.now ?? Date.now;
    this.yieldWhenBusy = opts.yieldWhenBusy ?? false;
    this.busyThresholdMs = opts.busyThresholdMs ?? DEFAULT_BUSY_THRESHOLD_MS;
    this.engine = opts.engine ?? defaultLuaEngine();
    this.createState();
  }

  private createLuajs(): void {
    if (this.engine !== 'luajs') return;
    this.luajs = new LuajsEngine(
      {
        call: (argv, resp3) => this.host.call(argv, resp3),
        log: (level, message) => this.host.log?.(level, message),
        run: () => this.run,
        now: this.now,
        busyThresholdMs: () => this.busyThresholdMs,
      },
      createStdlib,
    );
  }

  /** Whether `sha` runs compiled (for tests and INFO-style introspection). */
  isCompiled(sha: string): boolean {
    sha = sha.toLowerCase();
    return this.compiled.get(sha) != null && !this.pinned.has(sha);
  }

  // ---- script cache -------------------------------------------------------------------------

  /** Compiles and caches a script; returns its SHA1 or an error reply (compile error). */
  load(body: Buffer): string | { error: string } {
    const sha = sha1hex(body);
    if (this.refs.has(sha)) return sha;
    const err = this.compile(sha, body, 'user_script');
    return err === null ? sha : { error: err };
  }

  /**
   * Caches `compiled` under `sha` (SCRIPT LOAD of a script with a shebang: the SHA is of the text
   * as sent, the compiled body has the shebang line blanked). Returns an error text or null.
   */
  loadAs(sha: string, original: Buffer, compiled: Buffer): string | null {
    if (this.refs.has(sha)) return null;
    const r = this.compileChunk(compiled, 'user_script');
    if ('error' in r) return `Error compiling script (new function): ${r.error}`;
    this.refs.set(sha, r.ref);
    this.bodies.set(sha, Buffer.from(original));
    this.compiled.set(sha, this.luajs?.compile(compiled) ?? null);
    return null;
  }

  /** EVAL of a body whose cache key differs from its text (shebang scripts). */
  evalAs(
    sha: string,
    original: Buffer,
    compiled: Buffer,
    keys: ScriptArgs,
    args: ScriptArgs,
    clientResp3: boolean,
  ): RunResult {
    const err = this.loadAs(sha, original, compiled);
    if (err !== null) return { status: 'done', reply: errorReply(`ERR ${err}`) };
    return this.runSha(sha, keys, args, clientResp3) as RunResult;
  }

  has(sha: string): boolean {
    return this.refs.has(sha.toLowerCase());
  }

  body(sha: string): Buffer | undefined {
    return this.bodies.get(sha.toLowerCase());
  }

  get scriptCount(): number {
    return this.refs.size;
  }

  /** SCRIPT FLUSH: Redis recreates the Lua state, which also drops anything scripts left behind. */
  flush(): void {
    if (this.run) throw new Error('flush during a running script');
    this.refs.clear();
    this.bodies.clear();
    this.compiled.clear();
    this.pinned.clear();
    this.protectedTables.clear();
    this.runner = null;
    this.createState();
  }

  /** Loads a chunk that must return or register something; used by FUNCTION LOAD. */
  compileChunk(body: Buffer, chunkName: string): { ref: number } | { error: string } {
    const L = this.L;
    body = adaptLua51Source(body);
    const st = lauxlib.luaL_loadbuffer(L, body, body.length, toLuaString('@' + chunkName));
    if (st !== lua.LUA_OK) {
      const msg = toJsString(lua.lua_tolstring(L, -1) ?? toLuaString('?'));
      lua.lua_pop(L, 1);
      return { error: msg };
    }
    return { ref: lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) };
  }

  get state(): LuaState {
    return this.L;
  }

  private compile(sha: string, body: Buffer, chunkName: string): string | null {
    const r = this.compileChunk(body, chunkName);
    if ('error' in r) return `Error compiling script (new function): ${r.error}`;
    this.refs.set(sha, r.ref);
    this.bodies.set(sha, Buffer.from(body));
    this.compiled.set(sha, this.luajs?.compile(body) ?? null);
    return null;
  }

  // ---- functions (FUNCTION LOAD) -------------------------------------------------------------

  /**
   * Loads a Redis 7 function library: "#!lua name=<lib>" then code that calls
   * redis.register_function. The body runs once, now; redis.call is refused while it does.
   */
  loadLibrary(code: Buffer): LoadedLibrary | { error: string } {
    const header = parseShebang(code);
    if ('error' in header) return header;
    if (header.engine !== 'lua') return { error: `ERR Engine '${header.engine}' not found` };
    const name = header.params.get('name');
    if (name === undefined) return { error: 'ERR Library name was not given' };
    if (!FUNCTION_NAME_RE.test(name))
      return {
        error:
          'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      };
    for (const k of header.params.keys())
      if (k !== 'name')
        return { error: `ERR Invalid metadata value given: ${k}=${header.params.get(k) ?? ''}` };
    const body = Buffer.concat([Buffer.from('\n'), code.subarray(header.length)]);
    const compiled = this.compileChunk(body, 'user_function');
    if ('error' in compiled) return { error: `ERR Error compiling function: ${compiled.error}` };
    const L = this.L;
    this.librarySink = [];
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, compiled.ref);
    lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, compiled.ref);
    const st = lua.lua_pcall(L, 0, 0, 0);
    const functions = this.librarySink;
    this.librarySink = null;
    if (st !== lua.LUA_OK) {
      const msg =
        lua.lua_type(L, -1) === lua.LUA_TTABLE
          ? (lua.lua_getfield(L, -1, 'err'), toJsString(lua.lua_tolstring(L, -1) ?? toLuaString('?')))
          : toJsString(lua.lua_tolstring(L, -1) ?? toLuaString('?'));
      lua.lua_settop(L, 0);
      for (const f of functions) this.releaseRef(f.ref);
      return { error: `ERR Error registering functions: ${msg}` };
    }
    if (functions.length === 0) return { error: 'ERR No functions registered' };
    return { name, functions };
  }

  releaseRef(ref: number): void {
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  private registerFunction(L: LuaState): number {
    const sink = this.librarySink;
    if (!sink)
      return lauxlib.luaL_error(L, 'redis.register_function can only be called on FUNCTION LOAD command');
    let name: string | null = null;
    let flags: string[] = [];
    let description: string | null = null;
    if (lua.lua_gettop(L) === 1 && lua.lua_type(L, 1) === lua.LUA_TTABLE) {
      lua.lua_getfield(L, 1, 'function_name');
      name =
        lua.lua_type(L, -1) === lua.LUA_TSTRING ? toJsString(lua.lua_tolstring(L, -1) as Uint8Array) : null;
      lua.lua_getfield(L, 1, 'description');
      description =
        lua.lua_type(L, -1) === lua.LUA_TSTRING ? toJsString(lua.lua_tolstring(L, -1) as Uint8Array) : null;
      lua.lua_getfield(L, 1, 'flags');
      if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
        for (let i = 1; lua.lua_rawgeti(L, -1, i) === lua.LUA_TSTRING; i++) {
          flags.push(toJsString(lua.lua_tolstring(L, -1) as Uint8Array));
          lua.lua_pop(L, 1);
        }
        lua.lua_pop(L, 1);
      }
      lua.lua_getfield(L, 1, 'callback');
      lua.lua_copy(L, -1, 2);
      lua.lua_settop(L, 2);
    } else if (lua.lua_gettop(L) === 2 && lua.lua_type(L, 1) === lua.LUA_TSTRING) {
      name = toJsString(lua.lua_tolstring(L, 1) as Uint8Array);
    } else {
      return lauxlib.luaL_error(L, 'wrong number of arguments to redis.register_function');
    }
    if (name === null)
      return lauxlib.luaL_error(
        L,
        'function_name argument given to redis.register_function must be a string',
      );
    if (!FUNCTION_NAME_RE.test(name))
      return lauxlib.luaL_error(
        L,
        'Function names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      );
    if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION)
      return lauxlib.luaL_error(L, 'callback argument given to redis.register_function must be a function');
    for (const f of flags)
      if (!(FUNCTION_FLAGS as readonly string[]).includes(f))
        return lauxlib.luaL_error(L, 'unknown flag given');
    if (sink.some((f) => f.name === name))
      return lauxlib.luaL_error(L, 'Function already exists in the library');
    lua.lua_pushvalue(L, 2);
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    flags = [...new Set(flags)];
    sink.push({ name, ref, flags, description });
    return 0;
  }

  // ---- running ------------------------------------------------------------------------------

  get busy(): boolean {
    return this.run !== null && this.run.timedOut;
  }

  get running(): boolean {
    return this.run !== null;
  }

  /** The set_repl flags of the running script (which effects go to the AOF / replicas). */
  get replFlags(): number {
    return this.run?.replFlags ?? REPL_ALL;
  }

  /** The command layer calls this when a script's command modified data: it is then unkillable. */
  noteWrite(): void {
    if (this.run) this.run.wrote = true;
  }

  kill(): KillOutcome {
    const r = this.run;
    if (!r || !r.timedOut) return 'notbusy';
    if (r.wrote) return 'unkillable';
    r.killRequested = true;
    return 'ok';
  }

  /** Runs a cached script (EVALSHA); undefined when the SHA is unknown (NOSCRIPT). */
  runSha(sha: string, keys: ScriptArgs, args: ScriptArgs, clientResp3: boolean): RunResult | undefined {
    let ref = this.refs.get(sha);
    if (ref === undefined) {
      sha = sha.toLowerCase();
      ref = this.refs.get(sha);
      if (ref === undefined) return undefined;
    }
    const script = this.compiled.get(sha);
    if (script != null && !this.pinned.has(sha))
      return this.runCompiled(sha, ref, script, keys, args, clientResp3);
    const co = this.begin(ref, 'f_' + sha, clientResp3);
    if (co === null) return { status: 'done', reply: errorReply(E_ALREADY_RUNNING) };
    this.setArgTable(co, TS_KEYS, keys);
    this.setArgTable(co, TS_ARGV, args);
    return this.step(0);
  }

  /**
   * Runs a luajs-compiled script. Past busy-reply-threshold before any write, the engine abandons
   * the run (BusyAbort) and it starts over on fengari, already past the threshold, so the
   * interpreter's hook yields at once and other clients get -BUSY. Either way the SHA is then
   * pinned to fengari. A JS exception from a luajs bug before any write (InternalFallback) also
   * re-runs the script on fengari, pinned and logged.
   */
  private runCompiled(
    sha: string,
    ref: number,
    script: CompiledScript,
    keys: ScriptArgs,
    args: ScriptArgs,
    clientResp3: boolean,
  ): RunResult {
    if (this.run) return { status: 'done', reply: errorReply(E_ALREADY_RUNNING) };
    const funcName = 'f_' + sha;
    const run = this.startRun(funcName, clientResp3, this.now());
    let reply: ScriptReply;
    try {
      reply = (this.luajs as LuajsEngine).run(script, keys, args, funcName);
    } catch (e) {
      this.run = null;
      if (!(e instanceof InterpreterFallback)) throw e;
      this.pinned.add(sha);
      if (!(e instanceof BusyAbort)) this.host.log?.(3, `${funcName}: ${e.message}`);
      // After a busy abort the interpreter starts already past the threshold (it yields at once).
      const co = this.begin(ref, funcName, clientResp3, e instanceof BusyAbort ? run.startedMs : undefined);
      if (co === null) return { status: 'done', reply: errorReply(E_ALREADY_RUNNING) };
      this.setArgTable(co, TS_KEYS, keys);
      this.setArgTable(co, TS_ARGV, args);
      return this.step(0);
    }
    if (run.timedOut) this.pinned.add(sha);
    this.run = null;
    return { status: 'done', reply };
  }

  /** EVAL: compiles when needed, then runs. */
  eval(body: Buffer, keys: ScriptArgs, args: ScriptArgs, clientResp3: boolean): RunResult {
    const sha = this.load(body);
    if (typeof sha !== 'string') return { status: 'done', reply: errorReply(`ERR ${sha.error}`) };
    return this.runSha(sha, keys, args, clientResp3) as RunResult;
  }

  /**
   * Calls a function stored at a registry ref with (KEYS, ARGV) as arguments: FCALL's calling
   * convention. The caller supplies the name used in error messages.
   */
  runRef(ref: number, funcName: string, keys: ScriptArgs, args: ScriptArgs, clientResp3: boolean): RunResult {
    const co = this.begin(ref, funcName, clientResp3);
    if (co === null) return { status: 'done', reply: errorReply(E_ALREADY_RUNNING) };
    this.pushArgTable(co, keys);
    this.pushArgTable(co, args);
    return this.step(2);
  }

  /** Continues a script that returned 'busy'. */
  resume(): RunResult {
    if (!this.run || !this.runner) throw new Error('resume without a busy script');
    this.run.sliceStartMs = this.now();
    return this.step(0);
  }

  /** Sets up a run and pushes the function; null when a script is already running. */
  private begin(ref: number, funcName: string, clientResp3: boolean, startedMs?: number): LuaState | null {
    if (this.run) return null;
    const co = this.acquireRunner();
    this.startRun(funcName, clientResp3, startedMs ?? this.now());
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, ref);
    return co;
  }

  /** Resets the shared run state for a new run (no allocation per call). */
  private startRun(funcName: string, clientResp3: boolean, t: number): RunState {
    const run = this.runState;
    run.funcName = funcName;
    run.clientResp3 = clientResp3;
    run.startedMs = t;
    run.sliceStartMs = t;
    run.resp3 = false;
    run.timedOut = false;
    run.killRequested = false;
    run.wrote = false;
    run.replFlags = REPL_ALL;
    this.run = run;
    return run;
  }

  private step(nargs: number): RunResult {
    const co = this.runner as LuaState;
    const run = this.run as RunState;
    const st = lua.lua_resume(co, this.L, nargs);
    if (st === lua.LUA_YIELD) {
      lua.lua_settop(co, 0);
      return { status: 'busy' };
    }
    let reply: ScriptReply;
    if (st === lua.LUA_OK) {
      const n = lua.lua_gettop(co);
      if (n === 0) reply = null;
      else {
        lua.lua_settop(co, 1);
        // Booleans follow the script's protocol (redis.setresp), not the caller's (script_lua.c).
        reply = popReply(co, run.resp3);
      }
      lua.lua_settop(co, 0);
    } else {
      reply = this.errorFromCoroutine(co, run.funcName);
      this.dropRunner();
    }
    this.run = null;
    return { status: 'done', reply };
  }

  /** Formats a failed run as Redis 7 does: "<msg> script: <func>, on @user_script:<line>." */
  private errorFromCoroutine(co: LuaState, funcName: string): ScriptReply {
    let msg: string;
    lua.lua_checkstack(co, 4);
    if (lua.lua_type(co, -1) === lua.LUA_TTABLE) {
      lua.lua_getfield(co, -1, 'err');
      const s = lua.lua_tolstring(co, -1);
      msg = s ? toJsString(s) : 'ERR unknown error';
      lua.lua_pop(co, 1);
      if (msg.startsWith('-')) msg = msg.slice(1);
    } else {
      const s =
        lua.lua_type(co, -1) === lua.LUA_TSTRING || lua.lua_type(co, -1) === lua.LUA_TNUMBER
          ? lua.lua_tolstring(co, -1)
          : null;
      msg = 'ERR ' + (s ? toJsString(s) : 'execution failure');
    }
    const where = this.errorLocation(co);
    if (where) msg += ` script: ${funcName}, on ${where.source}:${where.line}.`;
    return errorReply(msg);
  }

  private errorLocation(co: LuaState): { source: string; line: number } | null {
    const ar = new lua.lua_Debug();
    for (let level = 0; level < 3; level++) {
      if (!lua.lua_getstack(co, level, ar)) return null;
      lua.lua_getinfo(co, 'Sl', ar);
      const what = ar.what ? toJsString(ar.what) : '';
      if (what === 'J' || what === 'C') continue; // fengari marks JS (C) functions with 'J'
      return { source: ar.source ? toJsString(ar.source) : '?', line: ar.currentline };
    }
    return null;
  }

  private acquireRunner(): LuaState {
    if (this.runner) return this.runner;
    const co = lua.lua_newthread(this.L);
    this.runnerRef = lauxlib.luaL_ref(this.L, lua.LUA_REGISTRYINDEX);
    lua.lua_sethook(co, (L) => this.hook(L), lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    this.runner = co;
    return co;
  }

  /** A coroutine that died with an error cannot be resumed again; the next run makes a new one. */
  private dropRunner(): void {
    if (this.runnerRef >= 0) lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, this.runnerRef);
    this.runnerRef = -1;
    this.runner = null;
  }

  private hook(L: LuaState): void {
    const run = this.run;
    if (!run) return;
    if (run.killRequested) {
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushstring(L, KILLED_ERROR);
      lua.lua_setfield(L, -2, 'err');
      lua.lua_error(L);
    }
    const t = this.now();
    if (t - run.startedMs < this.busyThresholdMs) return;
    run.timedOut = true;
    if (this.yieldWhenBusy && t - run.sliceStartMs >= BUSY_SLICE_MS && lua.lua_isyieldable(L)) {
      lua.lua_yield(L, 0);
    }
  }

  private setArgTable(co: LuaState, name: object, items: ScriptArgs): void {
    // A raw write: the global table is read-only to scripts, not to the runtime.
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    pushConstant(co, name);
    this.pushArgTable(co, items);
    lua.lua_rawset(co, -3);
    lua.lua_pop(co, 1);
  }

  /** A fresh table each run (a script may change KEYS/ARGV; the next one must not see that). */
  private pushArgTable(co: LuaState, items: ScriptArgs): void {
    lua.lua_createtable(co, items.length, 0);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Buffer | string;
      if (typeof item === 'string') pushLatin1(co, item);
      else pushBytesCopy(co, item);
      lua.lua_rawseti(co, -2, i + 1);
    }
  }

  // ---- the redis.* library ------------------------------------------------------------------

  private redisCall(L: LuaState, raise: boolean): number {
    const run = this.run;
    if (!run) return lauxlib.luaL_error(L, 'redis.call/pcall can only be called inside a script invocation');
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      return this.callError(L, raise, 'ERR Please specify at least one argument for this redis lib call');
    }
    if (argc > MAX_CALL_ARGS) return this.callError(L, raise, 'ERR too many arguments for a redis lib call');
    const argv: string[] = new Array<string>(argc);
    for (let i = 1; i <= argc; i++) {
      const t = lua.lua_type(L, i);
      if (t === lua.LUA_TSTRING) argv[i - 1] = argLatin1(L, i);
      else if (t === lua.LUA_TNUMBER) argv[i - 1] = formatNumberArg(lua.lua_tonumber(L, i));
      else return this.callError(L, raise, `ERR ${CALL_ARGS_ERROR}`);
    }
    const resp3 = run.resp3;
    const reply = this.host.call(argv, resp3);
    if (raise && isErrorReply(reply)) return this.callError(L, true, reply.text);
    // The reply goes on top of the arguments: Lua takes the top value as the result, and clearing
    // the arguments first (lua_settop) costs a delete per slot in fengari.
    pushReply(L, reply, resp3);
    return 1;
  }

  /** redis.call raises {err=msg}; redis.pcall returns it. */
  private callError(L: LuaState, raise: boolean, text: string): number {
    lua.lua_settop(L, 0);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, text);
    lua.lua_setfield(L, -2, 'err');
    if (raise) lua.lua_error(L);
    return 1;
  }

  private createState(): void {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    for (const [name, open] of [
      ['_G', lualib.luaopen_base],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['coroutine', lualib.luaopen_coroutine],
      ['bit', openBit],
      ['cjson', openCjson],
      ['cmsgpack', openCmsgpack],
      ['struct', openStruct],
    ] as const) {
      lauxlib.luaL_requiref(L, name, open, 1);
      lua.lua_pop(L, 1);
    }
    for (const name of ['loadfile', 'dofile', 'require', 'load', 'print']) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, name);
    }
    this.openRedisLib(L);
    this.runPrelude(L);
    this.protectGlobals(L);
    this.createLuajs();
  }

  private openRedisLib(L: LuaState): void {
    lua.lua_createtable(L, 0, 24);
    const fn = (name: string, f: (L: LuaState) => number): void => {
      lua.lua_pushcfunction(L, f);
      lua.lua_setfield(L, -2, name);
    };
    fn('call', (S) => this.redisCall(S, true));
    fn('pcall', (S) => this.redisCall(S, false));
    fn('register_function', (S) => this.registerFunction(S));
    fn('error_reply', (S) => tagReply(S, 'err', true));
    fn('status_reply', (S) => tagReply(S, 'ok', false));
    fn('sha1hex', (S) => {
      if (lua.lua_gettop(S) !== 1) lauxlib.luaL_error(S, 'wrong number of arguments');
      lua.lua_pushstring(S, sha1hex(lauxlib.luaL_tolstring(S, 1)));
      return 1;
    });
    fn('log', (S) => this.redisLog(S));
    fn('setresp', (S) => {
      const v = lua.lua_gettop(S) === 1 ? lua.lua_tonumber(S, 1) : 0;
      if (v !== 2 && v !== 3) lauxlib.luaL_error(S, 'RESP version must be 2 or 3.');
      if (this.run) this.run.resp3 = v === 3;
      return 0;
    });
    fn('set_repl', (S) => {
      if (lua.lua_gettop(S) !== 1) lauxlib.luaL_error(S, 'redis.set_repl() requires one argument.');
      const flags = lua.lua_tonumber(S, 1);
      if (!Number.isInteger(flags) || flags < REPL_NONE || flags > REPL_ALL) {
        lauxlib.luaL_error(
          S,
          'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.',
        );
      }
      if (this.run) this.run.replFlags = flags;
      return 0;
    });
    fn('replicate_commands', (S) => {
      lua.lua_pushboolean(S, true);
      return 1;
    });
    fn('breakpoint', (S) => {
      lua.lua_pushboolean(S, false);
      return 1;
    });
    fn('debug', () => 0);
    const consts: Array<[string, number]> = [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
      ['REPL_NONE', REPL_NONE],
      ['REPL_AOF', REPL_AOF],
      ['REPL_SLAVE', REPL_REPLICA],
      ['REPL_REPLICA', REPL_REPLICA],
      ['REPL_ALL', REPL_ALL],
      ['REDIS_VERSION_NUM', 0x070204],
    ];
    for (const [k, v] of consts) {
      lua.lua_pushinteger(L, v);
      lua.lua_setfield(L, -2, k);
    }
    lua.lua_pushstring(L, '7.2.4');
    lua.lua_setfield(L, -2, 'REDIS_VERSION');
    lua.lua_setglobal(L, 'redis');
  }

  private redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) lauxlib.luaL_error(L, 'redis.log() requires two arguments or more.');
    if (lua.lua_type(L, 1) !== lua.LUA_TNUMBER)
      lauxlib.luaL_error(L, 'First argument must be a number (log level).');
    const level = lua.lua_tonumber(L, 1);
    if (level < 0 || level > 3) lauxlib.luaL_error(L, 'Invalid debug level.');
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const s = lua.lua_tolstring(L, i);
      if (s) parts.push(toJsString(s));
    }
    this.host.log?.(level, parts.join(' '));
    return 0;
  }

  /** Lua 5.1 names that Redis scripts use and Lua 5.3 dropped or changed. */
  private runPrelude(L: LuaState): void {
    const prelude = `
      local load, type, pairs, mtype, tonum = load, type, pairs, math.type, tonumber
      unpack = table.unpack
      loadstring = function(s, name) return load(s, name, 't') end
      -- Lua 5.1 had only doubles; fengari's integers are 32-bit and wrap, so numbers parsed from
      -- strings become floats (which print without ".0" in this build).
      tonumber = function(v, base)
        local n = tonum(v, base)
        if n and mtype(n) == 'integer' then return n + 0.0 end
        return n
      end
      table.getn = function(t) return #t end
      table.maxn = function(t)
        local m = 0
        for k in pairs(t) do if type(k) == 'number' and k > m then m = k end end
        return m
      end
      math.pow = function(a, b) return a ^ b end
      math.log10 = function(x) return math.log(x, 10) end
      math.ldexp = function(m, e) return m * 2.0 ^ e end
      math.mod = math.fmod
    `;
    const buf = toLuaString(prelude);
    if (lauxlib.luaL_loadbuffer(L, buf, buf.length, toLuaString('=prelude')) !== lua.LUA_OK) {
      throw new Error(
        'scripting prelude failed to compile: ' + toJsString(lua.lua_tolstring(L, -1) as Uint8Array),
      );
    }
    lua.lua_call(L, 0, 0);
  }

  /**
   * Redis makes the global table and the library tables read-only, so no script can leave state
   * for the next one. Libraries are replaced by empty proxies whose __index is the real table;
   * the global table itself gets a metatable that refuses writes and reads of unknown names.
   */
  private protectGlobals(L: LuaState): void {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    const g = lua.lua_gettop(L);
    for (const name of [
      'redis',
      'table',
      'string',
      'math',
      'coroutine',
      'bit',
      'cjson',
      'cmsgpack',
      'struct',
    ]) {
      lua.lua_getfield(L, g, name);
      this.pushProxy(L, lua.lua_gettop(L));
      lua.lua_setfield(L, g, name);
      lua.lua_pop(L, 1);
    }
    // String values index the real string table through their metatable; hide that metatable.
    lua.lua_pushstring(L, '');
    lua.lua_getmetatable(L, -1);
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, '__metatable');
    lua.lua_pop(L, 2);
    this.wrapRawWriters(L, g);
    lua.lua_createtable(L, 0, 3);
    lua.lua_pushcfunction(L, (S) => lauxlib.luaL_error(S, READONLY_ERROR));
    lua.lua_setfield(L, -2, '__newindex');
    lua.lua_pushcfunction(L, (S) => {
      const name = lua.lua_tolstring(S, 2);
      return lauxlib.luaL_error(
        S,
        "Script attempted to access nonexistent global variable '%s'",
        name ?? toLuaString('?'),
      );
    });
    lua.lua_setfield(L, -2, '__index');
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, '__metatable');
    lua.lua_setmetatable(L, g);
    this.protectedTables.add(lua.lua_topointer(L, g));
    lua.lua_pop(L, 1);
  }

  /** Pushes a read-only proxy for the table at `idx`. */
  private pushProxy(L: LuaState, idx: number): void {
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 4);
    lua.lua_pushvalue(L, idx);
    lua.lua_setfield(L, -2, '__index');
    lua.lua_pushcfunction(L, (S) => lauxlib.luaL_error(S, READONLY_ERROR));
    lua.lua_setfield(L, -2, '__newindex');
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, '__metatable');
    lua.lua_pushvalue(L, idx);
    lua.lua_pushcclosure(
      L,
      (S) => {
        lua.lua_getglobal(S, 'next');
        lua.lua_pushvalue(S, lua.lua_upvalueindex(1));
        lua.lua_pushnil(S);
        return 3;
      },
      1,
    );
    lua.lua_setfield(L, -2, '__pairs');
    lua.lua_setmetatable(L, -2);
    this.protectedTables.add(lua.lua_topointer(L, -1));
    this.protectedTables.add(lua.lua_topointer(L, idx));
  }

  /** rawset and setmetatable would bypass the proxies; make them refuse protected tables. */
  private wrapRawWriters(L: LuaState, g: number): void {
    for (const name of ['rawset', 'setmetatable']) {
      lua.lua_getfield(L, g, name);
      lua.lua_pushcclosure(
        L,
        (S) => {
          if (lua.lua_type(S, 1) === lua.LUA_TTABLE && this.protectedTables.has(lua.lua_topointer(S, 1))) {
            lauxlib.luaL_error(S, READONLY_ERROR);
          }
          lua.lua_pushvalue(S, lua.lua_upvalueindex(1));
          lua.lua_insert(S, 1);
          lua.lua_call(S, lua.lua_gettop(S) - 1, lua.LUA_MULTRET);
          return lua.lua_gettop(S);
        },
        1,
      );
      lua.lua_setfield(L, g, name);
    }
  }
}

/** redis.error_reply / status_reply: {err=msg} (with a leading '-') or {ok=msg}. */
function tagReply(L: LuaState, key: 'err' | 'ok', dash: boolean): number {
  if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) {
    return lauxlib.luaL_error(L, `wrong number or type of arguments`);
  }
  let s = toJsString(lua.lua_tolstring(L, 1) as Uint8Array);
  if (dash && !s.startsWith('-')) s = '-' + s;
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, s);
  lua.lua_setfield(L, -2, key);
  return 1;
}

/**
 * Parses a "#!<engine> k=v k=v" first line (FUNCTION LOAD libraries, and EVAL scripts' flags).
 * `length` is the number of bytes of the line, newline excluded.
 */
export function parseShebang(
  code: Buffer,
): { engine: string; params: Map<string, string>; flags: string[]; length: number } | { error: string } {
  if (code[0] !== 0x23 || code[1] !== 0x21) return { error: 'ERR Missing library metadata' };
  let end = code.indexOf(0x0a);
  if (end < 0) end = code.length;
  const parts = code.subarray(2, end).toString('latin1').trim().split(/\s+/);
  const engine = parts[0] ?? '';
  const params = new Map<string, string>();
  const flags: string[] = [];
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) return { error: `ERR Invalid metadata value given: ${p}` };
    const k = p.slice(0, eq);
    const v = p.slice(eq + 1);
    if (k === 'flags') flags.push(...v.split(',').filter((x) => x.length > 0));
    else params.set(k, v);
  }
  return { engine, params, flags, length: end };
}

/** Numbers passed to redis.call become their shortest decimal form ("10", not "10.0"). */
export function formatNumberArg(n: number): string {
  return String(n);
}

export { pushNumber };
