#!/usr/bin/env node
/**
 * S3 benchmark: small-object ops/s (4 KiB PUT and GET, 16 concurrent clients) and large-object
 * throughput (64 MiB PUT and GET), side by side with this machine's limits measured in the same
 * run (MD5 speed, fsync-ed disk writes, loopback HTTP). Peak RSS growth during the large PUTs
 * shows whether memory stays flat. s3rver is compared when `npm i s3rver` made it importable
 * (it is not a project dependency); otherwise the run says so.
 *
 * Usage: npm run build && node bench/s3/run.mjs [--seconds 5] [--large-mib 64] [--large-reps 3]
 * Requests are anonymous (no SigV4) so the numbers measure the server, not client signing. The
 * server runs in its own process; CPU µs/op is the load generator's (this process) — see
 * `top` for the server's share.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, writeSync, fsyncSync, closeSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt('seconds', 5);
const LARGE_MIB = opt('large-mib', 64);
const LARGE_REPS = opt('large-reps', 3);
const CLIENTS = 16;
const SMALL_BYTES = 4096;
const MiB = 1024 * 1024;

const dist = join(process.cwd(), 'dist/src');
if (!existsSync(join(dist, 's3/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}

/**
 * The server runs in a child process so the load generator (this process) does not share its
 * event loop: the numbers are the server's, and the RSS sampled is the server's.
 */
