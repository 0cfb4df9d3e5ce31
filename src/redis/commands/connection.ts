/** Connection commands: PING ECHO SELECT QUIT RESET HELLO AUTH CLIENT *. */
import type { Client } from '../client.js';
import type { Database } from '../engine/keyspace.js';
import { is, parseInteger } from './args.js';
import { E_DB_INDEX, E_NOT_INT, E_SYNTAX, E_WRONGPASS } from './errors.js';
import type { CommandModule } from './types.js';
import { aclAuthenticate } from './acl.js';
import { tracking, trackingClientOf, trackingDisable, type TrackingOptions } from '../tracking.js';

function ping(c: Client): void {
  if (c.argv.length > 2) return c.reply.error("ERR wrong number of arguments for 'ping' command");
  if (c.inPubSubContext) {
    c.reply.array(2);
    c.reply.bulk('pong');
    c.reply.bulk(c.argv[1] ?? '');
    return;
  }
  if (c.argv.length === 2) c.reply.bulk(c.argv[1] as string);
  else c.reply.simple('PONG');
}

function select(c: Client): void {
  const n = parseInteger(c.argv[1] as string);
  if (n === null) return c.reply.error(E_NOT_INT);
  const db = c.server.keyspace.dbs[n];
  if (n < 0 || !db) return c.reply.error(E_DB_INDEX);
  c.db = db;
  c.reply.ok();
}

function quit(c: Client): void {
  c.reply.ok();
  c.closeAfterReply = true;
}

function reset(c: Client): void {
  const s = c.server;
  c.multi = null;
  c.multiError = false;
  s.unwatchAll(c);
  s.pubsub.removeClient(c);
  s.monitors.delete(c);
  c.monitor = false;
  c.db = s.keyspace.dbs[0] as Database;
  c.out.resp = 2;
  c.name = '';
  c.replyMode = 'on';
  c.out.enabled = true;
  c.noEvict = false;
  c.noTouch = false;
  c.authenticated = !s.authRequired();
  c.user = 'default';
  trackingDisable(c);
  c.reply.simple('RESET');
}

/** AUTH / HELLO AUTH: ACL users (the default user carries requirepass); failures go to ACL LOG. */
function checkPassword(c: Client, user: string, pass: string): boolean {
  return aclAuthenticate(c, user, pass);
}

function auth(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3) return c.reply.error(E_SYNTAX);
  const user = argv.length === 3 ? (argv[1] as string) : 'default';
  const pass = argv[argv.length - 1] as string;
  if (argv.length === 2 && !c.server.authRequired())
    return c.reply.error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  // A failed AUTH leaves the connection as it was (Redis 7: still logged in as the previous user).
  if (!checkPassword(c, user, pass)) return c.reply.error(E_WRONGPASS);
  c.authenticated = true;
  c.user = user;
  c.reply.ok();
}

