// Runs the Nimbus Redis service alone (ephemeral, no persistence) for the benchmark.
// Usage: node bench/redis/nimbus-server.mjs <port>   (needs `npm run build` first)
// NIMBUS_DIST=<dir> loads the compiled project from another output directory than dist/ (a
// private `tsc --outDir` build, so a benchmark does not disturb a shared dist/).
import { importDist } from './servers.mjs';

const { startStandalone } = await importDist('src/platform/testing.js');
const { redisService } = await importDist('src/redis/index.js');

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
