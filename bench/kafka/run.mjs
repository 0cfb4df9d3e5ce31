// Kafka benchmark: kcat producing and consuming against Nimbus, next to this machine's limits
// (loopback TCP and fsync-ed sequential disk writes, measured in the same run) and published
// figures. Not a test; it never gates CI. Needs `npm run build` and kcat.
//
//   node bench/kafka/run.mjs [--records 1000000] [--large 200000] [--quick] [--relaxed]
//   node bench/kafka/run.mjs --start [--runs 7]     start time and idle RSS only: the standalone
//        broker and `nimbus up --services kafka`, each with NODE_EXTRA_CA_CERTS as set and unset
//
// Consume is measured twice: with kcat -C, and with bench/kafka/raw-consumer.mjs, a minimal
// consumer that counts records from batch headers. kcat decodes every record and is CPU-bound at
// 100 B; the raw consumer shows what the broker can serve. Both print their own CPU time.
//
// Reports, per scenario: records/s, MB/s (payload bytes), the broker's CPU time, and the result
// as a fraction of the machine limit that bounds it (produce: fsync-ed disk writes of the size
// kcat sends, since every produce waits for an fdatasync by default; consume: loopback TCP).
// The disk is measured before and after the scenarios: on a shared machine it drifts.
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
/** --relaxed: topics fsync once a second (flush.ms=1000, Kafka's behaviour) instead of before each ack. */
const relaxed = args.includes('--relaxed');
const SMALL_RECORDS = arg('records', quick ? 200_000 : 1_000_000);
const LARGE_RECORDS = arg('large', quick ? 40_000 : 200_000);
/** --start: only measure start-up (median of --runs fresh brokers) and idle RSS. */
const startOnly = args.includes('--start');
const START_RUNS = arg('runs', 7);
/** Idle time before reading RSS, so start-up garbage has been collected. */
const IDLE_SETTLE_MS = 1000;
/** kcat's batch.size below: the size of one produce request, hence of the broker's smallest group write. */
const PRODUCE_REQUEST_BYTES = 1_000_000;
const TARGETS = { smallRps: 300_000, largeMBps: 150, consumeRatio: 2, startMs: 200, idleRssMb: 100 };

const PUBLISHED = [
  ['Apache Kafka (2014, 3 machines, 100 B, 1 producer, no replication)', '821,557 records/s'],
  ['Tansu (Rust, published)', '~600,000 records/s'],
  ['klite (4 vCPU, published)', '553,000 msgs/s'],
];

function rssMb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** The environment with NODE_EXTRA_CA_CERTS removed: what a user without that variable runs. */
function withoutExtraCaCerts() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

function startBroker(env = process.env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['bench/kafka/broker.mjs'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...env, BENCH_RELAXED: relaxed ? '1' : '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = /READY kafka:\/\/(\S+) (\d+) (\d+)/.exec(out);
      if (m)
        resolve({
          child,
          address: m[1],
          readyInProcessMs: Number(m[2]),
          readyCpuMs: Number(m[3]),
          spawnToReadyMs: performance.now() - started,
        });
    });
    child.on('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
}

/**
 * Runs kcat and resolves with its wall ms and its own CPU ms. The CPU comes from bash's `times`
 * builtin after kcat exits (user and system time of the shell's children).
 */
function kcat(address, kcatArgs, input) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const script = 'kcat "$@"; rc=$?; times >&2; exit $rc';
    const p = spawn('bash', ['-c', script, 'kcat', '-b', address, ...kcatArgs], {
      stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d.toString()));
    p.on('close', (code) => {
      const ms = performance.now() - t;
      if (code !== 0) return reject(new Error(`kcat ${kcatArgs.join(' ')}: ${code} ${err}`));
      // `times` prints two lines: the shell's own times, then its children's ("0m0.730s 0m0.050s").
      const lines = err.trim().split('\n');
      const secs = (lines.at(-1) ?? '').match(/(\d+)m([\d.]+)s/g) ?? [];
      const cpuMs = secs.reduce((a, x) => {
        const [, m, sec] = /(\d+)m([\d.]+)s/.exec(x);
        return a + (Number(m) * 60 + Number(sec)) * 1000;
      }, 0);
      resolve({ ms, cpuMs });
    });
    if (input) {
      p.stdin.on('error', () => {});
      p.stdin.end(input);
    }
  });
}

