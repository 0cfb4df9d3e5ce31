/**
 * ACL users and the rule language of ACL SETUSER / aclfile lines (Redis 7.2 acl.c).
 *
 *   on | off                     enable / disable the user
 *   >pass  <pass                 add / remove a password (stored as SHA-256 hex)
 *   #hash  !hash                 add / remove a password by its SHA-256 hex
 *   nopass | resetpass           any password works / no password at all
 *   ~pat  %R~pat  %W~pat  %RW~pat  allkeys  resetkeys
 *   &pat  allchannels  resetchannels
 *   +cmd  -cmd  +cmd|sub  -cmd|sub  +cmd|firstarg  +@cat  -@cat  allcommands  nocommands
 *   (rule rule ...)  clearselectors   Redis 7 selectors
 *   reset                        back to a new user's state
 *   sanitize-payload | skip-sanitize-payload   accepted, reported in flags
 *
 * A selector holds one command-rule list, key patterns and channel patterns; the root selector is
 * the user's own rules. A request is allowed when any selector allows it entirely.
 */
import { createHash } from 'node:crypto';
import { globMatch } from '../commands/args.js';
import type { CommandCatalog } from './catalog.js';

export class AclRuleError extends Error {}

export interface KeyPattern {
  readonly pattern: string;
  readonly read: boolean;
  readonly write: boolean;
}

type CommandRule =
  | { readonly allow: boolean; readonly kind: 'all' }
  | { readonly allow: boolean; readonly kind: 'cat'; readonly cat: string }
  | { readonly allow: boolean; readonly kind: 'cmd'; readonly cmd: string }
  | { readonly allow: true; readonly kind: 'firstarg'; readonly cmd: string; readonly arg: string };

/** What a permission check needs to know about the request. */
export interface AclRequest {
  /** "get" or "config|get" */
  readonly fullName: string;
  /** Top-level command name (same as fullName without subcommand). */
  readonly name: string;
  readonly categories: ReadonlySet<string>;
  /** First argument, lower-cased (for +cmd|firstarg rules). */
  readonly firstArg?: string;
  readonly keys: ReadonlyArray<{ readonly key: string; readonly read: boolean; readonly write: boolean }>;
  readonly channels: readonly string[];
  /** PSUBSCRIBE patterns must match a channel rule literally (Redis checks them as literals). */
  readonly channelsArePatterns?: boolean;
}

export type DenyReason =
  | { readonly reason: 'command' }
  | { readonly reason: 'key'; readonly object: string }
  | { readonly reason: 'channel'; readonly object: string };

export class Selector {
  rules: CommandRule[] = [{ allow: false, kind: 'all' }];
  keys: KeyPattern[] = [];
  channels: string[] = [];
  private cache = new Map<string, boolean>();

  clone(): Selector {
    const s = new Selector();
    s.rules = this.rules.slice();
    s.keys = this.keys.slice();
    s.channels = this.channels.slice();
    return s;
  }

  addRule(rule: CommandRule): void {
    // +@all / -@all override everything before them, which keeps descriptions short (as Redis).
    if (rule.kind === 'all') this.rules = [];
    this.rules.push(rule);
    this.cache.clear();
  }

  commandAllowed(req: Pick<AclRequest, 'fullName' | 'name' | 'categories' | 'firstArg'>): boolean {
    const cached = this.cache.get(req.fullName);
    if (cached !== undefined && !this.rules.some((r) => r.kind === 'firstarg')) return cached;
    let allowed = false;
    for (const r of this.rules) {
      let match: boolean;
      switch (r.kind) {
        case 'all':
          match = true;
          break;
        case 'cat':
          match = req.categories.has(r.cat);
          break;
        case 'cmd':
          match = r.cmd === req.fullName || r.cmd === req.name;
          break;
        case 'firstarg':
          match = r.cmd === req.name && req.firstArg === r.arg;
          break;
      }
      if (match) allowed = r.allow;
    }
    this.cache.set(req.fullName, allowed);
    return allowed;
  }

  keyAllowed(key: string, read: boolean, write: boolean): boolean {
    for (const p of this.keys) {
      if ((read && !p.read) || (write && !p.write)) continue;
      if (p.pattern === '*' || globMatch(p.pattern, key)) return true;
    }
    // A key needing both read and write may be covered by two patterns (%R~x %W~x).
    if (read && write) return this.keyAllowed(key, true, false) && this.keyAllowed(key, false, true);
    return false;
  }

  channelAllowed(channel: string, literal: boolean): boolean {
    for (const p of this.channels) {
      if (p === '*') return true;
      if (literal ? p === channel : globMatch(p, channel)) return true;
    }
    return false;
  }

