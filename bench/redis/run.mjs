#!/usr/bin/env node
// Side-by-side redis-benchmark: Debian's redis-server and Nimbus on the same machine, same flags,
// same run. Prints requests/s per test and the Nimbus/Redis ratio, for -P 1 and -P 16.
//
//   npm run build && node bench/redis/run.mjs [--n 200000] [--clients 50] [--pipelines 1,16]
//                                             [--tests set,get,...] [--memory 1000000] [--repeat 5]
// With --repeat N each test runs N times, Redis and Nimbus alternating, and the table shows the
// median requests/s of each, and the median and range of the N per-run ratios (each Nimbus run
// against the Redis run just before it): on a shared or virtual machine one run can move by a
// third, and a pair of neighbouring runs sees the same machine. Each row also shows each server's CPU time per request (user+system,
// from /proc), which moves far less between runs than requests/s.
// Both servers run without persistence (redis-server --save '' --appendonly no; Nimbus ephemeral),
// so the comparison is the request path. --memory N also loads N small keys with DEBUG POPULATE
// into each and compares the RSS growth per key.
import { spawnSync } from 'node:child_process';
import { option, requireRedisTools, startServers, cli, machineLine, redisBenchmark, cpuSeconds, median } from './servers.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const N = Number(opt('n', '200000'));
const CLIENTS = Number(opt('clients', '50'));
const PIPELINES = opt('pipelines', '1,16').split(',').map(Number);
const TESTS = opt('tests', 'set,get,incr,lpush,lpop,sadd,hset,zadd,zpopmin,lrange_100');
const MEMORY_KEYS = Number(opt('memory', '0'));
/** Runs each measurement this many times and reports the median (the machine may be shared). */
const REPEAT = Number(opt('repeat', '1'));
/** One test on one server: requests/s and the server's CPU µs per request. */
function measure(port, pid, pipeline, test) {
  const c0 = cpuSeconds(pid);
  const rps = bench(port, pipeline, test);
  const cpuUs = ((cpuSeconds(pid) - c0) * 1e6) / N;
  return [...rps].map(([name, v]) => ({ name, rps: v, cpuUs }));
}

function bench(port, pipeline, tests = TESTS, n = N) {
  const stdout = redisBenchmark(port, [
    ...['-c', String(CLIENTS), '-n', String(n), '-P', String(pipeline)],
    ...['-t', tests, '--csv'],
  ]);
  const out = new Map();
  for (const line of stdout.trim().split('\n').slice(1)) {
    const [name, rps] = JSON.parse(`[${line}]`);
    out.set(name.replace(/ \(.*\)$/, ''), Number(rps));
  }
  return out;
}

function rssOf(pid) {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return Number(r.stdout.trim()) * 1024;
}

async function main() {
  requireRedisTools();
  const redisPort = 26379;
  const nimbusPort = 26380;
  const { redis, nimbus, stop } = await startServers(redisPort, nimbusPort);
  try {
    console.log(machineLine(redisPort));
    console.log(`# redis-benchmark -c ${CLIENTS} -n ${N} -t ${TESTS}`);
    console.log(`# ${REPEAT > 1 ? `median of ${REPEAT} alternating runs; Nimbus/Redis = median of the per-run ratios, their range in brackets` : 'one run'}; CPU = server µs per request`);
    console.log('| test | -P | redis-server rps | Nimbus rps | Nimbus/Redis | redis CPU µs | Nimbus CPU µs |');
    console.log('|---|---|---|---|---|---|---|');
    // Warm-up (JIT, allocator) for both, not reported.
    bench(redisPort, 1, TESTS, Math.min(N, 20000));
    bench(nimbusPort, 1, TESTS, Math.min(N, 20000));
    for (const p of PIPELINES) {
      // Interleave per test: Redis then Nimbus, so both see the same machine state.
      for (const t of TESTS.split(',')) {
        const runs = new Map(); // name → [{ redis, nimbus }] per repeat
        for (let r = 0; r < REPEAT; r++) {
          const a = measure(redisPort, redis.pid, p, t);
          const b = measure(nimbusPort, nimbus.pid, p, t);
          for (const x of a) {
            const y = b.find((e) => e.name === x.name);
            if (!runs.has(x.name)) runs.set(x.name, []);
            runs.get(x.name).push({ redis: x, nimbus: y ?? { rps: 0, cpuUs: NaN } });
          }
        }
        for (const [name, rs] of runs) {
          const rr = median(rs.map((e) => e.redis.rps));
          const nr = median(rs.map((e) => e.nimbus.rps));
          const ratios = rs.map((e) => e.nimbus.rps / e.redis.rps);
          const range = REPEAT > 1 ? ` [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]` : '';
          const rc = median(rs.map((e) => e.redis.cpuUs));
          const nc = median(rs.map((e) => e.nimbus.cpuUs));
          console.log(
            `| ${name} | ${p} | ${rr.toFixed(0)} | ${nr.toFixed(0)} | ${median(ratios).toFixed(2)}${range} | ${rc.toFixed(1)} | ${nc.toFixed(1)} |`,
          );
        }
      }
    }
    if (MEMORY_KEYS > 0) {
      const r0 = rssOf(redis.pid);
      const n0 = rssOf(nimbus.pid);
      cli(redisPort, 'DEBUG', 'POPULATE', String(MEMORY_KEYS));
      cli(nimbusPort, 'DEBUG', 'POPULATE', String(MEMORY_KEYS));
      await new Promise((r) => setTimeout(r, 2000));
      const rPer = (rssOf(redis.pid) - r0) / MEMORY_KEYS;
      const nPer = (rssOf(nimbus.pid) - n0) / MEMORY_KEYS;
      console.log(`\n# memory: ${MEMORY_KEYS} keys via DEBUG POPULATE (key:N = value:N), RSS growth per key`);
      console.log(
        `| server | bytes/key |\n|---|---|\n| redis-server | ${rPer.toFixed(0)} |\n| Nimbus | ${nPer.toFixed(0)} |\n| ratio | ${(nPer / rPer).toFixed(2)} |`,
      );
    }
  } finally {
    stop();
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
