/** Subcommands that services add (`nimbus kafka ...`). */
import type { Command } from 'commander';

export function registerServiceCommands(_program: Command): void {
  // Services register here as they land, e.g. registerKafkaCli(program).
}