/** bench/kafka/raw-consumer.mjs in its own process: { records, bytes, fetches, ms, cpuMs }. */
function rawConsume(address, topic, n) {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['bench/kafka/raw-consumer.mjs', '--broker', address, '--topic', topic, '--records', String(n)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d.toString()));
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`raw consumer exited ${code}`));
      const r = JSON.parse(out.trim().split('\n').at(-1));
      if (r.records < n) return reject(new Error(`raw consumer read ${r.records} of ${n} records`));
      resolve(r);
    });
  });
}

/** n newline-terminated records of `size` bytes each (newline excluded from size). */
function payload(n, size) {
  const line = Buffer.alloc(size + 1, 'x');
  line[size] = 0x0a;
  const buf = Buffer.allocUnsafe(n * (size + 1));
  for (let i = 0; i < n; i++) line.copy(buf, i * (size + 1));
  return buf;
}

const PRODUCER_PROPS = [
  '-X',
  'linger.ms=5',
  '-X',
  'batch.num.messages=10000',
  '-X',
  'batch.size=1000000',
  '-X',
  'queue.buffering.max.messages=2000000',
  '-X',
  'queue.buffering.max.kbytes=2000000',
];

async function scenario(broker, name, n, size, acks) {
  const { address } = broker;
  const pid = broker.child.pid;
  const topic = `bench-${name}-${acks}`.replace(/[^a-zA-Z0-9.-]/g, '_');
  const data = payload(n, size);
  const cpu0 = cpuMs(pid);
  const produce = await kcat(address, ['-P', '-t', topic, '-X', `acks=${acks}`, ...PRODUCER_PROPS], data);
  const cpu1 = cpuMs(pid);
  const consume = await kcat(address, [
    '-C',
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-c',
    String(n),
    '-X',
    'fetch.max.bytes=52428800',
    '-X',
    'max.partition.fetch.bytes=10485760',
  ]);
  const cpu2 = cpuMs(pid);
  const raw = await rawConsume(address, topic, n);
  const cpu3 = cpuMs(pid);
  const mb = (n * size) / 1e6;
  const rate = (ms) => ({ rps: n / (ms / 1000), mbps: mb / (ms / 1000) });
  return {
    name: `${name} acks=${acks}`,
    size,
    n,
    produce: { ...rate(produce.ms), cpuMs: cpu1 - cpu0, clientCpuMs: produce.cpuMs },
    consume: { ...rate(consume.ms), cpuMs: cpu2 - cpu1, clientCpuMs: consume.cpuMs },
    raw: { ...rate(raw.ms), cpuMs: cpu3 - cpu2, clientCpuMs: raw.cpuMs },
  };
}

/**
 * Loopback TCP: one socket pushing 1 GiB (256 MiB with --quick) to a sink in another process, so
 * sender and receiver run on separate cores as kcat and the broker do.
 */
async function loopbackMBps() {
  const total = quick ? 256 * 1024 * 1024 : 1024 * 1024 * 1024;
  const sink = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer(c=>c.resume().on('end',()=>c.end()));" +
        "s.listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(Number(d.toString()))));
  const chunk = Buffer.alloc(1024 * 1024);
  const t = performance.now();
  await new Promise((resolve) => {
    const c = connect(port, '127.0.0.1', () => {
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!c.write(chunk)) return c.once('drain', pump);
        }
        c.end();
      };
      pump();
    });
    c.resume();
    c.on('close', resolve);
  });
  const ms = performance.now() - t;
  sink.kill('SIGTERM');
  return total / 1e6 / (ms / 1000);
}