  check(req: AclRequest): DenyReason | null {
    if (!this.commandAllowed(req)) return { reason: 'command' };
    for (const k of req.keys)
      if (!this.keyAllowed(k.key, k.read, k.write)) return { reason: 'key', object: k.key };
    for (const ch of req.channels)
      if (!this.channelAllowed(ch, req.channelsArePatterns === true))
        return { reason: 'channel', object: ch };
    return null;
  }

  describeCommands(): string {
    return this.rules
      .map((r) => {
        const sign = r.allow ? '+' : '-';
        switch (r.kind) {
          case 'all':
            return `${sign}@all`;
          case 'cat':
            return `${sign}@${r.cat}`;
          case 'cmd':
            return `${sign}${r.cmd}`;
          case 'firstarg':
            return `+${r.cmd}|${r.arg}`;
        }
      })
      .join(' ');
  }

  describeKeys(): string {
    return this.keys.map((k) => (k.read && k.write ? '~' : k.read ? '%R~' : '%W~') + k.pattern).join(' ');
  }

  describeChannels(): string {
    return this.channels.map((c) => '&' + c).join(' ');
  }

  describe(): string {
    return [this.describeKeys(), this.describeChannels(), this.describeCommands()]
      .filter((s) => s.length > 0)
      .join(' ');
  }
}

export function sha256hex(s: string | Buffer): string {
  return createHash('sha256')
    .update(typeof s === 'string' ? Buffer.from(s, 'latin1') : s)
    .digest('hex');
}

const HASH_RE = /^[0-9a-f]{64}$/;

export class AclUser {
  enabled = false;
  nopass = false;
  sanitizePayload = false;
  readonly passwords = new Set<string>();
  root = new Selector();
  selectors: Selector[] = [];

  /** allowsEverything()'s answer, computed once; every rule applied clears it. */
  private allowsEverythingMemo: boolean | null = null;

  constructor(readonly name: string) {}

  /**
   * True when the user may run every command on every key and channel (the default user unless
   * restricted), so the per-command check can skip key extraction. Remembered because the server
   * asks for every command; the store replaces user objects on ACL SETUSER/LOAD rather than
   * editing them, and apply() forgets the answer anyway.
   */
  allowsEverything(): boolean {
    let m = this.allowsEverythingMemo;
    if (m === null) {
      const s = this.root;
      const r = s.rules[0];
      m =
        s.rules.length === 1 &&
        r !== undefined &&
        r.allow &&
        r.kind === 'all' &&
        s.keys.some((k) => k.pattern === '*' && k.read && k.write) &&
        s.channels.includes('*');
      this.allowsEverythingMemo = m;
    }
    return m;
  }

  /** Applies one SETUSER rule; throws AclRuleError with Redis's reason text. */
  apply(rule: string, catalog: CommandCatalog, allChannelsByDefault = false): void {
    this.allowsEverythingMemo = null;
    const lower = rule.toLowerCase();
    switch (lower) {
      case 'on':
        this.enabled = true;
        return;
      case 'off':
        this.enabled = false;
        return;
      case 'nopass':
        this.nopass = true;
        this.passwords.clear();
        return;
      case 'resetpass':
        this.nopass = false;
        this.passwords.clear();
        return;
      case 'sanitize-payload':
        this.sanitizePayload = true;
        return;
      case 'skip-sanitize-payload':
        this.sanitizePayload = false;
        return;
      case 'clearselectors':
        this.selectors = [];
        return;
      case 'reset':
        this.enabled = false;
        this.nopass = false;
        this.sanitizePayload = false;
        this.passwords.clear();
        this.root = new Selector();
        if (allChannelsByDefault) this.root.channels = ['*'];
        this.selectors = [];
        return;
    }
    const c0 = rule[0];
    if (c0 === '>') return void this.passwords.add(sha256hex(rule.slice(1)));
    if (c0 === '<') return void this.passwords.delete(sha256hex(rule.slice(1)));
    if (c0 === '#' || c0 === '!') {
      const h = rule.slice(1);
      if (!HASH_RE.test(h))
        throw new AclRuleError(
          'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
        );
      if (c0 === '#') this.passwords.add(h);
      else if (!this.passwords.delete(h))
        throw new AclRuleError('The password you are trying to remove from the user does not exist');
      this.nopass = false;
      return;
    }
    if (c0 === '(' && rule.endsWith(')')) {
      const sel = new Selector();
      for (const part of rule
        .slice(1, -1)
        .split(' ')
        .filter((p) => p.length > 0))
        applySelectorRule(sel, part, catalog, allChannelsByDefault);
      this.selectors.push(sel);
      return;
    }
    applySelectorRule(this.root, rule, catalog, allChannelsByDefault);
  }

