// Proves the Lua runtime behaves as Redis 7.2's scripting engine does: conversions both ways,
// error texts, the read-only global sandbox, the SHA cache, and the busy / SCRIPT KILL path driven
// by the instruction-count hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptRuntime, sha1hex, type ScriptHost } from './runtime.js';
import { withBuffers, type ScriptReply } from './reply.js';

const B = (s: string): Buffer => Buffer.from(s);

function makeRuntime(extra: Partial<ConstructorParameters<typeof ScriptRuntime>[0]> = {}): {
  rt: ScriptRuntime;
  store: Map<string, Buffer>;
  calls: string[][];
} {
  const store = new Map<string, Buffer>();
  const calls: string[][] = [];
  const host: ScriptHost = {
    call(argvLatin1, resp3): ScriptReply {
      const argv = argvLatin1.map((s) => Buffer.from(s, 'latin1'));
      const a = argv.map((b) => b.toString());
      calls.push(a);
      switch (a[0]?.toLowerCase()) {
        case 'get':
          return store.get(a[1] ?? '') ?? null;
        case 'set':
          store.set(a[1] ?? '', argv[2] ?? B(''));
          return { kind: 'status', text: 'OK' };
        case 'del':
          return store.delete(a[1] ?? '') ? 1 : 0;
        case 'hgetall':
          return resp3 ? { kind: 'map', items: [B('f'), B('v')] } : [B('f'), B('v')];
        case 'echo':
          return argv[1] ?? null;
        default:
          return { kind: 'error', text: `ERR unknown command '${a[0]}'` };
      }
    },
  };
  return { rt: new ScriptRuntime({ host, ...extra }), store, calls };
}

function evalOk(
  rt: ScriptRuntime,
  body: string,
  keys: string[] = [],
  args: string[] = [],
  resp3 = false,
): ScriptReply {
  const r = rt.eval(B(body), keys.map(B), args.map(B), resp3);
  assert.equal(r.status, 'done');
  return r.status === 'done' ? withBuffers(r.reply) : null;
}

test('Lua -> reply conversions follow Redis', () => {
  const { rt } = makeRuntime();
  assert.equal(evalOk(rt, 'return 3.99'), 3);
  assert.equal(evalOk(rt, 'return -3.99'), -3);
  assert.deepEqual(evalOk(rt, "return 'x'"), B('x'));
  assert.equal(evalOk(rt, 'return true'), 1);
  assert.equal(evalOk(rt, 'return false'), null);
  assert.equal(evalOk(rt, 'return nil'), null);
  assert.deepEqual(evalOk(rt, "return {1, 'a', {2}, false, nil, 9}"), [1, B('a'), [2], null]);
  assert.deepEqual(evalOk(rt, "return {ok='FINE'}"), { kind: 'status', text: 'FINE' });
  assert.deepEqual(evalOk(rt, "return {err='ERR bad'}"), { kind: 'error', text: 'ERR bad' });
  assert.deepEqual(evalOk(rt, "return redis.error_reply('MY err')"), { kind: 'error', text: 'MY err' });
  assert.deepEqual(evalOk(rt, "return redis.status_reply('PONG')"), { kind: 'status', text: 'PONG' });
  // Booleans convert by the script's protocol (redis.setresp), not the caller's (script_lua.c).
  assert.equal(evalOk(rt, 'return true', [], [], true), 1);
  assert.deepEqual(evalOk(rt, 'redis.setresp(3) return true'), { kind: 'bool', value: true });
  assert.deepEqual(evalOk(rt, 'redis.setresp(3) return false', [], [], true), { kind: 'bool', value: false });
  assert.deepEqual(evalOk(rt, 'return {double=1.5}'), { kind: 'double', value: 1.5 });
});

test('reply -> Lua conversions, RESP2 and RESP3 (setresp)', () => {
  const { rt, store } = makeRuntime();
  store.set('k', B('v'));
  assert.equal(evalOk(rt, "return redis.call('get', 'missing') == false"), 1);
  assert.equal(evalOk(rt, "return type(redis.call('set', 'a', 'b')) == 'table'"), 1);
  assert.deepEqual(evalOk(rt, "return redis.call('set', 'a', 'b').ok"), B('OK'));
  assert.deepEqual(evalOk(rt, "redis.setresp(3) return redis.call('get', 'missing') == nil"), { kind: 'bool', value: true });
  assert.deepEqual(evalOk(rt, "redis.setresp(3) return redis.call('hgetall', 'h').map.f"), B('v'));
  assert.deepEqual(evalOk(rt, "return redis.call('hgetall', 'h')"), [B('f'), B('v')]);
  assert.deepEqual(evalOk(rt, "return redis.pcall('nope').err"), B("ERR unknown command 'nope'"));
});

