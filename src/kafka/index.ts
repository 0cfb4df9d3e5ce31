/**
 * The Kafka service: a Kafka-wire-compatible broker on port 9092 (endpoint kafka://host:port).
 * Wires K2's engine (topics, logs, groups) to the socket loop (server.ts) through the handlers.
 * The broker advertises the host and port it is bound to, so clients reconnect where they came.
 */
import { z } from 'zod/v3';
import { lazyService } from '../platform/lazy-service.js';
import { defineService } from '../platform/service.js';

export type { KafkaService } from './service.js';

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
  /** log.cleaner.backoff.ms: how often compacted topics are checked for cleaning. */
  cleanerBackoffMs: z.number().int().min(10).default(15_000),
  sasl: z
    .object({
      enabled: z.boolean().default(false),
      mechanisms: z.array(z.enum(SASL_MECHANISMS)).default([...SASL_MECHANISMS]),
      /** user → password for PLAIN and SCRAM. */
      users: z.record(z.string(), z.string()).default({}),
    })
    .default({}),
});

export type KafkaConfig = z.infer<typeof kafkaConfigSchema>;

export const kafkaService = defineService<KafkaConfig>({
  name: 'kafka',
  description: 'Kafka-compatible broker (wire protocol, durable partition logs, consumer groups)',
  configSchema: kafkaConfigSchema,
  portKey: 'port',
  scheme: 'kafka',
  create: (ctx) => lazyService(async () => new (await import('./service.js')).KafkaService(ctx)),
});
