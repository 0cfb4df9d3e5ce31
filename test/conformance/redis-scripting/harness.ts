/**
 * Starts a Nimbus Redis service on an ephemeral port with the scripting, streams, blocking and ACL
 * command modules registered (a no-op once the core registers them itself).
 */
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { CommandRegistry } from '../../../src/redis/commands/registry.js';
import type { CommandModule } from '../../../src/redis/commands/types.js';
import {
  redisService,
  type RedisConfig,
  type RedisServer,
  type RedisService,
} from '../../../src/redis/index.js';
import { scriptingCommands } from '../../../src/redis/commands/scripting.js';
import { streamCommands } from '../../../src/redis/commands/streams.js';
import { blockingCommands } from '../../../src/redis/commands/streams-blocking.js';
import { aclCommands } from '../../../src/redis/commands/acl.js';
import type { LazyService } from '../../../src/platform/lazy-service.js';

export interface RedisUnderTest {
  port: number;
  server: RedisServer;
  svc: StandaloneService<RedisConfig>;
  close(): Promise<void>;
}

export const EXTENSION_MODULES = [scriptingCommands, streamCommands, blockingCommands, aclCommands];

/**
 * Until the core's registerAllCommands lists these modules, add them to every registry as it is
 * filled, so they also exist while the AOF loads at startup. A module the core already registers
 * is left alone (its handler wins, being registered later).
 */
const registered = new WeakSet<CommandRegistry>();
const originalRegister = CommandRegistry.prototype.register;
CommandRegistry.prototype.register = function (this: CommandRegistry, mod: CommandModule): void {
  if (!registered.has(this)) {
    registered.add(this);
    for (const m of EXTENSION_MODULES) originalRegister.call(this, m);
  }
  originalRegister.call(this, mod);
};

export async function startRedis(
  config: Record<string, unknown> = {},
  dataDir?: string,
): Promise<RedisUnderTest> {
  const svc = await startStandalone(redisService, {
    config: { save: '', ...config },
    ephemeral: dataDir === undefined,
    ...(dataDir !== undefined ? { dataDir } : {}),
  });
  const server = (svc.service as LazyService<RedisService>).loaded?.running;
  if (!server) throw new Error('the Redis server did not start');
  const url = svc.service.endpoints().redis as string;
  return { port: Number(new URL(url).port), server, svc, close: () => svc.close() };
}
