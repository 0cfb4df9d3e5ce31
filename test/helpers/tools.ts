/**
 * System tools for conformance tests (redis-cli, kcat, aws, s3cmd ...). Where a tool is missing the
 * test is skipped with a printed reason; under CI=true a missing tool fails the test instead,
 * because CI installs every tool.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export function findTool(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : null;
}

/** Returns the tool's path, or skips the test (fails it under CI=true) when it is missing. */
export function requireTool(t: TestContext, name: string): string | null {
  const p = findTool(name);
  if (p) return p;
  const reason = `${name} is not installed (apt-get install the package that provides it)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  console.log(`# skipped: ${reason}`);
  t.skip(reason);
  return null;
}
