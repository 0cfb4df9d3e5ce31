/** Starts a Nimbus Redis service on an ephemeral port for conformance tests (real sockets). */
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { redisService, type RedisConfig } from '../../../src/redis/index.js';

export interface RedisUnderTest {
  port: number;
  url: string;
  svc: StandaloneService<RedisConfig>;
  close(): Promise<void>;
}

export async function startRedis(
  config: Record<string, unknown> = {},
  opts: { dataDir?: string; ephemeral?: boolean } = {},
): Promise<RedisUnderTest> {
  const svc = await startStandalone(redisService, {
    config: { save: '', ...config },
    ephemeral: opts.ephemeral ?? opts.dataDir === undefined,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
  });
  const url = svc.service.endpoints().redis as string;
  const port = Number(new URL(url).port);
  return { port, url, svc, close: () => svc.close() };
}
