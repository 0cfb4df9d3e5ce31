/**
 * Blocking commands: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN BZPOPMAX BZMPOP, CLIENT UNBLOCK,
 * and the waiter machinery XREAD / XREADGROUP BLOCK (streams.ts) share.
 *
 * How a client blocks (Redis's blockForKeys / handleClientsBlockedOnKeys, on Node):
 *  - A blocking command first tries to serve itself by running the non-blocking command
 *    (LPOP, ZPOPMIN, LMOVE …) through its registered handler. Only when nothing is there does the
 *    client become a waiter on its keys, FIFO per key (first come, first served).
 *  - The keyspace's key-changed signal marks a watched key ready; after the current batch of
 *    commands (a microtask, so after EXEC or a script as a whole) each ready key's waiters retry
 *    in order. A served waiter gets its reply and its effect goes to the AOF as the
 *    non-blocking command (LPOP …), as Redis propagates it.
 *  - While blocked, the client's further pipelined requests are held (the server's CLIENT PAUSE
 *    hold queue) and run, in order, once it is served, times out or is unblocked.
 *  - A timeout (fractional seconds, 0 = forever) replies the null reply; CLIENT UNBLOCK replies
 *    it too (or -UNBLOCKED with ERROR); a client that disconnects is simply dropped.
 *  - Inside MULTI/EXEC or a script a blocking command never blocks: it answers as on timeout.
 *
 * The server has no blocking API yet, so two private parts of RedisServer are reached through a
 * narrow cast (processInput to resume a client's held input, multiPropagation to detect EXEC);
 * the report to the lead asks for public equivalents.
 */
import type { Client } from '../client.js';
import type { RedisServer } from '../server.js';
import type { Timer } from '../../platform/clock.js';
import type { CommandModule } from './types.js';
import { E_SYNTAX, E_TIMEOUT, E_WRONGTYPE } from './errors.js';
import { is, parseInteger } from './args.js';
import { Deque } from '../engine/deque.js';
import { ZSet } from '../engine/zset.js';
import { CaptureReply, writeScriptReply } from '../scripting/capture-reply.js';
import type { ScriptReply } from '../scripting/reply.js';

/** Placeholder put at the head of a blocked client's hold queue so later requests queue behind it. */
const BLOCKED_MARKER: string[] = ['PING'];
/** Largest timeout accepted, in seconds (Redis rejects values that overflow its ms clock). */
const MAX_TIMEOUT_SEC = 0x7fffffffffff / 1000;

export interface Waiter {
  readonly client: Client;
  readonly db: number;
  readonly keys: readonly string[];
  /** Tries to serve the client now; true when it replied. */
  readonly tryServe: () => boolean;
  /** Replies the timeout / unblocked reply. */
  readonly onTimeout: () => void;
  timer: Timer | null;
  onClose: (() => void) | null;
}

interface BlockingState {
  readonly waiters: Map<string, Waiter[]>;
  readonly byClient: Map<Client, Waiter>;
  readonly ready: Set<string>;
  scheduled: boolean;
  readonly capture: CaptureReply;
}

const states = new WeakMap<RedisServer, BlockingState>();

function stateOf(server: RedisServer): BlockingState {
  const st = states.get(server);
  if (st) return st;
  const s: BlockingState = {
    waiters: new Map(),
    byClient: new Map(),
    ready: new Set(),
    scheduled: false,
    capture: new CaptureReply(),
  };
  server.keyspace.onKeyChanged((db, key) => {
    const tag = db + ':' + key;
    if (!s.waiters.has(tag)) return;
    s.ready.add(tag);
    if (!s.scheduled) {
      s.scheduled = true;
      queueMicrotask(() => serveReady(server, s));
    }
  });
  states.set(server, s);
  return s;
}

/** Number of clients currently blocked (INFO blocked_clients). */
export function blockedClients(server: RedisServer): number {
  return states.get(server)?.byClient.size ?? 0;
}

