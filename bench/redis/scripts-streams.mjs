#!/usr/bin/env node
// Side-by-side benchmark of the issue-4 paths: Lua scripts (EVALSHA of the Redisson lock/unlock
// scripts and the SET NX compare-and-delete release), streams (XADD, XREAD) and BullMQ end to
// end, against Debian's redis-server and Nimbus started by this run (both without persistence).
// Prints requests/s (jobs/s for BullMQ) per server and the Nimbus/Redis ratio.
//
//   npm run build && npm run bench:redis:ext -- [--n 50000] [--clients 50] [--pipelines 1,16]
//        [--repeat 1] [--jobs 5000] [--concurrency 50] [--only scripts,streams,bullmq]
//        [--nimbus-node-flags "--cpu-prof --cpu-prof-dir=/tmp/prof"]
//
// The defaults finish in about two minutes on a 2-vCPU machine; raise --n / --jobs / --repeat for
// steadier numbers. Scripts and streams use redis-benchmark's arbitrary-command mode
// (`redis-benchmark … EVALSHA <sha> 1 lock:__rand_int__ …`, -r for random keys; an error reply
// fails the run) after SCRIPT LOAD on both servers.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  option,
  requireRedisTools,
  startServers,
  cli,
  machineLine,
  cpuSeconds,
  redisBenchmark,
  importDist,
} from './servers.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const N = Number(opt('n', '50000'));
const CLIENTS = Number(opt('clients', '50'));
const PIPELINES = opt('pipelines', '1,16').split(',').map(Number);
/** Runs each measurement this many times and keeps the best (the machine may be shared). */
const REPEAT = Number(opt('repeat', '1'));
const JOBS = Number(opt('jobs', '5000'));
const CONCURRENCY = Number(opt('concurrency', '50'));
const ONLY = new Set(opt('only', 'scripts,streams,bullmq').split(','));
const NIMBUS_NODE_FLAGS = opt('nimbus-node-flags', '').split(' ').filter(Boolean);
/** Distinct lock keys the random-key tests spread over (redis-benchmark -r). */
const KEYSPACE = 100_000;
/** Jobs per addBulk call (BullMQ sends one pipeline of scripts per call). */
const BULK_CHUNK = 500;
/** A BullMQ phase that has not finished by then is reported as failed, not waited on forever. */
const PHASE_TIMEOUT_MS = 300_000;

// Redisson's lock/unlock scripts and the SET NX lock's compare-and-delete release, as the
// conformance tests run them (compiled into the dist directory with the tests).
const { LOCK, UNLOCK, RELEASE } = await importDist('test/conformance/redis-scripting/lock-scripts.js');

const sha1 = (s) => createHash('sha1').update(s).digest('hex');

/** requests/s, and the server's CPU µs per request (null when /proc is not there). */
function benchCommand(server, pipeline, argv, n = N) {
  const { port, pid } = server;
  const cpu0 = cpuSeconds(pid);
  const stdout = redisBenchmark(port, [
    ...['-c', String(CLIENTS), '-n', String(n), '-P', String(pipeline)],
    ...['-r', String(KEYSPACE), '--csv', ...argv],
  ]);
  // The CSV's first field is the command line, which may span lines (script bodies): take the
  // number after it.
  const m = /","([\d.]+)","[\d.]+",/.exec(stdout);
  if (!m) throw new Error(`no result from redis-benchmark:\n${stdout.slice(0, 2000)}`);
  const cpu1 = cpuSeconds(pid);
  return { rps: Number(m[1]), cpuUs: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / n };
}

const fmtUs = (us) => (us === null || !Number.isFinite(us) ? '?' : us.toFixed(1));
const fmtRatio = (a, b) => (a === null || b === null || !Number.isFinite(a / b) ? '?' : (a / b).toFixed(2));

/**
 * Best of REPEAT runs per server (highest requests/s, lowest CPU per request), Redis then Nimbus
 * interleaved so both see the same machine. The CPU columns compare server CPU time per request:
 * on a loaded machine that ratio is the steadier estimate of the CPU-bound throughput ratio.
 */
function sideBySide(servers, label, pipeline, argv, prepare) {
  const best = servers.map(() => ({ rps: 0, cpuUs: null }));
  for (let i = 0; i < REPEAT; i++) {
    for (const [k, server] of servers.entries()) {
      prepare?.(server.port);
      const r = benchCommand(server, pipeline, argv);
      best[k].rps = Math.max(best[k].rps, r.rps);
      if (r.cpuUs !== null) best[k].cpuUs = Math.min(best[k].cpuUs ?? Infinity, r.cpuUs);
    }
  }
  const [a, b] = best;
  console.log(
    `| ${label} | ${pipeline} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ${(b.rps / a.rps).toFixed(2)} | ${fmtUs(a.cpuUs)} | ${fmtUs(b.cpuUs)} | ${fmtRatio(a.cpuUs, b.cpuUs)} |`,
  );
}

