/** COMMAND, COMMAND COUNT/INFO/DOCS/LIST/GETKEYS/GETKEYSANDFLAGS, all from the generated table. */
import type { Client } from '../client.js';
import type { Reply } from '../protocol/reply.js';
import { globMatch, is, parseInteger } from './args.js';
import type { KeySpec } from './command-spec.js';
import type { RegisteredCommand } from './registry.js';
import type { CommandModule } from './types.js';

function replyKeySpec(r: Reply, ks: KeySpec): void {
  r.map(ks.notes ? 4 : 3);
  if (ks.notes) {
    r.bulk('notes');
    r.bulk(ks.notes);
  }
  r.bulk('flags');
  r.set(ks.flags.length);
  for (const f of ks.flags) r.simple(f);
  r.bulk('begin_search');
  r.map(2);
  r.bulk('type');
  r.bulk(ks.bs.type);
  r.bulk('spec');
  if (ks.bs.type === 'index') {
    r.map(1);
    r.bulk('index');
    r.int(ks.bs.pos);
  } else if (ks.bs.type === 'keyword') {
    r.map(2);
    r.bulk('keyword');
    r.bulk(ks.bs.keyword);
    r.bulk('startfrom');
    r.int(ks.bs.startfrom);
  } else r.map(0);
  r.bulk('find_keys');
  r.map(2);
  r.bulk('type');
  r.bulk(ks.fk.type);
  r.bulk('spec');
  if (ks.fk.type === 'range') {
    r.map(3);
    r.bulk('lastkey');
    r.int(ks.fk.lastkey);
    r.bulk('keystep');
    r.int(ks.fk.step);
    r.bulk('limit');
    r.int(ks.fk.limit);
  } else if (ks.fk.type === 'keynum') {
    r.map(3);
    r.bulk('keynumidx');
    r.int(ks.fk.keynumidx);
    r.bulk('firstkey');
    r.int(ks.fk.firstkey);
    r.bulk('keystep');
    r.int(ks.fk.step);
  } else r.map(0);
}

function replyInfo(r: Reply, cmd: RegisteredCommand): void {
  const s = cmd.spec;
  r.array(10);
  r.bulk(cmd.fullName);
  r.int(s.arity);
  r.set(s.flags.length);
  for (const f of s.flags) r.simple(f);
  r.int(s.first);
  r.int(s.last);
  r.int(s.step);
  r.set(s.categories.length);
  for (const cat of s.categories) r.simple('@' + cat);
  r.set(s.tips.length);
  for (const t of s.tips) r.simple(t);
  r.array(s.keySpecs.length);
  for (const ks of s.keySpecs) replyKeySpec(r, ks);
  r.array(cmd.subcommands.size);
  for (const sub of cmd.subcommands.values()) replyInfo(r, sub);
}

interface RawArg {
  name: string;
  type: string;
  display?: string;
  key_spec_index?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecated_since?: string;
  optional?: boolean;
  multiple?: boolean;
  multiple_token?: boolean;
  arguments?: RawArg[];
}

function replyArgs(r: Reply, args: readonly RawArg[]): void {
  r.array(args.length);
  for (const a of args) {
    const fields: Array<() => void> = [];
    const kv = (k: string, f: () => void): void => {
      fields.push(() => {
        r.bulk(k);
        f();
      });
    };
    kv('name', () => r.bulk(a.name));
    kv('type', () => r.bulk(a.type));
    if (a.display) kv('display_text', () => r.bulk(a.display as string));
    if (a.type === 'key') kv('key_spec_index', () => r.int(a.key_spec_index ?? 0));
    if (a.token) kv('token', () => r.bulk(a.token as string));
    if (a.summary) kv('summary', () => r.bulk(a.summary as string));
    if (a.since) kv('since', () => r.bulk(a.since as string));
    if (a.deprecated_since) kv('deprecated_since', () => r.bulk(a.deprecated_since as string));
    const flags = [a.optional ? 'optional' : '', a.multiple ? 'multiple' : '', a.multiple_token ? 'multiple_token' : ''].filter(Boolean);
    if (flags.length) kv('flags', () => {
      r.set(flags.length);
      for (const f of flags) r.simple(f);
    });
    if (a.arguments) kv('arguments', () => replyArgs(r, a.arguments as RawArg[]));
    r.map(fields.length);
    for (const f of fields) f();
  }
}