interface ServerPrivate {
  multiPropagation: 'off' | 'pending' | 'open';
  processInput(c: Client): void;
}

/** Whether `c` may block now (not a script's fake client, not inside EXEC). */
export function canBlock(c: Client): boolean {
  if (c.socket === null) return false;
  return (c.server as unknown as ServerPrivate).multiPropagation === 'off';
}

/** Parses a blocking timeout (fractional seconds) into ms; replies the error and returns null. */
export function parseTimeout(c: Client, s: string): number | null {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n > MAX_TIMEOUT_SEC) {
    c.reply.error(E_TIMEOUT);
    return null;
  }
  if (n < 0) {
    c.reply.error('ERR timeout is negative');
    return null;
  }
  return Math.round(n * 1000);
}

/** Registers `w` as waiting on its keys until served, timed out (timeoutMs > 0) or unblocked. */
export function block(server: RedisServer, w: Waiter, timeoutMs: number): void {
  const st = stateOf(server);
  for (const key of w.keys) {
    const tag = w.db + ':' + key;
    let list = st.waiters.get(tag);
    if (!list) st.waiters.set(tag, (list = []));
    list.push(w);
  }
  st.byClient.set(w.client, w);
  const c = w.client;
  c.held.unshift(BLOCKED_MARKER);
  if (timeoutMs > 0) {
    w.timer = server.clock.after(timeoutMs, () => {
      if (st.byClient.get(c) !== w) return;
      unregister(st, w);
      w.onTimeout();
      resume(server, st, c);
    });
  }
  const onClose = (): void => unregister(st, w);
  w.onClose = onClose;
  c.socket?.once('close', onClose);
}

function unregister(st: BlockingState, w: Waiter): void {
  if (st.byClient.get(w.client) !== w) return;
  st.byClient.delete(w.client);
  w.timer?.cancel();
  if (w.onClose) w.client.socket?.off('close', w.onClose);
  for (const key of w.keys) {
    const tag = w.db + ':' + key;
    const list = st.waiters.get(tag);
    if (!list) continue;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) st.waiters.delete(tag);
  }
}

/** Holds a client's further requests (a busy script's caller) until resumeSuspended. */
export function suspendClient(c: Client): void {
  c.held.unshift(BLOCKED_MARKER);
}

/** Releases a suspended client: runs what it sent meanwhile, then reads on. */
export function resumeSuspended(c: Client): void {
  resume(c.server, stateOf(c.server), c);
}

/** Runs the requests a client sent while blocked, then reads on. */
function resume(server: RedisServer, st: BlockingState, c: Client): void {
  if (c.held[0] === BLOCKED_MARKER) c.held.shift();
  const held = c.held;
  c.held = [];
  for (let i = 0; i < held.length; i++) {
    if (c.closing) return;
    server.execute(c, held[i] as string[]);
    if (st.byClient.has(c)) {
      // blocked again: the rest waits behind the new marker
      c.held.push(...held.slice(i + 1));
      server.flushPending();
      return;
    }
  }
  if (!c.closing && !server.isPaused()) {
    (server as unknown as ServerPrivate).processInput(c);
    c.socket?.resume();
  }
  server.flushPending();
}

