/**
 * The Redis service: a Redis 7.2 wire-compatible server (RESP2/RESP3) on port 6379 by default.
 * Persistence (RDB snapshots + AOF everysec) lives in the service's data dir unless --ephemeral.
 * The implementation (service.ts) is imported only when the service starts.
 */
import { lazyService } from '../platform/lazy-service.js';
import { defineService } from '../platform/service.js';
import { redisConfigSchema, type RedisConfig } from './config.js';

export type { RedisConfig } from './config.js';
export { redisConfigSchema } from './config.js';
export type { RedisServer } from './server.js';
export type { RedisService } from './service.js';

export const redisService = defineService<RedisConfig>({
  name: 'redis',
  description: 'Redis 7.2 compatible server (RESP2/RESP3, RDB + AOF persistence)',
  configSchema: redisConfigSchema,
  portKey: 'port',
  scheme: 'redis',
  create: (ctx) => lazyService(async () => new (await import('./service.js')).RedisService(ctx)),
});