test('numbers behave as in Lua 5.1 (no ".0", no 32-bit wrap)', () => {
  const { rt, calls } = makeRuntime();
  assert.deepEqual(evalOk(rt, 'return tostring(10/2)'), B('5'));
  assert.deepEqual(evalOk(rt, "return tostring(tonumber('1732580000') * 1000)"), B('1732580000000'));
  assert.equal(evalOk(rt, "return tonumber('1732580000') * 1000"), 1732580000000);
  evalOk(rt, "return redis.call('echo', 10/2)");
  assert.deepEqual(calls.at(-1), ['echo', '5']);
  evalOk(rt, "return redis.call('echo', 1.5)");
  assert.deepEqual(calls.at(-1), ['echo', '1.5']);
  assert.equal(evalOk(rt, 'return select("#", unpack({1,2,3}))'), 3);
});

test('KEYS and ARGV, SHA cache and NOSCRIPT', () => {
  const { rt } = makeRuntime();
  const body = 'return {KEYS[1], ARGV[2], #KEYS, #ARGV}';
  const sha = rt.load(B(body));
  assert.equal(sha, sha1hex(body));
  assert.equal(rt.has(sha as string), true);
  const r = rt.runSha(sha as string, [B('k1')], [B('a'), B('b')], false);
  assert.deepEqual(r, { status: 'done', reply: ['k1', 'b', 1, 2] });
  assert.equal(rt.runSha('0'.repeat(40), [], [], false), undefined);
  rt.flush();
  assert.equal(rt.has(sha as string), false);
});

test('error texts match Redis 7', () => {
  const { rt } = makeRuntime();
  const sha = sha1hex("return redis.call('nope')");
  assert.deepEqual(evalOk(rt, "return redis.call('nope')"), {
    kind: 'error',
    text: `ERR unknown command 'nope' script: f_${sha}, on @user_script:1.`,
  });
  const r = evalOk(rt, 'return +');
  assert.match((r as { text: string }).text, /^ERR Error compiling script \(new function\): user_script:1: /);
  const e = evalOk(rt, "\nerror('boom')") as { text: string };
  assert.match(e.text, /^ERR user_script:2: boom script: f_[0-9a-f]{40}, on @user_script:2\.$/);
  assert.match(
    (evalOk(rt, 'return redis.call()') as { text: string }).text,
    /Please specify at least one argument/,
  );
  assert.match((evalOk(rt, 'return redis.call({})') as { text: string }).text, /must be strings or integers/);
});

test('sandbox: no os/io/require/loadfile, read-only globals and libraries', () => {
  const { rt } = makeRuntime();
  for (const name of ['os', 'io', 'require', 'loadfile', 'dofile', 'package', 'debug']) {
    const r = evalOk(rt, `return ${name}`) as { text: string };
    assert.match(r.text, /Script attempted to access nonexistent global variable/, name);
  }
  assert.match((evalOk(rt, 'x = 1') as { text: string }).text, /Attempt to modify a readonly table/);
  assert.match(
    (evalOk(rt, 'redis.call = nil') as { text: string }).text,
    /Attempt to modify a readonly table/,
  );
  assert.match(
    (evalOk(rt, 'string.upper = nil') as { text: string }).text,
    /Attempt to modify a readonly table/,
  );
  assert.match(
    (evalOk(rt, 'setmetatable(_G, {})') as { text: string }).text,
    /Attempt to modify a readonly table/,
  );
  assert.match(
    (evalOk(rt, "rawset(_G, 'x', 1)") as { text: string }).text,
    /Attempt to modify a readonly table/,
  );
  assert.equal(evalOk(rt, "return getmetatable('')"), null);
  // library tables still iterate through the proxy
  assert.equal(evalOk(rt, 'local n = 0 for k in pairs(string) do n = n + 1 end return n > 10'), 1);
  assert.deepEqual(evalOk(rt, "return ('abc'):upper()"), B('ABC'));
});

