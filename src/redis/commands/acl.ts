/**
 * ACL SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT LOG DRYRUN GENPASS SAVE LOAD, over acl/acl.ts.
 *
 * Also exported for the dispatcher: `aclAuthenticate` for AUTH / HELLO AUTH (connection.ts) and
 * `aclCheckCommand`, which RedisServer.execute calls for every command of a socket client.
 *
 * One AclStore per server, created on first use (WeakMap), seeded from requirepass and kept in
 * step with CONFIG SET requirepass. The aclfile path comes from the `aclfile` CONFIG parameter
 * when the server knows it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Client } from '../client.js';
import type { RedisServer } from '../server.js';
import type { RegisteredCommand } from './registry.js';
import type { CommandModule } from './types.js';
import { E_SYNTAX } from './errors.js';
import { is, parseInteger } from './args.js';
import { keysFromSpecs } from './command-info.js';
import { AclStore, AclError, type AclLogContext } from '../acl/acl.js';
import type { AclUser } from '../acl/user.js';
import { ACL_CATEGORIES } from '../acl/catalog.js';

interface AclState {
  readonly store: AclStore;
  lastRequirePass: string;
}

const states = new WeakMap<RedisServer, AclState>();

export function aclStore(server: RedisServer): AclStore {
  let st = states.get(server);
  if (!st) {
    st = {
      store: new AclStore({ requirePass: server.settings.requirepass, now: () => server.clock.now() }),
      lastRequirePass: server.settings.requirepass,
    };
    states.set(server, st);
    const path = aclFilePath(server);
    if (path) {
      try {
        st.store.load(readFileSync(path, 'latin1'), path);
      } catch (e) {
        server.logger.warn({ err: (e as Error).message, path }, 'aclfile not loaded');
      }
    }
  }
  if (st.lastRequirePass !== server.settings.requirepass) {
    st.lastRequirePass = server.settings.requirepass;
    st.store.setRequirePass(st.lastRequirePass || null);
  }
  return st.store;
}

/** The `aclfile` config parameter; a relative path is resolved inside the data dir (Redis's cwd). */
function aclFilePath(server: RedisServer): string | null {
  const p = server.settings.extra.get('aclfile') ?? (server.config.aclfile as string | undefined);
  if (!p) return null;
  return isAbsolute(p) || server.dataDir === '' ? p : join(server.dataDir, p);
}

function clientInfo(c: Client): string {
  return `id=${c.id} addr=${c.remoteAddress()} laddr=${c.localAddress()} name=${c.name} user=${c.user} db=${c.db.id} cmd=${c.lastCommand}`;
}

/** AUTH / HELLO AUTH: true when `user`/`pass` are valid (the caller sets c.user). */
export function aclAuthenticate(c: Client, user: string, pass: string): boolean {
  return aclStore(c.server).authenticate(user, pass, clientInfo(c)) !== null;
}

/**
 * Checks the client's user may run `cmd` with `argv` (keys from the command's key specs, channels
 * for pub/sub commands). Returns the NOPERM error text, or null when allowed.
 */
export function aclCheckCommand(
  c: Client,
  cmd: RegisteredCommand,
  argv: string[],
  context: AclLogContext = 'toplevel',
): string | null {
  const store = aclStore(c.server);
  const user = store.getUser(c.user);
  if (!user) return `NOPERM User ${c.user} has no permissions to run the '${cmd.fullName}' command`;
  if (user.allowsEverything()) return null;
  return store.check(user, requestFor(store, cmd, argv), context, clientInfo(c));
}

/**
 * True when the client's user may run every command on every key and channel, so a caller can
 * skip per-command checks while nothing can change the user (a running script: ACL commands are
 * refused from scripts and while one is busy).
 */
export function aclAllowsEverything(c: Client): boolean {
  const user = aclStore(c.server).getUser(c.user);
  return user !== undefined && user.allowsEverything();
}

/**
 * EXEC re-checks each queued command, since the user's rules may have changed after queueing
 * (multi.c). Returns Redis's "ACLs rules changed" error, or null when still allowed.
 */
