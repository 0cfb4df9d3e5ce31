// Proves ACL enforcement over real sockets: a user made with ACL SETUSER logs in with ioredis
// (AUTH user pass), runs what its rules allow, gets Redis 7.2's NOPERM errors for commands, keys
// and channels it may not touch (also inside MULTI), a bad password lands in ACL LOG, the default
// user stays open, and users saved to the `aclfile` config parameter exist after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from './harness.js';

function logRows(log: unknown): Array<[unknown, unknown, unknown]> {
  return (log as unknown[][]).map((e) => [
    e[e.indexOf('reason') + 1],
    e[e.indexOf('object') + 1],
    e[e.indexOf('username') + 1],
  ]);
}

test('ACL users: AUTH, NOPERM for commands/keys/channels, ACL LOG, aclfile across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-acl-enf-'));
  try {
    const first = await startRedis({ appendonly: false, aclfile: 'users.acl' }, dir);
    const admin = new Redis({ port: first.port });
    let app: Redis | null = null;
    try {
      // The default user stays open: no AUTH needed, every command allowed.
      assert.equal(await admin.call('ACL', 'WHOAMI'), 'default');
      assert.equal(await admin.call('CONFIG', 'GET', 'aclfile').then((r) => (r as string[])[1]), 'users.acl');
      assert.equal(
        await admin.call('ACL', 'SETUSER', 'app', 'on', '>s3cret', '~app:*', '&news', '+get', '+set', '+publish', '+multi', '+exec', '+acl|whoami'),
        'OK',
      );
      app = new Redis({ port: first.port, username: 'app', password: 's3cret' });
      assert.equal(await app.call('ACL', 'WHOAMI'), 'app');
      assert.equal(await app.set('app:1', 'v'), 'OK');
      assert.equal(await app.get('app:1'), 'v');
      assert.equal(await app.publish('news', 'hi'), 0);
      await assert.rejects(app.del('app:1'), (e: Error) => {
        assert.equal(e.message, "NOPERM User app has no permissions to run the 'del' command");
        return true;
      });
      await assert.rejects(app.get('other'), (e: Error) => {
        assert.equal(e.message, 'NOPERM No permissions to access a key');
        return true;
      });
      await assert.rejects(app.publish('sports', 'x'), /NOPERM No permissions to access a channel/);
      await assert.rejects(app.call('ACL', 'LIST'), /NOPERM User app has no permissions to run the 'acl\|list' command/);
      // Denied inside MULTI: rejected at queue time and the transaction aborts, as in Redis.
      await assert.rejects(app.multi().set('app:2', 'x').del('app:1').exec(), /EXECABORT/);
      assert.equal(await admin.exists('app:2'), 0);

      // A wrong password is refused, logged, and leaves the connection logged in as before.
      await assert.rejects(app.call('AUTH', 'app', 'wrong'), /WRONGPASS invalid username-password pair or user is disabled/);
      assert.equal(await app.call('ACL', 'WHOAMI'), 'app');
      await assert.rejects(admin.call('AUTH', 'ghost', 'pw'), /WRONGPASS/);
      await assert.rejects(admin.call('HELLO', '3', 'AUTH', 'app', 'nope'), /WRONGPASS/);
      assert.equal(await admin.call('ACL', 'WHOAMI'), 'default');
      // Newest first; a repeat of a recent entry (same reason/object/user/context) is merged into it
      // and moves to the top, so HELLO AUTH app/nope merges into the earlier AUTH app/wrong.
      const log = (await admin.call('ACL', 'LOG')) as unknown[][];
      const rows = logRows(log);
      assert.deepEqual(rows.slice(0, 4), [
        ['auth', 'AUTH', 'app'],
        ['auth', 'AUTH', 'ghost'],
        ['command', 'del', 'app'],
        ['command', 'acl|list', 'app'],
      ]);
      const multiDel = log[2] as unknown[];
      assert.equal(multiDel[multiDel.indexOf('context') + 1], 'multi');
      assert.ok(rows.some(([r, o, u]) => r === 'key' && o === 'other' && u === 'app'));
      assert.ok(rows.some(([r, o, u]) => r === 'channel' && o === 'sports' && u === 'app'));
      assert.ok(rows.some(([r, o, u]) => r === 'command' && o === 'del' && u === 'app'));
      const authApp = log[0] as unknown[];
      assert.equal(authApp[authApp.indexOf('count') + 1], 2);

      // HELLO AUTH logs in as a named user too.
      const hello = new Redis({ port: first.port, lazyConnect: true });
      await hello.connect();
      await hello.call('HELLO', '2', 'AUTH', 'app', 's3cret');
      assert.equal(await hello.call('ACL', 'WHOAMI'), 'app');
      hello.disconnect();

      assert.equal(await admin.call('ACL', 'SAVE'), 'OK');
      assert.ok(existsSync(join(dir, 'users.acl')));
      assert.match(readFileSync(join(dir, 'users.acl'), 'latin1'), /^user app on #[0-9a-f]{64} ~app:\* &news -@all /m);
    } finally {
      app?.disconnect();
      admin.disconnect();
      await first.close();
    }

    // A new server with the same aclfile knows the user at startup, before any ACL command.
    const second = await startRedis({ appendonly: false, aclfile: 'users.acl' }, dir);
    const app2 = new Redis({ port: second.port, username: 'app', password: 's3cret' });
    const anon = new Redis({ port: second.port });
    try {
      assert.equal(await app2.call('ACL', 'WHOAMI'), 'app');
      assert.equal(await app2.get('app:1'), null);
      await assert.rejects(app2.del('app:1'), /NOPERM User app has no permissions to run the 'del' command/);
      assert.equal(await anon.set('free', '1'), 'OK');
    } finally {
      app2.disconnect();
      anon.disconnect();
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aclfile giving the default user a password: connections need AUTH; requirepass still works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-acl-def-'));
  try {
    writeFileSync(join(dir, 'users.acl'), 'user default on >topsecret ~* &* +@all\n');
    const srv = await startRedis({ appendonly: false, aclfile: join(dir, 'users.acl') }, dir);
    const r = new Redis({ port: srv.port, lazyConnect: true, enableReadyCheck: false, protocol: 2 } as never);
    try {
      await r.connect();
      await assert.rejects(r.get('k'), /NOAUTH Authentication required/);
      assert.equal(await r.call('AUTH', 'topsecret'), 'OK');
      assert.equal(await r.set('k', 'v'), 'OK');
    } finally {
      r.disconnect();
      await srv.close();
    }
    const rp = await startRedis({ requirepass: 'pw' });
    const a = new Redis({ port: rp.port, lazyConnect: true, enableReadyCheck: false, protocol: 2 } as never);
    try {
      await a.connect();
      await assert.rejects(a.get('k'), /NOAUTH/);
      assert.equal(await a.call('AUTH', 'default', 'pw'), 'OK');
      assert.equal(await a.call('CONFIG', 'SET', 'requirepass', ''), 'OK');
      const b = new Redis({ port: rp.port });
      assert.equal(await b.ping(), 'PONG');
      b.disconnect();
    } finally {
      a.disconnect();
      await rp.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
