/**
 * Starts a Nimbus Redis service on an ephemeral port with the scripting, streams, blocking and ACL
 * command modules registered (a no-op once the core registers them itself).
 */
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { redisService, type RedisConfig, type RedisServer } from '../../../src/redis/index.js';
import { scriptingCommands } from '../../../src/redis/commands/scripting.js';
import { streamCommands } from '../../../src/redis/commands/streams.js';
import { blockingCommands } from '../../../src/redis/commands/streams-blocking.js';
import { aclCommands } from '../../../src/redis/commands/acl.js';

export interface RedisUnderTest {
  port: number;
  server: RedisServer;
  svc: StandaloneService<RedisConfig>;
  close(): Promise<void>;
}

export const EXTENSION_MODULES = [scriptingCommands, streamCommands, blockingCommands, aclCommands];

export async function startRedis(config: Record<string, unknown> = {}): Promise<RedisUnderTest> {
  const svc = await startStandalone(redisService, { config: { save: '', ...config }, ephemeral: true });
  const server = (svc.service as unknown as { running: RedisServer }).running;
  for (const m of EXTENSION_MODULES) {
    const first = Object.keys(m)[0] as string;
    if (!server.registry.lookup(first.split('|')[0] as string)?.handler && !hasSub(server, first)) server.registry.register(m);
  }
  const url = svc.service.endpoints().redis as string;
  return { port: Number(new URL(url).port), server, svc, close: () => svc.close() };
}

function hasSub(server: RedisServer, name: string): boolean {
  const [top, sub] = name.split('|') as [string, string | undefined];
  return sub !== undefined && server.registry.lookup(top)?.subcommands.has(sub) === true;
}
