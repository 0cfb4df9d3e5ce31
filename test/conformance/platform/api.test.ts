// Proves the programmatic API that test suites use: startNimbus with ephemeral ports and data,
// endpoints known at once, status, and a stop that closes the ports and removes the temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startNimbus } from '../../../src/index.js';

test('startNimbus({ ephemeral, ports: "ephemeral" }) runs and stops a host in-process', async () => {
  const cloud = await startNimbus({
    services: ['gateway'],
    ephemeral: true,
    ports: 'ephemeral',
    logLevel: 'silent',
  });
  try {
    assert.match(cloud.endpoints.gateway ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(cloud.dataDir));
    assert.deepEqual(
      cloud.status().map((s) => [s.name, s.state]),
      [['gateway', 'ready']],
    );
    const res = await fetch(`${cloud.endpoints.gateway}/_nimbus/health`);
    assert.equal(res.status, 200);
    assert.ok(cloud.readyMs > 0);
  } finally {
    await cloud.stop();
  }
  assert.equal(existsSync(cloud.dataDir), false);
  await assert.rejects(fetch(`${cloud.endpoints.gateway}/_nimbus/health`));
  await cloud.stop(); // idempotent
});

test('startNimbus rejects unknown services with a config error', async () => {
  await assert.rejects(
    startNimbus({ services: ['nope'], ephemeral: true, ports: 'ephemeral', logLevel: 'silent' }),
    /config key services: got "nope"/,
  );
});
