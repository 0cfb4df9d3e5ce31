// Runs the Nimbus Redis service alone (ephemeral, no persistence) for the benchmark.
// Usage: node bench/redis/nimbus-server.mjs <port>   (needs `npm run build` first)
// NIMBUS_DIST=<dir> loads the compiled project from another output directory than dist/ (a
// private `tsc --outDir` build, so a benchmark does not disturb a shared dist/).
import { pathToFileURL, fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';

const dist = process.env.NIMBUS_DIST ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../dist');
const { startStandalone } = await import(pathToFileURL(resolve(dist, 'src/platform/testing.js')).href);
const { redisService } = await import(pathToFileURL(resolve(dist, 'src/redis/index.js')).href);

const port = Number(process.argv[2] ?? 6390);
const svc = await startStandalone(redisService, {
  config: { port, save: '', appendonly: false },
  ephemeral: true,
});
process.stdout.write(`ready ${port}\n`);
const stop = async () => {
  await svc.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
