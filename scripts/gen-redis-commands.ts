/**
 * Generates src/redis/commands/command-table.generated.ts from Redis 7.2.6's command specs
 * (../shared/specs/redis-commands/*.json). The table drives arity checks, COMMAND INFO/DOCS/COUNT/
 * LIST/GETKEYS and key positions, so it is derived the way Redis derives it at startup:
 * implicit ACL categories from flags (setImplicitACLCategories), the legacy first/last/step range
 * from key specs (populateCommandLegacyRangeSpec) and the movablekeys flag.
 *
 * Usage: npx tsx scripts/gen-redis-commands.ts [specDir]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface RawKeySpec {
  notes?: string;
  flags: string[];
  begin_search: { index?: { pos: number }; keyword?: { keyword: string; startfrom: number }; unknown?: null };
  find_keys: {
    range?: { lastkey: number; step: number; limit: number };
    keynum?: { keynumidx: number; firstkey: number; step: number };
    unknown?: null;
  };
}
interface RawCommand {
  summary: string;
  complexity?: string;
  group: string;
  since: string;
  arity: number;
  container?: string;
  function?: string;
  get_keys_function?: string;
  history?: [string, string][];
  command_flags?: string[];
  acl_categories?: string[];
  key_specs?: RawKeySpec[];
  command_tips?: string[];
  doc_flags?: string[];
  deprecated_since?: string;
  replaced_by?: string;
  arguments?: unknown[];
}

// Orders Redis prints flags and categories in (server.c / acl.c tables).
const FLAG_ORDER = [
  'WRITE', 'READONLY', 'DENYOOM', 'MODULE', 'ADMIN', 'PUBSUB', 'NOSCRIPT', 'BLOCKING', 'LOADING',
  'STALE', 'SKIP_MONITOR', 'SKIP_SLOWLOG', 'ASKING', 'FAST', 'NO_AUTH', 'MAY_REPLICATE', 'SENTINEL',
  'ONLY_SENTINEL', 'NO_MANDATORY_KEYS', 'PROTECTED', 'MODULE_GETKEYS', 'MODULE_NO_CLUSTER',
  'NO_ASYNC_LOADING', 'NO_MULTI', 'MOVABLE_KEYS', 'ALLOW_BUSY', 'MODULE_GETCHANNELS',
  'TOUCHES_ARBITRARY_KEYS',
];
const CATEGORY_ORDER = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
];
const KEYSPEC_FLAG_ORDER = [
  'RO', 'RW', 'OW', 'RM', 'ACCESS', 'UPDATE', 'INSERT', 'DELETE', 'NOT_KEY', 'INCOMPLETE',
  'VARIABLE_FLAGS',
];

function implicitCategories(cmd: RawCommand): string[] {
  const flags = new Set(cmd.command_flags ?? []);
  const cats = new Set((cmd.acl_categories ?? []).map((c) => c.toLowerCase()));
  if (flags.has('WRITE')) cats.add('write');
  if (flags.has('READONLY') && !cats.has('scripting')) cats.add('read');
  if (flags.has('ADMIN')) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (flags.has('PUBSUB')) cats.add('pubsub');
  if (flags.has('FAST')) cats.add('fast');
  if (flags.has('BLOCKING')) cats.add('blocking');
  if (!cats.has('fast')) cats.add('slow');
  return CATEGORY_ORDER.filter((c) => cats.has(c));
}

/** Redis's populateCommandLegacyRangeSpec plus populateCommandMovableKeys. */
function legacyRange(cmd: RawCommand): { first: number; last: number; step: number; movable: boolean } {
  const specs = cmd.key_specs ?? [];
  let movable = cmd.get_keys_function !== undefined;
  for (const s of specs) if (!s.begin_search.index || !s.find_keys.range) movable = true;
  if (specs.length === 0) return { first: 0, last: 0, step: 0, movable };
  const only = specs[0];
  if (specs.length === 1 && only?.begin_search.index && only.find_keys.range) {
    const pos = only.begin_search.index.pos;
    const r = only.find_keys.range;
    if (only.flags.includes('INCOMPLETE')) movable = true;
    return { first: pos, last: r.lastkey >= 0 ? pos + r.lastkey : r.lastkey, step: r.step, movable };
  }
  let first = Number.MAX_SAFE_INTEGER;
  let last = 0;
  let prevLast = 0;
  for (const s of specs) {
    if (!s.begin_search.index || !s.find_keys.range) {
      movable = true;
      continue;
    }
    const pos = s.begin_search.index.pos;
    if (s.find_keys.range.step !== 1 || (prevLast && prevLast !== pos - 1)) {
      movable = true;
      continue;
    }
    if (s.flags.includes('INCOMPLETE')) movable = true;
    first = Math.min(first, pos);
    const abs = s.find_keys.range.lastkey >= 0 ? s.find_keys.range.lastkey + pos : s.find_keys.range.lastkey;
    // Redis compares as unsigned, so a negative (relative-to-end) index wins.
    const u = (n: number): number => (n < 0 ? 2 ** 32 + n : n);
    last = u(abs) > u(last) ? abs : last;
    prevLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return { first: 0, last: 0, step: 0, movable: true };
  return { first, last, step: 1, movable };
}

function keySpec(s: RawKeySpec): unknown {
  const bs = s.begin_search.index
    ? { type: 'index', pos: s.begin_search.index.pos }
    : s.begin_search.keyword
      ? { type: 'keyword', keyword: s.begin_search.keyword.keyword, startfrom: s.begin_search.keyword.startfrom }
      : { type: 'unknown' };
  const fk = s.find_keys.range
    ? { type: 'range', lastkey: s.find_keys.range.lastkey, step: s.find_keys.range.step, limit: s.find_keys.range.limit }
    : s.find_keys.keynum
      ? {
          type: 'keynum',
          keynumidx: s.find_keys.keynum.keynumidx,
          firstkey: s.find_keys.keynum.firstkey,
          step: s.find_keys.keynum.step,
        }
      : { type: 'unknown' };
  const out: Record<string, unknown> = {
    flags: KEYSPEC_FLAG_ORDER.filter((f) => s.flags.includes(f)),
    bs,
    fk,
  };
  if (s.notes) out.notes = s.notes;
  return out;
}

function main(): void {
  const dir = process.argv[2] ?? join(process.cwd(), '..', 'shared', 'specs', 'redis-commands');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const entries: unknown[] = [];
  for (const f of files) {
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, RawCommand>;
    for (const [name, cmd] of Object.entries(doc)) {
      const range = legacyRange(cmd);
      const flags = new Set(cmd.command_flags ?? []);
      if (range.movable) flags.add('MOVABLE_KEYS');
      const flagOut = FLAG_ORDER.filter((x) => flags.has(x)).map((x) => (x === 'MOVABLE_KEYS' ? 'movablekeys' : x.toLowerCase()));
      const e: Record<string, unknown> = {
        name: name.toLowerCase(),
        arity: cmd.arity,
        flags: flagOut,
        first: range.first,
        last: range.last,
        step: range.step,
        categories: implicitCategories(cmd),
        tips: (cmd.command_tips ?? []).map((t) => t.toLowerCase()),
        keySpecs: (cmd.key_specs ?? []).map(keySpec),
        doc: {
          summary: cmd.summary,
          since: cmd.since,
          group: cmd.group,
          ...(cmd.complexity !== undefined ? { complexity: cmd.complexity } : {}),
          ...(cmd.doc_flags ? { docFlags: cmd.doc_flags.map((d) => d.toLowerCase()) } : {}),
          ...(cmd.deprecated_since ? { deprecatedSince: cmd.deprecated_since } : {}),
          ...(cmd.replaced_by ? { replacedBy: cmd.replaced_by } : {}),
          ...(cmd.history ? { history: cmd.history } : {}),
          ...(cmd.arguments ? { arguments: cmd.arguments } : {}),
        },
      };
      if (cmd.container) e.container = cmd.container.toLowerCase();
      entries.push(e);
    }
  }
  const out =
    '// Generated by scripts/gen-redis-commands.ts from Redis 7.2.6 command specs. Do not edit.\n' +
    "import type { CommandSpec } from './command-spec.js';\n\n" +
    'export const COMMAND_SPECS: readonly CommandSpec[] = ' +
    JSON.stringify(entries) +
    ' as unknown as readonly CommandSpec[];\n';
  const target = join(process.cwd(), 'src', 'redis', 'commands', 'command-table.generated.ts');
  writeFileSync(target, out);
  console.log(`wrote ${entries.length} commands to ${target}`);
}

main();