/** Loads the scripts on both servers and checks each behaves (same replies on both). */
function loadScripts(servers) {
  const shas = { lock: sha1(LOCK), unlock: sha1(UNLOCK), release: sha1(RELEASE) };
  for (const { port } of servers) {
    for (const [name, body] of [
      ['lock', LOCK],
      ['unlock', UNLOCK],
      ['release', RELEASE],
    ]) {
      const got = cli(port, 'SCRIPT', 'LOAD', body);
      if (got !== shas[name]) throw new Error(`SCRIPT LOAD ${name} on :${port} answered ${got}`);
    }
    const probe = [
      cli(port, 'EVALSHA', shas.lock, '1', 'probe:lock', '30000', 'id'),
      cli(port, 'EVALSHA', shas.lock, '1', 'probe:lock', '30000', 'other'),
      cli(port, 'EVALSHA', shas.unlock, '2', 'probe:lock', 'probe:chan', '0', '30000', 'id'),
      cli(port, 'SET', 'probe:set', 'tok', 'NX', 'PX', '30000'),
      cli(port, 'EVALSHA', shas.release, '1', 'probe:set', 'tok'),
    ];
    if (
      probe[0] !== '' ||
      !/^\d+$/.test(probe[1]) ||
      probe[2] !== '1' ||
      probe[3] !== 'OK' ||
      probe[4] !== '1'
    )
      throw new Error(`scripts misbehave on :${port}: ${JSON.stringify(probe)}`);
    cli(port, 'FLUSHALL');
  }
  return shas;
}

function runScripts(servers) {
  const shas = loadScripts(servers);
  const lockKey = 'lock:__rand_int__';
  sideBySide(servers, 'EVALSHA lock (Redisson)', 1, ['EVALSHA', shas.lock, '1', lockKey, '30000', 'id']);
  sideBySide(servers, 'EVALSHA unlock (Redisson)', 1, [
    'EVALSHA',
    shas.unlock,
    '2',
    lockKey,
    'redisson_lock__channel',
    '0',
    '30000',
    'id',
  ]);
  sideBySide(servers, 'SET NX PX (lock)', 1, ['SET', 'mutex:__rand_int__', 'token', 'NX', 'PX', '30000']);
  sideBySide(servers, 'EVALSHA release (compare-and-delete)', 1, [
    'EVALSHA',
    shas.release,
    '1',
    'mutex:__rand_int__',
    'token',
  ]);
  sideBySide(servers, 'EVAL lock (cached body)', 1, ['EVAL', LOCK, '1', lockKey, '30000', 'id']);
}

function runStreams(servers) {
  for (const p of PIPELINES) {
    // XREAD reads the first 10 entries of a stream filled beforehand with N entries.
    sideBySide(servers, 'XADD s * f v', p, ['XADD', 'bench:s', '*', 'f', 'v']);
    sideBySide(
      servers,
      'XREAD COUNT 10 STREAMS s 0',
      p,
      ['XREAD', 'COUNT', '10', 'STREAMS', 'bench:s', '0'],
      (port) => {
        if (Number(cli(port, 'XLEN', 'bench:s')) < 10) throw new Error('stream not populated');
      },
    );
  }
}

// ---- BullMQ --------------------------------------------------------------------------------------

