/**
 * The ACL store: users, authentication, permission checks, ACL LOG and the aclfile format.
 *
 * The store is engine-level (no wire types). Command modules translate its results into replies;
 * the server asks `check()` before running each command and `authenticate()` on AUTH / HELLO.
 */
import { CommandCatalog } from './catalog.js';
import { AclRuleError, AclUser, type AclRequest, type DenyReason } from './user.js';

/** acllog-max-len default. */
export const ACL_LOG_MAX_LEN_DEFAULT = 128;
/** Similar log entries closer than this are merged (ACL_LOG_GROUPING_MAX_TIME_DELTA). */
export const ACL_LOG_GROUPING_MS = 60_000;
/** Longest username or rule list accepted from an aclfile line (bounds a hostile file). */
export const ACL_FILE_MAX_LINE_BYTES = 1024 * 1024;

export type AclLogReason = 'auth' | 'command' | 'key' | 'channel';
export type AclLogContext = 'toplevel' | 'multi' | 'lua' | 'module';

export interface AclLogEntry {
  count: number;
  readonly reason: AclLogReason;
  readonly context: AclLogContext;
  readonly object: string;
  readonly username: string;
  clientInfo: string;
  readonly entryId: number;
  readonly createdMs: number;
  updatedMs: number;
}

export interface AclOptions {
  catalog?: CommandCatalog;
  /** requirepass: the default user gets this password instead of nopass. */
  requirePass?: string | null;
  /** acl-pubsub-default: false = resetchannels (Redis 7 default), true = allchannels. */
  pubsubAllChannelsDefault?: boolean;
  now?: () => number;
  logMaxLen?: number;
}

export class AclError extends Error {}

export class AclStore {
  readonly catalog: CommandCatalog;
  private readonly users = new Map<string, AclUser>();
  private log: AclLogEntry[] = [];
  private nextEntryId = 0;
  private readonly now: () => number;
  logMaxLen: number;
  pubsubAllChannelsDefault: boolean;

  constructor(opts: AclOptions = {}) {
    this.catalog = opts.catalog ?? new CommandCatalog();
    this.now = opts.now ?? Date.now;
    this.logMaxLen = opts.logMaxLen ?? ACL_LOG_MAX_LEN_DEFAULT;
    this.pubsubAllChannelsDefault = opts.pubsubAllChannelsDefault ?? false;
    this.users.set('default', this.makeDefaultUser(opts.requirePass ?? null));
  }

  private makeDefaultUser(requirePass: string | null): AclUser {
    const u = new AclUser('default');
    for (const r of ['on', 'sanitize-payload', '~*', '&*', '+@all']) u.apply(r, this.catalog);
    if (requirePass === null || requirePass === '') u.apply('nopass', this.catalog);
    else u.apply('>' + requirePass, this.catalog);
    return u;
  }

  /** CONFIG SET requirepass: replaces the default user's passwords, as Redis does. */
  setRequirePass(pass: string | null): void {
    const u = this.users.get('default') as AclUser;
    u.apply('resetpass', this.catalog);
    u.apply(pass ? '>' + pass : 'nopass', this.catalog);
  }

  get defaultUser(): AclUser {
    return this.users.get('default') as AclUser;
  }

  /** True when the default user needs no password (connections start authenticated). */
  get defaultNoAuth(): boolean {
    const d = this.defaultUser;
    return d.enabled && d.nopass;
  }

