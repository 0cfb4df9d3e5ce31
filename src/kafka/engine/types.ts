/**
 * Public types of the Kafka engine (topic manager, partitions, producer state, groups). The
 * handlers in src/kafka/handlers/ call `KafkaEngine` (engine.ts) with these plain types and map
 * the results onto generated response messages. No wire types: offsets/timestamps are numbers,
 * record data is Buffers of whole v2 batches, error codes are Kafka's numeric codes (ErrorCode).
 *
 * Engine methods (see engine.ts for the full signatures):
 *   topics:    createTopic, deleteTopic, listTopics, describeTopic, createPartitions,
 *              describeConfigs, alterConfigs, incrementalAlterConfigs, metadata model (cluster())
 *   data:      produce, read, waitForData (Fetch long poll), listOffsets, deleteRecords
 *   producers: initProducerId
 *   groups:    engine.groups (GroupCoordinator, group-coordinator.ts) — join, sync, heartbeat,
 *              leave, describe, list, delete, commitOffsets, fetchOffsets, deleteOffsets, lag
 */

/** Kafka protocol error codes the engine produces (values from the Kafka protocol guide). */
export const ErrorCode = {
  NONE: 0,
  UNKNOWN_SERVER_ERROR: -1,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  UNSTABLE_OFFSET_COMMIT: 88,
  INVALID_RECORD: 87,
  UNKNOWN_TOPIC_ID: 100,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

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
}

export interface ReadPartitionResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole batches; empty when none. */
  records: Buffer;
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
