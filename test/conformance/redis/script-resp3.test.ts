// Script replies to a RESP3 caller, byte for byte against Debian's redis-server: Lua booleans
// convert by the script's protocol (redis.setresp), nulls by the caller's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool } from '../../helpers/tools.js';
import { RawConn, useBothServers } from './raw-conn.js';

const servers = useBothServers();

const SCRIPTS = [
  'return false',
  'return true',
  'return redis.call("GET", "script-resp3-missing")',
  'redis.setresp(3); return false',
  'redis.setresp(3); return true',
  'redis.setresp(3); return redis.call("GET", "script-resp3-missing")',
  'return {1, false, "x"}',
];

async function replies(port: number): Promise<string[]> {
  const c = await RawConn.open(port);
  try {
    await c.call('HELLO', '3');
    const out: string[] = [];
    for (const body of SCRIPTS) out.push(await c.call('EVAL', body, '0'));
    return out;
  } finally {
    c.close();
  }
}

test('EVAL replies to a RESP3 caller match redis-server (booleans by redis.setresp, nulls by the caller)', async (t) => {
  const nimbus = await replies(servers.nimbus.port);
  assert.deepEqual(nimbus.slice(0, 2), ['_\r\n', ':1\r\n']);
  if (servers.real === null) {
    requireTool(t, 'redis-server'); // skips here, fails under CI=true
    return;
  }
  assert.deepEqual(nimbus, await replies(servers.real.port));
});
