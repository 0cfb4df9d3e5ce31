// Proves the config layers: defaults < nimbus.yaml < NIMBUS_* env < flags, the provenance that
// `nimbus config` prints, and that every validation error names the key, the value and the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod/v3';
import { describeConfig, loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import type { ServiceDefinition } from './service.js';

const fake: ServiceDefinition<{ port: number; maxmemoryPolicy: string; verbose: boolean }> = {
  name: 'redis',
  description: 'test definition',
  portKey: 'port',
  configSchema: z.object({
    port: z.number().int().min(0).max(65535).default(6379),
    maxmemoryPolicy: z.enum(['noeviction', 'allkeys-lru']).default('noeviction'),
    verbose: z.boolean().default(false),
  }),
  create: () => {
    throw new Error('not started in config tests');
  },
};

function dirWith(yaml: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-cfg-'));
  if (yaml !== null) writeFileSync(join(dir, 'nimbus.yaml'), yaml);
  return dir;
}

test('defaults apply when nothing is set', () => {
  const cfg = loadConfig([fake], { cwd: dirWith(null), env: {} });
  assert.equal(cfg.host.host, '127.0.0.1');
  assert.equal(cfg.host.dataDir, './.nimbus');
  assert.deepEqual(cfg.services.redis, { port: 6379, maxmemoryPolicy: 'noeviction', verbose: false });
  assert.equal(cfg.file, null);
});

test('file < env < flags, with provenance for each key', () => {
  const cwd = dirWith('host: 0.0.0.0\nredis:\n  port: 7000\n  verbose: true\n');
  const cfg = loadConfig([fake], {
    cwd,
    env: { NIMBUS_REDIS_PORT: '7001', NIMBUS_REDIS_MAXMEMORY_POLICY: 'allkeys-lru', UNRELATED: 'x' },
    flags: [{ key: 'redis.port', value: 7002, flag: '--redis-port' }],
  });
  assert.equal(cfg.host.host, '0.0.0.0');
  assert.deepEqual(cfg.services.redis, { port: 7002, maxmemoryPolicy: 'allkeys-lru', verbose: true });
  const rows = new Map(describeConfig(cfg).map((r) => [r.key, r.source]));
  assert.equal(rows.get('host'), `file ${join(cwd, 'nimbus.yaml')}`);
  assert.equal(rows.get('redis.port'), 'flag --redis-port');
  assert.equal(rows.get('redis.maxmemoryPolicy'), 'env NIMBUS_REDIS_MAXMEMORY_POLICY');
  assert.equal(rows.get('redis.verbose'), `file ${join(cwd, 'nimbus.yaml')}`);
  assert.equal(rows.get('logLevel'), 'default');
});

test('env alone overrides the file', () => {
  const cfg = loadConfig([fake], {
    cwd: dirWith('redis:\n  port: 7000\n'),
    env: { NIMBUS_REDIS_PORT: '7001' },
  });
  assert.equal((cfg.services.redis as { port: number }).port, 7001);
});

test('an error names the key, the bad value, its source and what is expected', () => {
  assert.throws(
    () => loadConfig([fake], { cwd: dirWith(null), env: { NIMBUS_REDIS_PORT: 'abc' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /config key redis\.port: got "abc" \(from env NIMBUS_REDIS_PORT\), expected number/,
      );
      return true;
    },
  );
  assert.throws(
    () =>
      loadConfig([fake], {
        cwd: dirWith(null),
        env: {},
        flags: [{ key: 'redis.port', value: 70000, flag: '--redis-port' }],
      }),
    /config key redis\.port: got 70000 \(from flag --redis-port\), expected <= 65535/,
  );
  assert.throws(
    () => loadConfig([fake], { cwd: dirWith('redis:\n  maxmemoryPolicy: lots\n'), env: {} }),
    /config key redis\.maxmemoryPolicy: got "lots" \(from file .*nimbus\.yaml\), expected one of "noeviction", "allkeys-lru"/,
  );
});

test('unknown top-level keys, unknown services and bad YAML are reported', () => {
  assert.throws(
    () => loadConfig([fake], { cwd: dirWith('redsi:\n  port: 1\n'), env: {} }),
    /config key redsi \(from file .*nimbus\.yaml\): unknown; expected one of host, .*redis/,
  );
  assert.throws(
    () => loadConfig([fake], { cwd: dirWith(null), env: { NIMBUS_SERVICES: 'redis,kafak' } }),
    /config key services: got "kafak", expected one of redis/,
  );
  assert.throws(() => loadConfig([fake], { cwd: dirWith('redis: [1, 2\n'), env: {} }), /not valid YAML/);
  assert.throws(
    () => loadConfig([fake], { cwd: dirWith(null), configPath: 'missing.yaml', env: {} }),
    /does not exist/,
  );
});
