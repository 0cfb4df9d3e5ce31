/**
 * The S3 service implementation, loaded when the service starts (see index.ts for the definition).
 */
import { join } from 'node:path';
import type { Timer } from '../platform/clock.js';
import type { Service, ServiceContext } from '../platform/service.js';
import { S3Engine } from './engine/s3-engine.js';
import { createS3Handler } from './handlers/http.js';
import { BlobStore } from './storage/blob-store.js';
import { IndexStore } from './storage/index-store.js';
import type { S3Config } from './index.js';

export function createS3Service(ctx: ServiceContext<S3Config>): Service {
  let index: IndexStore | null = null;
  let blobs: BlobStore | null = null;
  let engine: S3Engine | null = null;
  let tick: Timer | null = null;
  let state: 'starting' | 'ready' | 'stopped' | 'failed' = 'starting';
  let lifecycleRunning = false;
  return {
    async start() {
      const workers = ctx.config.writeWorkers;
      blobs = new BlobStore(ctx.dataDir, workers === 'auto' ? undefined : workers);
      blobs.init();
      index = new IndexStore(join(ctx.dataDir, 'index.sqlite'));
      engine = new S3Engine(blobs, index, ctx.clock, ctx.config.region);
      const swept = engine.sweep();
      if (swept.temp + swept.orphans > 0) ctx.logger.info(swept, 's3 startup sweep removed leftovers');
      const handle = createS3Handler(engine, { ...ctx.config, clock: ctx.clock }, ctx.logger);
      ctx.gateway.register({
        service: 's3',
        priority: 0,
        // Expect: 100-continue is answered by the handler after authentication.
        handlesContinue: true,
        matches: (req) => !(req.url ?? '/').startsWith('/_nimbus/'),
        handle,
      });
      tick = ctx.clock.every(ctx.config.lifecycleIntervalMs, () => {
        if (lifecycleRunning || !engine) return;
        lifecycleRunning = true;
        engine
          .applyLifecycle()
          .catch((err: unknown) => ctx.logger.error({ err }, 's3 lifecycle tick failed'))
          .finally(() => {
            lifecycleRunning = false;
          });
      });
      state = 'ready';
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      tick?.cancel();
      index?.close();
      await blobs?.close();
    },
    health() {
      return { state };
    },
    endpoints(): Record<string, string> {
      const url = ctx.gateway.baseUrl();
      return url ? { s3: url } : {};
    },
  };
}
