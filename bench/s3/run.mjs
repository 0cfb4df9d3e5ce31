#!/usr/bin/env node
/**
 * S3 benchmark, Nimbus side by side with s3rver 3.7.1 (pinned devDependency) in the same run, and
 * against this machine's limits measured in the same run.
 *
 * Workload (identical for both servers, each in its own child process on a random port with a
 * fresh temp directory):
 *   - 4 KiB PUT and GET ops/s, 16 concurrent clients, SECONDS each;
 *   - LARGE_MIB PUT and GET MiB/s (best of LARGE_REPS), with the server's peak RSS growth.
 * Two load generators drive the same workload:
 *   - `sdk`: @aws-sdk/client-s3 with its defaults (SigV4, CRC32 checksums; 4 KiB bodies are
 *     Buffers, so signed SHA-256 payloads; large bodies are streams, so aws-chunked
 *     STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer), i.e. what applications send;
 *   - `raw`: anonymous node:http requests, so the numbers measure the server, not client signing
 *     (on a 2-core machine the SDK client alone can use a whole core);
 *   - `wire`: anonymous requests from a minimal HTTP/1.1 client on raw sockets (small ops only;
 *     large transfers as `raw`), so that the load generator's CPU hardly counts.
 * Machine limits: MD5 MiB/s (1 MiB updates), fsync-ed disk writes (the PUT's pattern: 1 MiB
 * writes of one LARGE_MIB file, one fsync at the end; a per-write-fsync figure is printed for
 * reference), and loopback HTTP (a sink/source server in a child process, the client here, both
 * directions; GET is the best of 64 KiB, 256 KiB and 1 MiB server writes). Large PUT is reported as a fraction of min(disk, MD5), large GET of loopback GET
 * (the limit line's, and one taken right after each rep's GET: "in the same reps").
 * Floors (phase `floors`, bench/s3/floors.mjs): minimal Node file servers, nginx with sendfile and
 * a minimal MD5 + fsync PUT server, interleaved round by round with the Nimbus targets on the same
 * 64 MiB file and body, with node:http and (when installed) curl as GET clients: what Nimbus
 * could reach at best here, measured under the same load; the per-target lines add % of them.
 *
 * Usage: npm run build && node bench/s3/run.mjs [--seconds 3] [--large-mib 64] [--large-reps 3]
 *          [--clients sdk,raw,wire] [--targets nimbus,s3rver] [--phases floors,small,large]
 *          [--floor-rounds 5]
 * `--baseline /tmp/old/dist/src` adds an older Nimbus build as target `base` (before/after in one run);
 * target `nimbus1w` is this build with one write worker (`--targets nimbus,nimbus1w`).
 * NIMBUS_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the Nimbus child.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { IPC, startChild, startNimbus } from './child.mjs';
import { runFloors } from './floors.mjs';
import { median } from '../common.mjs';
import { S3Client, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

process.removeAllListeners('warning'); // the SDK's Node 20 end-of-support notice

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', 3));
const LARGE_MIB = Number(opt('large-mib', 64));
const LARGE_REPS = Number(opt('large-reps', 3));
const CLIENT_KINDS = opt('clients', 'sdk,raw,wire').split(',');
/** `--baseline <dir>`: another build's dist/src (e.g. a git worktree of an older commit), run as `base`. */
const BASELINE = opt('baseline', null);
const TARGETS = opt('targets', BASELINE ? 'nimbus,base,s3rver' : 'nimbus,s3rver').split(',');
const PHASES = opt('phases', 'floors,small,large').split(',');
/** Interleaved rounds of the floors phase (see floors.mjs). */
const FLOOR_ROUNDS = Number(opt('floor-rounds', 5));
const CLIENTS = 16;
const SMALL_BYTES = 4096;
const MiB = 1024 * 1024;
const LARGE_BYTES = LARGE_MIB * MiB;
/** Chunk size the load generators send large bodies in. */
const SEND_CHUNK = MiB;

