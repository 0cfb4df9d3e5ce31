/**
 * S3 on the Nimbus gateway: the catch-all gateway route (priority 0) for every request not under
 * /_nimbus/, backed by blobs stored by ID and a SQLite index in this service's data dir.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineService, type ServiceDefinition } from '../platform/service.js';
import type { Timer } from '../platform/clock.js';
import { S3Engine } from './engine/s3-engine.js';
import { createS3Handler } from './handlers/http.js';
import { BlobStore } from './storage/blob-store.js';
import { IndexStore } from './storage/index-store.js';

export const s3ConfigSchema = z.object({
  accessKeyId: z.string().default('test'),
  secretAccessKey: z.string().default('test'),
  strictAuth: z.boolean().default(false),
  region: z.string().default('us-east-1'),
  /** How often lifecycle rules are applied, ms of the injected clock. */
  lifecycleIntervalMs: z.number().int().positive().default(60_000),
});

export type S3Config = z.infer<typeof s3ConfigSchema>;

export const s3Service: ServiceDefinition<S3Config> = defineService<S3Config>({
  name: 's3',
  description: 'S3-compatible object storage on the gateway (REST-XML, SigV4)',
  configSchema: s3ConfigSchema as z.ZodType<S3Config>,
  scheme: 'http',
  // S3 is served on the gateway's listener.
  dependsOn: ['gateway'],
  create(ctx) {
    let index: IndexStore | null = null;
    let engine: S3Engine | null = null;
    let tick: Timer | null = null;
    let state: 'starting' | 'ready' | 'stopped' | 'failed' = 'starting';
    let lifecycleRunning = false;
    return {
      async start() {
        const blobs = new BlobStore(ctx.dataDir);
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
      },
      health() {
        return { state };
      },
      endpoints(): Record<string, string> {
        const url = ctx.gateway.baseUrl();
        return url ? { s3: url } : {};
      },
    };
  },
});
