// ACL enforcement where the dispatcher alone does not see the command: redis.call / redis.pcall
// inside scripts and functions run with the caller's user (Redis 7.2's "ACL failure in script"),
// and EXEC re-checks queued commands against rules changed after queueing (compared byte for
// byte with Debian's redis-server).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStandalone, type StandaloneService } from '../../platform/testing.js';
import { redisService, type RedisConfig } from '../index.js';
import { RawConn, startRealRedis, type RealRedis } from '../../../test/conformance/redis/raw-conn.js';

let svc: StandaloneService<RedisConfig>;
let port = 0;
let real: RealRedis | null = null;

before(async () => {
  svc = await startStandalone(redisService, { config: { save: '' }, ephemeral: true });
  port = Number(new URL(svc.service.endpoints().redis as string).port);
  real = await startRealRedis();
});
after(async () => {
  real?.stop();
  await svc.close();
});

test('redis.call and redis.pcall inside EVAL and FCALL are checked against the caller', async () => {
  const admin = await RawConn.open(port);
  const bob = await RawConn.open(port);
  try {
    assert.equal(await admin.call('ACL', 'SETUSER', 'bob', 'on', '>pw', '~k*', '+@all', '-set'), '+OK\r\n');
    assert.equal(await bob.call('AUTH', 'bob', 'pw'), '+OK\r\n');
    await admin.call('SET', 'k1', 'v');
    // A denied command: the whole script fails with Redis 7.2's error.
    assert.match(
      await bob.call('EVAL', "return redis.call('set', 'k1', 'x')", '0'),
      /^-ERR ACL failure in script: User bob has no permissions to run the 'set' command/,
    );
    // A denied key.
    assert.match(
      await bob.call('EVAL', "return redis.call('get', 'x1')", '0'),
      /^-ERR ACL failure in script: No permissions to access a key/,
    );
    // pcall hands the error to the script as a table.
    assert.equal(
      await bob.call('EVAL', "return redis.pcall('get', 'x1').err", '0'),
      '$57\r\nERR ACL failure in script: No permissions to access a key\r\n',
    );
    // What the user may do still works, and nothing was written.
    assert.equal(await bob.call('EVAL', "return redis.call('get', 'k1')", '0'), '$1\r\nv\r\n');
    assert.equal(await admin.call('GET', 'k1'), '$1\r\nv\r\n');
    // The denials are in ACL LOG with the lua context.
    const log = await admin.call('ACL', 'LOG', '1');
    assert.match(log, /\$7\r\ncontext\r\n\$3\r\nlua\r\n/);
    assert.match(log, /\$6\r\nobject\r\n\$2\r\nx1\r\n/);
    // Functions run with the caller's user too.
    const lib =
      "#!lua name=acllib\nredis.register_function('setit', function(keys) return redis.call('set', keys[1], 'x') end)";
    assert.equal(await admin.call('FUNCTION', 'LOAD', 'REPLACE', lib), '$6\r\nacllib\r\n');
    assert.match(
      await bob.call('FCALL', 'setit', '1', 'k2'),
      /^-ERR ACL failure in script: User bob has no permissions to run the 'set' command/,
    );
    assert.equal(await admin.call('FCALL', 'setit', '1', 'k2'), '+OK\r\n');
  } finally {
    await admin.call('ACL', 'DELUSER', 'bob');
    await admin.call('FUNCTION', 'FLUSH');
    admin.close();
    bob.close();
  }
});

/** MULTI by `eve`, the admin changes her rules, then EXEC: every reply of the session. */
async function execAfterAclChange(p: number): Promise<string> {
  const admin = await RawConn.open(p);
  const eve = await RawConn.open(p);
  try {
    await admin.call('ACL', 'SETUSER', 'eve', 'reset', 'on', '>pw', '~*', '&*', '+@all');
    let out = await eve.call('AUTH', 'eve', 'pw');
    out += await eve.call('MULTI');
    out += await eve.call('SET', 'k1', 'v');
    out += await eve.call('GET', 'k1');
    out += await eve.call('GET', 'other1');
    out += await eve.call('PUBLISH', 'ch', 'm');
    await admin.call('ACL', 'SETUSER', 'eve', '-set', 'resetkeys', '~other*', 'resetchannels', '&x*');
    out += await eve.call('EXEC');
    out += await admin.call('ACL', 'LOG', 'RESET');
    return out;
  } finally {
    await admin.call('ACL', 'DELUSER', 'eve');
    admin.close();
    eve.close();
  }
}

test('EXEC re-checks queued commands against ACL rules changed after MULTI (as redis-server)', async (t) => {
  const got = await execAfterAclChange(port);
  assert.match(got, /no permission to execute the command or subcommand/);
  assert.match(got, /no permission to touch the specified keys/);
  assert.match(got, /no permission to access one of the channels used as arguments/);
  if (real === null) {
    t.diagnostic('redis-server not installed: compared with the expected text only');
    return;
  }
  assert.equal(got, await execAfterAclChange(real.port));
});