export function aclExecRecheck(c: Client, cmd: RegisteredCommand, argv: string[]): string | null {
  const denied = aclCheckCommand(c, cmd, argv, 'multi');
  if (denied === null) return null;
  const reason = denied.startsWith('NOPERM User ')
    ? 'no permission to execute the command or subcommand'
    : denied.includes('a key')
      ? 'no permission to touch the specified keys'
      : denied.includes('a channel')
        ? 'no permission to access one of the channels used as arguments'
        : 'no permission';
  return (
    'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. ' +
    `This command is no longer allowed for the following reason: ${reason}`
  );
}

const CHANNEL_COMMANDS: Record<string, { from: number; patterns: boolean }> = {
  publish: { from: 1, patterns: false },
  spublish: { from: 1, patterns: false },
  subscribe: { from: 1, patterns: false },
  ssubscribe: { from: 1, patterns: false },
  psubscribe: { from: 1, patterns: true },
};

function requestFor(
  store: AclStore,
  cmd: RegisteredCommand,
  argv: string[],
): ReturnType<AclStore['request']> {
  const keys = (keysFromSpecs(cmd, argv) ?? []).map(({ pos, flags }) => {
    const f = new Set(flags);
    const write =
      f.has('OW') || f.has('RW') || f.has('RM') || f.has('insert') || f.has('delete') || f.has('update');
    const read = f.has('RO') || f.has('RW') || f.has('access') || !write;
    return { key: argv[pos] as string, read, write };
  });
  const ch = CHANNEL_COMMANDS[cmd.fullName];
  const channels = ch
    ? cmd.fullName === 'publish' || cmd.fullName === 'spublish'
      ? [argv[1] as string]
      : argv.slice(ch.from)
    : [];
  const firstArg = cmd.parent === null && argv.length > 1 ? (argv[1] as string).toLowerCase() : undefined;
  return store.request(cmd.fullName, {
    keys,
    channels,
    channelsArePatterns: ch?.patterns ?? false,
    ...(firstArg !== undefined ? { firstArg } : {}),
  });
}

// ---- commands ---------------------------------------------------------------------------------------

function setuser(c: Client): void {
  try {
    aclStore(c.server).setUser(c.argv[2] as string, c.argv.slice(3));
  } catch (e) {
    if (e instanceof AclError) return c.reply.error(e.message);
    throw e;
  }
  c.reply.ok();
}

function getuser(c: Client): void {
  const u = aclStore(c.server).getUser(c.argv[2] as string);
  if (!u) return c.reply.nullBulk();
  const r = c.reply;
  r.map(6);
  r.bulk('flags');
  r.bulks(u.flags());
  r.bulk('passwords');
  r.bulks([...u.passwords]);
  r.bulk('commands');
  r.bulk(u.root.describeCommands());
  r.bulk('keys');
  r.bulk(u.root.describeKeys());
  r.bulk('channels');
  r.bulk(u.root.describeChannels());
  r.bulk('selectors');
  r.array(u.selectors.length);
  for (const s of u.selectors) {
    r.map(3);
    r.bulk('commands');
    r.bulk(s.describeCommands());
    r.bulk('keys');
    r.bulk(s.describeKeys());
    r.bulk('channels');
    r.bulk(s.describeChannels());
  }
}

function deluser(c: Client): void {
  const names = c.argv.slice(2);
  let n: number;
  try {
    n = aclStore(c.server).deleteUsers(names);
  } catch (e) {
    if (e instanceof AclError) return c.reply.error(e.message);
    throw e;
  }
  // Connections authenticated as a deleted user are closed, as Redis does.
  for (const other of c.server.clients.values())
    if (names.includes(other.user) && other !== c) c.server.closeClient(other);
  if (names.includes(c.user)) c.closeAfterReply = true;
  c.reply.int(n);
}

function cat(c: Client): void {
  const store = aclStore(c.server);
  if (c.argv.length === 2) return c.reply.bulks([...ACL_CATEGORIES]);
  const name = (c.argv[2] as string).toLowerCase();
  if (!store.catalog.isCategory(name)) return c.reply.error(`ERR Unknown category '${c.argv[2] as string}'`);
  const implemented = store.catalog.commandsIn(name).filter((n) => {
    const [top, sub] = n.split('|') as [string, string | undefined];
    const cmd = c.server.registry.lookup(top);
    return (
      cmd !== undefined &&
      (sub === undefined ? cmd.handler !== null || cmd.subcommands.size > 0 : cmd.subcommands.has(sub))
    );
  });
  c.reply.bulks(implemented);
}

