/**
 * The Kafka service implementation, loaded when the service starts (see index.ts for the definition).
 */
import type { Service, ServiceContext } from '../platform/service.js';
import { KafkaEngine } from './engine/engine.js';
import { HandlerDispatcher } from './handlers/dispatch.js';
import { brokerApiFor } from './handlers/engine-adapter.js';
import type { HandlerEnv } from './handlers/handler.js';
import { HANDLER_ENTRIES } from './handlers/registry.js';
import { KafkaServer } from './server.js';
import { compress, decompress, loadCompression } from './protocol/compression/lazy.js';
import type { KafkaConfig } from './index.js';

function advertisedHostFor(config: KafkaConfig, bindHost: string): string {
  if (config.advertisedHost !== '') return config.advertisedHost;
  return bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
}

export class KafkaService implements Service {
  private engine: KafkaEngine | null = null;
  private server: KafkaServer | null = null;
  private port = 0;
  private state: 'starting' | 'ready' | 'stopped' | 'failed' = 'starting';

  constructor(private readonly ctx: ServiceContext<KafkaConfig>) {}

  async start(): Promise<void> {
    const { config, logger, clock } = this.ctx;
    const host = advertisedHostFor(config, this.ctx.bindHost);
    const memory = config.storage === 'memory' || this.ctx.ephemeral;
    this.engine = await KafkaEngine.open({
      dataDir: memory ? null : this.ctx.dataDir,
      clock,
      logger: { warn: (m) => logger.warn(m), info: (m) => logger.info(m) },
      nodeId: config.nodeId,
      host,
      port: config.port,
      autoCreateTopics: config.autoCreateTopics,
      numPartitions: config.numPartitions,
      topicDefaults: config.topicDefaults,
      retentionCheckIntervalMs: config.retentionCheckIntervalMs,
      // ListOffsets by timestamp looks inside compressed batches for the exact record.
      decompress,
      // The log cleaner re-encodes compressed batches with their own codec.
      compress,
      // The codecs are imported on first need (see compression/lazy.ts), not at start.
      loadCodecs: loadCompression,
      cleanerIntervalMs: config.cleanerBackoffMs,
      group: {
        groupInitialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        groupMinSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        groupMaxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      },
    });
    const env: HandlerEnv = {
      broker: brokerApiFor(this.engine),
      logger,
      clock,
      nodeId: config.nodeId,
      advertisedHost: () => host,
      advertisedPort: () => this.port,
      autoCreateTopics: config.autoCreateTopics,
      sasl: config.sasl,
    };
    const dispatcher = new HandlerDispatcher(HANDLER_ENTRIES, env);
    this.server = new KafkaServer(
      {
        maxRequestBytes: config.maxRequestBytes,
        maxConnections: config.maxConnections,
        logger,
        metrics: this.ctx.metrics,
      },
      dispatcher,
    );
    try {
      this.port = await this.ctx.listen(this.server.net, config.port, 'broker');
    } catch (e) {
      this.state = 'failed';
      await this.engine.close();
      throw e;
    }
    this.engine.setAdvertisedListener(host, this.port);
    this.state = 'ready';
    logger.info({ host, port: this.port, storage: memory ? 'memory' : 'file' }, 'kafka broker listening');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.server?.close();
    await this.engine?.close();
  }

  health(): { state: 'starting' | 'ready' | 'stopped' | 'failed' } {
    return { state: this.state };
  }

  endpoints(): Record<string, string> {
    if (this.state !== 'ready') return {};
    return { kafka: `kafka://${advertisedHostFor(this.ctx.config, this.ctx.bindHost)}:${this.port}` };
  }

  /** For tests and the CLI: the engine behind the broker. */
  get kafkaEngine(): KafkaEngine | null {
    return this.engine;
  }
}