const dist = join(process.cwd(), 'dist/src');
if (TARGETS.includes('nimbus') && !existsSync(join(dist, 's3/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}

const mbps = (bytes, ms) => bytes / MiB / (ms / 1000);

// ---- child processes ------------------------------------------------------------------------

function startS3rver() {
  return startChild(`
    const { default: S3rver } = await import('s3rver');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-s3rver-'));
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
    const { port } = await server.run();
    const stop = async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); };
    console.log('URL http://127.0.0.1:' + port);
    ${IPC}`);
}

/** A sink (PUT) and source (GET) HTTP server: the loopback limit without any storage work. */
function startLoopback() {
  return startChild(`
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.method === 'PUT') {
        req.on('data', () => {});
        req.on('end', () => { res.writeHead(200, { 'content-length': 0 }); res.end(); });
        return;
      }
      const [total, chunk] = req.url.slice(1).split('/').map(Number);
      const buf = Buffer.alloc(chunk, 7);
      res.writeHead(200, { 'content-length': total });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(buf.length, total - sent);
          sent += n;
          if (!res.write(n === buf.length ? buf : buf.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const stop = () => new Promise((r) => server.close(r));
    console.log('URL http://127.0.0.1:' + server.address().port);
    ${IPC}`);
}

// ---- machine limits -----------------------------------------------------------------------------

function md5Limit() {
  const buf = randomBytes(MiB);
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now();
    const h = createHash('md5');
    for (let i = 0; i < 128; i++) h.update(buf);
    h.digest();
    best = Math.max(best, mbps(128 * MiB, performance.now() - t));
  }
  return best;
}

/**
 * fsync-ed disk writes of one LARGE_MIB file in 1 MiB writes. `perWrite` fsyncs after every write;
 * otherwise one fsync at the end, which is what a PUT does (plus an early background fdatasync).
 */
function diskLimit(perWrite) {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-disk-'));
  const buf = randomBytes(MiB);
  let best = 0;
  for (let rep = 0; rep < 2; rep++) {
    const t = performance.now();
    const fd = openSync(join(dir, `f${rep}`), 'w');
    for (let i = 0; i < LARGE_MIB; i++) {
      writeSync(fd, buf);
      if (perWrite) fsyncSync(fd);
    }
    fsyncSync(fd);
    closeSync(fd);
    best = Math.max(best, mbps(LARGE_BYTES, performance.now() - t));
  }
  rmSync(dir, { recursive: true, force: true });
  return best;
}

async function loopbackLimit() {
  const server = await startLoopback();
  const agent = new Agent({ keepAlive: true });
  let put = 0;
  let get = 0;
  for (let rep = 0; rep < LARGE_REPS; rep++) {
    let t = performance.now();
    await rawStreamPut(agent, server.url, '/sink', LARGE_BYTES);
    put = Math.max(put, mbps(LARGE_BYTES, performance.now() - t));
    // Write sizes matter (1 MiB socket writes are slower than 256 KiB here): the best is the limit.
    for (const chunk of [64 * 1024, 256 * 1024, MiB]) {
      t = performance.now();
      await rawCall(agent, server.url, 'GET', `/${LARGE_BYTES}/${chunk}`);
      get = Math.max(get, mbps(LARGE_BYTES, performance.now() - t));
    }
  }
  agent.destroy();
  await server.stop();
  return { put, get };
}

// ---- raw HTTP client ------------------------------------------------------------------------

function rawCall(agent, base, method, path, body) {
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

const sendChunk = randomBytes(SEND_CHUNK);

function rawStreamPut(agent, base, path, totalBytes) {
  const u = new URL(base);
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
        const n = Math.min(SEND_CHUNK, totalBytes - sent);
        sent += n;
        if (!req.write(n === SEND_CHUNK ? sendChunk : sendChunk.subarray(0, n)))
          return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function rawClient(base) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  return {
    createBucket: (b) => rawCall(agent, base, 'PUT', `/${b}`),
    put: (b, k, body) => rawCall(agent, base, 'PUT', `/${b}/${k}`, body),
    get: (b, k) => rawCall(agent, base, 'GET', `/${b}/${k}`),
    putLarge: (b, k, n) => rawStreamPut(agent, base, `/${b}/${k}`, n),
    close: () => agent.destroy(),
  };
}

// ---- wire client: minimal HTTP/1.1 over net, for small ops ------------------------------------

/**
 * One keep-alive connection sending pre-built request bytes and skipping the response: about a
 * tenth of node:http's client CPU per request, so on a small machine the servers, not the load
 * generator, set the pace (as with wrk or redis-benchmark). Handles Content-Length and chunked.
 */
class WireConnection {
  constructor(port) {
    this.socket = connect({ port, host: '127.0.0.1', noDelay: true });
    this.buf = Buffer.alloc(0);
    this.pending = null;
    this.socket.on('data', (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.parse();
    });
    this.socket.on('error', (e) => this.pending?.reject(e));
  }

  request(method, path, body) {
    const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body ? body.length : 0}\r\n\r\n`;
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, method };
      this.socket.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  /** Completes the pending request once its whole response is buffered. */
  parse() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    let bodyEnd;
    if (this.pending.method === 'HEAD') bodyEnd = end + 4;
    else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      bodyEnd = chunkedEnd(this.buf, end + 4);
      if (bodyEnd < 0) return;
    } else {
      const m = /\r\ncontent-length: *(\d+)/i.exec(head);
      bodyEnd = end + 4 + (m ? Number(m[1]) : 0);
    }
    if (this.buf.length < bodyEnd) return;
    const n = bodyEnd - end - 4;
    this.buf = this.buf.subarray(bodyEnd);
    const p = this.pending;
    this.pending = null;
    if (status < 300) p.resolve(n);
    else p.reject(new Error(`${p.method}: ${status}`));
  }
}

/** Offset just past a complete chunked body starting at `pos`, or -1 while incomplete. */
function chunkedEnd(buf, pos) {
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return -1;
    const size = parseInt(buf.toString('latin1', pos, eol), 16);
    if (size === 0) return buf.length >= eol + 4 ? eol + 4 : -1;
    pos = eol + 2 + size + 2;
    if (pos > buf.length) return -1;
  }
}

function wireClient(base) {
  const port = Number(new URL(base).port);
  const free = Array.from({ length: CLIENTS }, () => new WireConnection(port));
  const all = [...free];
  const waiters = [];
  const call = async (method, path, body) => {
    const c = free.pop() ?? (await new Promise((r) => waiters.push(r)));
    try {
      return await c.request(method, path, body);
    } finally {
      const w = waiters.shift();
      if (w) w(c);
      else free.push(c);
    }
  };
  const raw = rawClient(base);
  return {
    createBucket: (b) => call('PUT', `/${b}`),
    put: (b, k, body) => call('PUT', `/${b}/${k}`, body),
    get: (b, k) => call('GET', `/${b}/${k}`),
    // Large bodies stream through node:http (the wire client buffers whole responses).
    putLarge: raw.putLarge,
    getLarge: raw.get,
    close: () => {
      for (const c of all) c.socket.destroy();
      raw.close();
    },
  };
}

// ---- SDK client -----------------------------------------------------------------------------

function largeBodyStream(totalBytes) {
  let sent = 0;
  return new Readable({
    read() {
      const n = Math.min(SEND_CHUNK, totalBytes - sent);
      sent += n;
      this.push(n === 0 ? null : n === SEND_CHUNK ? sendChunk : sendChunk.subarray(0, n));
    },
  });
}

/** Each server's built-in key pair (s3rver verifies signatures against its own). */
const CREDENTIALS = {
  nimbus: { accessKeyId: 'test', secretAccessKey: 'test' },
  nimbus1w: { accessKeyId: 'test', secretAccessKey: 'test' },
  base: { accessKeyId: 'test', secretAccessKey: 'test' },
  s3rver: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
};

function sdkClient(base, credentials) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const s3 = new S3Client({
    endpoint: base,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
  const drain = async (body) => {
    let n = 0;
    for await (const c of body) n += c.length;
    return n;
  };
  return {
    createBucket: (b) => s3.send(new CreateBucketCommand({ Bucket: b })),
    put: (b, k, body) => s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: body })),
    get: async (b, k) => drain((await s3.send(new GetObjectCommand({ Bucket: b, Key: k }))).Body),
    putLarge: (b, k, n) =>
      s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: largeBodyStream(n), ContentLength: n })),
    close: () => {
      s3.destroy();
      agent.destroy();
    },
  };
}

// ---- workload -------------------------------------------------------------------------------

/**
 * ops/s over SECONDS with CLIENTS concurrent loops, plus CPU µs per op of this (client) process
 * and of the server (all its threads): steadier than ops/s when other jobs share the machine.
 */
async function opsPerSecond(server, fn) {
  const deadline = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const serverCpu0 = await server.cpu();
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
  const serverCpu = (await server.cpu()) - serverCpu0;
  return {
    ops: ops / SECONDS,
    cpuUs: (cpu.user + cpu.system) / Math.max(1, ops),
    serverCpuUs: serverCpu / Math.max(1, ops),
  };
}

/**
 * Loopback GET right now (best of 256 KiB and 1 MiB server writes): the per-target line divides
 * each rep's GET by one taken seconds later, not by the machine-limit line's best of nine taken
 * minutes earlier (throughput on a shared 2-vCPU machine moves 2x within minutes).
 */
async function loopbackGetNow(loop) {
  let best = 0;
  for (const chunk of [256 * 1024, MiB]) {
    const t = performance.now();
    await rawCall(loop.agent, loop.url, 'GET', `/${LARGE_BYTES}/${chunk}`);
    best = Math.max(best, mbps(LARGE_BYTES, performance.now() - t));
  }
  return best;
}

async function runWorkload(client, server, loop) {
  const bucket = 'bench';
  await client.createBucket(bucket);
  const small = randomBytes(SMALL_BYTES);
  const written = new Map();
  const skipped = { ops: NaN, cpuUs: NaN, serverCpuUs: NaN };
  const put = PHASES.includes('small')
    ? await opsPerSecond(server, async (c, i) => {
        await client.put(bucket, `small/${c}/${i}`, small);
        written.set(c, i + 1);
      })
    : skipped;
  const get = PHASES.includes('small')
    ? await opsPerSecond(server, (c, i) => client.get(bucket, `small/${c}/${i % (written.get(c) ?? 1)}`))
    : skipped;
  let putBest = 0;
  let getBest = 0;
  let putCpu = 0;
  let getCpu = 0;
  let putMain = 0;
  let getMain = 0;
  let rssPeak = 0;
  const getVsLoop = [];
  const rss0 = await server.rss();
  const sampler = setInterval(async () => (rssPeak = Math.max(rssPeak, (await server.rss()) - rss0)), 50);
  for (let r = 0; PHASES.includes('large') && r < LARGE_REPS; r++) {
    let [c0, m0] = await server.cpuBoth();
    let t = performance.now();
    await client.putLarge(bucket, `large-${r}`, LARGE_BYTES);
    putBest = Math.max(putBest, mbps(LARGE_BYTES, performance.now() - t));
    let [c1, m1] = await server.cpuBoth();
    putCpu += c1 - c0;
    putMain += m1 - m0;
    [c0, m0] = await server.cpuBoth();
    t = performance.now();
    const n = await (client.getLarge ?? client.get)(bucket, `large-${r}`);
    const got = mbps(n, performance.now() - t);
    getBest = Math.max(getBest, got);
    [c1, m1] = await server.cpuBoth();
    getCpu += c1 - c0;
    getMain += m1 - m0;
    getVsLoop.push(got / (await loopbackGetNow(loop)));
  }
  clearInterval(sampler);
  const perMiB = (us) => us / 1000 / (LARGE_REPS * LARGE_MIB);
  return {
    put,
    get,
    putBest,
    getBest,
    putMsPerMiB: perMiB(putCpu),
    getMsPerMiB: perMiB(getCpu),
    putMainMsPerMiB: perMiB(putMain),
    getMainMsPerMiB: perMiB(getMain),
    rssPeakMiB: rssPeak / MiB,
    getVsLoop: getVsLoop.length > 0 ? median(getVsLoop) : NaN,
  };
}

// ---- run --------------------------------------------------------------------------------------

console.log(
  `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs (ratios in the same run are what matter on a shared machine)`,
);
const limits = {
  md5: md5Limit(),
  disk: diskLimit(false),
  diskPerWrite: diskLimit(true),
  loopback: await loopbackLimit(),
};
console.log(
  `machine: MD5 ${limits.md5.toFixed(0)} MiB/s · fsync-ed disk ${limits.disk.toFixed(0)} MiB/s ` +
    `(${limits.diskPerWrite.toFixed(0)} with an fsync per 1 MiB write) · loopback HTTP PUT ` +
    `${limits.loopback.put.toFixed(0)} MiB/s, GET ${limits.loopback.get.toFixed(0)} MiB/s`,
);
const putLimit = Math.min(limits.md5, limits.disk);
const starters = {
  nimbus: () => startNimbus(dist),
  // The same build with one write worker (hash + write of large bodies off the event loop thread),
  // whatever the CPU count; the default has none below 4 CPUs.
  nimbus1w: () => startNimbus(dist, { writeWorkers: 1 }),
  base: () => startNimbus(BASELINE),
  s3rver: startS3rver,
};
// The floors: what minimal servers (Node, nginx) reach on the same file and body in the same
// run, interleaved with Nimbus (node:http client; curl too when installed).
const floorAgent = new Agent({ keepAlive: true });
const floorIo = {
  get: (url) => rawCall(floorAgent, url, 'GET', new URL(url).pathname + new URL(url).search),
  put: (url, n) => rawStreamPut(floorAgent, url, new URL(url).pathname, n),
};
const floors = PHASES.includes('floors')
  ? await runFloors({
      bytes: LARGE_BYTES,
      rounds: FLOOR_ROUNDS,
      io: floorIo,
      startLoopback,
      targets: TARGETS.filter((t) => t !== 's3rver').map((t) => [t, starters[t]]),
      putLimit,
    })
  : { nodeRead: NaN, nginx: NaN, nodePut: NaN };
floorAgent.destroy();
const floorPct = (x, floor, name) =>
  Number.isNaN(floor) ? '' : `, ${((100 * x) / floor).toFixed(0)}% of ${floor.toFixed(0)} ${name}`;
const results = {};
// A do-nothing server for the per-rep "loopback now" GETs of the large phase.
const loopNow = PHASES.includes('large') ? await startLoopback() : null;
if (loopNow) loopNow.agent = new Agent({ keepAlive: true });
// `--phases floors` alone runs no targets.
const targetPhases = PHASES.includes('small') || PHASES.includes('large');
for (const kind of targetPhases ? CLIENT_KINDS : []) {
  for (const name of TARGETS) {
    const server = await starters[name]();
    const client =
      kind === 'sdk'
        ? sdkClient(server.url, CREDENTIALS[name])
        : kind === 'wire'
          ? wireClient(server.url)
          : rawClient(server.url);
    try {
      const r = await runWorkload(client, server, loopNow);
      results[`${kind}/${name}`] = r;
      console.log(
        `${kind.padEnd(3)} ${name.padEnd(8)} 4KiB PUT ${r.put.ops.toFixed(0)} ops/s · GET ${r.get.ops.toFixed(0)} ops/s ` +
          `(CPU µs/op server ${r.put.serverCpuUs.toFixed(0)}/${r.get.serverCpuUs.toFixed(0)}, client ` +
          `${r.put.cpuUs.toFixed(0)}/${r.get.cpuUs.toFixed(0)}) · ${LARGE_MIB}MiB PUT ` +
          `${r.putBest.toFixed(0)} MiB/s (${((100 * r.putBest) / putLimit).toFixed(0)}% of min(disk, MD5)` +
          `${floorPct(r.putBest, floors.nodePut, 'node-put')}) · ` +
          `GET ${r.getBest.toFixed(0)} MiB/s (${((100 * r.getBest) / limits.loopback.get).toFixed(0)}% of loopback, ` +
          `${(100 * r.getVsLoop).toFixed(0)}% of loopback in the same reps` +
          `${floorPct(r.getBest, floors.nodeRead, 'node-read')}${floorPct(r.getBest, floors.nginx, 'nginx')}) · ` +
          `server CPU ${r.putMsPerMiB.toFixed(2)}/${r.getMsPerMiB.toFixed(2)} ms/MiB ` +
          `(main thread ${r.putMainMsPerMiB.toFixed(2)}/${r.getMainMsPerMiB.toFixed(2)}) · server peak RSS +${r.rssPeakMiB.toFixed(0)} MiB`,
      );
    } finally {
      client.close();
      await server.stop();
    }
  }
  for (const other of ['s3rver', 'base', 'nimbus1w']) {
    const n = results[`${kind}/nimbus`];
    const s = results[`${kind}/${other}`];
    if (!n || !s) continue;
    console.log(
      `${kind.padEnd(3)} nimbus/${other}: 4KiB PUT ${(n.put.ops / s.put.ops).toFixed(1)}x · GET ${(n.get.ops / s.get.ops).toFixed(1)}x ops/s · ` +
        `${LARGE_MIB}MiB PUT ${(n.putBest / s.putBest).toFixed(1)}x · GET ${(n.getBest / s.getBest).toFixed(1)}x MiB/s`,
    );
  }
}
if (loopNow) {
  loopNow.agent.destroy();
  await loopNow.stop();
}
