// Child process for the Kafka benchmark: starts the compiled Nimbus Kafka service on its own
// (no other services) and reports `READY <endpoint> <ms from process start> <CPU ms>`, then idles
// until killed. Run `npm run build` first.
import module from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';

const t0 = performance.timeOrigin;
// As the `nimbus` executable does (src/cli/bin.ts): V8's on-disk compile cache on Node >= 22.1, a
// no-op on Node 20. Off with BENCH_NO_COMPILE_CACHE=1, to measure a cold compile.
if (process.env.BENCH_NO_COMPILE_CACHE !== '1') module.enableCompileCache?.();
const { startStandalone } = await import(join(process.cwd(), 'dist/src/platform/testing.js'));
const { kafkaService } = await import(join(process.cwd(), 'dist/src/kafka/index.js'));
const dataDir = process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'nimbus-kafka-bench-'));
const s = await startStandalone(kafkaService, {
  dataDir,
  config: {
    port: Number(process.env.PORT ?? 0),
    numPartitions: 1,
    // BENCH_RELAXED=1: Kafka's own durability (fsync every 100k messages or every second) instead of fsync before ack.
    topicDefaults:
      process.env.BENCH_RELAXED === '1' ? { 'flush.messages': '100000', 'flush.ms': '1000' } : {},
  },
});
// Signal handlers before READY: a runner may stop us the moment it reads that line.
const stop = async () => {
  await s.close();
  if (!process.env.BENCH_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
const readyMs = Date.now() - t0;
// CPU time to ready is steadier than wall time on a shared, loaded machine.
const cpu = process.cpuUsage();
process.stdout.write(
  `READY ${s.service.endpoints().kafka} ${readyMs.toFixed(0)} ${((cpu.user + cpu.system) / 1000).toFixed(0)}\n`,
);

setInterval(() => {}, 1 << 30);
