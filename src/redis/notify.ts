/**
 * Keyspace notifications (notify.c): `notify-keyspace-events` flag classes and publishing of
 * `__keyspace@<db>__:<key>` (message = event) and `__keyevent@<db>__:<event>` (message = key)
 * through the server's pub/sub.
 *
 * Command handlers call `notify(c, NOTIFY_X, 'event', key)` right where Redis calls
 * notifyKeyspaceEvent. The hot path is one property load and a bit test when notifications are off
 * (the default): `server.notifyFlags` is 0, so nothing else runs.
 *
 * Events not raised by a command handler come from keyspace hooks that are installed only while
 * their class is enabled, so they cost nothing otherwise:
 *   expired (x)   lazy and active expiry (Keyspace.expiredHooks)
 *   evicted (e)   maxmemory eviction (Keyspace.evictedHooks)
 *   new (n)       a key is created: a beforeChange hook sees it absent from the dict, and a
 *                 keyChanged hook catches a key removed and re-added within one command (whose
 *                 second beforeChange the keyspace folds into the first)
 *   keymiss (m)   a read lookup finds nothing (Database.get of every db is wrapped)
 */
import type { Client } from './client.js';
import type { Database, KeyHook, RedisValue } from './engine/keyspace.js';
import type { RedisServer } from './server.js';

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m (not part of A, as in Redis)
export const NOTIFY_MODULE = 1 << 13; // d (no modules here: accepted, never raised)
export const NOTIFY_NEW = 1 << 14; // n (not part of A, as in Redis)
export const NOTIFY_ALL =
  NOTIFY_GENERIC |
  NOTIFY_STRING |
  NOTIFY_LIST |
  NOTIFY_SET |
  NOTIFY_HASH |
  NOTIFY_ZSET |
  NOTIFY_EXPIRED |
  NOTIFY_EVICTED |
  NOTIFY_STREAM |
  NOTIFY_MODULE;

const CLASS_CHARS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** The CONFIG SET error text for an unknown class character (config.c). */
export const E_NOTIFY_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** keyspaceEventsStringToFlags: null for an unknown character. */
export function notifyFlagsFromString(classes: string): number | null {
  let flags = 0;
  for (let i = 0; i < classes.length; i++) {
    const f = CLASS_CHARS[classes[i] as string];
    if (f === undefined) return null;
    flags |= f;
  }
  return flags;
}

/** keyspaceEventsFlagsToString: the normalised form CONFIG GET shows. */
export function notifyFlagsToString(flags: number): string {
  let s = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) s += 'A';
  else {
    const order: Array<[number, string]> = [
      [NOTIFY_GENERIC, 'g'],
      [NOTIFY_STRING, '$'],
      [NOTIFY_LIST, 'l'],
      [NOTIFY_SET, 's'],
      [NOTIFY_HASH, 'h'],
      [NOTIFY_ZSET, 'z'],
      [NOTIFY_EXPIRED, 'x'],
      [NOTIFY_EVICTED, 'e'],
      [NOTIFY_STREAM, 't'],
      [NOTIFY_MODULE, 'd'],
      [NOTIFY_NEW, 'n'],
    ];
    for (const [f, ch] of order) if (flags & f) s += ch;
  }
  if (flags & NOTIFY_KEYSPACE) s += 'K';
  if (flags & NOTIFY_KEYEVENT) s += 'E';
  if (flags & NOTIFY_KEY_MISS) s += 'm';
  return s;
}

/** Raises an event for `key` in the client's selected database (notifyKeyspaceEvent). */
export function notify(c: Client, type: number, event: string, key: string): void {
  const server = c.server;
  if ((server.notifyFlags & type) === 0) return;
  publishEvent(server, type, event, key, c.db.id);
}

/** As notify() for a key in another database (MOVE's move_to, COPY … DB). */
export function notifyDb(server: RedisServer, type: number, event: string, key: string, dbId: number): void {
  if ((server.notifyFlags & type) === 0) return;
  publishEvent(server, type, event, key, dbId);
}

function publishEvent(server: RedisServer, type: number, event: string, key: string, dbId: number): void {
  const flags = server.notifyFlags;
  if ((flags & type) === 0) return;
  if (flags & NOTIFY_KEYSPACE) server.pubsub.publish(`__keyspace@${dbId}__:${key}`, event);
  if (flags & NOTIFY_KEYEVENT) server.pubsub.publish(`__keyevent@${dbId}__:${event}`, key);
}

// ---- configuration and the keyspace hooks ----------------------------------------------------------