/**
 * Sequential appends of `writeBytes`, each followed by fdatasync (what the broker does per group
 * commit), to a fresh file in the same file system as the broker's data directory.
 */
function fsyncDiskMBps(writeBytes) {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-disk-'));
  const fd = openSync(join(dir, 'f'), 'w');
  const chunk = Buffer.alloc(writeBytes, 1);
  const totalBytes = (quick ? 64 : 256) * 1024 * 1024;
  const n = Math.max(1, Math.round(totalBytes / writeBytes));
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    writeSync(fd, chunk);
    fdatasyncSync(fd);
  }
  const ms = performance.now() - t;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return (n * writeBytes) / 1e6 / (ms / 1000);
}

/** Disk limits for one kcat request per fsync and for a group of four (the broker batches waiting requests). */
function diskLimits() {
  return { one: fsyncDiskMBps(PRODUCE_REQUEST_BYTES), four: fsyncDiskMBps(4 * PRODUCE_REQUEST_BYTES) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stopBroker(broker) {
  const exited = new Promise((r) => broker.child.once('exit', r));
  broker.child.kill('SIGTERM');
  await exited;
}

/** Median over fresh brokers (fresh data dirs) of wall and CPU time to listening, and idle RSS. */
async function startRuns(env) {
  const runs = [];
  for (let i = 0; i < START_RUNS; i++) {
    const b = await startBroker(env);
    await sleep(IDLE_SETTLE_MS);
    runs.push({ ...b, rss: rssMb(b.child.pid) });
    await stopBroker(b);
  }
  return runs;
}

/**
 * `nimbus up --services kafka` as a user runs it (the CLI, its config layers, the host, the
 * gateway and the logger at the default level), with a fresh data dir and free ports: the
 * `readyMs` of its --json line (process start → every service ready) and CPU read at that line.
 */
function nimbusUpOnce(env) {
  return new Promise((resolve, reject) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-kafka-up-'));
    const child = spawn(
      process.execPath,
      ['dist/src/cli/bin.js', 'up', '--json', '--services', 'kafka', '--data-dir', dataDir],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...env, NIMBUS_KAFKA_PORT: '0', NIMBUS_GATEWAY_PORT: '0' },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      const cpu = cpuMs(child.pid);
      const ready = JSON.parse(out.split('\n')[0]);
      if (!ready.ready) return reject(new Error(ready.error));
      void sleep(IDLE_SETTLE_MS).then(() => {
        const rss = rssMb(child.pid);
        child.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve({ readyInProcessMs: ready.readyMs, readyCpuMs: cpu, rss });
        });
        child.kill('SIGTERM');
      });
    });
    child.on('error', reject);
  });
}

async function upRuns(env) {
  const runs = [];
  for (let i = 0; i < START_RUNS; i++) runs.push(await nimbusUpOnce(env));
  return runs;
}

function printStart(label, runs) {
  const m = (k) => median(runs.map((r) => r[k]));
  console.log(`${label}:`);
  console.log(
    `  process start → listening: ${m('readyInProcessMs')} ms median (runs: ${runs.map((r) => r.readyInProcessMs).join(', ')})`,
  );
  console.log(`  CPU time to listening:     ${Math.round(m('readyCpuMs'))} ms`);
  console.log(`  idle RSS:                  ${m('rss').toFixed(1)} MB`);
  return m('readyInProcessMs');
}

/**
 * Start-up only. Node 20 reads and parses the NODE_EXTRA_CA_CERTS file at boot (about 100 ms for
 * Debian's bundle), so when the variable is set each figure is also taken without it: that is
 * what a user who does not set it sees.
 */
