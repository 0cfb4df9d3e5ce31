// Runs the Nimbus Redis service alone (ephemeral, no persistence) for the benchmark.
// Usage: node bench/redis/nimbus-server.mjs <port>   (needs `npm run build` first)
import { startStandalone } from '../../dist/src/platform/testing.js';
import { redisService } from '../../dist/src/redis/index.js';

const port = Number(process.argv[2] ?? 6390);
const svc = await startStandalone(redisService, { config: { port, save: '', appendonly: false }, ephemeral: true });
process.stdout.write(`ready ${port}\n`);
const stop = async () => {
  await svc.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
