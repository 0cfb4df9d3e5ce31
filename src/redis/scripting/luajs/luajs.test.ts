// The luajs engine in its Redis environment: the sandbox and its error texts, error replies with
// positions, Lua↔RESP conversions, the busy-threshold abort, what falls back to fengari, and that
// random input never crashes the compiler or escapes as a JS exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testEngine } from './testing.js';
import { parseChunk, MAX_SYNTAX_LEVELS } from './parser.js';
import { LuaSyntaxError } from './lexer.js';
import { generate } from './codegen.js';
import { ScriptRuntime, sha1hex } from '../runtime.js';
import type { ScriptReply } from '../reply.js';

const err = (text: string): ScriptReply => ({ kind: 'error', text });

test('the sandbox: read-only globals and libraries, unknown globals, no os/io/require', () => {
  const { exec } = testEngine();
  assert.deepEqual(
    exec('x = 1'),
    err('ERR user_script:1: Attempt to modify a readonly table script: f_test, on @user_script:1.'),
  );
  assert.deepEqual(
    exec('\nreturn nope'),
    err(
      "ERR user_script:2: Script attempted to access nonexistent global variable 'nope' script: f_test, on @user_script:2.",
    ),
  );
  for (const s of [
    'redis.call = nil',
    'redis.newfield = 1',
    'rawset(_G, "x", 1)',
    'setmetatable(_G, {})',
    'string.len = nil',
    'function f() end',
  ])
    assert.match(String((exec(s) as { text: string }).text), /Attempt to modify a readonly table/, s);
  for (const g of ['os', 'io', 'require', 'loadfile', 'dofile', 'print'])
    assert.match(String((exec(`return ${g}`) as { text: string }).text), /nonexistent global variable/, g);
  assert.equal(exec('return _VERSION'), 'Lua 5.1');
  assert.equal(exec('return getmetatable("")'), null); // false → nil bulk
  assert.equal(exec('return type(unpack) .. type(redis.sha1hex)'), 'functionfunction');
});

test('KEYS and ARGV are fresh tables each run', () => {
  const { exec } = testEngine();
  assert.deepEqual(exec('KEYS[2] = "x" return {KEYS[1], ARGV[1], #KEYS}', ['k'], ['a']), ['k', 'a', 2]);
  assert.deepEqual(exec('KEYS[2] = "x" return {KEYS[1], ARGV[1], #KEYS}', ['k'], ['a']), ['k', 'a', 2]);
  assert.equal(exec('return #KEYS + #ARGV'), 0);
});

test('error replies carry the line of the failing statement, in Redis 7 format', () => {
  const { exec } = testEngine();
  assert.deepEqual(
    exec("local x = 1\nreturn redis.call('nope')"),
    err("ERR unknown command 'nope' script: f_test, on @user_script:2."),
  );
  assert.deepEqual(exec("return redis.error_reply('MY boom')"), err('MY boom'));
  assert.deepEqual(exec("error({err='-X y'})"), err('X y script: f_test, on @user_script:1.'));
  assert.deepEqual(
    exec("\n\nerror('boom')"),
    err('ERR user_script:3: boom script: f_test, on @user_script:3.'),
  );
  // An error inside a function names the function's line; after a pcall the caller's line is back.
  const src = 'local function f()\n  local t = nil\n  return t.x\nend\nlocal ok = pcall(f)\nreturn nil + 1';
  assert.deepEqual(
    exec(src),
    err('ERR user_script:6: attempt to perform arithmetic on a nil value script: f_test, on @user_script:6.'),
  );
  assert.deepEqual(
    exec('local function f()\n  return nil .. "x"\nend\nreturn f()'),
    err('ERR user_script:2: attempt to concatenate a nil value script: f_test, on @user_script:2.'),
  );
  assert.deepEqual(exec('error()'), err('ERR execution failure script: f_test, on @user_script:1.'));
  // An uncaught JS stack overflow goes to the interpreter (deeper stack); caught by pcall it is
  // Lua's "stack overflow" error.
  assert.throws(() => exec('local function r() return 1 + r() end return r()'), /Maximum call stack/);
  assert.equal(
    exec('local function r() return 1 + r() end local ok, e = pcall(r) return e'),
    'user_script:1: stack overflow',
  );
  const wrote = exec("redis.call('set', 'k', 'v') local function r() return 1 + r() end return r()");
  assert.match(String((wrote as { text: string }).text), /stack overflow/);
});

