/**
 * S3 on the Nimbus gateway: the catch-all gateway route (priority 0) for every request not under
 * /_nimbus/, backed by blobs stored by ID and a SQLite index in this service's data dir.
 */
import { z } from 'zod/v3';
import { lazyService } from '../platform/lazy-service.js';
import { defineService, type ServiceDefinition } from '../platform/service.js';

export const s3ConfigSchema = z.object({
  accessKeyId: z.string().default('test'),
  secretAccessKey: z.string().default('test'),
  strictAuth: z.boolean().default(false),
  region: z.string().default('us-east-1'),
  /** How often lifecycle rules are applied, ms of the injected clock. */
  lifecycleIntervalMs: z.number().int().positive().default(60_000),
  /**
   * Threads that hash and write large PUT/UploadPart bodies (storage/write-pool.ts): 'auto' is none
   * below 4 CPUs, else one per CPU beyond the second, at most 2; 0 keeps all on the event loop.
   */
  writeWorkers: z.union([z.literal('auto'), z.number().int().min(0).max(2)]).default('auto'),
});

export type S3Config = z.infer<typeof s3ConfigSchema>;

export const s3Service: ServiceDefinition<S3Config> = defineService<S3Config>({
  name: 's3',
  description: 'S3-compatible object storage on the gateway (REST-XML, SigV4)',
  configSchema: s3ConfigSchema as z.ZodType<S3Config>,
  scheme: 'http',
  // S3 is served on the gateway's listener.
  dependsOn: ['gateway'],
  create: (ctx) => lazyService(async () => (await import('./service.js')).createS3Service(ctx)),
});