test('busy script with a moving clock', () => {
  let clock = 0;
  const { rt } = makeRuntime({ now: () => (clock += 1), busyThresholdMs: 50, yieldWhenBusy: true });
  const r = rt.eval(B('local i = 0 while true do i = i + 1 end'), [], [], false);
  assert.equal(r.status, 'busy');
  assert.equal(rt.busy, true);
  const again = rt.eval(B('return 1'), [], [], false);
  assert.deepEqual(again, {
    status: 'done',
    reply: { kind: 'error', text: 'ERR a script is already running' },
  });
  assert.equal(rt.resume().status, 'busy');
  assert.equal(rt.kill(), 'ok');
  const end = rt.resume();
  assert.equal(end.status, 'done');
  assert.match(
    (end as { reply: { text: string } }).reply.text,
    /^ERR Script killed by user with SCRIPT KILL/,
  );
  assert.equal(rt.running, false);
  // the runtime still works afterwards
  assert.equal(evalOk(rt, 'return 7'), 7);

  const w = rt.eval(B("redis.call('set','a','b') local i = 0 while true do i = i + 1 end"), [], [], false);
  assert.equal(w.status, 'busy');
  rt.noteWrite();
  assert.equal(rt.kill(), 'unkillable');
});

test('a slow script without yieldWhenBusy runs to completion', () => {
  let clock = 0;
  const { rt } = makeRuntime({ now: () => (clock += 1), busyThresholdMs: 5 });
  assert.equal(evalOk(rt, 'local i = 0 for j = 1, 200000 do i = i + 1 end return i'), 200000);
});

test('hex numerals keep their Lua 5.1 (double) value', () => {
  const { rt } = makeRuntime();
  assert.equal(evalOk(rt, 'return 3 * 0x100000000 + 7 % 0x100000000'), 3 * 2 ** 32 + 7);
  assert.equal(evalOk(rt, 'return 0xff'), 255);
  assert.deepEqual(evalOk(rt, "return '0x100000000'"), B('0x100000000'));
  assert.deepEqual(evalOk(rt, '-- 0x100000000\nreturn [[0x100000000]]'), B('0x100000000'));
});

test('the Lua 5.1 source pass never throws and leaves sources without large hex numerals untouched', async () => {
  const fc = (await import('fast-check')).default;
  const { adaptLua51Source } = await import('./lua51-source.js');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      adaptLua51Source(Buffer.from(bytes));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.string({ maxLength: 80 }).filter((s) => !/0[xX]/.test(s)),
      (s) => {
        const b = Buffer.from(s);
        assert.equal(adaptLua51Source(b), b);
      },
    ),
    { numRuns: 300 },
  );
});

test('binary strings cross between KEYS/ARGV, Lua and redis.call byte for byte (latin1 fast paths)', async () => {
  const fc = (await import('fast-check')).default;
  const seen: string[][] = [];
  const store = new Map<string, string>();
  const rt = new ScriptRuntime({
    host: {
      call(argv): ScriptReply {
        seen.push(argv);
        if (argv[0] === 'set') store.set(argv[1] as string, argv[2] as string);
        // A latin1 string reply, as the command layer's CaptureReply produces.
        return argv[0] === 'get' ? (store.get(argv[1] as string) ?? null) : { kind: 'status', text: 'OK' };
      },
    },
  });
  const sha = rt.load(
    B(
      "redis.call('set', KEYS[1], ARGV[1]) " +
        "redis.call('set', 'x:' .. KEYS[1] .. ARGV[1], string.char(0, 255, 128)) " +
        "local v = redis.call('get', KEYS[1]) redis.call('set', 'copy', v) return v",
    ),
  );
  assert.equal(typeof sha, 'string');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), (k, v) => {
      const key = Buffer.from(k).toString('latin1');
      const val = Buffer.from(v);
      const valText = val.toString('latin1');
      seen.length = 0;
      // KEYS as latin1 strings (the command layer's form), ARGV as Buffers: both arrive intact.
      const r = rt.runSha(sha as string, [key], [val], false);
      assert.equal(r?.status, 'done');
      assert.equal(r?.status === 'done' ? r.reply : null, valText);
      assert.deepEqual(seen[0], ['set', key, valText]);
      assert.deepEqual(seen[1], ['set', 'x:' + key + valText, '\x00\xff\x80']);
      assert.deepEqual(seen[3], ['set', 'copy', valText]);
    }),
    { numRuns: 200 },
  );
});
