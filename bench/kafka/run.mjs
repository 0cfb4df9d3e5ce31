// Kafka benchmark: kcat producing and consuming against Nimbus, next to this machine's limits
// (loopback TCP and fsync-ed sequential disk writes, measured in the same run) and published
// figures. Not a test; it never gates CI. Needs `npm run build` and kcat.
//
//   node bench/kafka/run.mjs [--records 1000000] [--large 200000] [--quick] [--relaxed]
//
// Reports, per scenario: records/s, MB/s (payload bytes), plus broker start-to-ready and RSS.
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
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

function startBroker() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['bench/kafka/broker.mjs'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_RELAXED: relaxed ? '1' : '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = /READY kafka:\/\/(\S+) (\d+)/.exec(out);
      if (m)
        resolve({
          child,
          address: m[1],
          readyInProcessMs: Number(m[2]),
          spawnToReadyMs: performance.now() - started,
        });
    });
    child.on('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
}

function kcat(address, kcatArgs, input) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('kcat', ['-b', address, ...kcatArgs], {
      stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d.toString()));
    p.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - t)
        : reject(new Error(`kcat ${kcatArgs.join(' ')}: ${code} ${err}`)),
    );
    if (input) {
      p.stdin.on('error', () => {});
      p.stdin.end(input);
    }
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

async function scenario(address, name, n, size, acks) {
  const topic = `bench-${name}-${acks}`.replace(/[^a-zA-Z0-9.-]/g, '_');
  const data = payload(n, size);
  const produceMs = await kcat(address, ['-P', '-t', topic, '-X', `acks=${acks}`, ...PRODUCER_PROPS], data);
  const consumeMs = await kcat(address, [
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
  const mb = (n * size) / 1e6;
  return {
    name: `${name} acks=${acks}`,
    n,
    produce: { rps: n / (produceMs / 1000), mbps: mb / (produceMs / 1000) },
    consume: { rps: n / (consumeMs / 1000), mbps: mb / (consumeMs / 1000) },
  };
}

/** Loopback TCP: one socket pushing 1 GiB to a sink. */
async function loopbackMBps() {
  const total = quick ? 256 * 1024 * 1024 : 1024 * 1024 * 1024;
  const server = createServer((s) => s.resume());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
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
    c.on('close', resolve);
  });
  const ms = performance.now() - t;
  server.close();
  return total / 1e6 / (ms / 1000);
}

/** Sequential writes of 1 MiB, each followed by fsync. */
function fsyncDiskMBps() {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-disk-'));
  const fd = openSync(join(dir, 'f'), 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  const n = quick ? 64 : 256;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    writeSync(fd, chunk);
    fsyncSync(fd);
  }
  const ms = performance.now() - t;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return (n * 1.048576) / (ms / 1000);
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function main() {
  if (spawnSync('sh', ['-c', 'command -v kcat']).status !== 0)
    throw new Error('kcat is not installed (apt-get install -y kcat)');
  const broker = await startBroker();
  await new Promise((r) => setTimeout(r, 500));
  const idleRss = rssMb(broker.child.pid);
  const results = [];
  try {
    for (const acks of [1, -1]) {
      results.push(await scenario(broker.address, '100B', SMALL_RECORDS, 100, acks));
      results.push(await scenario(broker.address, '1KiB', LARGE_RECORDS, 1024, acks));
    }
  } finally {
    var peakRss = rssMb(broker.child.pid);
    broker.child.kill('SIGTERM');
  }
  const loop = await loopbackMBps();
  const disk = fsyncDiskMBps();

  console.log(
    `\nNimbus Kafka benchmark (kcat ${
      spawnSync('kcat', ['-V'])
        .stdout.toString()
        .match(/librdkafka [\d.]+/)?.[0] ?? ''
    }, node ${process.version})`,
  );
  console.log(
    `broker start: ${broker.readyInProcessMs} ms from process start to listening (${broker.spawnToReadyMs.toFixed(0)} ms incl. spawn)`,
  );
  console.log(`RSS: idle ${idleRss.toFixed(1)} MB, after the runs ${peakRss.toFixed(1)} MB`);
  console.log(`machine: loopback TCP ${fmt(loop)} MB/s, fsync-ed sequential writes ${fmt(disk)} MB/s\n`);
  console.log(
    'scenario            records   produce rec/s   produce MB/s   consume rec/s   consume MB/s   consume/produce',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(18)} ${String(r.n).padStart(8)} ${fmt(r.produce.rps).padStart(15)} ${r.produce.mbps.toFixed(1).padStart(14)} ${fmt(r.consume.rps).padStart(15)} ${r.consume.mbps.toFixed(1).padStart(14)} ${(r.consume.rps / r.produce.rps).toFixed(2).padStart(17)}`,
    );
  }
  const best1k = Math.max(...results.filter((r) => r.name.startsWith('1KiB')).map((r) => r.produce.mbps));
  console.log(
    `\n1 KiB produce vs fsync-ed disk: ${(best1k / disk).toFixed(2)}x of the disk's fsync-ed rate; vs loopback ${((best1k / loop) * 100).toFixed(1)}%`,
  );
  console.log('\npublished figures for comparison (other hardware):');
  for (const [who, what] of PUBLISHED) console.log(`  ${who}: ${what}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