test('redis.call / pcall: argument rules, error tables, reply conversion', () => {
  const { exec, calls } = testEngine();
  assert.equal(exec("return redis.call('echo', 10.0)"), '10');
  assert.equal(calls.at(-1)?.[1], '10');
  assert.equal(exec("return redis.call('echo', 3.5)"), '3.5');
  assert.deepEqual(
    exec("return redis.call('echo', {})"),
    err('ERR Lua redis lib command arguments must be strings or integers script: f_test, on @user_script:1.'),
  );
  assert.deepEqual(
    exec('return redis.call()'),
    err(
      'ERR Please specify at least one argument for this redis lib call script: f_test, on @user_script:1.',
    ),
  );
  assert.equal(exec("local r = redis.pcall('nope') return r.err"), "ERR unknown command 'nope'");
  assert.deepEqual(exec("return redis.call('ping')"), { kind: 'status', text: 'PONG' });
  assert.equal(exec("return redis.call('get', 'missing') == false"), 1);
  assert.equal(exec("redis.call('set', 'k', 'v') return redis.call('get', 'k')"), 'v');
});

test('Lua → reply conversions follow Redis', () => {
  const { exec } = testEngine();
  assert.equal(exec('return 3.99'), 3);
  assert.equal(exec('return -3.99'), -3);
  assert.equal(exec('return true'), 1);
  assert.equal(exec('return false'), null);
  assert.equal(exec('return nil'), null);
  assert.deepEqual(exec("return {1, 'a', {2, false}, nil, 5}"), [1, 'a', [2, null]]);
  assert.deepEqual(exec("return {ok='fine'}"), { kind: 'status', text: 'fine' });
  assert.deepEqual(exec("return {err='-BAD x'}"), err('BAD x'));
  assert.deepEqual(exec("return redis.status_reply('S')"), { kind: 'status', text: 'S' });
  assert.deepEqual(exec('redis.setresp(3) return {double=1.5}'), { kind: 'double', value: 1.5 });
  assert.deepEqual(exec('redis.setresp(3) return true'), { kind: 'bool', value: true });
  assert.deepEqual(exec('return {map={a=1}}'), { kind: 'map', items: ['a', 1] });
  assert.deepEqual(exec('return {set={x=true}}'), { kind: 'set', items: ['x'] });
  assert.deepEqual(exec("return {big_number='123'}"), { kind: 'bignum', text: '123' });
  assert.equal(exec("return redis.sha1hex('')"), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
});

test('busy threshold: a run that has not written is abandoned; one that wrote finishes', () => {
  const t = testEngine({ busyThresholdMs: 10 });
  assert.equal(t.exec('while true do end'), 'busy');
  assert.equal(t.exec('local function f() return f() end local n = 0 while true do n = n + 1 end'), 'busy');
  // pcall cannot catch the abort.
  assert.equal(t.exec('local ok = pcall(function() while true do end end) return 1'), 'busy');
  const r = t.exec("redis.call('set', 'k', 'v') local n = 0 for i = 1, 2e7 do n = n + 1 end return n");
  assert.equal(r, 2e7);
  assert.equal(t.run.timedOut, true);
});

test('compile() refuses what it does not support, so fengari runs it', () => {
  const { engine } = testEngine();
  assert.equal(engine.compile('local co = coroutine.create(function() end)'), null);
  assert.equal(engine.compile('return loadstring("return 1")()'), null);
  assert.equal(engine.compile('return 1 +'), null);
  assert.equal(engine.compile('goto x'), null);
  assert.equal(engine.compile('return 1 // 2'), null);
  assert.equal(engine.compile('break'), null);
  assert.equal(engine.compile('while true do local f = function() break end end'), null);
  assert.notEqual(engine.compile('return 1'), null);
  // Nesting past the parser's limit is a syntax error, not a JS stack overflow.
  const deep = 'return ' + '('.repeat(10_000) + '1' + ')'.repeat(10_000);
  assert.equal(engine.compile(deep), null);
  assert.throws(() => parseChunk(deep, 'user_script'), LuaSyntaxError);
  const chain = 'return 1' + ' + 1'.repeat(MAX_SYNTAX_LEVELS * 5);
  assert.equal(engine.compile(chain), null);
  const ok = 'return 1' + ' + 1'.repeat(MAX_SYNTAX_LEVELS / 2);
  assert.equal(testEngine().exec(ok), 1 + MAX_SYNTAX_LEVELS / 2);
});

test('generated code pastes no source text: names are mangled, strings JSON-escaped', () => {
  const src =
    'local constructor, __proto__, eval = "a\\"b\\n", "</script>", "\\0"\nreturn constructor .. __proto__ .. eval';
  const g = generate(parseChunk(src, 'user_script'));
  assert.doesNotMatch(g.source, /(let |, )(constructor|__proto__|eval) =/);
  assert.match(g.source, /let constructor\$\d+ = /);
  assert.equal(testEngine().exec(src), 'a"b\n</script>\0');
});

/** Lua-ish tokens, so random programs often parse and run. */
const TOKENS = [
  'local',
  'x',
  'y',
  't',
  '=',
  '==',
  '~=',
  '<',
  '<=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '..',
  '#',
  'not',
  'and',
  'or',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  ';',
  '.',
  ':',
  'if',
  'then',
  'else',
  'elseif',
  'end',
  'while',
  'do',
  'for',
  'in',
  'repeat',
  'until',
  'function',
  'return',
  'break',
  'nil',
  'true',
  'false',
  '1',
  '0',
  '2.5',
  '"s"',
  "'q'",
  '[[l]]',
  '...',
  'pairs',
  'ipairs',
  'pcall',
  'error',
  'redis',
  'KEYS',
  'ARGV',
  'setmetatable',
  'tostring',
  '\n',
  '--c\n',
  'select',
  'unpack',
  '-1e308',
  '0x1F',
  'string',
  'table',
  'math',
];

test('fuzz: random programs never crash the compiler or escape as JS exceptions', () => {
  const t = testEngine({ busyThresholdMs: 20 });
  // A JS exception other than a Lua error would surface as "luajs internal error" (or throw).
  const isReply = (r: unknown): boolean =>
    r !== undefined && !JSON.stringify(r).includes('luajs internal error');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), (toks) => {
      const r = t.exec(toks.join(' '));
      assert.ok(isReply(r));
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (s) => {
      assert.ok(isReply(t.exec(s)));
    }),
    { numRuns: 1000 },
  );
});

