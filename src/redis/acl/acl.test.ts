// Proves the ACL rule language, permission checks (commands, categories, subcommands, first-arg,
// key patterns with R/W, channels, selectors), authentication, ACL LOG grouping and the aclfile
// round trip behave as Redis 7.2 does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclStore, AclError } from './acl.js';
import { sha256hex } from './user.js';

function req(
  acl: AclStore,
  cmd: string,
  keys: Array<[string, 'r' | 'w' | 'rw']> = [],
  channels: string[] = [],
  firstArg?: string,
) {
  return acl.request(cmd, {
    keys: keys.map(([key, m]) => ({ key, read: m.includes('r'), write: m.includes('w') })),
    channels,
    ...(firstArg !== undefined ? { firstArg } : {}),
  });
}

test('default user: open unless requirepass', () => {
  const acl = new AclStore();
  assert.equal(acl.defaultNoAuth, true);
  assert.deepEqual(acl.list(), ['user default on nopass sanitize-payload ~* &* +@all']);
  const locked = new AclStore({ requirePass: 'secret' });
  assert.equal(locked.defaultNoAuth, false);
  assert.equal(locked.authenticate('default', 'nope'), null);
  assert.ok(locked.authenticate('default', 'secret'));
  assert.equal(locked.list()[0], `user default on sanitize-payload #${sha256hex('secret')} ~* &* +@all`);
  locked.setRequirePass(null);
  assert.equal(locked.defaultNoAuth, true);
});

test('SETUSER rules and command checks', () => {
  const acl = new AclStore();
  acl.setUser('bob', ['on', '>pw', '~cache:*', '+@read', '-hgetall', '+set', '+config|get', '+select|0']);
  const bob = acl.getUser('bob');
  assert.ok(bob);
  assert.equal(
    bob.describe(),
    `user bob on #${sha256hex('pw')} ~cache:* -@all +@read -hgetall +set +config|get +select|0`,
  );
  assert.equal(acl.check(bob, req(acl, 'get', [['cache:1', 'r']])), null);
  assert.equal(
    acl.check(bob, req(acl, 'hgetall', [['cache:1', 'r']])),
    "NOPERM User bob has no permissions to run the 'hgetall' command",
  );
  assert.equal(acl.check(bob, req(acl, 'get', [['other', 'r']])), 'NOPERM No permissions to access a key');
  assert.equal(acl.check(bob, req(acl, 'set', [['cache:1', 'w']])), null);
  assert.equal(
    acl.check(bob, req(acl, 'del', [['cache:1', 'w']])),
    "NOPERM User bob has no permissions to run the 'del' command",
  );
  assert.equal(acl.check(bob, req(acl, 'config|get')), null);
  assert.match(acl.check(bob, req(acl, 'config|set')) ?? '', /config\|set/);
  assert.equal(acl.check(bob, req(acl, 'select', [], [], '0')), null);
  assert.match(acl.check(bob, req(acl, 'select', [], [], '1')) ?? '', /no permissions/);
  // unknown names and bad syntax are rejected, and nothing is applied
  assert.throws(
    () => acl.setUser('bob', ['+get', '+nosuchcmd']),
    (e: AclError) =>
      e.message === "ERR Error in ACL SETUSER modifier '+nosuchcmd': Unknown command or category name in ACL",
  );
  assert.throws(() => acl.setUser('bob', ['+@nosuchcat']), /Unknown command or category/);
  assert.throws(() => acl.setUser('bob', ['bogus']), /Syntax error/);
  assert.throws(() => acl.setUser('bob', ['#abc']), /exactly 64 characters/);
  assert.equal(acl.getUser('bob')?.root.describeCommands().includes('+get'), false);
  // reset
  acl.setUser('bob', ['reset']);
  assert.equal(acl.getUser('bob')?.describe(), 'user bob off -@all');
});

test('key permissions: %R~ and %W~', () => {
  const acl = new AclStore();
  acl.setUser('u', ['on', 'nopass', '+@all', '%R~ro:*', '%W~wo:*', '%RW~both:*']);
  const u = acl.getUser('u');
  assert.ok(u);
  assert.equal(acl.check(u, req(acl, 'get', [['ro:1', 'r']])), null);
  assert.equal(acl.check(u, req(acl, 'set', [['ro:1', 'w']])), 'NOPERM No permissions to access a key');
  assert.equal(acl.check(u, req(acl, 'set', [['wo:1', 'w']])), null);
  assert.equal(acl.check(u, req(acl, 'get', [['wo:1', 'r']])), 'NOPERM No permissions to access a key');
  assert.equal(acl.check(u, req(acl, 'incr', [['both:1', 'rw']])), null);
  assert.equal(u.root.describeKeys(), '%R~ro:* %W~wo:* ~both:*');
});

