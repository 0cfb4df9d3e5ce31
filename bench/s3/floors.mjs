/**
 * Floors for the large-object benchmark: the least any server on this machine needs to serve the
 * same bytes, measured in the same run as Nimbus, so "Nimbus is N % of what is possible" rests on
 * a measurement rather than on the do-nothing loopback figure (which never touches a file).
 *
 *   - `node-read`: a minimal node:http server answering GET with the file read by fs.read into a
 *     ring of reused buffers (several reads ahead) and res.write, no S3 logic at all;
 *   - `node-pipe`: the same server answering with createReadStream(file).pipe(res);
 *   - `nginx`: nginx with sendfile serving the file (the "real thing" for static GET; skipped with
 *     a reason when nginx is not installed);
 *   - `node-put`: a minimal node:http server streaming a PUT body into a temp file while MD5-hashing
 *     it (one writev of ~1 MiB in flight and a background fdatasync every 16 MiB, like Nimbus),
 *     fsync, rename, fsync the directory: the durability Nimbus promises, and nothing else;
 *   - `node-md5-sink`: the same server only MD5-hashing the body (no disk): the ceiling of any
 *     server that receives and hashes on one thread.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, IPC } from './child.mjs';
import { cpuSeconds, median } from '../common.mjs';

/**
 * The GET and PUT floor server in a child process. GET `/read?chunk=B&ahead=K` or `/pipe?chunk=B`
 * sends `file`; PUT stores the body under `putDir`.
 */