test('ScriptRuntime runs compiled scripts and pins a busy one to fengari', () => {
  let t = 0;
  const rt = new ScriptRuntime({
    host: { call: () => 1 },
    engine: 'luajs',
    busyThresholdMs: 5,
    now: () => (t += 1),
    yieldWhenBusy: true,
  });
  const quick = Buffer.from("return redis.call('x') + 1");
  const r = rt.eval(quick, [], [], false);
  assert.deepEqual(r, { status: 'done', reply: 2 });
  assert.equal(rt.isCompiled(sha1hex(quick)), true);
  // Past the threshold without writes: restarted on fengari, which yields ('busy'), then pinned.
  const slow = Buffer.from('local n = 0 for i = 1, 1e6 do n = n + 1 end return n');
  assert.deepEqual(rt.eval(slow, [], [], false), { status: 'busy' });
  let res = rt.resume();
  while (res.status === 'busy') res = rt.resume();
  assert.deepEqual(res, { status: 'done', reply: 1e6 });
  assert.equal(rt.isCompiled(sha1hex(slow)), false);
  const fengariOnly = new ScriptRuntime({ host: { call: () => 1 }, engine: 'fengari' });
  fengariOnly.eval(quick, [], [], false);
  assert.equal(fengariOnly.isCompiled(sha1hex(quick)), false);
});

test('a call on a later line of a multi-line statement reports its own line', () => {
  const { exec } = testEngine();
  assert.deepEqual(
    exec("local x = 1 +\n  redis.call('nope')"),
    err("ERR unknown command 'nope' script: f_test, on @user_script:2."),
  );
  assert.deepEqual(
    exec("local f = function()\n  return 1\nend\nlocal y = f() + redis.call('nope')"),
    err("ERR unknown command 'nope' script: f_test, on @user_script:4."),
  );
});

test('a script that published is not re-run past the busy threshold (the message would repeat)', () => {
  const t = testEngine({ busyThresholdMs: 5 });
  const r = t.exec("redis.pcall('PUBLISH', 'ch', 'm') local n = 0 for i = 1, 2e7 do n = n + 1 end return n");
  assert.equal(r, 2e7);
  assert.equal(t.run.timedOut, true);
});

test('a JS exception in compiled code before any write re-runs the script on fengari (pinned, logged)', () => {
  const logs: string[] = [];
  const rt = new ScriptRuntime({
    host: { call: () => 1, log: (_l, m) => logs.push(m) },
    engine: 'luajs',
  });
  const body = Buffer.from("return redis.call('x') + 41");
  const sha = sha1hex(body);
  assert.equal(rt.load(body), sha);
  assert.equal(rt.isCompiled(sha), true);
  // Simulate a luajs bug: the compiled function throws a TypeError.
  const compiled = (rt as unknown as { compiled: Map<string, { main: () => unknown }> }).compiled;
  const script = compiled.get(sha);
  assert.ok(script);
  script.main = () => {
    throw new TypeError('simulated bug');
  };
  assert.deepEqual(rt.runSha(sha, [], [], false), { status: 'done', reply: 42 });
  assert.equal(rt.isCompiled(sha), false);
  assert.match(logs.join('\n'), /simulated bug/);
});

test('recursion deeper than the JS stack allows runs on fengari instead', () => {
  const rt = new ScriptRuntime({ host: { call: () => 1 }, engine: 'luajs' });
  const body = Buffer.from(
    'local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(12000)',
  );
  assert.deepEqual(rt.eval(body, [], [], false), { status: 'done', reply: 12000 });
  assert.equal(rt.isCompiled(sha1hex(body)), false);
});