test('channels and selectors', () => {
  const acl = new AclStore();
  acl.setUser('p', ['on', 'nopass', '+@all', '&news.*', '(+get', '~sel:*)']);
  const p = acl.getUser('p');
  assert.ok(p);
  assert.equal(acl.check(p, req(acl, 'publish', [], ['news.sport'])), null);
  assert.equal(acl.check(p, req(acl, 'publish', [], ['other'])), 'NOPERM No permissions to access a channel');
  // no key patterns in the root selector, but the selector allows GET on sel:*
  assert.equal(acl.check(p, req(acl, 'get', [['sel:1', 'r']])), null);
  assert.equal(acl.check(p, req(acl, 'set', [['sel:1', 'w']])), 'NOPERM No permissions to access a key');
  assert.equal(p.describe(), 'user p on nopass &news.* +@all (~sel:* -@all +get)');
});

test('authentication and ACL LOG', () => {
  let now = 1_000_000;
  const acl = new AclStore({ now: () => now });
  acl.setUser('alice', ['on', '>a1', '>a2', '+@all', '~*']);
  assert.ok(acl.authenticate('alice', 'a2'));
  assert.equal(acl.authenticate('alice', 'bad', 'id=1'), null);
  assert.equal(acl.authenticate('alice', 'bad', 'id=2'), null);
  acl.setUser('alice', ['off']);
  assert.equal(acl.authenticate('alice', 'a1'), null);
  assert.equal(acl.authenticate('ghost', 'x'), null);
  const log = acl.logEntries();
  assert.equal(log.length, 2);
  assert.deepEqual([log[0]?.username, log[0]?.count], ['ghost', 1]);
  assert.deepEqual(
    [log[1]?.username, log[1]?.count, log[1]?.reason, log[1]?.object, log[1]?.clientInfo],
    ['alice', 3, 'auth', 'AUTH', ''],
  );
  now += ACL_LOG_WINDOW + 1;
  acl.authenticate('alice', 'bad');
  assert.equal(acl.logEntries().length, 3);
  // command denials are logged, dry runs are not
  acl.setUser('alice', ['on', '-get']);
  const alice = acl.getUser('alice');
  assert.ok(alice);
  assert.equal(
    acl.check(alice, req(acl, 'get', [['k', 'r']]), 'toplevel', '', true),
    "This user has no permissions to run the 'get' command",
  );
  assert.equal(acl.logEntries().length, 3);
  acl.check(alice, req(acl, 'get', [['k', 'r']]), 'lua');
  assert.deepEqual(
    [acl.logEntries()[0]?.reason, acl.logEntries()[0]?.context, acl.logEntries()[0]?.object],
    ['command', 'lua', 'get'],
  );
  acl.resetLog();
  assert.equal(acl.logEntries().length, 0);
});
const ACL_LOG_WINDOW = 60_000;

test('aclfile round trip and errors', () => {
  const acl = new AclStore();
  acl.setUser('a', ['on', '>x', '~k:*', '&c', '+@string', '-set', '(+get ~s:*)']);
  acl.setUser('b', ['off']);
  const text = acl.serialize();
  const again = new AclStore();
  again.load(text);
  assert.equal(again.serialize(), text);
  assert.ok(again.authenticate('a', 'x'));
  assert.throws(
    () => again.load('user a on\nuser a off\n', '/etc/users.acl'),
    (e: AclError) => e.message === "ERR /etc/users.acl:2: Duplicate user 'a' found",
  );
  assert.throws(() => again.load('user z +nope\n'), /aclfile:1: Error in applying operation '\+nope'/);
  assert.throws(() => again.load('bogus\n'), /should start with user keyword/);
  // failed loads change nothing
  assert.equal(again.serialize(), text);
  assert.throws(() => again.deleteUsers(['default']), /cannot be removed/);
  assert.equal(again.deleteUsers(['a', 'nobody']), 1);
});

test('ACL CAT data comes from the command table', () => {
  const acl = new AclStore();
  const strings = acl.catalog.commandsIn('string');
  assert.ok(strings.includes('get') && strings.includes('set') && !strings.includes('hget'));
  assert.ok(acl.catalog.commandsIn('admin').includes('config|set'));
});

test('arbitrary SETUSER rules and aclfile text only ever fail with AclError', async () => {
  const fc = (await import('fast-check')).default;
  const acl = new AclStore();
  const rule = fc.oneof(
    fc.string(),
    fc
      .constantFrom(
        '+',
        '-',
        '~',
        '%',
        '&',
        '#',
        '>',
        '<',
        '!',
        '(',
        ')',
        '%R~',
        '+@',
        '-@',
        '+get|',
        '(+get',
        'reset',
      )
      .chain((p) => fc.string().map((s) => p + s)),
  );
  fc.assert(
    fc.property(fc.array(rule, { maxLength: 6 }), (rules) => {
      try {
        acl.setUser('fuzz', rules);
      } catch (e) {
        assert.ok(e instanceof AclError, String(e));
      }
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      try {
        new AclStore().load(text);
      } catch (e) {
        assert.ok(e instanceof AclError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});