export function startNodeFloor(file, putDir) {
  return startChild(`
    const { createServer } = await import('node:http');
    const fs = await import('node:fs');
    const { createHash } = await import('node:crypto');
    const { join } = await import('node:path');
    const FILE = ${JSON.stringify(file)};
    const PUT_DIR = ${JSON.stringify(putDir)};
    const size = fs.statSync(FILE).size;
    const fd = fs.openSync(FILE, 'r');

    // Reads run ahead into a ring of buffers; a buffer is read again once the socket took it
    // (the write callback), so memory is ahead × chunk and the file reads overlap the sending.
    function sendRead(res, chunk, ahead) {
      const bufs = Array.from({ length: ahead }, () => Buffer.allocUnsafeSlow(chunk));
      const got = new Array(ahead).fill(-1);
      let nextRead = 0;
      let nextWrite = 0;
      const chunks = Math.ceil(size / chunk);
      const read = (k) => {
        const slot = k % ahead;
        const n = Math.min(chunk, size - k * chunk);
        fs.read(fd, bufs[slot], 0, n, k * chunk, (err, r) => {
          if (err || r !== n) return res.destroy();
          got[slot] = n;
          pump();
        });
      };
      const pump = () => {
        while (nextWrite < chunks && got[nextWrite % ahead] >= 0) {
          const k = nextWrite++;
          const slot = k % ahead;
          const n = got[slot];
          got[slot] = -1;
          res.write(n === chunk ? bufs[slot] : bufs[slot].subarray(0, n), () => {
            if (nextRead < chunks) read(nextRead++);
          });
        }
        if (nextWrite === chunks) res.end();
      };
      while (nextRead < Math.min(ahead, chunks)) read(nextRead++);
    }

    // Body → MD5 and one ~1 MiB writev in flight → fsync → rename → fsync dir; the request is
    // paused while a write is in flight and the next batch is full (memory: two batches).
    function put(req, res) {
      const tmp = join(PUT_DIR, 'tmp-' + Math.random().toString(36).slice(2));
      const wfd = fs.openSync(tmp, 'w');
      const md5 = createHash('md5');
      let batch = [];
      let batchBytes = 0;
      let pos = 0;
      let unsynced = 0;
      let writing = false;
      let ended = false;
      const flush = () => {
        if (writing || batch.length === 0) return;
        const bufs = batch;
        const n = batchBytes;
        batch = [];
        batchBytes = 0;
        writing = true;
        fs.writev(wfd, bufs, pos, (err, w) => {
          if (err || w !== n) return fail();
          pos += n;
          unsynced += n;
          // As Nimbus does: a background fdatasync every 16 MiB, so the final fsync finds little
          // left to write (without it the whole body is written back after the last byte).
          if (unsynced >= 16777216) {
            unsynced = 0;
            fs.fdatasync(wfd, () => {});
          }
          writing = false;
          req.resume();
          if (ended) finish();
          else if (batchBytes >= 1048576) flush();
        });
      };
      // Errors only end the request: this is a measuring stick, not a store.
      const fail = () => {
        res.writeHead(500, { 'content-length': 0 });
        res.end();
      };
      const finish = () => {
        if (writing) return;
        if (batch.length > 0) return flush();
        fs.fsync(wfd, (err) => {
          if (err) return fail();
          fs.closeSync(wfd);
          const dest = join(PUT_DIR, 'obj');
          fs.renameSync(tmp, dest);
          const dfd = fs.openSync(PUT_DIR, 'r');
          fs.fsync(dfd, () => {
            fs.closeSync(dfd);
            res.writeHead(200, { etag: '"' + md5.digest('hex') + '"', 'content-length': 0 });
            res.end();
          });
        });
      };
      req.on('data', (c) => {
        md5.update(c);
        batch.push(c);
        batchBytes += c.length;
        if (batchBytes >= 1048576) {
          if (writing) req.pause();
          else flush();
        }
      });
      req.on('end', () => {
        ended = true;
        finish();
      });
    }

    // The ceiling of any one-thread server that must MD5 the body: receive and hash, no disk.
    function md5Sink(req, res) {
      const md5 = createHash('md5');
      req.on('data', (c) => md5.update(c));
      req.on('end', () => {
        res.writeHead(200, { etag: '"' + md5.digest('hex') + '"', 'content-length': 0 });
        res.end();
      });
    }

    const server = createServer((req, res) => {
      if (req.method === 'PUT') return req.url.startsWith('/md5sink') ? md5Sink(req, res) : put(req, res);
      const u = new URL(req.url, 'http://x');
      const chunk = Number(u.searchParams.get('chunk') ?? 262144);
      res.writeHead(200, { 'content-length': size });
      if (u.pathname === '/pipe') fs.createReadStream(FILE, { highWaterMark: chunk }).pipe(res);
      else sendRead(res, chunk, Number(u.searchParams.get('ahead') ?? 3));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const stop = () => new Promise((r) => server.close(r));
    console.log('URL http://127.0.0.1:' + server.address().port);
    ${IPC}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * nginx serving `root` (sendfile on, one worker, no master, no daemon: a single process whose CPU
 * /proc shows), or `{ skipped: reason }` when nginx is not installed.
 */
export async function startNginx(root) {
  let bin;
  try {
    bin = execFileSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' }).trim();
  } catch {
    return { skipped: 'nginx is not installed (apt-get install -y nginx-light)' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; master_process off; worker_processes 1; error_log ${dir}/error.log; pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  );
  const child = spawn(bin, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  // nginx does not notice its parent dying (the Node children do, through their IPC channel).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}/`).then(
      () => true,
      () => false,
    );
    if (ok) {
      return {
        url,
        pid: child.pid,
        cpu: async () => cpuSeconds(child.pid) * 1e6,
        stop: () =>
          new Promise((r) => {
            child.once('exit', () => {
              rmSync(dir, { recursive: true, force: true });
              r();
            });
            child.kill('SIGQUIT');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return { skipped: `nginx did not start: ${err.trim().split('\n').pop() ?? 'no output'}` };
}

// ---- the interleaved floor run ---------------------------------------------------------------

const MiB = 1024 * 1024;
const fmtRange = (xs) =>
  `${median(xs).toFixed(0).padStart(5)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;

/** Whether curl is on PATH (the second GET client: a cheap C receiver next to node:http's). */
function haveCurl() {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * One curl GET: wall ms (curl's own time_total) and curl's CPU µs. curl's CPU is read as the
 * children's time of the `sh` that waited for it (/proc/<sh>/stat cutime + cstime).
 */
function curlGet(url) {
  const out = execFileSync(
    'sh',
    ['-c', `curl -s -f -o /dev/null -w '%{time_total} %{size_download}\\n' "$0"; cat /proc/$$/stat`, url],
    { encoding: 'utf8' },
  );
  const [line, st] = out.split('\n');
  const [secs, size] = line.split(' ').map(Number);
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return { ms: secs * 1000, bytes: size, cpuUs: (Number(f[13]) + Number(f[14])) * 10000 };
}

/** Accumulates one row's samples: MiB/s per round, server and client CPU. */
function row() {
  return { mbps: [], serverUs: 0, clientUs: 0, mib: 0 };
}

/** Times `fn` (one transfer of `bytes`) into `r`, with the server's and this process's CPU. */
async function sample(r, server, bytes, fn) {
  const s0 = await server.cpu();
  const c0 = process.cpuUsage();
  const t = performance.now();
  const ext = await fn();
  const ms = ext?.ms ?? performance.now() - t;
  const c = process.cpuUsage(c0);
  r.serverUs += (await server.cpu()) - s0;
  r.clientUs += ext?.cpuUs ?? c.user + c.system;
  r.mib += bytes / MiB;
  r.mbps.push(bytes / MiB / (ms / 1000));
}

function printRow(name, r) {
  if (!r || r.mbps.length === 0) return;
  console.log(
    `  ${name.padEnd(34)} ${fmtRange(r.mbps)} MiB/s · server ${(r.serverUs / 1000 / r.mib).toFixed(2)} · client ${(r.clientUs / 1000 / r.mib).toFixed(2)} ms/MiB`,
  );
}

/** Median over rounds of a / b (each round's samples were taken back to back). */
const ratio = (a, b) => median(a.mbps.map((x, i) => x / b.mbps[i]));
const pct = (a, b) => `${(100 * ratio(a, b)).toFixed(0)}%`;

/**
 * GET and PUT floors next to the Nimbus targets, interleaved round by round (every server gets one
 * transfer per round, in turn), so load from other jobs hits them alike; ratios are medians of
 * per-round ratios. `io` is the bench's own node:http client ({ get(url), put(url, bytes) }),
 * `startLoopback` its do-nothing server, `targets` [name, start] pairs (Nimbus builds), `putLimit`
 * min(disk, MD5) in MiB/s. Returns
 * the node:http medians (MiB/s) of the floors for the per-target lines.
 */
export async function runFloors({ bytes, rounds, io, startLoopback, targets, putLimit }) {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-floor-'));
  const putDir = join(dir, 'put');
  mkdirSync(putDir);
  const file = join(dir, 'obj');
  // Random bytes (as the PUT bodies are), written once: the page cache holds them warm for all.
  writeFileSync(file, randomBytes(bytes));
  const servers = [];
  const start = async (p) => {
    const s = await p;
    if (!s.skipped) servers.push(s);
    return s;
  };
  try {
    const loop = await start(startLoopback());
    const floor = await start(startNodeFloor(file, putDir));
    const nginx = await start(startNginx(dir));
    const nimbuses = [];
    for (const [name, startTarget] of targets) {
      const s = await start(startTarget());
      await io.put(`${s.url}/floor`, 0);
      await io.put(`${s.url}/floor/obj`, bytes);
      nimbuses.push([name, s]);
    }
    const gets = [
      ['loopback (do-nothing, 64 KiB writes)', loop, `${loop.url}/${bytes}/${64 * 1024}`],
      ['loopback (do-nothing, 256 KiB writes)', loop, `${loop.url}/${bytes}/${256 * 1024}`],
      ['loopback (do-nothing, 1 MiB writes)', loop, `${loop.url}/${bytes}/${MiB}`],
      ['node-read (fs.read ring, 256 KiB ×3)', floor, `${floor.url}/read?chunk=${256 * 1024}&ahead=3`],
      ['node-read (fs.read ring, 1 MiB ×2)', floor, `${floor.url}/read?chunk=${MiB}&ahead=2`],
      ['node-pipe (createReadStream.pipe)', floor, `${floor.url}/pipe?chunk=${256 * 1024}`],
      ...(nginx.skipped ? [] : [['nginx (sendfile)', nginx, `${nginx.url}/obj`]]),
      ...nimbuses.map(([name, s]) => [name, s, `${s.url}/floor/obj`]),
    ];
    const puts = [
      ['node-put (MD5, writev, fsync, rename)', floor, 'obj'],
      ['node-md5-sink (MD5, no disk)', floor, 'md5sink'],
      ...nimbuses.map(([n, s]) => [n, s, 'floor/put']),
    ];
    const clients = haveCurl() ? ['node:http', 'curl'] : ['node:http'];
    const res = Object.fromEntries(clients.map((c) => [c, gets.map(() => row())]));
    const putRes = puts.map(() => row());
    for (const [, , url] of gets) await io.get(url); // connections and JIT warm, file cached
    for (let r = 0; r < rounds; r++) {
      for (const [i, [, server, url]] of gets.entries()) {
        await sample(res['node:http'][i], server, bytes, () => io.get(url));
        if (res.curl) await sample(res.curl[i], server, bytes, () => curlGet(url));
      }
      for (const [i, [, server, path]] of puts.entries())
        await sample(putRes[i], server, bytes, () => io.put(`${server.url}/${path}-${r}`, bytes));
    }
    report({ bytes, rounds, gets, res, puts, putRes, nginx, targets: nimbuses.length, putLimit });
    const byName = (prefix) =>
      median(res['node:http'][gets.findIndex(([n]) => n.startsWith(prefix))]?.mbps ?? [NaN]);
    return {
      nodeRead: byName('node-read (fs.read ring, 256'),
      nginx: byName('nginx'),
      nodePut: median(putRes[0].mbps),
      md5Sink: median(putRes[1].mbps),
    };
  } finally {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report({ bytes, rounds, gets, res, puts, putRes, nginx, targets, putLimit }) {
  console.log(
    `floors: ${bytes / MiB} MiB, ${rounds} interleaved rounds; median [min–max] MiB/s, CPU per MiB of the server (all threads) and of the client`,
  );
  for (const c of Object.keys(res)) {
    console.log(` GET, ${c} client:`);
    gets.forEach(([name], i) => printRow(name, res[c][i]));
  }
  if (nginx.skipped) console.log(`  nginx skipped: ${nginx.skipped}`);
  console.log(' PUT, node:http client:');
  puts.forEach(([name], i) => printRow(name, putRes[i]));
  const floorRows = gets.length - targets;
  for (const c of Object.keys(res)) {
    const rows = res[c];
    // Per round, "loopback" is the best of its three write sizes (as in the machine-limit line).
    const loop = {
      mbps: rows[0].mbps.map((_, i) => Math.max(rows[0].mbps[i], rows[1].mbps[i], rows[2].mbps[i])),
    };
    const against = (x) => [
      `${pct(x, loop)} of loopback (best write size)`,
      ...gets
        .slice(3, floorRows)
        .map(
          ([name], i) =>
            `${pct(x, rows[i + 3])} of ${name.replace(/ \(.*/, '')}${name.includes('1 MiB') ? ' 1 MiB' : ''}`,
        ),
    ];
    for (let t = floorRows; t < gets.length; t++)
      console.log(` ${gets[t][0]} GET (${c}): ${against(rows[t]).join(' · ')}`);
    const fl = [`node-read ${pct(rows[3], loop)}`, `node-read 1 MiB ${pct(rows[4], loop)}`];
    if (!nginx.skipped) fl.push(`nginx ${pct(rows[6], loop)}`);
    console.log(`   the floors themselves (${c}): ${fl.join(' · ')} of loopback`);
  }
  if (putLimit) {
    const of = (r) => `${((100 * median(r.mbps)) / putLimit).toFixed(0)}%`;
    console.log(
      `   the floors themselves: node-put ${of(putRes[0])} · node-md5-sink ${of(putRes[1])} of min(disk, MD5) = ${putLimit.toFixed(0)} MiB/s`,
    );
  }
  for (let t = 2; t < puts.length; t++)
    console.log(
      ` ${puts[t][0]} PUT: ${pct(putRes[t], putRes[0])} of node-put · ${pct(putRes[t], putRes[1])} of node-md5-sink`,
    );
}
