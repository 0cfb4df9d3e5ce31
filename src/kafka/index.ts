/**
 * The Kafka service: a Kafka-wire-compatible broker on port 9092 (endpoint kafka://host:port).
 * Wires K2's engine (topics, logs, groups) to the socket loop (server.ts) through the handlers.
 * The broker advertises the host and port it is bound to, so clients reconnect where they came.
 */
import { z } from 'zod';
import { defineService, type Service, type ServiceContext } from '../platform/service.js';
import { KafkaEngine } from './engine/engine.js';
import { HandlerDispatcher } from './handlers/dispatch.js';
import { brokerApiFor } from './handlers/engine-adapter.js';
import type { HandlerEnv } from './handlers/handler.js';
import { allHandlers } from './handlers/registry.js';
import { KafkaServer } from './server.js';
import { decompress } from './protocol/compression/index.js';

/** Kafka's socket.request.max.bytes default: the largest request frame we read. */
export const REQUEST_BYTES_MAX_DEFAULT = 104_857_600;
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

export const kafkaConfigSchema = z.object({
  port: z.number().int().min(0).max(65535).default(9092),
  /** Host advertised in Metadata/FindCoordinator; '' = the bound address (127.0.0.1 for a wildcard bind). */
  advertisedHost: z.string().default(''),
  nodeId: z.number().int().min(0).default(1),
  /** auto.create.topics.enable */
  autoCreateTopics: z.boolean().default(true),
  /** num.partitions for auto-created topics and CreateTopics with -1. */
  numPartitions: z.number().int().min(1).max(1000).default(1),
  /** 'file' keeps partition logs and offsets in the data dir; 'memory' (also under --ephemeral) does not. */
  storage: z.enum(['file', 'memory']).default('file'),
  maxConnections: z.number().int().min(1).default(1000),
  /** socket.request.max.bytes */
  maxRequestBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(REQUEST_BYTES_MAX_DEFAULT),
  /** group.initial.rebalance.delay.ms (Kafka's default is 3000; 0 suits local development). */
  groupInitialRebalanceDelayMs: z.number().int().min(0).default(0),
  groupMinSessionTimeoutMs: z.number().int().min(1).default(6000),
  groupMaxSessionTimeoutMs: z.number().int().min(1).default(1_800_000),
  /** Broker-wide topic config defaults, Kafka's topic config names (e.g. 'retention.ms'). */
  topicDefaults: z.record(z.string(), z.string()).default({}),
  /** log.retention.check.interval.ms */
  retentionCheckIntervalMs: z.number().int().min(10).default(300_000),
  sasl: z
    .object({
      enabled: z.boolean().default(false),
      mechanisms: z.array(z.enum(SASL_MECHANISMS)).default([...SASL_MECHANISMS]),
      /** user → password for PLAIN and SCRAM. */
      users: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
});

export type KafkaConfig = z.infer<typeof kafkaConfigSchema>;

function advertisedHostFor(config: KafkaConfig, bindHost: string): string {
  if (config.advertisedHost !== '') return config.advertisedHost;
  return bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
}

class KafkaService implements Service {
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
    const dispatcher = new HandlerDispatcher(allHandlers(), env);
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

export const kafkaService = defineService<KafkaConfig>({
  name: 'kafka',
  description: 'Kafka-compatible broker (wire protocol, durable partition logs, consumer groups)',
  configSchema: kafkaConfigSchema,
  portKey: 'port',
  scheme: 'kafka',
  create: (ctx) => new KafkaService(ctx),
});
