/**
 * EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT (LOAD EXISTS FLUSH KILL) FUNCTION (LOAD LIST DELETE FLUSH
 * DUMP RESTORE STATS KILL) FCALL FCALL_RO — scripting/runtime.ts wired to the command dispatcher.
 *
 * redis.call runs the ordinary command handlers on one fake client per server whose `reply` is a
 * CaptureReply, through RedisServer.execute, so arity, lookup and every command's semantics are
 * the server's own. Script effects go to the AOF as the individual write commands, wrapped in
 * MULTI/EXEC by the server's lazy transaction propagation (the same path EXEC uses), as Redis 7
 * does. A script runs synchronously, so nothing else runs meanwhile (atomicity).
 *
 * State per server (the runtime, the function libraries) lives in a WeakMap keyed by the server,
 * created on first use: the module needs no constructor hook.
 */
import type { Client } from '../client.js';
import type { RedisServer } from '../server.js';
import type { RegisteredCommand } from './registry.js';
import type { CommandModule } from './types.js';
import { E_NOT_INT, E_SYNTAX } from './errors.js';
import { is, parseInteger, globMatch } from './args.js';
import {
  ScriptRuntime,
  sha1hex,
  parseShebang,
  type RegisteredFunction,
  type RunResult,
} from '../scripting/runtime.js';
import { CaptureReply, writeScriptReply } from '../scripting/capture-reply.js';
import type { ScriptReply } from '../scripting/reply.js';
import { resumeSuspended, suspendClient } from './streams-blocking.js';
import { aclAllowsEverything, aclCheckCommand } from './acl.js';
import { setScriptCallerLookup } from '../tracking.js';

/** Commands scripts may not call even though their spec lacks `noscript` (they would block). */
const E_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
const E_RO_WRITE = 'ERR Write commands are not allowed from read-only scripts.';
/** A FUNCTION DUMP payload: magic, then JSON of the libraries' code (our own format, see docs). */
const FUNCTION_DUMP_MAGIC = 'NIMBUSFN1:';

export interface FunctionLibrary {
  readonly name: string;
  readonly code: Buffer;
  readonly functions: RegisteredFunction[];
}

interface ScriptingState {
  readonly runtime: ScriptRuntime;
  readonly capture: CaptureReply;
  fake: Client | null;
  caller: Client | null;
  /**
   * redis.call must check the caller's ACL rules: false for socket-less callers and for users
   * allowed everything, decided once per script run (a script cannot change ACL users).
   */
  aclCheck: boolean;
  readOnly: boolean;
  /** Flags from an EVAL shebang or a function (no-writes …). */
  noWrites: boolean;
  readonly libraries: Map<string, FunctionLibrary>;
  readonly functions: Map<string, { lib: FunctionLibrary; fn: RegisteredFunction }>;
  callDepth: number;
  /** The client whose script is past busy-reply-threshold and running in slices, if any. */
  busyClient: Client | null;
  busyIsFunction: boolean;
  gateInstalled: boolean;
  /**
   * EVAL bodies already compiled → their SHA and no-writes flag, so a repeated EVAL skips the
   * SHA1 of its body (a hash object per call costs more than the rest of a small script's run).
   */
  readonly evalShas: Map<string, { sha: string; noWrites: boolean }>;
}

const states = new WeakMap<RedisServer, ScriptingState>();

// CLIENT TRACKING remembers the keys a script's read commands fetch for the script's caller.
setScriptCallerLookup((server) => states.get(server)?.caller ?? null);

export function scriptingState(server: RedisServer): ScriptingState {
  let st = states.get(server);
  if (st) return st;
  const capture = new CaptureReply();
  const runtime: ScriptRuntime = new ScriptRuntime({
    now: () => server.clock.now(),
    yieldWhenBusy: true,
    host: {
      call: (argv, resp3) => callFromScript(server, st as ScriptingState, argv, resp3),
      log: (level, message) => {
        const log = server.logger;
        if (level >= 3) log.warn({ script: true }, message);
        else if (level === 2) log.info({ script: true }, message);
        else log.debug({ script: true }, message);
      },
    },
  });
  st = {
    runtime,
    capture,
    fake: null,
    caller: null,
    aclCheck: false,
    readOnly: false,
    noWrites: false,
    libraries: new Map(),
    functions: new Map(),
    callDepth: 0,
    busyClient: null,
    busyIsFunction: false,
    gateInstalled: false,
    evalShas: new Map(),
  };
  states.set(server, st);
  return st;
}