  checkPassword(pass: string): boolean {
    if (this.nopass) return true;
    return this.passwords.has(sha256hex(pass));
  }

  /** First reason the request is denied by every selector, or null when some selector allows it. */
  check(req: AclRequest): DenyReason | null {
    const rootDeny = this.root.check(req);
    if (!rootDeny) return null;
    for (const s of this.selectors) if (!s.check(req)) return null;
    return rootDeny;
  }

  flags(): string[] {
    const f = [this.enabled ? 'on' : 'off'];
    if (this.nopass) f.push('nopass');
    if (this.sanitizePayload) f.push('sanitize-payload');
    return f;
  }

  /** One ACL LIST / aclfile line. */
  describe(): string {
    const parts = [`user ${this.name}`, ...this.flags()];
    for (const p of this.passwords) parts.push('#' + p);
    parts.push(this.root.describe());
    for (const s of this.selectors) parts.push(`(${s.describe()})`);
    return parts.filter((p) => p.length > 0).join(' ');
  }
}

function applySelectorRule(
  sel: Selector,
  rule: string,
  catalog: CommandCatalog,
  allChannelsByDefault: boolean,
): void {
  const lower = rule.toLowerCase();
  switch (lower) {
    case 'allkeys':
      sel.keys = [{ pattern: '*', read: true, write: true }];
      return;
    case 'resetkeys':
      sel.keys = [];
      return;
    case 'allchannels':
      sel.channels = ['*'];
      return;
    case 'resetchannels':
      sel.channels = [];
      return;
    case 'allcommands':
      sel.addRule({ allow: true, kind: 'all' });
      return;
    case 'nocommands':
      sel.addRule({ allow: false, kind: 'all' });
      return;
  }
  void allChannelsByDefault;
  const c0 = rule[0];
  if (c0 === '~') return addKeyPattern(sel, rule.slice(1), true, true);
  if (c0 === '%') {
    const tilde = rule.indexOf('~');
    const flags = tilde > 1 ? rule.slice(1, tilde).toUpperCase() : '';
    if (tilde < 0 || flags.length === 0 || /[^RW]/.test(flags)) throw new AclRuleError('Syntax error');
    return addKeyPattern(sel, rule.slice(tilde + 1), flags.includes('R'), flags.includes('W'));
  }
  if (c0 === '&') {
    const p = rule.slice(1);
    if (sel.channels.includes('*')) return;
    if (p === '*') sel.channels = ['*'];
    else if (!sel.channels.includes(p)) sel.channels.push(p);
    return;
  }
  if (c0 === '+' || c0 === '-')
    return applyCommandRule(sel, c0 === '+', rule.slice(1).toLowerCase(), catalog);
  throw new AclRuleError('Syntax error');
}

function addKeyPattern(sel: Selector, pattern: string, read: boolean, write: boolean): void {
  if (sel.keys.some((k) => k.pattern === '*' && k.read && k.write)) return;
  if (pattern === '*' && read && write) {
    sel.keys = [{ pattern: '*', read, write }];
    return;
  }
  const i = sel.keys.findIndex((k) => k.pattern === pattern);
  if (i >= 0) {
    const k = sel.keys[i] as KeyPattern;
    sel.keys[i] = { pattern, read: k.read || read, write: k.write || write };
  } else sel.keys.push({ pattern, read, write });
}

function applyCommandRule(sel: Selector, allow: boolean, name: string, catalog: CommandCatalog): void {
  if (name.startsWith('@')) {
    const cat = name.slice(1);
    if (cat === 'all') return sel.addRule({ allow, kind: 'all' });
    if (!catalog.isCategory(cat)) throw new AclRuleError('Unknown command or category name in ACL');
    return sel.addRule({ allow, kind: 'cat', cat });
  }
  const bar = name.indexOf('|');
  if (bar === -1) {
    if (!catalog.hasCommand(name)) throw new AclRuleError('Unknown command or category name in ACL');
    return sel.addRule({ allow, kind: 'cmd', cmd: name });
  }
  const cmd = name.slice(0, bar);
  const sub = name.slice(bar + 1);
  if (!catalog.hasCommand(cmd) || sub.length === 0 || sub.includes('|'))
    throw new AclRuleError('Unknown command or category name in ACL');
  if (catalog.hasSubcommands(cmd)) {
    if (!catalog.hasCommand(name)) throw new AclRuleError('Unknown command or category name in ACL');
    return sel.addRule({ allow, kind: 'cmd', cmd: name });
  }
  if (!allow) throw new AclRuleError('Allowing first-arg of a subcommand is not supported');
  sel.addRule({ allow: true, kind: 'firstarg', cmd, arg: sub });
}
