// ACL enforcement where the dispatcher alone does not see the command: redis.call / redis.pcall
// inside scripts and functions run with the caller's user (Redis 7.2's "ACL failure in script"),
// and EXEC re-checks queued commands against rules changed after queueing (compared byte for
// byte with Debian's redis-server).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { startStandalone, type StandaloneService } from '../../platform/testing.js';
import { redisService, type RedisConfig } from '../index.js';
import { findTool } from '../../../test/helpers/tools.js';

let svc: StandaloneService<RedisConfig>;
let port = 0;
let real: ChildProcess | null = null;
let realPort = 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  svc = await startStandalone(redisService, { config: { save: '' }, ephemeral: true });
  port = Number(new URL(svc.service.endpoints().redis as string).port);
  const bin = findTool('redis-server');
  if (!bin) return;
  realPort = 20000 + Math.floor(Math.random() * 30000);
  real = spawn(bin, ['--port', String(realPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    try {
      (await Raw.open(realPort)).close();
      break;
    } catch {
      // not listening yet
    }
  }
});
after(async () => {
  real?.kill('SIGKILL');
  await svc.close();
});

/** A raw RESP connection returning whole reply text per request (simple replies only). */
class Raw {
  private buf = '';
  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => (this.buf += d.toString('latin1')));
  }
  static async open(p: number): Promise<Raw> {
    const s = createConnection(p, '127.0.0.1');
    await new Promise<void>((r, j) => {
      s.on('connect', () => r());
      s.on('error', j);
    });
    return new Raw(s);
  }
  /** Sends a command and returns everything received within a short settle time. */
  async send(...argv: string[]): Promise<string> {
    let s = `*${argv.length}\r\n`;
    for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.buf = '';
    this.sock.write(s);
    for (let i = 0; i < 200 && !this.buf.endsWith('\r\n'); i++) await sleep(5);
    await sleep(20);
    return this.buf;
  }
  close(): void {
    this.sock.destroy();
  }
}

test('redis.call and redis.pcall inside EVAL and FCALL are checked against the caller', async () => {
  const admin = await Raw.open(port);
  const bob = await Raw.open(port);
  try {
    assert.equal(await admin.send('ACL', 'SETUSER', 'bob', 'on', '>pw', '~k*', '+@all', '-set'), '+OK\r\n');
    assert.equal(await bob.send('AUTH', 'bob', 'pw'), '+OK\r\n');
    await admin.send('SET', 'k1', 'v');
    // A denied command: the whole script fails with Redis 7.2's error.
    assert.match(
      await bob.send('EVAL', "return redis.call('set', 'k1', 'x')", '0'),
      /^-ERR ACL failure in script: User bob has no permissions to run the 'set' command/,
    );
    // A denied key.
    assert.match(
      await bob.send('EVAL', "return redis.call('get', 'x1')", '0'),
      /^-ERR ACL failure in script: No permissions to access a key/,
    );
    // pcall hands the error to the script as a table.
    assert.equal(
      await bob.send('EVAL', "return redis.pcall('get', 'x1').err", '0'),
      '$57\r\nERR ACL failure in script: No permissions to access a key\r\n',
    );
    // What the user may do still works, and nothing was written.
    assert.equal(await bob.send('EVAL', "return redis.call('get', 'k1')", '0'), '$1\r\nv\r\n');
    assert.equal(await admin.send('GET', 'k1'), '$1\r\nv\r\n');
    // The denials are in ACL LOG with the lua context.
    const log = await admin.send('ACL', 'LOG', '1');
    assert.match(log, /\$7\r\ncontext\r\n\$3\r\nlua\r\n/);
    assert.match(log, /\$6\r\nobject\r\n\$2\r\nx1\r\n/);
    // Functions run with the caller's user too.
    const lib = "#!lua name=acllib\nredis.register_function('setit', function(keys) return redis.call('set', keys[1], 'x') end)";
    assert.equal(await admin.send('FUNCTION', 'LOAD', 'REPLACE', lib), '$6\r\nacllib\r\n');
    assert.match(await bob.send('FCALL', 'setit', '1', 'k2'), /^-ERR ACL failure in script: User bob has no permissions to run the 'set' command/);
    assert.equal(await admin.send('FCALL', 'setit', '1', 'k2'), '+OK\r\n');
  } finally {
    await admin.send('ACL', 'DELUSER', 'bob');
    await admin.send('FUNCTION', 'FLUSH');
    admin.close();
    bob.close();
  }
});

/** MULTI by `eve`, the admin changes her rules, then EXEC: every reply of the session. */
async function execAfterAclChange(p: number): Promise<string> {
  const admin = await Raw.open(p);
  const eve = await Raw.open(p);
  try {
    await admin.send('ACL', 'SETUSER', 'eve', 'reset', 'on', '>pw', '~*', '&*', '+@all');
    let out = await eve.send('AUTH', 'eve', 'pw');
    out += await eve.send('MULTI');
    out += await eve.send('SET', 'k1', 'v');
    out += await eve.send('GET', 'k1');
    out += await eve.send('GET', 'other1');
    out += await eve.send('PUBLISH', 'ch', 'm');
    await admin.send('ACL', 'SETUSER', 'eve', '-set', 'resetkeys', '~other*', 'resetchannels', '&x*');
    out += await eve.send('EXEC');
    out += await admin.send('ACL', 'LOG', 'RESET');
    return out;
  } finally {
    await admin.send('ACL', 'DELUSER', 'eve');
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
  assert.equal(got, await execAfterAclChange(realPort));
});