// ---- redis.call ---------------------------------------------------------------------------------

function callFromScript(
  server: RedisServer,
  st: ScriptingState,
  argv: string[],
  resp3: boolean,
): ScriptReply {
  const cmd = lookup(server, argv);
  if (typeof cmd === 'string') return { kind: 'error', text: cmd };
  if (cmd.noscript) return { kind: 'error', text: 'ERR This Redis command is not allowed from script' };
  const arity = cmd.arity;
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
    return { kind: 'error', text: 'ERR Wrong number of args calling Redis command from script' };
  }
  // The script runs with its caller's ACL user (scriptVerifyACL), before the write-flag check.
  const caller0 = st.caller;
  if (st.aclCheck && caller0 !== null) {
    const denied = aclCheckCommand(caller0, cmd, argv, 'lua');
    if (denied !== null)
      return { kind: 'error', text: 'ERR ACL failure in script: ' + denied.replace(/^NOPERM /, '') };
  }
  if (cmd.write && (st.readOnly || st.noWrites))
    return {
      kind: 'error',
      text: st.readOnly ? E_RO_WRITE : 'ERR Write commands are not allowed from read-only scripts.',
    };
  const fake = fakeClient(server, st);
  const caller = st.caller;
  if (caller) fake.db = caller.db;
  st.capture.reset(resp3 ? 3 : 2);
  fake.reply = st.capture;
  const dirty = server.keyspace.dirty;
  // The command is looked up and its arity checked above, and the fake client is authenticated,
  // socket-less (no ACL, ACL was checked against the caller) and never in MULTI or pub/sub, so
  // execute()'s checks would only repeat that work per call. Its memory check (OOM with
  // maxmemory) is the one that matters: take the full path when maxmemory is set.
  if (server.settings.maxmemoryBytes > 0) server.execute(fake, argv);
  else {
    fake.argv = argv;
    server.call(fake, cmd);
  }
  if (server.keyspace.dirty !== dirty) st.runtime.noteWrite();
  const out = st.capture.take();
  if (out !== null && typeof out === 'object' && 'kind' in out && out.kind === 'error')
    server.logger.debug({ command: argv[0], error: out.text }, 'redis.call error in script');
  return out;
}

function lookup(server: RedisServer, argv: string[]): RegisteredCommand | string {
  let cmd = server.registry.lookup(argv[0] as string);
  if (!cmd) return 'ERR Unknown Redis command called from script';
  if (cmd.subcommands.size > 0 && argv.length >= 2) {
    const sub = cmd.subcommands.get((argv[1] as string).toLowerCase());
    if (!sub) return 'ERR Unknown Redis command called from script';
    cmd = sub;
  }
  return cmd;
}

function fakeClient(server: RedisServer, st: ScriptingState): Client {
  if (!st.fake) st.fake = server.fakeClient();
  return st.fake;
}

/**
 * Opens the server's lazy MULTI propagation around a script, unless a transaction (EXEC) already
 * has it open. Reaches into RedisServer's private `multiPropagation` — see the report: a public
 * begin/end pair on the server would replace this.
 */
interface PropagationAccess {
  multiPropagation: 'off' | 'pending' | 'open';
}
function beginEffects(server: RedisServer): boolean {
  const s = server as unknown as PropagationAccess;
  if (s.multiPropagation !== 'off') return false;
  s.multiPropagation = 'pending';
  return true;
}
function endEffects(server: RedisServer, c: Client, owned: boolean): void {
  if (!owned) return;
  const s = server as unknown as PropagationAccess;
  if (s.multiPropagation === 'open') server.propagate(c.db.id, ['EXEC']);
  s.multiPropagation = 'off';
}

// ---- EVAL family --------------------------------------------------------------------------------

/**
 * Splits "numkeys key… arg…" starting at argv[2] (latin1 strings, passed to Lua as they are);
 * replies the error and returns null when bad.
 */
