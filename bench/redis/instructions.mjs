#!/usr/bin/env node
// User-space instructions per request, Nimbus against redis-server, counted by valgrind's
// callgrind: the same build and the same run (same --tests, --pipelines, --warmup) give counts
// within a few percent whatever else the machine is doing, so this settles "did that change make
// a request cheaper" where requests/s on a 2-vCPU VM moves by a third between runs. Compare builds
// only with identical options: Nimbus's count depends on what V8 has optimized by then, so SET -P 16
// measured alone (~7.1-7.6k) is not SET -P 16 measured after the -P 1 tests (~5.5-5.9k). Only the server's main thread is counted (V8's compiler and GC helper
// threads vary from run to run; redis-server's work is all on its main thread). Kernel time (the
// read and write syscalls, the same for both) is not counted.
//
//   npm run build && node bench/redis/instructions.mjs [--n 20000] [--tests set,get] [--pipelines 1,16]
//                                                     [--warmup 20000]
//
// Needs valgrind (apt-get install valgrind), redis-server and redis-tools. Each server starts once
// under callgrind (Node takes ~20 s to boot there); per test: a warm-up run (JIT), counters zeroed,
// N requests, counters dumped. NIMBUS_DIST=<dir> measures another build.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { option, requireRedisTools, redisBenchmark, waitPort, which } from './servers.mjs';

const args = process.argv.slice(2);
const N = Number(option(args, 'n', '20000'));
const TESTS = option(args, 'tests', 'set,get').split(',');
const PIPELINES = option(args, 'pipelines', '1,16').split(',').map(Number);
const CLIENTS = 50;
/** Requests run before each measurement, uncounted (JIT warm-up). */
const WARMUP_REQUESTS = Number(option(args, 'warmup', '20000'));
/** valgrind slows start-up by ~50×: port polls (100 ms apart) before giving up, 3 minutes. */
const START_POLLS = 1800;
const nimbusScript = fileURLToPath(new URL('./nimbus-server.mjs', import.meta.url));

/** Main-thread instruction total of the newest dump (callgrind.out.<n>-01 with --separate-threads). */
function mainThreadInstructions(dir, dumpIndex) {
  const f = readdirSync(dir).find((n) => n.endsWith(`.${dumpIndex}-01`));
  if (!f) throw new Error(`callgrind dump ${dumpIndex} not found in ${dir}`);
  const m = /^summary: (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
  if (!m) throw new Error(`no summary line in ${f}`);
  return Number(m[1]);
}

async function measureServer(name, command, port) {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-callgrind-'));
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'callgrind.out')}`, ...command],
    { stdio: 'ignore' },
  );
  const results = new Map();
  try {
    await waitPort(port, START_POLLS);
    let dump = 0;
    for (const p of PIPELINES) {
      for (const t of TESTS) {
        const bench = (n) => redisBenchmark(port, ['-c', String(CLIENTS), '-n', String(n), '-P', String(p), '-t', t, '-q']);
        bench(WARMUP_REQUESTS);
        spawnSync('callgrind_control', ['-z', String(child.pid)]);
        bench(N);
        spawnSync('callgrind_control', ['-d', String(child.pid)]);
        dump++;
        results.set(`${t.toUpperCase()} -P ${p}`, mainThreadInstructions(dir, dump) / N);
        process.stderr.write(`${name} ${t} -P ${p} done\n`);
      }
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function main() {
  requireRedisTools();
  for (const bin of ['valgrind', 'callgrind_control'])
    if (!which(bin)) throw new Error(`${bin} not found: apt-get install valgrind`);
  const redis = await measureServer(
    'redis-server',
    ['redis-server', '--port', '26391', '--save', '', '--appendonly', 'no'],
    26391,
  );
  const nimbus = await measureServer('nimbus', [process.execPath, nimbusScript, '26392'], 26392);
  console.log(`# user-space instructions per request (main thread, callgrind), -c ${CLIENTS} -n ${N}`);
  console.log('| test | redis-server | Nimbus | Nimbus/Redis |');
  console.log('|---|---|---|---|');
  for (const [k, r] of redis) {
    const n = nimbus.get(k) ?? NaN;
    console.log(`| ${k} | ${r.toFixed(0)} | ${n.toFixed(0)} | ${(n / r).toFixed(2)} |`);
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
