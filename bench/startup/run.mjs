// Cold start to ready and idle RSS of `nimbus up`, for the bare host (gateway only) and for every
// service that exists. Each run spawns a fresh process with --ephemeral and free ports, waits for
// the --json ready line, lets it idle, reads VmRSS from /proc, then stops it with SIGTERM.
// Usage: npm run build && node bench/startup/run.mjs [runs]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist/src/cli/bin.js');
const RUNS = Number(process.argv[2] ?? 7);
const IDLE_MS = 1500;

function once(services) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = [CLI, 'up', '--json', '--ephemeral', '--log-level', 'warn'];
    if (services) args.push('--services', services);
    // Free ports for every service through the environment (unknown services ignore theirs).
    const env = { ...process.env, NIMBUS_GATEWAY_PORT: '0', NIMBUS_REDIS_PORT: '0', NIMBUS_KAFKA_PORT: '0' };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      const wallMs = performance.now() - t0;
      const ready = JSON.parse(out.split('\n')[0]);
      if (!ready.ready) return reject(new Error(ready.error));
      setTimeout(() => {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
        child.kill('SIGTERM');
        child.on('exit', () => resolve({ wallMs, readyMs: ready.readyMs, rssMb: rssKb / 1024, endpoints: Object.keys(ready.endpoints) }));
      }, IDLE_MS);
    });
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`exited ${code}: ${err}`));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [label, services] of [['bare host (gateway)', 'gateway'], ['all services', null]]) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(services));
  const wall = median(runs.map((r) => r.wallMs));
  const ready = median(runs.map((r) => r.readyMs));
  const rss = median(runs.map((r) => r.rssMb));
  console.log(
    `${label.padEnd(22)} services=${runs[0].endpoints.join(',')}\n` +
      `  spawn→ready line ${wall.toFixed(0)} ms (median of ${RUNS}), process start→ready ${ready} ms, idle RSS ${rss.toFixed(1)} MB\n` +
      `  targets: ready < 300 ms, RSS < 80 MB (bare host); LocalStack: 9–20 s and 0.5–1 GB → ${(9000 / wall).toFixed(0)}× faster than its best case`,
  );
}