function replyDocs(r: Reply, cmd: RegisteredCommand): void {
  const d = cmd.spec.doc;
  const fields: Array<() => void> = [];
  const kv = (k: string, f: () => void): void => {
    fields.push(() => {
      r.bulk(k);
      f();
    });
  };
  kv('summary', () => r.bulk(d.summary));
  kv('since', () => r.bulk(d.since));
  kv('group', () => r.bulk(d.group));
  if (d.complexity) kv('complexity', () => r.bulk(d.complexity as string));
  if (d.docFlags) kv('doc_flags', () => {
    r.set((d.docFlags as string[]).length);
    for (const f of d.docFlags as string[]) r.simple(f);
  });
  if (d.deprecatedSince) kv('deprecated_since', () => r.bulk(d.deprecatedSince as string));
  if (d.replacedBy) kv('replaced_by', () => r.bulk(d.replacedBy as string));
  if (d.history) kv('history', () => {
    const h = d.history as ReadonlyArray<readonly [string, string]>;
    r.array(h.length);
    for (const [v, t] of h) {
      r.array(2);
      r.bulk(v);
      r.bulk(t);
    }
  });
  if (d.arguments) kv('arguments', () => replyArgs(r, d.arguments as RawArg[]));
  if (cmd.subcommands.size > 0) kv('subcommands', () => {
    r.map(cmd.subcommands.size);
    for (const sub of cmd.subcommands.values()) {
      r.bulk(sub.fullName);
      replyDocs(r, sub);
    }
  });
  r.map(fields.length);
  for (const f of fields) f();
}

function lookupFull(c: Client, name: string): RegisteredCommand | undefined {
  const bar = name.indexOf('|');
  if (bar === -1) return c.server.registry.lookup(name);
  return c.server.registry.lookup(name.slice(0, bar))?.subcommands.get(name.slice(bar + 1).toLowerCase());
}

function command(c: Client): void {
  const all = [...c.server.registry.all()];
  c.reply.array(all.length);
  for (const cmd of all) replyInfo(c.reply, cmd);
}

function commandInfo(c: Client): void {
  if (c.argv.length === 2) return command(c);
  c.reply.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) {
    const cmd = lookupFull(c, c.argv[i] as string);
    if (cmd) replyInfo(c.reply, cmd);
    else c.reply.nullArray();
  }
}

function commandDocs(c: Client): void {
  const cmds: RegisteredCommand[] = [];
  if (c.argv.length === 2) cmds.push(...c.server.registry.all());
  else
    for (let i = 2; i < c.argv.length; i++) {
      const cmd = lookupFull(c, c.argv[i] as string);
      if (cmd) cmds.push(cmd);
    }
  c.reply.map(cmds.length);
  for (const cmd of cmds) {
    c.reply.bulk(cmd.fullName);
    replyDocs(c.reply, cmd);
  }
}

function commandList(c: Client): void {
  const argv = c.argv;
  let filter: (cmd: RegisteredCommand) => boolean = () => true;
  if (argv.length === 5 && is(argv[2], 'FILTERBY')) {
    const val = argv[4] as string;
    if (is(argv[3], 'MODULE')) filter = () => false;
    else if (is(argv[3], 'ACLCAT')) filter = (cmd) => cmd.spec.categories.includes(val.toLowerCase());
    else if (is(argv[3], 'PATTERN')) filter = (cmd) => globMatch(val, cmd.fullName, true);
    else return c.reply.error('ERR syntax error');
  } else if (argv.length !== 2) return c.reply.error('ERR syntax error');
  const out: string[] = [];
  for (const cmd of c.server.registry.all()) {
    if (filter(cmd)) out.push(cmd.fullName);
    for (const sub of cmd.subcommands.values()) if (filter(sub)) out.push(sub.fullName);
  }
  c.reply.bulks(out);
}