function hello(c: Client): void {
  const argv = c.argv;
  let ver = c.resp as number;
  let i = 1;
  if (argv.length >= 2) {
    const v = parseInteger(argv[1] as string);
    if (v === null) return c.reply.error('ERR Protocol version is not an integer or out of range');
    if (v < 2 || v > 3) return c.reply.error('NOPROTO unsupported protocol version');
    ver = v;
    i = 2;
  }
  let name: string | null = null;
  for (; i < argv.length; i++) {
    const more = argv.length - i - 1;
    if (is(argv[i], 'AUTH') && more >= 2) {
      const user = argv[i + 1] as string;
      const pass = argv[i + 2] as string;
      if (!checkPassword(c, user, pass)) return c.reply.error(E_WRONGPASS);
      c.authenticated = true;
      c.user = user;
      i += 2;
    } else if (is(argv[i], 'SETNAME') && more >= 1) {
      name = argv[i + 1] as string;
      if (!validName(name)) return c.reply.error('ERR Client names cannot contain spaces, newlines or special characters.');
      i += 1;
    } else return c.reply.error(`ERR Syntax error in HELLO option '${argv[i] as string}'`);
  }
  if (!c.authenticated)
    return c.reply.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  if (name !== null) c.name = name;
  c.out.resp = ver as 2 | 3;
  const r = c.reply;
  r.map(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(REDIS_VERSION);
  r.bulk('proto');
  r.int(ver);
  r.bulk('id');
  r.int(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk('master');
  r.bulk('modules');
  r.array(0);
}

export const REDIS_VERSION = '7.2.6';

function validName(n: string): boolean {
  for (let i = 0; i < n.length; i++) {
    const ch = n.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

// --- CLIENT ---------------------------------------------------------------------------------

/** CLIENT TRACKING on|off [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP] (networking.c). */
function clientTracking(c: Client): void {
  const argv = c.argv;
  const o: TrackingOptions = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j] as string;
    const more = j + 1 < argv.length;
    if (is(a, 'REDIRECT') && more) {
      if (o.redirect !== 0) return c.reply.error('ERR A client can only redirect to a single other client');
      const id = parseInteger(argv[++j] as string);
      if (id === null) return c.reply.error(E_NOT_INT);
      if (!c.server.clients.has(id)) return c.reply.error('ERR The client ID you want redirect to does not exist');
      o.redirect = id;
    } else if (is(a, 'BCAST')) o.bcast = true;
    else if (is(a, 'OPTIN')) o.optin = true;
    else if (is(a, 'OPTOUT')) o.optout = true;
    else if (is(a, 'NOLOOP')) o.noloop = true;
    else if (is(a, 'PREFIX') && more) o.prefixes.push(argv[++j] as string);
    else return c.reply.error(E_SYNTAX);
  }
  const mode = argv[2] as string;
  if (is(mode, 'OFF')) {
    trackingDisable(c);
    return c.reply.ok();
  }
  if (!is(mode, 'ON')) return c.reply.error(E_SYNTAX);
  const err = trackingOptionsError(c, o);
  if (err !== null) return c.reply.error(err);
  tracking(c.server).enable(c, o);
  c.reply.ok();
}

/** The compatibility checks Redis makes before enabling tracking, in its order. */
function trackingOptionsError(c: Client, o: TrackingOptions): string | null {
  if (!o.bcast && o.prefixes.length > 0) return 'ERR PREFIX option requires BCAST mode to be enabled';
  const cur = trackingClientOf(c);
  if (cur !== undefined && cur.bcast !== o.bcast)
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
  if (o.bcast && (o.optin || o.optout)) return 'ERR OPTIN and OPTOUT are not compatible with BCAST';
  if (o.optin && o.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if (cur !== undefined && ((o.optin && cur.optout) || (o.optout && cur.optin)))
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
  if (!o.bcast) return null;
  // Prefixes of one client must not overlap (one a prefix of the other), existing or new.
  const overlaps = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < o.prefixes.length; i++) {
    const p = o.prefixes[i] as string;
    for (const old of [...(cur?.prefixes ?? [])].sort())
      if (overlaps(old, p))
        return `ERR Prefix '${p}' overlaps with an existing prefix '${old}'. Prefixes for a single client must not overlap.`;
    for (let k = i + 1; k < o.prefixes.length; k++)
      if (overlaps(p, o.prefixes[k] as string))
        return `ERR Prefix '${p}' overlaps with another provided prefix '${o.prefixes[k] as string}'. Prefixes for a single client must not overlap.`;
  }
  return null;
}

/** CLIENT CACHING yes|no: the next command is (OPTIN) or is not (OPTOUT) tracked. */
function clientCaching(c: Client): void {
  const tc = trackingClientOf(c);
  if (tc === undefined)
    return c.reply.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  const opt = c.argv[2] as string;
  if (is(opt, 'YES')) {
    if (!tc.optin) return c.reply.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (is(opt, 'NO')) {
    if (!tc.optout) return c.reply.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else return c.reply.error(E_SYNTAX);
  tc.caching = true;
  c.reply.ok();
}

function clientTrackingInfo(c: Client): void {
  const tc = trackingClientOf(c);
  const flags: string[] = [tc === undefined ? 'off' : 'on'];
  if (tc !== undefined) {
    if (tc.bcast) flags.push('bcast');
    if (tc.optin) flags.push('optin');
    if (tc.optin && tc.caching) flags.push('caching-yes');
    if (tc.optout) flags.push('optout');
    if (tc.optout && tc.caching) flags.push('caching-no');
    if (tc.noloop) flags.push('noloop');
    if (tc.brokenRedirect) flags.push('broken_redirect');
  }
  const r = c.reply;
  r.map(3);
  r.bulk('flags');
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('redirect');
  r.int(tc === undefined ? -1 : tc.redirect);
  r.bulk('prefixes');
  const prefixes = tc === undefined ? [] : [...tc.prefixes].sort();
  r.array(prefixes.length);
  for (const p of prefixes) r.bulk(p);
}

export function clientInfoLine(c: Client): string {
  const now = c.server.clock.now();
  const tc = trackingClientOf(c);
  const trackingFlags = tc === undefined ? '' : 't' + (tc.brokenRedirect ? 'R' : '') + (tc.bcast ? 'B' : '');
  const flags = (c.multi !== null ? 'x' : '') + (c.subscriptionCount > 0 ? 'P' : '') + (c.monitor ? 'O' : '') + trackingFlags + (c.noEvict ? 'e' : '') + (c.noTouch ? 'T' : '');
  const qbuf = c.parser.bufferedBytes();
  const omem = c.writer?.pendingBytes() ?? 0;
  return (
    `id=${c.id} addr=${c.remoteAddress()} laddr=${c.localAddress()} fd=${c.id + 7} name=${c.name} ` +
    `age=${Math.floor((now - c.createdMs) / 1000)} idle=${Math.floor((now - c.lastInteractionMs) / 1000)} ` +
    `flags=${flags || 'N'} db=${c.db.id} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} ` +
    `multi=${c.multi === null ? -1 : c.multi.length} qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 ` +
    `obl=0 oll=0 omem=${omem} tot-mem=${qbuf + omem + 20000} events=r cmd=${c.lastCommand} user=${c.user} redir=${tc === undefined ? -1 : tc.redirect} ` +
    `resp=${c.resp} lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

function clientList(c: Client): void {
  const argv = c.argv;
  let filter: (x: Client) => boolean = () => true;
  if (argv.length >= 4 && is(argv[2], 'TYPE')) {
    const t = (argv[3] as string).toLowerCase();
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) return c.reply.error(`ERR Unknown client type '${argv[3] as string}'`);
    filter = (x) => (t === 'pubsub' ? x.subscriptionCount > 0 : t === 'normal' ? x.subscriptionCount === 0 : false);
  } else if (argv.length >= 4 && is(argv[2], 'ID')) {
    const ids = new Set<number>();
    for (let i = 3; i < argv.length; i++) {
      const n = parseInteger(argv[i] as string);
      if (n === null || n <= 0) return c.reply.error('ERR Invalid client ID');
      ids.add(n);
    }
    filter = (x) => ids.has(x.id);
  } else if (argv.length !== 2) return c.reply.error(E_SYNTAX);
  let out = '';
  for (const x of c.server.clients.values()) if (filter(x)) out += clientInfoLine(x) + '\n';
  c.reply.verbatim(out);
}

function clientKill(c: Client): void {
  const argv = c.argv;
  const s = c.server;
  if (argv.length === 3) {
    const addr = argv[2] as string;
    for (const x of s.clients.values()) {
      if (x.remoteAddress() === addr) {
        c.reply.ok();
        killLater(c, x);
        return;
      }
    }
    return c.reply.error('ERR No such client');
  }
  if (argv.length % 2 !== 0) return c.reply.error(E_SYNTAX);
  let skipMe = true;
  const tests: Array<(x: Client) => boolean> = [];
  for (let i = 2; i < argv.length; i += 2) {
    const opt = (argv[i] as string).toUpperCase();
    const val = argv[i + 1] as string;
    if (opt === 'ID') {
      const id = parseInteger(val);
      if (id === null || id <= 0) return c.reply.error('ERR client-id should be greater than 0');
      tests.push((x) => x.id === id);
    } else if (opt === 'ADDR') tests.push((x) => x.remoteAddress() === val);
    else if (opt === 'LADDR') tests.push((x) => x.localAddress() === val);
    else if (opt === 'USER') tests.push((x) => x.user === val);
    else if (opt === 'TYPE') {
      const t = val.toLowerCase();
      tests.push((x) => (t === 'pubsub' ? x.subscriptionCount > 0 : t === 'normal' ? x.subscriptionCount === 0 : false));
    } else if (opt === 'SKIPME') {
      if (is(val, 'YES')) skipMe = true;
      else if (is(val, 'NO')) skipMe = false;
      else return c.reply.error(E_SYNTAX);
    } else if (opt === 'MAXAGE') {
      const age = parseInteger(val);
      if (age === null) return c.reply.error(E_NOT_INT);
      tests.push((x) => s.clock.now() - x.createdMs >= age * 1000);
    } else return c.reply.error(E_SYNTAX);
  }
  let n = 0;
  for (const x of [...s.clients.values()]) {
    if (skipMe && x === c) continue;
    if (tests.every((t) => t(x))) {
      killLater(c, x);
      n++;
    }
  }
  c.reply.int(n);
}

function killLater(self: Client, x: Client): void {
  if (x === self) self.closeAfterReply = true;
  else self.server.closeClient(x);
}

function clientSetinfo(c: Client): void {
  const attr = c.argv[2] as string;
  const val = c.argv[3] as string;
  if (!validName(val) && val !== '') return c.reply.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  if (is(attr, 'LIB-NAME')) c.libName = val;
  else if (is(attr, 'LIB-VER')) c.libVer = val;
  else return c.reply.error(`ERR Unrecognized option '${attr}'`);
  c.reply.ok();
}

function onOff(c: Client, set: (v: boolean) => void): void {
  const v = c.argv[2] as string;
  if (is(v, 'ON')) set(true);
  else if (is(v, 'OFF')) set(false);
  else return c.reply.error(E_SYNTAX);
  c.reply.ok();
}

function clientPause(c: Client): void {
  const ms = parseInteger(c.argv[2] as string);
  if (ms === null || ms < 0) return c.reply.error('ERR timeout is not an integer or out of range');
  let mode: 'all' | 'write' = 'all';
  if (c.argv.length === 4) {
    if (is(c.argv[3], 'WRITE')) mode = 'write';
    else if (!is(c.argv[3], 'ALL')) return c.reply.error(E_SYNTAX);
  } else if (c.argv.length > 4) return c.reply.error(E_SYNTAX);
  const s = c.server;
  s.pauseUntilMs = Math.max(s.pauseUntilMs, s.clock.now() + ms);
  s.pauseMode = mode;
  c.reply.ok();
}

function clientReply(c: Client): void {
  const v = c.argv[2] as string;
  if (is(v, 'ON')) {
    c.replyMode = 'on';
    c.out.enabled = true;
    c.reply.ok();
  } else if (is(v, 'OFF')) c.replyMode = 'off';
  else if (is(v, 'SKIP')) c.replyMode = 'skip';
  else c.reply.error(E_SYNTAX);
}

function clientNoEvictTouch(c: Client, which: 'evict' | 'touch'): void {
  onOff(c, (v) => {
    if (which === 'evict') c.noEvict = v;
    else c.noTouch = v;
  });
}

export const connectionCommands: CommandModule = {
  ping,
  echo: (c) => c.reply.bulk(c.argv[1] as string),
  select,
  quit,
  reset,
  auth,
  hello,
  'client|id': (c) => c.reply.int(c.id),
  'client|tracking': clientTracking,
  'client|caching': clientCaching,
  'client|getredir': (c) => c.reply.int(trackingClientOf(c)?.redirect ?? -1),
  'client|trackinginfo': clientTrackingInfo,
  'client|setname': (c) => {
    const n = c.argv[2] as string;
    if (!validName(n) && n !== '') return c.reply.error('ERR Client names cannot contain spaces, newlines or special characters.');
    c.name = n;
    c.reply.ok();
  },
  'client|getname': (c) => (c.name === '' ? c.reply.nullBulk() : c.reply.bulk(c.name)),
  'client|list': clientList,
  'client|info': (c) => c.reply.verbatim(clientInfoLine(c) + '\n'),
  'client|kill': clientKill,
  'client|setinfo': clientSetinfo,
  'client|no-evict': (c) => clientNoEvictTouch(c, 'evict'),
  'client|no-touch': (c) => clientNoEvictTouch(c, 'touch'),
  'client|pause': clientPause,
  'client|unpause': (c) => {
    c.server.unpause();
    c.reply.ok();
  },
  'client|reply': clientReply,
  'client|help': (c) =>
    c.reply.bulks(
      ['CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'ID', 'INFO', 'LIST', 'KILL', 'SETNAME', 'GETNAME', 'SETINFO', 'PAUSE', 'UNPAUSE', 'REPLY', 'NO-EVICT', 'NO-TOUCH', 'HELP'].map(
        (s) => s,
      ),
    ),
};

