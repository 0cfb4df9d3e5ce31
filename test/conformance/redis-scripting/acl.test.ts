// Proves the ACL commands over a real socket (ioredis): SETUSER/GETUSER/LIST/USERS/WHOAMI/CAT/
// DRYRUN/DELUSER/LOG, the aclfile surviving a restart (SAVE, then a new server loads it), and the
// permission check and authentication entry points the dispatcher calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisUnderTest } from './harness.js';
import { aclAuthenticate, aclCheckCommand } from '../../../src/redis/commands/acl.js';
import type { RegisteredCommand } from '../../../src/redis/commands/registry.js';

let r: RedisUnderTest;
let io: Redis;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-acl-'));
  r = await startRedis();
  r.server.settings.extra.set('aclfile', join(dir, 'users.acl'));
  io = new Redis({ port: r.port });
});
after(async () => {
  io.disconnect();
  await r.close();
  rmSync(dir, { recursive: true, force: true });
});

test('ACL SETUSER / GETUSER / LIST / USERS / WHOAMI / CAT / DRYRUN / DELUSER', async () => {
  assert.equal(await io.call('ACL', 'WHOAMI'), 'default');
  assert.equal(
    await io.call('ACL', 'SETUSER', 'app', 'on', '>s3cret', '~app:*', '&events', '+@read', '+set'),
    'OK',
  );
  await assert.rejects(
    io.call('ACL', 'SETUSER', 'app', '+nosuch'),
    /Error in ACL SETUSER modifier '\+nosuch': Unknown command or category name in ACL/,
  );
  const u = (await io.call('ACL', 'GETUSER', 'app')) as unknown[];
  assert.deepEqual(u.slice(0, 2), ['flags', ['on']]);
  assert.equal(u[u.indexOf('commands') + 1], '-@all +@read +set');
  assert.equal(u[u.indexOf('keys') + 1], '~app:*');
  assert.equal(u[u.indexOf('channels') + 1], '&events');
  assert.deepEqual(await io.call('ACL', 'USERS'), ['app', 'default']);
  const list = (await io.call('ACL', 'LIST')) as string[];
  assert.match(list[0] as string, /^user app on #[0-9a-f]{64} ~app:\* &events -@all \+@read \+set$/);
  assert.ok(((await io.call('ACL', 'CAT')) as string[]).includes('scripting'));
  assert.ok(((await io.call('ACL', 'CAT', 'string')) as string[]).includes('get'));
  assert.equal(await io.call('ACL', 'DRYRUN', 'app', 'get', 'app:1'), 'OK');
  assert.equal(
    await io.call('ACL', 'DRYRUN', 'app', 'del', 'app:1'),
    "This user has no permissions to run the 'del' command",
  );
  assert.equal(
    await io.call('ACL', 'DRYRUN', 'app', 'get', 'other'),
    "This user has no permissions to access the 'other' key",
  );
  assert.equal(await io.call('ACL', 'GETUSER', 'ghost'), null);
  await assert.rejects(io.call('ACL', 'DELUSER', 'default'), /The 'default' user cannot be removed/);
});

test('permission checks and authentication entry points; ACL LOG', async () => {
  const c = r.server.fakeClient();
  const lookup = (name: string): RegisteredCommand => r.server.registry.lookup(name) as RegisteredCommand;
  assert.equal(aclAuthenticate(c, 'app', 's3cret'), true);
  assert.equal(aclAuthenticate(c, 'app', 'wrong'), false);
  c.user = 'app';
  assert.equal(aclCheckCommand(c, lookup('get'), ['get', 'app:1']), null);
  assert.equal(aclCheckCommand(c, lookup('get'), ['get', 'secret']), 'NOPERM No permissions to access a key');
  assert.equal(
    aclCheckCommand(c, lookup('flushall'), ['flushall']),
    "NOPERM User app has no permissions to run the 'flushall' command",
  );
  const logged = (await io.call('ACL', 'LOG')) as unknown[][];
  assert.deepEqual(
    logged.map((e) => [e[e.indexOf('reason') + 1], e[e.indexOf('object') + 1], e[e.indexOf('username') + 1]]),
    [
      ['command', 'flushall', 'app'],
      ['key', 'secret', 'app'],
      ['auth', 'AUTH', 'app'],
    ],
  );
  assert.equal(await io.call('ACL', 'LOG', 'RESET'), 'OK');
  assert.deepEqual(await io.call('ACL', 'LOG'), []);
});

test('aclfile: ACL SAVE, then a restarted server loads the users', async () => {
  assert.equal(await io.call('ACL', 'SAVE'), 'OK');
  const text = readFileSync(join(dir, 'users.acl'), 'latin1');
  assert.match(text, /^user app on #[0-9a-f]{64} ~app:\* &events -@all \+@read \+set$/m);
  const second = await startRedis();
  try {
    second.server.settings.extra.set('aclfile', join(dir, 'users.acl'));
    const io2 = new Redis({ port: second.port });
    assert.deepEqual(await io2.call('ACL', 'USERS'), ['app', 'default']);
    assert.equal(aclAuthenticate(second.server.fakeClient(), 'app', 's3cret'), true);
    io2.disconnect();
  } finally {
    await second.close();
  }
  assert.equal(await io.call('ACL', 'DELUSER', 'app', 'nobody'), 1);
  assert.equal(await io.call('ACL', 'LOAD'), 'OK');
  assert.deepEqual(await io.call('ACL', 'USERS'), ['app', 'default']);
});