function log(c: Client): void {
  const store = aclStore(c.server);
  if (c.argv.length === 3 && is(c.argv[2], 'RESET')) {
    store.resetLog();
    return c.reply.ok();
  }
  let count = 10;
  if (c.argv.length === 3) {
    const n = parseInteger(c.argv[2] as string);
    if (n === null || n < 0) return c.reply.error('ERR value is out of range, must be positive');
    count = n;
  } else if (c.argv.length > 3) return c.reply.error(E_SYNTAX);
  const entries = store.logEntries(count);
  const r = c.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.map(10);
    r.bulk('count');
    r.int(e.count);
    r.bulk('reason');
    r.bulk(e.reason);
    r.bulk('context');
    r.bulk(e.context);
    r.bulk('object');
    r.bulk(e.object);
    r.bulk('username');
    r.bulk(e.username);
    r.bulk('age-seconds');
    r.double(store.ageSeconds(e));
    r.bulk('client-info');
    r.bulk(e.clientInfo);
    r.bulk('entry-id');
    r.int(e.entryId);
    r.bulk('timestamp-created');
    r.int(e.createdMs);
    r.bulk('timestamp-last-updated');
    r.int(e.updatedMs);
  }
}

function dryrun(c: Client): void {
  const store = aclStore(c.server);
  const user = store.getUser(c.argv[2] as string);
  if (!user) return c.reply.error(`ERR User '${c.argv[2] as string}' not found`);
  const argv = c.argv.slice(3);
  let cmd = c.server.registry.lookup(argv[0] as string);
  if (cmd && cmd.subcommands.size > 0 && argv.length >= 2)
    cmd = cmd.subcommands.get((argv[1] as string).toLowerCase()) ?? cmd;
  if (!cmd) return c.reply.error(`ERR Command '${argv[0] as string}' not found`);
  const arity = cmd.arity;
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity)
    return c.reply.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
  const denied = store.check(user as AclUser, requestFor(store, cmd, argv), 'toplevel', '', true);
  if (denied) return c.reply.bulk(denied);
  c.reply.ok();
}

function genpass(c: Client): void {
  let bits = 256;
  if (c.argv.length === 3) {
    const n = parseInteger(c.argv[2] as string);
    if (n === null || n <= 0 || n > 4096)
      return c.reply.error(
        'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096',
      );
    bits = n;
  }
  c.reply.bulk(
    randomBytes(Math.ceil(bits / 8))
      .toString('hex')
      .slice(0, Math.ceil(bits / 4)),
  );
}

function save(c: Client): void {
  const path = aclFilePath(c.server);
  if (!path)
    return c.reply.error(
      'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
    );
  try {
    writeFileSync(path + '.tmp', aclStore(c.server).serialize(), 'latin1');
    renameSync(path + '.tmp', path);
  } catch (e) {
    return c.reply.error(
      `ERR There was an error trying to save the ACLs. Please check the server logs for more information (${(e as Error).message})`,
    );
  }
  c.reply.ok();
}

function load(c: Client): void {
  const path = aclFilePath(c.server);
  if (!path)
    return c.reply.error(
      'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
    );
  try {
    aclStore(c.server).load(readFileSync(path, 'latin1'), path);
  } catch (e) {
    return c.reply.error(
      e instanceof AclError
        ? e.message
        : `ERR Error loading ACLs, opening file '${path}': ${(e as Error).message}`,
    );
  }
  c.reply.ok();
}

export const aclCommands: CommandModule = {
  'acl|setuser': setuser,
  'acl|getuser': getuser,
  'acl|deluser': deluser,
  'acl|list': (c) => c.reply.bulks(aclStore(c.server).list()),
  'acl|users': (c) => c.reply.bulks(aclStore(c.server).userNames()),
  'acl|whoami': (c) => c.reply.bulk(c.user),
  'acl|cat': cat,
  'acl|log': log,
  'acl|dryrun': dryrun,
  'acl|genpass': genpass,
  'acl|save': save,
  'acl|load': load,
};