function serveReady(server: RedisServer, st: BlockingState): void {
  st.scheduled = false;
  server.keyspace.nowMs = server.clock.now();
  // Serving may make more keys ready (BLMOVE pushes to its destination): loop until quiet.
  for (let rounds = 0; st.ready.size > 0 && rounds < 1000; rounds++) {
    const tags = [...st.ready];
    st.ready.clear();
    for (const tag of tags) {
      const list = st.waiters.get(tag);
      if (!list) continue;
      for (const w of [...list]) {
        if (st.byClient.get(w.client) !== w) continue;
        if (!w.tryServe()) continue;
        unregister(st, w);
        server.keyspace.settle();
        resume(server, st, w.client);
      }
    }
  }
  server.flushPending();
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR] */
function clientUnblock(c: Client): void {
  const id = parseInteger(c.argv[2] as string);
  if (id === null) return c.reply.error('ERR value is not an integer or out of range');
  const mode = c.argv[3];
  if (c.argv.length > 4 || (mode !== undefined && !is(mode, 'TIMEOUT') && !is(mode, 'ERROR'))) {
    return c.reply.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const st = states.get(c.server);
  const target = c.server.clients.get(id);
  const w = target ? st?.byClient.get(target) : undefined;
  if (!st || !w || !target) return c.reply.int(0);
  unregister(st, w);
  if (mode !== undefined && is(mode, 'ERROR'))
    target.reply.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
  else w.onTimeout();
  resume(c.server, st, target);
  c.reply.int(1);
}

// ---- running a non-blocking command on behalf of a blocked one ---------------------------------

/**
 * Runs `argv` (a non-blocking command such as LPOP) with the client's db through the registered
 * handler, capturing its reply. Its AOF effect is recorded in c.propagated when it changed data.
 */
export function runInner(c: Client, argv: string[]): ScriptReply {
  const server = c.server;
  const st = stateOf(server);
  const cmd = server.registry.lookup(argv[0] as string);
  if (!cmd?.handler) return { kind: 'error', text: `ERR unknown command '${argv[0] as string}'` };
  const saved = { argv: c.argv, reply: c.reply, propagated: c.propagated };
  const dirty = server.keyspace.dirty;
  c.argv = argv;
  c.propagated = null;
  st.capture.reset(c.resp);
  c.reply = st.capture;
  try {
    cmd.handler(c);
  } finally {
    const effects = c.propagated;
    c.argv = saved.argv;
    c.reply = saved.reply;
    c.propagated = saved.propagated;
    if (server.keyspace.dirty !== dirty) for (const e of effects ?? [argv]) c.propagate(e);
  }
  return st.capture.take();
}

/** After serving a waiter outside a command call, send its recorded effects to the AOF. */
export function flushEffects(c: Client): void {
  const effects = c.propagated;
  c.propagated = null;
  if (effects) for (const e of effects) c.server.propagate(c.db.id, e);
}

/**
 * The shape shared by every blocking command: try now; if not served and allowed, block.
 * `serve` replies and returns true when it could serve, false (without replying) otherwise.
 */
export function blockingCommand(
  c: Client,
  keys: readonly string[],
  timeoutMs: number,
  serve: (live: boolean) => boolean,
  timeoutReply: () => void,
): void {
  if (serve(false)) return;
  if (!canBlock(c)) return timeoutReply();
  const server = c.server;
  const w: Waiter = {
    client: c,
    db: c.db.id,
    keys,
    tryServe: () => {
      const ok = serve(true);
      if (ok) flushEffects(c);
      return ok;
    },
    onTimeout: timeoutReply,
    timer: null,
    onClose: null,
  };
  block(server, w, timeoutMs);
}

// ---- list and sorted-set blocking commands ------------------------------------------------------

type Check = 'list' | 'zset';

/** True when `key` holds a non-empty value of the type; replies WRONGTYPE and returns 'wrong'. */
function ready(c: Client, key: string, type: Check): boolean | 'wrong' {
  const v = c.db.get(key);
  if (v === undefined) return false;
  if (type === 'list') return v instanceof Deque ? v.length > 0 : 'wrong';
  return v instanceof ZSet ? v.size > 0 : 'wrong';
}

/** BLPOP / BRPOP / BZPOPMIN / BZPOPMAX: key… timeout. */
function popFirstReady(c: Client, type: Check, inner: string, zset: boolean): void {
  const keys = c.argv.slice(1, -1);
  const timeoutMs = parseTimeout(c, c.argv[c.argv.length - 1] as string);
  if (timeoutMs === null) return;
  const serve = (live: boolean): boolean => {
    for (const key of keys) {
      const r = ready(c, key, type);
      if (r === 'wrong') {
        if (!live) c.reply.error(E_WRONGTYPE);
        return !live;
      }
      if (!r) continue;
      const out = runInner(c, [inner, key]);
      if (zset) {
        const pair = out as ScriptReply[];
        c.reply.array(3);
        c.reply.bulk(key);
        writeScriptReply(c.reply, pair[0] ?? null);
        writeScriptReply(c.reply, pair[1] ?? null);
      } else {
        c.reply.array(2);
        c.reply.bulk(key);
        writeScriptReply(c.reply, out);
      }
      return true;
    }
    return false;
  };
  blockingCommand(c, keys, timeoutMs, serve, () => c.reply.nullArray());
}

/** BRPOPLPUSH src dst timeout / BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout */
function moveBlocking(c: Client, innerArgv: string[], src: string, timeoutArg: string): void {
  const timeoutMs = parseTimeout(c, timeoutArg);
  if (timeoutMs === null) return;
  const serve = (live: boolean): boolean => {
    const r = ready(c, src, 'list');
    if (r === 'wrong') {
      if (!live) c.reply.error(E_WRONGTYPE);
      return !live;
    }
    if (!r) return false;
    writeScriptReply(c.reply, runInner(c, innerArgv));
    return true;
  };
  blockingCommand(c, [src], timeoutMs, serve, () => c.reply.nullBulk());
}

/** BLMPOP / BZMPOP timeout numkeys key… where [COUNT n] → LMPOP / ZMPOP. */
function mpopBlocking(c: Client, inner: 'LMPOP' | 'ZMPOP', type: Check): void {
  const timeoutMs = parseTimeout(c, c.argv[1] as string);
  if (timeoutMs === null) return;
  const numkeys = parseInteger(c.argv[2] as string);
  if (numkeys === null || numkeys <= 0) return c.reply.error('ERR numkeys should be greater than 0');
  if (c.argv.length < 3 + numkeys + 1) return c.reply.error(E_SYNTAX);
  const keys = c.argv.slice(3, 3 + numkeys);
  const innerArgv = [inner, ...c.argv.slice(2)];
  // The first attempt runs the non-blocking command as is, so it also validates the arguments
  // (its error is the reply); later attempts run only once a key has something to pop.
  const serve = (live: boolean): boolean => {
    if (live && !keys.some((k) => ready(c, k, type) === true)) return false;
    const out = runInner(c, innerArgv);
    if (out === null) return false;
    writeScriptReply(c.reply, out);
    return true;
  };
  blockingCommand(c, keys, timeoutMs, serve, () => c.reply.nullArray());
}

export const blockingCommands: CommandModule = {
  blpop: (c) => popFirstReady(c, 'list', 'LPOP', false),
  brpop: (c) => popFirstReady(c, 'list', 'RPOP', false),
  bzpopmin: (c) => popFirstReady(c, 'zset', 'ZPOPMIN', true),
  bzpopmax: (c) => popFirstReady(c, 'zset', 'ZPOPMAX', true),
  brpoplpush: (c) =>
    moveBlocking(
      c,
      ['RPOPLPUSH', c.argv[1] as string, c.argv[2] as string],
      c.argv[1] as string,
      c.argv[3] as string,
    ),
  blmove: (c) => {
    const wf = c.argv[3] as string;
    const wt = c.argv[4] as string;
    if ((!is(wf, 'LEFT') && !is(wf, 'RIGHT')) || (!is(wt, 'LEFT') && !is(wt, 'RIGHT')))
      return c.reply.error(E_SYNTAX);
    moveBlocking(
      c,
      ['LMOVE', c.argv[1] as string, c.argv[2] as string, wf, wt],
      c.argv[1] as string,
      c.argv[5] as string,
    );
  },
  blmpop: (c) => mpopBlocking(c, 'LMPOP', 'list'),
  bzmpop: (c) => mpopBlocking(c, 'ZMPOP', 'zset'),
  'client|unblock': clientUnblock,
};
