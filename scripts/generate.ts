/**
 * `npm run generate`: regenerates every *.generated.ts from the protocol specs in ../shared/specs
 * (never copied into the project). CI runs it and fails on drift.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const specs = join(process.cwd(), '..', 'shared', 'specs');
if (!existsSync(specs)) {
  console.error(`no specs at ${specs}; nothing to generate`);
  process.exit(0);
}
const generators = ['scripts/gen-redis-commands.ts', 'scripts/gen-kafka-messages.ts'];
for (const g of generators) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', g], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${g} failed`);
    process.exit(r.status ?? 1);
  }
}
