// Micro-benchmark: the Redisson lock script through ScriptRuntime.runSha, in-process, on both Lua
// engines (luajs compiled, fengari interpreted). redis.call goes to a fake host that answers
// from constants, so this measures the script engine alone (argument tables, calls, conversions),
// not the keyspace. Run after `npm run build`:
//   node bench/redis/lua-engine.mjs [--n 200000]
import { ScriptRuntime, sha1hex } from '../../dist/src/redis/scripting/runtime.js';
import { LOCK, UNLOCK } from '../../dist/test/conformance/redis-scripting/lock-scripts.js';

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

const results = [bench('fengari'), bench('luajs')];
for (const r of results)
  console.log(
    `${r.engine.padEnd(8)} compiled=${r.compiled} ${r.usPerEvalCpu.toFixed(2)} µs/eval CPU, ${r.usPerEvalWall.toFixed(2)} µs/eval wall`,
  );
const [f, l] = results;
console.log(
  `luajs/fengari CPU ratio: ${(l.usPerEvalCpu / f.usPerEvalCpu).toFixed(3)} (${(f.usPerEvalCpu / l.usPerEvalCpu).toFixed(1)}x faster)`,
);
