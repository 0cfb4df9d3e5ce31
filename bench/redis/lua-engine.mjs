// Micro-benchmark of the Redisson lock/unlock scripts on both Lua engines (luajs compiled,
// fengari interpreted), in-process, two ways:
// - engine: ScriptRuntime.runSha with a fake host that answers redis.call from constants, so
//   only the script engine is measured (argument tables, calls, conversions);
// - command: EVALSHA through a real RedisServer's command path (RedisServer.execute on a
//   socket-less client with a capturing reply), i.e. the whole request minus the socket.
// Run after `npm run build`:
//   node bench/redis/lua-engine.mjs [--n 200000]
import pino from 'pino';
import { ScriptRuntime, sha1hex } from '../../dist/src/redis/scripting/runtime.js';
import { LOCK, UNLOCK } from '../../dist/test/conformance/redis-scripting/lock-scripts.js';
import { RedisServer } from '../../dist/src/redis/server.js';
import { redisConfigSchema } from '../../dist/src/redis/config.js';
import { SystemClock } from '../../dist/src/platform/clock.js';
import { CaptureReply } from '../../dist/src/redis/scripting/capture-reply.js';

const argIdx = process.argv.indexOf('--n');
const N = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 200_000;

/** Replies shaped like the real commands' (integers; pttl -1 … a lease). */
function host() {
  let held = 0;
  return {
    call(argv) {
      switch (argv[0]) {
        case 'exists':
          return held > 0 ? 1 : 0;
        case 'hexists':
          return 1;
        case 'hincrby':
          held += Number(argv[3]);
          return held;
        case 'pexpire':
          return 1;
        case 'pttl':
          return 30000;
        case 'del':
          held = 0;
          return 1;
        case 'publish':
          return 0;
        default:
          return { kind: 'error', text: 'ERR unknown' };
      }
    },
  };
}

function bench(engine) {
  const rt = new ScriptRuntime({ host: host(), engine });
  const lock = Buffer.from(LOCK);
  const unlock = Buffer.from(UNLOCK);
  const shaL = sha1hex(lock);
  const shaU = sha1hex(unlock);
  rt.load(lock);
  rt.load(unlock);
  const keys = ['lock:{r}', 'redisson_lock__channel:{r}'];
  const argsL = ['30000', 'c1d4:1'];
  const argsU = ['0', '30000', 'c1d4:1'];
  const once = () => {
    rt.runSha(shaL, keys.slice(0, 1), argsL, false);
    rt.runSha(shaU, keys, argsU, false);
  };
  for (let i = 0; i < Math.min(N, 20_000); i++) once(); // warm-up (JIT)
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) once();
  const wall = Number(process.hrtime.bigint() - t0) / 1e3;
  const c = process.cpuUsage(c0);
  const evals = 2 * N;
  return {
    engine,
    compiled: rt.isCompiled(shaL),
    usPerEvalCpu: (c.user + c.system) / evals,
    usPerEvalWall: wall / evals,
  };
}

/** EVALSHA lock then unlock through RedisServer.execute, as a client's request would run. */
function benchCommand(engine) {
  process.env.NIMBUS_LUA_ENGINE = engine;
  const server = new RedisServer(redisConfigSchema.parse({}), new SystemClock(), pino({ level: 'silent' }));
  const c = server.fakeClient();
  const cap = new CaptureReply();
  c.reply = cap;
  const exec = (argv) => {
    cap.reset(2);
    server.execute(c, argv);
    return cap.take();
  };
  const shaL = exec(['SCRIPT', 'LOAD', LOCK]);
  const shaU = exec(['SCRIPT', 'LOAD', UNLOCK]);
  // The scripts must really run: the lock is taken (nil) and the unlock releases it (1).
  const probe = [
    exec(['EVALSHA', shaL, '1', 'probe', '30000', 'id']),
    exec(['EVALSHA', shaU, '2', 'probe', 'c', '0', '30000', 'id']),
  ];
  if (probe[0] !== null || probe[1] !== 1) throw new Error(`unexpected replies ${JSON.stringify(probe)}`);
  let i = 0;
  const once = () => {
    const key = `lock:${i++ % 1000}`;
    exec(['EVALSHA', shaL, '1', key, '30000', 'id']);
    exec(['EVALSHA', shaU, '2', key, 'chan', '0', '30000', 'id']);
  };
  for (let k = 0; k < Math.min(N, 20_000); k++) once();
  const c0 = process.cpuUsage();
  for (let k = 0; k < N; k++) once();
  const cpu = process.cpuUsage(c0);
  return { engine, usPerEvalCpu: (cpu.user + cpu.system) / (2 * N) };
}

const results = [bench('fengari'), bench('luajs')];
for (const r of results)
  console.log(
    `${r.engine.padEnd(8)} compiled=${r.compiled} ${r.usPerEvalCpu.toFixed(2)} µs/eval CPU, ${r.usPerEvalWall.toFixed(2)} µs/eval wall`,
  );
const [f, l] = results;
console.log(
  `luajs/fengari CPU ratio: ${(l.usPerEvalCpu / f.usPerEvalCpu).toFixed(3)} (${(f.usPerEvalCpu / l.usPerEvalCpu).toFixed(1)}x faster)`,
);

const cmd = [benchCommand('fengari'), benchCommand('luajs')];
for (const r of cmd)
  console.log(
    `${r.engine.padEnd(8)} EVALSHA through RedisServer.execute: ${r.usPerEvalCpu.toFixed(2)} µs/eval CPU`,
  );
console.log(
  `command path luajs/fengari CPU ratio: ${(cmd[1].usPerEvalCpu / cmd[0].usPerEvalCpu).toFixed(3)}`,
);
