/** Subcommands that services add (`nimbus kafka ...`). */
import type { Command } from 'commander';
import { registerKafkaCli } from '../kafka/cli/index.js';

export function registerServiceCommands(program: Command): void {
  registerKafkaCli(program);
}