async function startServerProcess() {
  const code = `
    const { startStandalone } = await import(${JSON.stringify(pathToFileURL(join(dist, 'platform/testing.js')).href)});
    const { s3Service } = await import(${JSON.stringify(pathToFileURL(join(dist, 's3/index.js')).href)});
    const s = await startStandalone(s3Service, { serveGateway: true });
    console.log('URL ' + s.gatewayUrl);
    process.on('message', async (m) => {
      if (m === 'rss') process.send(process.memoryUsage().rss);
      if (m === 'stop') { await s.close(); process.exit(0); }
    });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /URL (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`server exited (${c})`)));
  });
  const rss = () =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send('rss');
    });
  return {
    url,
    rss,
    stop: () =>
      new Promise((r) => {
        child.once('exit', r);
        child.send('stop');
      }),
  };
}

const mbps = (bytes, ms) => bytes / MiB / (ms / 1000);

// ---- machine limits -----------------------------------------------------------------------------

function md5Limit() {
  const buf = randomBytes(MiB);
  const total = 256;
  const t = performance.now();
  const h = createHash('md5');
  for (let i = 0; i < total; i++) h.update(buf);
  h.digest();
  return mbps(total * MiB, performance.now() - t);
}

function diskLimit() {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-disk-'));
  const buf = randomBytes(MiB);
  const total = 256;
  const t = performance.now();
  const fd = openSync(join(dir, 'f'), 'w');
  for (let i = 0; i < total; i++) writeSync(fd, buf);
  fsyncSync(fd);
  closeSync(fd);
  const r = mbps(total * MiB, performance.now() - t);
  rmSync(dir, { recursive: true, force: true });
  return r;
}

async function loopbackLimit() {
  const buf = randomBytes(MiB);
  const total = 512;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': total * MiB });
    let i = 0;
    const pump = () => {
      while (i < total) {
        i++;
        if (!res.write(buf)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const t = performance.now();
  await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.on('data', () => {});
      res.on('end', resolve);
    })
      .on('error', reject)
      .end();
  });
  const r = mbps(total * MiB, performance.now() - t);
  server.close();
  return r;
}

// ---- HTTP helpers -----------------------------------------------------------------------------

function call(agent, base, method, path, body) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        agent,
        headers: body ? { 'content-length': body.length } : {},
      },
      (res) => {
        let n = 0;
        res.on('data', (c) => (n += c.length));
        res.on('end', () =>
          res.statusCode < 300 ? resolve(n) : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function streamPut(agent, base, path, totalBytes) {
  const u = new URL(base);
  const chunk = randomBytes(MiB);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: 'PUT',
        path,
        agent,
        headers: { 'content-length': totalBytes },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < totalBytes) {
        const n = Math.min(MiB, totalBytes - sent);
        sent += n;
        if (!req.write(n === MiB ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** ops/s over SECONDS, plus this (client) process's CPU µs per op. */
async function opsPerSecond(fn) {
  const deadline = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  let ops = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await fn(c, i);
        ops++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  cpuPerOp.push(((cpu.user + cpu.system) / Math.max(1, ops)).toFixed(0));
  return ops / SECONDS;
}
const cpuPerOp = [];

async function benchTarget(name, base, bucketPath, serverRss = async () => process.memoryUsage().rss) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  await call(agent, base, 'PUT', bucketPath);
  const small = randomBytes(SMALL_BYTES);
  const written = new Map();
  const putOps = await opsPerSecond(async (c, i) => {
    await call(agent, base, 'PUT', `${bucketPath}/small/${c}/${i}`, small);
    written.set(c, i + 1);
  });
  const getOps = await opsPerSecond((c, i) =>
    call(agent, base, 'GET', `${bucketPath}/small/${c}/${i % Math.max(1, written.get(c) ?? 1)}`),
  );
  let putBest = 0;
  let getBest = 0;
  let rssPeak = 0;
  const rss0 = await serverRss();
  const sampler = setInterval(async () => (rssPeak = Math.max(rssPeak, (await serverRss()) - rss0)), 50);
  for (let r = 0; r < LARGE_REPS; r++) {
    let t = performance.now();
    await streamPut(agent, base, `${bucketPath}/large-${r}`, LARGE_MIB * MiB);
    putBest = Math.max(putBest, mbps(LARGE_MIB * MiB, performance.now() - t));
    t = performance.now();
    await call(agent, base, 'GET', `${bucketPath}/large-${r}`);
    getBest = Math.max(getBest, mbps(LARGE_MIB * MiB, performance.now() - t));
  }
  clearInterval(sampler);
  agent.destroy();
  const [putCpu, getCpu] = cpuPerOp.splice(0);
  return { name, putOps, getOps, putBest, getBest, rssPeakMiB: rssPeak / MiB, putCpu, getCpu };
}

// ---- run --------------------------------------------------------------------------------------

const limits = { md5: md5Limit(), disk: diskLimit(), loopback: await loopbackLimit() };
const load = (await import('node:os')).loadavg()[0];
console.log(
  `load average ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs (numbers below are only meaningful on an idle machine)`,
);
console.log(
  `machine: MD5 ${limits.md5.toFixed(0)} MiB/s, fsync-ed disk ${limits.disk.toFixed(0)} MiB/s, loopback HTTP ${limits.loopback.toFixed(0)} MiB/s`,
);

const server = await startServerProcess();
const results = [await benchTarget('nimbus', server.url, '/bench', server.rss)];
await server.stop();

let s3rver = null;
try {
  s3rver = (await import('s3rver')).default;
} catch {
  console.log('s3rver: not installed (optional; `npm i --no-save s3rver` to compare) — comparison skipped');
}
if (s3rver) {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-s3rver-'));
  const server = new s3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port } = await server.run();
  results.push(await benchTarget('s3rver', `http://127.0.0.1:${port}`, '/bench'));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

const largePutLimit = Math.min(limits.md5, limits.disk);
for (const r of results) {
  console.log(
    `${r.name.padEnd(7)} 4KiB PUT ${r.putOps.toFixed(0)} ops/s (client ${r.putCpu} CPU µs/op) · 4KiB GET ${r.getOps.toFixed(0)} ops/s (client ${r.getCpu} CPU µs/op) · ` +
      `${LARGE_MIB}MiB PUT ${r.putBest.toFixed(0)} MiB/s (${((100 * r.putBest) / largePutLimit).toFixed(0)}% of min(disk, MD5)) · ` +
      `GET ${r.getBest.toFixed(0)} MiB/s (${((100 * r.getBest) / limits.loopback).toFixed(0)}% of loopback) · server peak RSS +${r.rssPeakMiB.toFixed(0)} MiB`,
  );
}
if (results.length === 2) {
  const [n, s] = results;
  console.log(
    `ratio nimbus/s3rver: PUT ${(n.putOps / s.putOps).toFixed(1)}x, GET ${(n.getOps / s.getOps).toFixed(1)}x ops/s`,
  );
}