async function startMain() {
  const caSet = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const envs = caSet
    ? [
        [`NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} (as this environment is)`, process.env],
        ['NODE_EXTRA_CA_CERTS unset', withoutExtraCaCerts()],
      ]
    : [['NODE_EXTRA_CA_CERTS unset (as this environment is)', process.env]];
  console.log(
    `Nimbus Kafka start-up, node ${process.version}, fresh data dir, median of ${START_RUNS}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
  let best = Infinity;
  for (const [label, env] of envs) {
    best = Math.min(
      best,
      printStart(`standalone broker (bench/kafka/broker.mjs), ${label}`, await startRuns(env)),
    );
    printStart(`nimbus up --services kafka (CLI, host, gateway, info logging), ${label}`, await upRuns(env));
    console.log('');
  }
  console.log(
    `target: start < ${TARGETS.startMs} ms (standalone broker${caSet ? ', NODE_EXTRA_CA_CERTS unset' : ''}): ${best} ms → ${best < TARGETS.startMs ? 'met' : 'NOT met'}`,
  );
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function main() {
  if (spawnSync('sh', ['-c', 'command -v kcat']).status !== 0)
    throw new Error('kcat is not installed (apt-get install -y kcat)');
  if (startOnly) return startMain();
  const diskBefore = diskLimits();
  const broker = await startBroker();
  await sleep(IDLE_SETTLE_MS);
  const idleRss = rssMb(broker.child.pid);
  const results = [];
  let peakRss;
  try {
    for (const acks of [1, -1]) {
      results.push(await scenario(broker, '100B', SMALL_RECORDS, 100, acks));
      results.push(await scenario(broker, '1KiB', LARGE_RECORDS, 1024, acks));
    }
  } finally {
    peakRss = rssMb(broker.child.pid);
    await stopBroker(broker);
  }
  const diskAfter = diskLimits();
  const loop = await loopbackMBps();
  const disk = {
    one: Math.max(diskBefore.one, diskAfter.one),
    four: Math.max(diskBefore.four, diskAfter.four),
  };
  report(broker, idleRss, peakRss, results, disk, diskBefore, diskAfter, loop);
}

function report(broker, idleRss, peakRss, results, disk, diskBefore, diskAfter, loop) {
  const kcatVersion =
    spawnSync('kcat', ['-V'])
      .stdout.toString()
      .match(/librdkafka [\d.]+/)?.[0] ?? '';
  console.log(
    `\nNimbus Kafka benchmark (kcat ${kcatVersion}, node ${process.version}, ${relaxed ? 'RELAXED durability (fsync once a second)' : 'default durability: fdatasync before every ack, group commit'})`,
  );
  console.log(
    `broker start: ${broker.readyInProcessMs} ms from process start to listening, ${broker.readyCpuMs} ms CPU (${broker.spawnToReadyMs.toFixed(0)} ms incl. spawn)`,
  );
  console.log(`RSS: idle ${idleRss.toFixed(1)} MB, after the runs ${peakRss.toFixed(1)} MB`);
  console.log(
    `machine: loopback TCP ${fmt(loop)} MB/s; fsync-ed sequential writes of 1 MB ${fmt(diskBefore.one)} → ${fmt(diskAfter.one)} MB/s (before → after), of 4 MB ${fmt(diskBefore.four)} → ${fmt(diskAfter.four)} MB/s\n`,
  );
  console.log(
    'scenario            records   produce rec/s   MB/s  CPU ms  kcat CPU  of disk   consume rec/s   MB/s  CPU ms  kcat CPU  of loopback  consume/produce',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(18)} ${String(r.n).padStart(8)} ${fmt(r.produce.rps).padStart(15)} ${r.produce.mbps.toFixed(1).padStart(6)} ${fmt(r.produce.cpuMs).padStart(7)} ${fmt(r.produce.clientCpuMs).padStart(9)} ${pct(r.produce.mbps / disk.one).padStart(8)} ${fmt(r.consume.rps).padStart(15)} ${r.consume.mbps.toFixed(1).padStart(6)} ${fmt(r.consume.cpuMs).padStart(7)} ${fmt(r.consume.clientCpuMs).padStart(9)} ${pct(r.consume.mbps / loop).padStart(12)} ${(r.consume.rps / r.produce.rps).toFixed(2).padStart(16)}`,
    );
  }
  console.log(
    '\nthe same records fetched by bench/kafka/raw-consumer.mjs (Fetch v11, 50 MB max bytes, records counted from batch headers, no record decoded):',
  );
  console.log(
    'scenario            raw consume rec/s     MB/s  broker CPU ms  client CPU ms  of loopback  raw consume/produce',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(18)} ${fmt(r.raw.rps).padStart(19)} ${r.raw.mbps.toFixed(1).padStart(8)} ${fmt(r.raw.cpuMs).padStart(14)} ${fmt(r.raw.clientCpuMs).padStart(14)} ${pct(r.raw.mbps / loop).padStart(12)} ${(r.raw.rps / r.produce.rps).toFixed(2).padStart(20)}`,
    );
  }
  console.log(
    `\n"of disk" = produce MB/s ÷ the better fsync-ed 1 MB write rate (${fmt(disk.one)} MB/s); "of loopback" = consume MB/s ÷ loopback TCP.`,
  );
  console.log(
    "CPU ms = the broker process's CPU time during that phase (steadier than rates on a shared machine); kcat CPU and",
  );
  console.log(
    "client CPU ms = the client process's own CPU time. When a client's CPU is close to the phase's wall time, that client is the limit.",
  );
  targets(results, disk, broker, idleRss);
  console.log('\npublished figures for comparison (other hardware):');
  for (const [who, what] of PUBLISHED) console.log(`  ${who}: ${what}`);
}

function targets(results, disk, broker, idleRss) {
  const small = results.filter((r) => r.size === 100);
  const large = results.filter((r) => r.size === 1024);
  const bestSmall = Math.max(...small.map((r) => r.produce.rps));
  const bestLarge = Math.max(...large.map((r) => r.produce.mbps));
  const worstRatio = Math.min(...results.map((r) => r.consume.rps / r.produce.rps));
  const worstRaw = Math.min(...results.map((r) => r.raw.rps / r.produce.rps));
  const ok = (b) => (b ? 'met' : 'NOT met');
  console.log('\ntargets (issue 5):');
  console.log(
    `  produce 100 B ≥ ${fmt(TARGETS.smallRps)} rec/s: best ${fmt(bestSmall)} → ${ok(bestSmall >= TARGETS.smallRps)}`,
  );
  console.log(
    `  produce 1 KiB ≥ ${TARGETS.largeMBps} MB/s: best ${bestLarge.toFixed(1)} → ${ok(bestLarge >= TARGETS.largeMBps)}`,
  );
  const bestDisk = Math.max(disk.one, disk.four);
  if (!relaxed && bestDisk < TARGETS.largeMBps) {
    console.log(
      `    (this disk's fsync-ed write rate, ${fmt(bestDisk)} MB/s at best, is below ${TARGETS.largeMBps} MB/s: the target is physically out of reach with fsync before ack; see --relaxed)`,
    );
  }
  console.log(
    `  consume ≥ ${TARGETS.consumeRatio}× produce: with kcat -C worst ${worstRatio.toFixed(2)}× → ${ok(worstRatio >= TARGETS.consumeRatio)}; with the raw consumer worst ${worstRaw.toFixed(2)}× → ${ok(worstRaw >= TARGETS.consumeRatio)}`,
  );
  console.log(
    `  start < ${TARGETS.startMs} ms: ${broker.readyInProcessMs} ms → ${ok(broker.readyInProcessMs < TARGETS.startMs)} (use --start for a median)`,
  );
  console.log(
    `  idle RSS < ${TARGETS.idleRssMb} MB: ${idleRss.toFixed(1)} MB → ${ok(idleRss < TARGETS.idleRssMb)}`,
  );
}

const pct = (x) => `${(x * 100).toFixed(0)}%`;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