function splitKeys(c: Client): { keys: string[]; args: string[] } | null {
  const n = parseInteger(c.argv[2] as string);
  if (n === null) {
    c.reply.error(E_NOT_INT);
    return null;
  }
  if (n < 0) {
    c.reply.error("ERR Number of keys can't be negative");
    return null;
  }
  if (n > c.argv.length - 3) {
    c.reply.error("ERR Number of keys can't be greater than number of args");
    return null;
  }
  return { keys: c.argv.slice(3, 3 + n), args: c.argv.slice(3 + n) };
}

function runScript(
  c: Client,
  readOnly: boolean,
  run: (st: ScriptingState, keys: string[], args: string[]) => RunResult | string,
  isFunction = false,
): void {
  const server = c.server;
  const st = scriptingState(server);
  if (st.caller) return c.reply.error('ERR This Redis command is not allowed from script');
  const split = splitKeys(c);
  if (!split) return;
  st.caller = c;
  st.aclCheck = c.socket !== null && !aclAllowsEverything(c);
  st.readOnly = readOnly;
  st.runtime.busyThresholdMs = busyThresholdMs(server);
  const owned = beginEffects(server);
  let r: RunResult | string;
  try {
    r = run(st, split.keys, split.args);
  } catch (e) {
    finishScript(c, st, owned);
    throw e;
  }
  if (typeof r !== 'string' && r.status === 'busy') return continueBusy(c, st, owned, isFunction);
  finishScript(c, st, owned);
  if (typeof r === 'string') return c.reply.error(r);
  writeScriptReply(c.reply, r.reply);
}

function finishScript(c: Client, st: ScriptingState, owned: boolean): void {
  st.caller = null;
  st.aclCheck = false;
  st.readOnly = false;
  st.noWrites = false;
  endEffects(c.server, c, owned);
}

/** busy-reply-threshold (alias lua-time-limit), in ms; 0 disables the busy state. */
function busyThresholdMs(server: RedisServer): number {
  const v = Number(
    server.settings.extra.get('busy-reply-threshold') ?? server.settings.extra.get('lua-time-limit') ?? 5000,
  );
  return Number.isFinite(v) && v > 0 ? v : Number.MAX_SAFE_INTEGER;
}

/**
 * A script ran past busy-reply-threshold: it continues in time slices between event-loop turns.
 * Meanwhile its caller's later requests are held, every other client gets -BUSY for anything but
 * SCRIPT KILL / FUNCTION KILL / SHUTDOWN, and SCRIPT KILL makes the next slice end it.
 */
function continueBusy(c: Client, st: ScriptingState, owned: boolean, isFunction: boolean): void {
  const server = c.server;
  st.busyClient = c;
  st.busyIsFunction = isFunction;
  installBusyGate(server, st);
  suspendClient(c);
  server.logger.warn({ client: c.id }, 'slow script detected: still in execution after busy-reply-threshold');
  const step = (): void => {
    let r: RunResult;
    try {
      r = st.runtime.resume();
    } catch (e) {
      st.busyClient = null;
      finishScript(c, st, owned);
      throw e;
    }
    if (r.status === 'busy') {
      setImmediate(step);
      return;
    }
    st.busyClient = null;
    finishScript(c, st, owned);
    writeScriptReply(c.reply, r.reply);
    resumeSuspended(c);
  };
  setImmediate(step);
}

const BUSY_ALLOWED = new Set(['script|kill', 'function|kill', 'shutdown']);

/** Wraps every registered handler once with the -BUSY check (the dispatcher has no hook for it). */
function installBusyGate(server: RedisServer, st: ScriptingState): void {
  if (st.gateInstalled) return;
  st.gateInstalled = true;
  const wrap = (cmd: RegisteredCommand): void => {
    const h = cmd.handler;
    if (!h || BUSY_ALLOWED.has(cmd.fullName)) return;
    cmd.handler = (cl: Client): void => {
      if (st.busyClient !== null && cl !== st.fake) {
        return cl.reply.error(
          `BUSY Redis is busy running a script. You can only call ${st.busyIsFunction ? 'FUNCTION KILL' : 'SCRIPT KILL'} or SHUTDOWN NOSAVE.`,
        );
      }
      h(cl);
    };
  };
  for (const cmd of server.registry.all()) {
    wrap(cmd);
    for (const sub of cmd.subcommands.values()) wrap(sub);
  }
}

