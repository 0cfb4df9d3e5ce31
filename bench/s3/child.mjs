/**
 * Benchmark servers in child processes, so the load generator (the bench process) does not share
 * their event loop and RSS and CPU are the server's own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Runs `code` (an ES module body that prints `URL <base>` once listening) in a child process. */
export async function startChild(code, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    cwd: process.cwd(),
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
  child.stdout.resume();
  // Replies are tagged and answered in order per kind: the RSS sampler and CPU reads interleave.
  const waiting = { rss: [], cpu: [] };
  child.on('message', ([what, value]) => waiting[what].shift()?.(value));
  const ask = (what) =>
    new Promise((resolve) => {
      waiting[what].push(resolve);
      child.send(what);
    });
  const rss = () => ask('rss');
  const cpuBoth = () => ask('cpu');
  const cpu = async () => (await cpuBoth())[0];
  const stop = () =>
    new Promise((r) => {
      child.once('exit', r);
      child.send('stop');
    });
  return { url, pid: child.pid, rss, cpu, cpuBoth, stop };
}

// 'cpu' answers [all threads, main thread] in µs; the main thread's share is read from /proc
// (clock ticks; NaN where there is no /proc), since Node 20 has no per-thread CPU API.
export const IPC = `
  const { readFileSync: readProc } = await import('node:fs');
  const mainThreadUs = () => {
    try {
      const st = readProc('/proc/self/task/' + process.pid + '/stat', 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * 10000;
    } catch { return NaN; }
  };
  process.on('message', async (m) => {
    if (m === 'rss') process.send(['rss', process.memoryUsage().rss]);
    if (m === 'cpu') { const c = process.cpuUsage(); process.send(['cpu', [c.user + c.system, mainThreadUs()]]); }
    if (m === 'stop') { await stop(); process.exit(0); }
  });
  // The bench died without a 'stop': do not outlive it.
  process.once('disconnect', () => process.exit(1));`;

/** Nimbus S3 from a build's dist/src in a child; NIMBUS_BENCH_NODE_ARGS adds node flags (profiling). */
export function startNimbus(distDir, config = {}) {
  const imp = (p) => JSON.stringify(pathToFileURL(join(distDir, p)).href);
  const extra = (process.env.NIMBUS_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return startChild(
    `const { startStandalone } = await import(${imp('platform/testing.js')});
     const { s3Service } = await import(${imp('s3/index.js')});
     const s = await startStandalone(s3Service, { serveGateway: true, config: ${JSON.stringify(config)} });
     const stop = () => s.close();
     console.log('URL ' + s.gatewayUrl);
     ${IPC}`,
    extra,
  );
}
