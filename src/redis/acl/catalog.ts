/**
 * What ACL rules can name: commands, subcommands and categories, from the generated Redis 7.2
 * command table. Category membership of a subcommand is the subcommand's own.
 */
import { COMMAND_SPECS } from '../commands/command-table.generated.js';
import type { CommandSpec } from '../commands/command-spec.js';

export const ACL_CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;

export class CommandCatalog {
  /** "get", "config|get" → categories */
  private readonly categories = new Map<string, ReadonlySet<string>>();
  /** container name → its subcommand names */
  private readonly subs = new Map<string, string[]>();

  constructor(specs: readonly CommandSpec[] = COMMAND_SPECS) {
    for (const s of specs) {
      const full = s.container ? `${s.container}|${s.name}` : s.name;
      this.categories.set(full, new Set(s.categories));
      if (s.container) {
        const list = this.subs.get(s.container) ?? [];
        list.push(s.name);
        this.subs.set(s.container, list);
      }
    }
  }

  hasCommand(name: string): boolean {
    return this.categories.has(name);
  }

  hasSubcommands(name: string): boolean {
    return this.subs.has(name);
  }

  isCategory(name: string): boolean {
    return (ACL_CATEGORIES as readonly string[]).includes(name);
  }

  categoriesOf(fullName: string): ReadonlySet<string> {
    return this.categories.get(fullName) ?? new Set();
  }

  /** ACL CAT <category>: commands and subcommands in it, "container|sub" for subcommands. */
  commandsIn(category: string): string[] {
    const out: string[] = [];
    for (const [name, cats] of this.categories)
      if (cats.has(category) && !this.subs.has(name)) out.push(name);
    return out.sort();
  }
}