/** EVAL scripts may start with "#!lua flags=no-writes,…"; the line is blanked, keeping line numbers. */
function evalBody(st: ScriptingState, body: Buffer): Buffer | string {
  if (body[0] !== 0x23 || body[1] !== 0x21) return body;
  const sb = parseShebang(body);
  if ('error' in sb) return sb.error;
  if (sb.engine !== 'lua') return `ERR Could not find engine '${sb.engine}'`;
  for (const [k] of sb.params) return `ERR Unknown lua shebang option: ${k}`;
  st.noWrites = sb.flags.includes('no-writes');
  return Buffer.concat([Buffer.alloc(0), body.subarray(sb.length)]);
}

/** Most EVAL bodies remembered in ScriptingState.evalShas; past it the map starts over. */
const EVAL_SHA_CACHE_MAX = 10_000;

function evalGeneric(c: Client, readOnly: boolean): void {
  runScript(c, readOnly, (st, keys, args) => {
    const text = c.argv[1] as string;
    const known = st.evalShas.get(text);
    if (known !== undefined && st.runtime.has(known.sha)) {
      st.noWrites = known.noWrites;
      return st.runtime.runSha(known.sha, keys, args, c.resp === 3) ?? E_NOSCRIPT;
    }
    const original = Buffer.from(text, 'latin1');
    const body = evalBody(st, original);
    if (typeof body === 'string') return body;
    const sha = sha1hex(original);
    // Cached under the SHA of the text as sent (shebang included), compiled with the line blanked.
    const err = st.runtime.loadAs(sha, original, body);
    if (err !== null) return `ERR ${err}`;
    if (st.evalShas.size >= EVAL_SHA_CACHE_MAX) st.evalShas.clear();
    st.evalShas.set(text, { sha, noWrites: st.noWrites });
    return st.runtime.runSha(sha, keys, args, c.resp === 3) ?? E_NOSCRIPT;
  });
}

function evalShaGeneric(c: Client, readOnly: boolean): void {
  runScript(c, readOnly, (st, keys, args) => {
    const sha = (c.argv[1] as string).toLowerCase();
    if (sha.length !== 40) return E_NOSCRIPT;
    const body = st.runtime.body(sha);
    if (body && body[0] === 0x23 && body[1] === 0x21) {
      const sb = parseShebang(body);
      if (!('error' in sb)) st.noWrites = sb.flags.includes('no-writes');
    }
    return st.runtime.runSha(sha, keys, args, c.resp === 3) ?? E_NOSCRIPT;
  });
}

// ---- SCRIPT ---------------------------------------------------------------------------------------

function scriptLoad(c: Client): void {
  const st = scriptingState(c.server);
  const src = c.argv[2] as string;
  const body = Buffer.from(src, 'latin1');
  const sha = sha1hex(body);
  if (st.runtime.has(sha)) return c.reply.bulk(sha);
  const compiled = evalBody(st, body);
  st.noWrites = false;
  if (typeof compiled === 'string') return c.reply.error(compiled);
  // The cache is keyed by the SHA of the text as sent, shebang included.
  const r = st.runtime.loadAs(sha, body, compiled);
  if (r !== null) return c.reply.error(`ERR ${r}`);
  c.reply.bulk(sha);
}

function scriptExists(c: Client): void {
  const st = scriptingState(c.server);
  c.reply.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) c.reply.int(st.runtime.has(c.argv[i] as string) ? 1 : 0);
}

