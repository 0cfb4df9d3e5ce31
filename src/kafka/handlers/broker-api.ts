/**
 * The broker as the handlers see it. Handlers depend on this interface only; `engine-adapter.ts`
 * maps it onto K2's engine (src/kafka/engine/), so a change there touches one file.
 *
 * Expectations of K2's engine, written down before engine.ts existed (see engine-adapter.ts for
 * how each is met): offsets/timestamps are numbers; record data is whole v2 batches; errors are
 * Kafka codes, either returned in results or thrown as KafkaEngineError; produce() validates
 * framing/CRC/sequences, assigns offsets synchronously when called and resolves when durable;
 * a wake-up hook tells Fetch long polls that a partition's high watermark moved.
 */
import type {
  AlterConfigOp,
  ClusterInfo,
  ConfigEntry,
  CreateTopicRequest,
  InitProducerIdResult,
  ListOffsetsResult,
  ProduceResult,
  ReadPartitionResult,
  TopicInfo,
  TopicPartitionRef,
} from '../engine/types.js';
import type { GroupCoordinator } from '../engine/group-coordinator.js';

/** Kafka ConfigResource types. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

export interface BrokerApi {
  cluster(): ClusterInfo;
  topics(): TopicInfo[];
  topic(name: string): TopicInfo | undefined;
  topicById(id: Buffer): TopicInfo | undefined;
  createTopic(req: CreateTopicRequest): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(topic: string, totalCount: number, validateOnly: boolean): Promise<void>;
  describeConfigs(resourceType: number, name: string, keys: readonly string[] | null): ConfigEntry[];
  alterConfigs(
    resourceType: number,
    name: string,
    configs: Record<string, string | null>,
    validateOnly: boolean,
  ): Promise<void>;
  incrementalAlterConfigs(
    resourceType: number,
    name: string,
    ops: AlterConfigOp[],
    validateOnly: boolean,
  ): Promise<void>;

  /** Appends a produce request's records for one partition. Offsets are assigned before it returns. */
  produce(topic: string, partition: number, records: Buffer, acks: number): Promise<ProduceResult>;
  read(topic: string, partition: number, offset: number, maxBytes: number): ReadPartitionResult;
  /** Resolves 'data' when any partition's high watermark moves, 'timeout' after maxWaitMs. */
  waitForData(
    parts: readonly TopicPartitionRef[],
    maxWaitMs: number,
  ): { promise: Promise<'data' | 'timeout'>; cancel: () => void };
  listOffsets(topic: string, partition: number, timestamp: number): ListOffsetsResult;
  deleteRecords(
    topic: string,
    partition: number,
    offset: number,
  ): Promise<{ errorCode: number; lowWatermark: number }>;
  initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    producerId: number,
    producerEpoch: number,
  ): Promise<InitProducerIdResult>;

  readonly groups: GroupApi;
}

/** The group coordinator methods the handlers call (K2's GroupCoordinator satisfies it). */
export type GroupApi = Pick<
  GroupCoordinator,
  | 'joinGroup'
  | 'syncGroup'
  | 'heartbeat'
  | 'leaveGroup'
  | 'describeGroup'
  | 'listGroups'
  | 'deleteGroup'
  | 'commitOffsets'
  | 'fetchOffsets'
  | 'deleteOffsets'
>;
