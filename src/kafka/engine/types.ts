/**
 * Public types of the Kafka engine (topic manager, partitions, producer state, groups). The
 * handlers in src/kafka/handlers/ call `KafkaEngine` (engine.ts) with these plain types and map
 * the results onto generated response messages. No wire types: offsets/timestamps are numbers,
 * record data is Buffers of whole v2 batches, error codes are Kafka's numeric codes (ErrorCode, from the shared
 * leaf module ../error-codes.ts).
 *
 * Engine methods (see engine.ts for the full signatures):
 *   topics:    createTopic, deleteTopic, listTopics, describeTopic, createPartitions,
 *              describeConfigs, alterConfigs, incrementalAlterConfigs, metadata model (cluster())
 *   data:      produce, read, waitForData (Fetch long poll), listOffsets, deleteRecords
 *   producers: initProducerId
 *   groups:    engine.groups (GroupCoordinator, group-coordinator.ts) — join, sync, heartbeat,
 *              leave, describe, list, delete, commitOffsets, fetchOffsets, deleteOffsets, lag
 */

/** An operating error carrying a Kafka error code; handlers turn it into that code. */
export class KafkaEngineError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'KafkaEngineError';
  }
}

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterInfo {
  clusterId: string;
  controllerId: number;
  brokers: BrokerNode[];
}

/** One partition's placement; ready for several nodes (replication comes later). */
export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicInfo {
  name: string;
  /** 16 random bytes (Kafka topic UUID). */
  topicId: Buffer;
  internal: boolean;
  partitions: PartitionInfo[];
  replicationFactor: number;
  /** Only the configs set explicitly on the topic; defaults come from describeConfigs. */
  configs: Record<string, string>;
}

export interface CreateTopicRequest {
  name: string;
  /** -1 = broker default (num.partitions). */
  numPartitions: number;
  /** -1 = broker default (1). */
  replicationFactor: number;
  configs?: Record<string, string | null>;
  validateOnly?: boolean;
}

export type ConfigSource = 'TOPIC_CONFIG' | 'DEFAULT_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DYNAMIC_BROKER_CONFIG';

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: ConfigSource;
  isSensitive: boolean;
  /** Kafka ConfigType: 1 BOOLEAN, 2 STRING, 3 INT, 4 SHORT, 5 LONG, 6 DOUBLE, 7 LIST, 8 CLASS, 9 PASSWORD. */
  type: number;
  documentation: string | null;
}

export interface AlterConfigOp {
  name: string;
  /** 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT (IncrementalAlterConfigs). */
  op: 0 | 1 | 2 | 3;
  value: string | null;
}

export interface ProduceResult {
  errorCode: number;
  errorMessage: string | null;
  /** -1 on error. */
  baseOffset: number;
  /** -1: the topic uses CreateTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  /** Records that caused the batch to be refused (Produce v8+ record errors), by index in the batch. */
  recordErrors?: { batchIndex: number; message: string | null }[];
}

export interface ReadPartitionResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole batches; empty when none. */
  records: Buffer;
  /** Returns `records`' pooled buffer for reuse once it has been sent (see storage/read-pool.ts). */
  release?: (() => void) | null;
}

export interface ListOffsetsResult {
  errorCode: number;
  /** -1 when not found. */
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