/** Key positions of argv according to the command's key specs (Redis's getKeysUsingKeySpecs). */
export function keysFromSpecs(cmd: RegisteredCommand, argv: string[]): Array<{ pos: number; flags: readonly string[] }> | null {
  const out: Array<{ pos: number; flags: readonly string[] }> = [];
  const argc = argv.length;
  for (const ks of cmd.spec.keySpecs) {
    let first: number;
    if (ks.bs.type === 'index') first = ks.bs.pos;
    else if (ks.bs.type === 'keyword') {
      const { keyword, startfrom } = ks.bs;
      const start = startfrom >= 0 ? startfrom : argc + startfrom;
      const step = startfrom >= 0 ? 1 : -1;
      let found = -1;
      for (let i = start; i > 0 && i < argc; i += step) {
        if (is(argv[i], keyword.toUpperCase())) {
          found = i;
          break;
        }
      }
      if (found === -1) continue;
      first = found + 1;
    } else continue;
    let last: number;
    let step: number;
    if (ks.fk.type === 'range') {
      step = ks.fk.step;
      if (ks.fk.lastkey >= 0) last = first + ks.fk.lastkey;
      else if (ks.fk.limit <= 1) last = argc + ks.fk.lastkey;
      else last = first + Math.floor((argc - first) / ks.fk.limit) + ks.fk.lastkey;
    } else if (ks.fk.type === 'keynum') {
      const n = parseInteger(argv[first + ks.fk.keynumidx] ?? '');
      if (n === null || n < 0) return null;
      step = ks.fk.step;
      first = first + ks.fk.firstkey;
      last = first + (n - 1) * step;
    } else continue;
    if (last >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: ks.flags });
  }
  return out;
}

function getkeys(c: Client, withFlags: boolean): void {
  const argv = c.argv.slice(2);
  const cmd0 = c.server.registry.lookup(argv[0] as string);
  let cmd = cmd0;
  if (cmd && cmd.subcommands.size > 0 && argv.length > 1) cmd = cmd.subcommands.get((argv[1] as string).toLowerCase());
  if (!cmd) return c.reply.error('ERR Invalid command specified');
  if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity)
    return c.reply.error('ERR Invalid number of arguments specified for command');
  if (cmd.spec.keySpecs.length === 0) return c.reply.error('ERR The command has no key arguments');
  const keys = keysFromSpecs(cmd, argv);
  if (keys === null) return c.reply.error('ERR Invalid arguments specified for command');
  if (keys.length === 0) return c.reply.error('ERR The command has no key arguments');
  c.reply.array(keys.length);
  for (const k of keys) {
    if (!withFlags) c.reply.bulk(argv[k.pos] as string);
    else {
      c.reply.array(2);
      c.reply.bulk(argv[k.pos] as string);
      c.reply.set(k.flags.length);
      for (const f of k.flags) c.reply.simple(f);
    }
  }
}

export const commandCommands: CommandModule = {
  command,
  // Like Redis, COMMAND COUNT counts top-level commands (containers once, not their subcommands).
  'command|count': (c) => c.reply.int([...c.server.registry.all()].length),
  'command|info': commandInfo,
  'command|docs': commandDocs,
  'command|list': commandList,
  'command|getkeys': (c) => getkeys(c, false),
  'command|getkeysandflags': (c) => getkeys(c, true),
  'command|help': (c) => c.reply.bulks(['COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', '(no subcommand)', 'COUNT', 'GETKEYS <full-command>', 'GETKEYSANDFLAGS <full-command>', 'INFO [<command-name> ...]', 'DOCS [<command-name> ...]', 'LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]', 'HELP']),
};