  getUser(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  list(): string[] {
    return this.userNames().map((n) => (this.users.get(n) as AclUser).describe());
  }

  /**
   * ACL SETUSER: all rules apply or none. Selector rules may arrive split across arguments
   * ("(+get", "~k)"), which are joined first as Redis does.
   */
  setUser(name: string, args: readonly string[]): void {
    const rules = joinSelectorArgs(args);
    const existing = this.users.get(name);
    const u = existing ? cloneUser(existing) : this.newUser(name);
    for (const r of rules) {
      try {
        u.apply(r, this.catalog, this.pubsubAllChannelsDefault);
      } catch (e) {
        if (e instanceof AclRuleError)
          throw new AclError(`ERR Error in ACL SETUSER modifier '${r}': ${e.message}`);
        throw e;
      }
    }
    this.users.set(name, u);
  }

  private newUser(name: string): AclUser {
    const u = new AclUser(name);
    if (this.pubsubAllChannelsDefault) u.root.channels = ['*'];
    return u;
  }

  /** ACL DELUSER: returns how many users were deleted. */
  deleteUsers(names: readonly string[]): number {
    if (names.includes('default')) throw new AclError("ERR The 'default' user cannot be removed");
    let n = 0;
    for (const name of names) if (this.users.delete(name)) n++;
    return n;
  }

  /** AUTH / HELLO AUTH: the user on success; null (and an ACL LOG entry) on failure. */
  authenticate(username: string, password: string, clientInfo = ''): AclUser | null {
    const u = this.users.get(username);
    if (u && u.enabled && u.checkPassword(password)) return u;
    this.addLog('auth', 'toplevel', 'AUTH', username, clientInfo);
    return null;
  }

  /**
   * Checks a request for a user. Returns null when allowed, else the NOPERM error text; denials
   * are logged unless `dryRun`.
   */
  check(
    user: AclUser,
    req: AclRequest,
    context: AclLogContext = 'toplevel',
    clientInfo = '',
    dryRun = false,
  ): string | null {
    const deny = user.check(req);
    if (!deny) return null;
    if (!dryRun)
      this.addLog(
        deny.reason,
        context,
        deny.reason === 'command' ? req.fullName : deny.object,
        user.name,
        clientInfo,
      );
    return denyText(deny, req, user, dryRun);
  }

  /** Builds an AclRequest's command part from the catalog. */
  request(fullName: string, rest: Omit<AclRequest, 'fullName' | 'name' | 'categories'>): AclRequest {
    const bar = fullName.indexOf('|');
    return {
      fullName,
      name: bar < 0 ? fullName : fullName.slice(0, bar),
      categories: this.catalog.categoriesOf(fullName),
      ...rest,
    };
  }

  // ---- ACL LOG --------------------------------------------------------------------------------

  addLog(
    reason: AclLogReason,
    context: AclLogContext,
    object: string,
    username: string,
    clientInfo: string,
  ): void {
    const now = this.now();
    const i = this.log.findIndex(
      (e) =>
        e.reason === reason &&
        e.context === context &&
        e.object === object &&
        e.username === username &&
        now - e.updatedMs < ACL_LOG_GROUPING_MS,
    );
    if (i >= 0) {
      const e = this.log[i] as AclLogEntry;
      e.count++;
      e.updatedMs = now;
      e.clientInfo = clientInfo;
      this.log.splice(i, 1);
      this.log.unshift(e);
      return;
    }
    this.log.unshift({
      count: 1,
      reason,
      context,
      object,
      username,
      clientInfo,
      entryId: this.nextEntryId++,
      createdMs: now,
      updatedMs: now,
    });
    if (this.log.length > this.logMaxLen) this.log.length = this.logMaxLen;
  }

  /** Newest first. */
  logEntries(count = Infinity): readonly AclLogEntry[] {
    return this.log.slice(0, count);
  }

  resetLog(): void {
    this.log = [];
  }

  ageSeconds(e: AclLogEntry): number {
    return (this.now() - e.createdMs) / 1000;
  }

  // ---- aclfile ------------------------------------------------------------------------------

  /** The aclfile text ACL SAVE writes: one `user …` line per user. */
  serialize(): string {
    return this.list().join('\n') + '\n';
  }

  /**
   * ACL LOAD / startup: replaces all users with the file's, or throws (leaving users unchanged)
   * with Redis's "<path>:<line>: <reason>" text. A file without `default` keeps the default user.
   */
  load(text: string, path = 'aclfile'): void {
    const next = new Map<string, AclUser>();
    const lines = text.split(/\r?\n/);
    for (let n = 0; n < lines.length; n++) {
      const line = (lines[n] as string).trim();
      if (line.length === 0 || line.startsWith('#')) continue;
      const where = `${path}:${n + 1}`;
      if (line.length > ACL_FILE_MAX_LINE_BYTES) throw new AclError(`ERR ${where}: line too long`);
      const parts = line.split(/\s+/);
      if (parts[0] !== 'user' || parts.length < 2)
        throw new AclError(`ERR ${where}: should start with user keyword`);
      const name = parts[1] as string;
      if (next.has(name)) throw new AclError(`ERR ${where}: Duplicate user '${name}' found`);
      const u = this.newUser(name);
      for (const r of joinSelectorArgs(parts.slice(2))) {
        try {
          u.apply(r, this.catalog, this.pubsubAllChannelsDefault);
        } catch (e) {
          if (e instanceof AclRuleError)
            throw new AclError(`ERR ${where}: Error in applying operation '${r}': ${e.message}`);
          throw e;
        }
      }
      next.set(name, u);
    }
    if (!next.has('default')) next.set('default', this.defaultUser);
    this.users.clear();
    for (const [k, v] of next) this.users.set(k, v);
  }
}

function cloneUser(u: AclUser): AclUser {
  const c = new AclUser(u.name);
  c.enabled = u.enabled;
  c.nopass = u.nopass;
  c.sanitizePayload = u.sanitizePayload;
  for (const p of u.passwords) c.passwords.add(p);
  c.root = u.root.clone();
  c.selectors = u.selectors.map((s) => s.clone());
  return c;
}

function joinSelectorArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  let open: string[] | null = null;
  for (const a of args) {
    if (open) {
      open.push(a);
      if (a.endsWith(')')) {
        out.push(open.join(' '));
        open = null;
      }
    } else if (a.startsWith('(') && !a.endsWith(')')) open = [a];
    else out.push(a);
  }
  if (open) throw new AclError(`ERR Unmatched parenthesis in acl selector starting at '${open[0]}'.`);
  return out;
}

function denyText(deny: DenyReason, req: AclRequest, user: AclUser, dryRun: boolean): string {
  switch (deny.reason) {
    case 'command':
      return dryRun
        ? `This user has no permissions to run the '${req.fullName}' command`
        : `NOPERM User ${user.name} has no permissions to run the '${req.fullName}' command`;
    case 'key':
      return dryRun
        ? `This user has no permissions to access the '${deny.object}' key`
        : 'NOPERM No permissions to access a key';
    case 'channel':
      return dryRun
        ? `This user has no permissions to access the '${deny.object}' channel`
        : 'NOPERM No permissions to access a channel';
  }
}