interface HookState {
  readonly expired: KeyHook;
  readonly evicted: KeyHook;
  readonly created: KeyHook;
  readonly recreated: KeyHook;
  newInstalled: boolean;
  /** "db\0key" of keys removed during the command numbered `removedIn` (commandsProcessed). */
  readonly removed: Set<string>;
  removedIn: number;
  missInstalled: boolean;
}

const hookStates = new WeakMap<RedisServer, HookState>();

/**
 * Applies `notify-keyspace-events` (CONFIG SET): stores the flags and installs or removes the hooks
 * behind the classes that do not come from command handlers. Returns an error text or null.
 */
export function setNotifyKeyspaceEvents(server: RedisServer, classes: string): string | null {
  const flags = notifyFlagsFromString(classes);
  if (flags === null) return E_NOTIFY_CLASS;
  server.notifyFlags = flags;
  const st = hookState(server);
  const ks = server.keyspace;
  const wantNew = (flags & NOTIFY_NEW) !== 0;
  if (wantNew !== st.newInstalled) {
    if (wantNew) {
      ks.beforeChangeHooks.push(st.created);
      ks.changedHooks.push(st.recreated);
    } else {
      removeHook(ks.beforeChangeHooks, st.created);
      removeHook(ks.changedHooks, st.recreated);
      st.removed.clear();
    }
    st.newInstalled = wantNew;
  }
  const wantMiss = (flags & NOTIFY_KEY_MISS) !== 0;
  if (wantMiss !== st.missInstalled) {
    for (const db of ks.dbs) setMissWrapper(server, db, wantMiss);
    st.missInstalled = wantMiss;
  }
  return null;
}

function hookState(server: RedisServer): HookState {
  let st = hookStates.get(server);
  if (st) return st;
  const ks = server.keyspace;
  const removed = new Set<string>();
  const state: HookState = {
    expired: (db, key) => notifyDb(server, NOTIFY_EXPIRED, 'expired', key, db),
    evicted: (db, key) => notifyDb(server, NOTIFY_EVICTED, 'evicted', key, db),
    // beforeChange fires before a write; a key not yet in the dict is about to be created (dbAdd).
    created: (db, key) => {
      const d = ks.dbs[db];
      if (d === undefined || d.dict.has(key)) return;
      removed.delete(db + '\0' + key);
      notifyDb(server, NOTIFY_NEW, 'new', key, db);
    },
    // After a change: remember keys that went away in this command; one back again was re-created.
    recreated: (db, key) => {
      const d = ks.dbs[db];
      if (d === undefined) return;
      const n = server.stats.commandsProcessed;
      if (!d.dict.has(key)) {
        if (state.removedIn !== n) {
          removed.clear();
          state.removedIn = n;
        }
        removed.add(db + '\0' + key);
      } else if (state.removedIn === n && removed.delete(db + '\0' + key)) {
        notifyDb(server, NOTIFY_NEW, 'new', key, db);
      }
    },
    removed,
    removedIn: -1,
    newInstalled: false,
    missInstalled: false,
  };
  st = state;
  // Expiry and eviction are not hot paths: these two stay installed and test the flags.
  ks.expiredHooks.push(st.expired);
  ks.evictedHooks.push(st.evicted);
  hookStates.set(server, st);
  return st;
}

function removeHook(hooks: KeyHook[], h: KeyHook): void {
  const i = hooks.indexOf(h);
  if (i >= 0) hooks.splice(i, 1);
}

/**
 * keymiss: Redis raises it from lookupKeyRead. Database.get is that lookup here; while the class is
 * on, each db gets an own `get` that reports misses (turning it off puts the prototype's back).
 */
function setMissWrapper(server: RedisServer, db: Database, on: boolean): void {
  const own = db as unknown as { get: (key: string) => RedisValue | undefined };
  const base = Object.getPrototypeOf(db) as { get: (this: Database, key: string) => RedisValue | undefined };
  if (!on) {
    // Assigning (not deleting) keeps the object out of V8's slow dictionary mode.
    own.get = base.get;
    return;
  }
  own.get = function (this: Database, key: string): RedisValue | undefined {
    const v = base.get.call(this, key);
    if (v === undefined) notifyDb(server, NOTIFY_KEY_MISS, 'keymiss', key, this.id);
    return v;
  };
}

/**
 * Call right before a handler stores `key` with Database.set (which does not look the key up): a
 * logically expired key expires first, as Redis's lookupKeyWrite does, so 'expired' then 'new' are
 * raised as there. Only while notifications are on: the stored result is the same either way.
 */
export function expireBeforeOverwrite(c: Client, key: string): void {
  const db = c.db;
  if (c.server.notifyFlags === 0 || db.expires.size === 0 || !db.dict.has(key)) return;
  db.peek(key);
}
