// Shared by the Redis benchmarks: starts Debian's redis-server and Nimbus side by side, both
// without persistence, and runs redis-benchmark / redis-cli against them.
import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';

export { cpuSeconds, median } from '../common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** How long a server may take to open its port (100 ms polls). */
const PORT_WAIT_TRIES = 100;

/** `--name value` from argv, or `def`. */
export function option(args, name, def) {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : args[i + 1];
}

export function which(bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function requireRedisTools() {
  for (const bin of ['redis-server', 'redis-benchmark', 'redis-cli'])
    if (!which(bin)) throw new Error(`${bin} not found: apt-get install redis-server redis-tools`);
}

/** Resolves once `port` accepts a connection; polls every 100 ms, `tries` times at most. */
export function waitPort(port, tries = PORT_WAIT_TRIES) {
  return new Promise((resolve, reject) => {
    let failed = 0;
    const attempt = () => {
      const s = createConnection(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => {
        if (++failed > tries) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Starts redis-server on `redisPort` and Nimbus (bench/redis/nimbus-server.mjs, from dist/ or
 * $NIMBUS_DIST) on `nimbusPort`; resolves once both listen. `stop()` ends both.
 */
export async function startServers(redisPort, nimbusPort, nodeFlags = []) {
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'],
    { stdio: 'ignore' },
  );
  const nimbus = spawn(
    process.execPath,
    [...nodeFlags, join(here, 'nimbus-server.mjs'), String(nimbusPort)],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const stop = () => {
    redis.kill('SIGKILL');
    nimbus.kill('SIGTERM');
  };
  try {
    await Promise.all([waitPort(redisPort), waitPort(nimbusPort)]);
  } catch (e) {
    stop();
    throw e;
  }
  return { redis, nimbus, stop };
}

/** The compiled project: $NIMBUS_DIST (a private `tsc --outDir` build) or the repo's dist/. */
export function distDir() {
  return process.env.NIMBUS_DIST ?? resolve(here, '../../dist');
}

/** Imports a module of the compiled project by its path inside the dist directory. */
export function importDist(path) {
  return import(pathToFileURL(resolve(distDir(), path)).href);
}

/**
 * Runs redis-benchmark against `port` with `args` and returns its stdout; throws when it fails or
 * any reply was an error (so a broken command never reports a rate).
 */
export function redisBenchmark(port, args) {
  const r = spawnSync('redis-benchmark', ['-p', String(port), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  if (/ERR|Error|NOSCRIPT|WRONGTYPE/.test(r.stdout + r.stderr))
    throw new Error(`errors during benchmark:\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`);
  return r.stdout;
}

export function cli(port, ...argv) {
  return spawnSync('redis-cli', ['-p', String(port), ...argv], { encoding: 'utf8' }).stdout.trim();
}

export function machineLine(redisPort) {
  const version = cli(redisPort, 'INFO', 'server').match(/redis_version:(\S+)/)?.[1];
  return `# machine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, redis-server ${version}`;
}
