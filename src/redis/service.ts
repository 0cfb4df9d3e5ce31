/**
 * The Redis service implementation, loaded when the service starts (see index.ts for the definition).
 */
import type { HealthReport, Service, ServiceContext } from '../platform/service.js';
import type { RedisConfig } from './config.js';
import { attachPersistence } from './persistence-bridge.js';
import { RedisServer } from './server.js';
import { aclStore } from './commands/acl.js';
import { setNotifyKeyspaceEvents } from './notify.js';

export class RedisService implements Service {
  private server: RedisServer | null = null;
  private state: HealthReport = { state: 'starting' };
  private url = '';

  constructor(private readonly ctx: ServiceContext<RedisConfig>) {}

  async start(): Promise<void> {
    const ctx = this.ctx;
    const server = new RedisServer(ctx.config, ctx.clock, ctx.logger);
    server.dataDir = ctx.dataDir;
    this.server = server;
    // Users from the aclfile exist before the first connection (and before the AOF replays).
    if (ctx.config.aclfile !== '') aclStore(server);
    if (ctx.config.notifyKeyspaceEvents !== '') {
      const err = setNotifyKeyspaceEvents(server, ctx.config.notifyKeyspaceEvents);
      if (err !== null) throw new Error(`redis.notifyKeyspaceEvents: ${err}`);
    }
    if (!ctx.ephemeral) await attachPersistence(server, ctx.config, ctx.dataDir, ctx.logger);
    const net = server.listen();
    const port = await ctx.listen(net, ctx.config.port);
    server.port = port;
    server.startCron();
    ctx.metrics.gaugeFn('connected_clients', 'Connected Redis clients', () => server.clients.size);
    ctx.metrics.gaugeFn('keys', 'Keys in all databases', () => server.keyspace.totalKeys());
    ctx.metrics.gaugeFn('used_memory_bytes', 'Estimated dataset memory (what maxmemory compares)', () =>
      server.usedMemory(),
    );
    ctx.metrics.gaugeFn(
      'commands_processed_total',
      'Commands processed',
      () => server.stats.commandsProcessed,
    );
    this.url = `redis://${ctx.bindHost}:${port}`;
    this.state = { state: 'ready' };
    ctx.logger.info({ port }, 'redis ready');
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await s.stop();
    if (s.persistence) await s.persistence.flushOnStop();
    this.state = { state: 'stopped' };
  }

  health(): HealthReport {
    return this.state;
  }

  endpoints(): Record<string, string> {
    return this.url ? { redis: this.url } : {};
  }

  /** For tests and the host: the running server. */
  get running(): RedisServer | null {
    return this.server;
  }
}