function scriptFlush(c: Client): void {
  const mode = c.argv[2];
  if (c.argv.length > 3 || (mode !== undefined && !is(mode, 'ASYNC') && !is(mode, 'SYNC'))) {
    return c.reply.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  const st = scriptingState(c.server);
  st.runtime.flush();
  st.evalShas.clear();
  // Flushing recreates the Lua state, which drops the function libraries' callbacks too.
  for (const lib of st.libraries.values()) reloadLibrary(st, lib);
  c.reply.ok();
}

function scriptKill(c: Client): void {
  switch (scriptingState(c.server).runtime.kill()) {
    case 'notbusy':
      return c.reply.error('NOTBUSY No scripts in execution right now.');
    case 'unkillable':
      return c.reply.error(
        'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
      );
    case 'ok':
      return c.reply.ok();
  }
}

function scriptHelp(c: Client): void {
  c.reply.array(0);
}

// ---- FUNCTION / FCALL -----------------------------------------------------------------------------

function reloadLibrary(st: ScriptingState, lib: FunctionLibrary): void {
  const r = st.runtime.loadLibrary(lib.code);
  if ('error' in r) return;
  lib.functions.length = 0;
  lib.functions.push(...r.functions);
  for (const fn of r.functions) st.functions.set(fn.name, { lib, fn });
}

/** Loads a library into `st`; returns its name or an error text. */
export function loadFunctionLibrary(
  st: ScriptingState,
  code: Buffer,
  replace: boolean,
): string | { error: string } {
  const r = st.runtime.loadLibrary(code);
  if ('error' in r) return r;
  const old = st.libraries.get(r.name);
  const release = (fns: RegisteredFunction[]): void => fns.forEach((f) => st.runtime.releaseRef(f.ref));
  if (old && !replace) {
    release(r.functions);
    return { error: `ERR Library '${r.name}' already exists` };
  }
  for (const fn of r.functions) {
    const owner = st.functions.get(fn.name);
    if (owner && owner.lib.name !== r.name) {
      release(r.functions);
      return { error: `ERR Function ${fn.name} already exists` };
    }
  }
  if (old) deleteLibrary(st, old);
  const lib: FunctionLibrary = { name: r.name, code: Buffer.from(code), functions: r.functions };
  st.libraries.set(lib.name, lib);
  for (const fn of r.functions) st.functions.set(fn.name, { lib, fn });
  return lib.name;
}

function deleteLibrary(st: ScriptingState, lib: FunctionLibrary): void {
  for (const fn of lib.functions) {
    st.functions.delete(fn.name);
    st.runtime.releaseRef(fn.ref);
  }
  st.libraries.delete(lib.name);
}

function functionLoad(c: Client): void {
  let i = 2;
  let replace = false;
  if (c.argv.length === 4) {
    if (!is(c.argv[2], 'REPLACE')) return c.reply.error(`ERR Unknown option given: ${c.argv[2] as string}`);
    replace = true;
    i = 3;
  } else if (c.argv.length !== 3) return c.reply.error(E_SYNTAX);
  const st = scriptingState(c.server);
  const r = loadFunctionLibrary(st, Buffer.from(c.argv[i] as string, 'latin1'), replace);
  if (typeof r !== 'string') return c.reply.error(r.error);
  c.server.propagate(c.db.id, c.argv);
  c.reply.bulk(r);
}

function functionDelete(c: Client): void {
  const st = scriptingState(c.server);
  const lib = st.libraries.get(c.argv[2] as string);
  if (!lib) return c.reply.error('ERR Library not found');
  deleteLibrary(st, lib);
  c.server.propagate(c.db.id, c.argv);
  c.reply.ok();
}

function functionFlush(c: Client): void {
  const st = scriptingState(c.server);
  for (const lib of [...st.libraries.values()]) deleteLibrary(st, lib);
  c.server.propagate(c.db.id, c.argv);
  c.reply.ok();
}

function functionList(c: Client): void {
  let pattern: string | null = null;
  let withCode = false;
  for (let i = 2; i < c.argv.length; i++) {
    if (is(c.argv[i], 'WITHCODE')) withCode = true;
    else if (is(c.argv[i], 'LIBRARYNAME') && i + 1 < c.argv.length) pattern = c.argv[++i] as string;
    else return c.reply.error(`ERR Unknown argument ${c.argv[i] as string}`);
  }
  const libs = [...scriptingState(c.server).libraries.values()].filter(
    (l) => pattern === null || globMatch(pattern, l.name),
  );
  const r = c.reply;
  r.array(libs.length);
  for (const lib of libs) {
    r.map(withCode ? 4 : 3);
    r.bulk('library_name');
    r.bulk(lib.name);
    r.bulk('engine');
    r.bulk('LUA');
    r.bulk('functions');
    r.array(lib.functions.length);
    for (const fn of lib.functions) {
      r.map(3);
      r.bulk('name');
      r.bulk(fn.name);
      r.bulk('description');
      r.bulkOrNull(fn.description);
      r.bulk('flags');
      r.set(fn.flags.length);
      for (const f of fn.flags) r.bulk(f);
    }
    if (withCode) {
      r.bulk('library_code');
      r.bulk(lib.code.toString('latin1'));
    }
  }
}

function functionDump(c: Client): void {
  const libs = [...scriptingState(c.server).libraries.values()].map((l) => l.code.toString('base64'));
  c.reply.bulk(FUNCTION_DUMP_MAGIC + JSON.stringify(libs));
}

function functionRestore(c: Client): void {
  const payload = c.argv[2] as string;
  const policy = (c.argv[3] ?? 'APPEND').toUpperCase();
  if (!['APPEND', 'REPLACE', 'FLUSH'].includes(policy) || c.argv.length > 4)
    return c.reply.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
  let codes: Buffer[];
  try {
    if (!payload.startsWith(FUNCTION_DUMP_MAGIC)) throw new Error('bad');
    const parsed: unknown = JSON.parse(payload.slice(FUNCTION_DUMP_MAGIC.length));
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error('bad');
    codes = (parsed as string[]).map((s) => Buffer.from(s, 'base64'));
  } catch {
    return c.reply.error('ERR payload version or checksum are wrong');
  }
  const st = scriptingState(c.server);
  if (policy === 'FLUSH') for (const lib of [...st.libraries.values()]) deleteLibrary(st, lib);
  for (const code of codes) {
    const r = loadFunctionLibrary(st, code, policy === 'REPLACE');
    if (typeof r !== 'string') return c.reply.error(r.error);
  }
  c.server.propagate(c.db.id, c.argv);
  c.reply.ok();
}

function functionStats(c: Client): void {
  const st = scriptingState(c.server);
  const r = c.reply;
  r.map(2);
  r.bulk('running_script');
  r.nullBulk();
  r.bulk('engines');
  r.map(1);
  r.bulk('LUA');
  r.map(2);
  r.bulk('libraries_count');
  r.int(st.libraries.size);
  r.bulk('functions_count');
  r.int(st.functions.size);
}

function functionKill(c: Client): void {
  const outcome = scriptingState(c.server).runtime.kill();
  if (outcome === 'ok') return c.reply.ok();
  c.reply.error(
    outcome === 'notbusy'
      ? 'NOTBUSY No scripts in execution right now.'
      : 'UNKILLABLE The busy script was sent a write command.',
  );
}

function fcallGeneric(c: Client, readOnly: boolean): void {
  runScript(
    c,
    readOnly,
    (st, keys, args) => {
      const name = c.argv[1] as string;
      const f = st.functions.get(name);
      if (!f) return 'ERR Function not found';
      if (readOnly && !f.fn.flags.includes('no-writes'))
        return 'ERR Can not execute a script with write flag using *_ro command.';
      st.noWrites = f.fn.flags.includes('no-writes');
      return st.runtime.runRef(f.fn.ref, name, keys, args, c.resp === 3);
    },
    true,
  );
}

export const scriptingCommands: CommandModule = {
  eval: (c) => evalGeneric(c, false),
  eval_ro: (c) => evalGeneric(c, true),
  evalsha: (c) => evalShaGeneric(c, false),
  evalsha_ro: (c) => evalShaGeneric(c, true),
  'script|load': scriptLoad,
  'script|exists': scriptExists,
  'script|flush': scriptFlush,
  'script|kill': scriptKill,
  'script|help': scriptHelp,
  fcall: (c) => fcallGeneric(c, false),
  fcall_ro: (c) => fcallGeneric(c, true),
  'function|load': functionLoad,
  'function|delete': functionDelete,
  'function|flush': functionFlush,
  'function|list': functionList,
  'function|dump': functionDump,
  'function|restore': functionRestore,
  'function|stats': functionStats,
  'function|kill': functionKill,
};

// ---- persistence entry points (for persistence-bridge.ts) -----------------------------------------

/** Library sources for RDB FUNCTION2 records / an AOF base (SnapshotSource.functions). */
export function functionLibrarySources(server: RedisServer): Buffer[] {
  return [...scriptingState(server).libraries.values()].map((l) => l.code);
}

/** Installs libraries read from an RDB at startup; returns the errors of those that failed. */
export function restoreFunctionLibraries(server: RedisServer, sources: readonly Buffer[]): string[] {
  const st = scriptingState(server);
  const errors: string[] = [];
  for (const code of sources) {
    const r = loadFunctionLibrary(st, code, true);
    if (typeof r !== 'string') errors.push(r.error);
  }
  return errors;
}