function withTimeout(promise, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish in ${PHASE_TIMEOUT_MS} ms`)),
      PHASE_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Starts a worker; `result` resolves with the time the `expected`-th job completed. */
function processAll(bullmq, name, connection, expected) {
  let done = 0;
  let resolveDone;
  const finished = new Promise((res) => (resolveDone = res));
  const worker = new bullmq.Worker(name, async () => null, { connection, concurrency: CONCURRENCY });
  worker.on('completed', () => {
    if (++done === expected) resolveDone(performance.now());
  });
  worker.on('failed', (job, err) => console.error(`job ${job?.id} failed: ${err.message}`));
  return { worker, result: withTimeout(finished, 'processing') };
}

/** A phase's jobs/s and server CPU µs per job, from its start time and server CPU at start. */
function phase(server, t0, cpu0, tEnd = performance.now()) {
  const cpu1 = cpuSeconds(server.pid);
  return {
    rate: (JOBS * 1000) / (tEnd - t0),
    cpuUs: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / JOBS,
  };
}

async function bullmqOnce(bullmq, server) {
  const connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
  const name = `bench${server.port}x${Date.now()}`;
  const queue = new bullmq.Queue(name, { connection });
  await queue.waitUntilReady();
  const out = {};
  try {
    // 1. addBulk, no worker running.
    let t = performance.now();
    let cpu = cpuSeconds(server.pid);
    for (let i = 0; i < JOBS; i += BULK_CHUNK) {
      const chunk = [];
      for (let j = i; j < Math.min(JOBS, i + BULK_CHUNK); j++) chunk.push({ name: 'job', data: { i: j } });
      await queue.addBulk(chunk);
    }
    out.addBulk = phase(server, t, cpu);
    // 2. A worker drains the backlog.
    t = performance.now();
    cpu = cpuSeconds(server.pid);
    const drain = processAll(bullmq, name, connection, JOBS);
    out.process = phase(server, t, cpu, await drain.result);
    await drain.worker.close();
    // 3. End to end: CONCURRENCY producers call add() while a worker processes; timed from the
    //    first add to the last completion.
    const e2e = processAll(bullmq, name, connection, JOBS);
    await e2e.worker.waitUntilReady();
    t = performance.now();
    cpu = cpuSeconds(server.pid);
    let next = 0;
    const producer = async () => {
      while (next < JOBS) await queue.add('job', { i: next++ });
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, producer));
    out.add = { rate: (JOBS * 1000) / (performance.now() - t), cpuUs: null };
    out.e2e = phase(server, t, cpu, await e2e.result);
    await e2e.worker.close();
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return out;
}

function bullmqVersion() {
  const pkg = new URL('../../node_modules/bullmq/package.json', import.meta.url);
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

async function runBullmq(servers) {
  const bullmq = await import('bullmq');
  const best = servers.map(() => ({}));
  for (let i = 0; i < REPEAT; i++) {
    for (const [k, server] of servers.entries()) {
      const r = await bullmqOnce(bullmq, server);
      for (const [key, v] of Object.entries(r)) {
        const b = (best[k][key] ??= { rate: 0, cpuUs: null });
        b.rate = Math.max(b.rate, v.rate);
        if (v.cpuUs !== null) b.cpuUs = Math.min(b.cpuUs ?? Infinity, v.cpuUs);
      }
    }
  }
  console.log(
    `\n# BullMQ ${bullmqVersion()}, ${JOBS} jobs, Worker concurrency ${CONCURRENCY}, no-op processor, best of ${REPEAT}`,
  );
  console.log(
    '| phase | redis-server jobs/s | Nimbus jobs/s | Nimbus/Redis | redis-server CPU µs/job | Nimbus CPU µs/job | CPU ratio |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const labels = {
    addBulk: `addBulk (${BULK_CHUNK} per call)`,
    process: 'Worker drains the backlog',
    add: `add() from ${CONCURRENCY} concurrent producers (worker running)`,
    e2e: 'end to end: add() → completed',
  };
  for (const [key, label] of Object.entries(labels)) {
    const [a, b] = [best[0][key], best[1][key]];
    console.log(
      `| ${label} | ${a.rate.toFixed(0)} | ${b.rate.toFixed(0)} | ${(b.rate / a.rate).toFixed(2)} | ${fmtUs(a.cpuUs)} | ${fmtUs(b.cpuUs)} | ${fmtRatio(a.cpuUs, b.cpuUs)} |`,
    );
  }
}

/** JIT warm-up of the paths measured (plain command, script, stream), not reported. */
function warmUp(servers) {
  const n = Math.min(N, 20000);
  for (const server of servers) {
    cli(server.port, 'SCRIPT', 'LOAD', LOCK);
    benchCommand(server, 1, ['SET', 'warm:__rand_int__', 'v'], n);
    benchCommand(server, 1, ['EVALSHA', sha1(LOCK), '1', 'warm:lock:__rand_int__', '30000', 'id'], n);
    benchCommand(server, 1, ['XADD', 'warm:s', '*', 'f', 'v'], n);
    benchCommand(server, 1, ['XREAD', 'COUNT', '10', 'STREAMS', 'warm:s', '0'], n);
    cli(server.port, 'FLUSHALL');
  }
}

async function main() {
  requireRedisTools();
  const redisPort = 26381;
  const nimbusPort = 26382;
  const { redis, nimbus, stop } = await startServers(redisPort, nimbusPort, NIMBUS_NODE_FLAGS);
  const servers = [
    { port: redisPort, pid: redis.pid },
    { port: nimbusPort, pid: nimbus.pid },
  ];
  try {
    console.log(machineLine(redisPort));
    console.log(
      `# redis-benchmark -c ${CLIENTS} -n ${N} -r ${KEYSPACE}, best of ${REPEAT}; CPU = server user+sys time per request`,
    );
    if (ONLY.has('scripts') || ONLY.has('streams')) {
      console.log(
        '| test | -P | redis-server rps | Nimbus rps | Nimbus/Redis | redis-server CPU µs/req | Nimbus CPU µs/req | CPU ratio |',
      );
      console.log('|---|---|---|---|---|---|---|---|');
      warmUp(servers);
    }
    if (ONLY.has('scripts')) runScripts(servers);
    if (ONLY.has('streams')) runStreams(servers);
    if (ONLY.has('bullmq')) await runBullmq(servers);
  } finally {
    stop();
  }
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
