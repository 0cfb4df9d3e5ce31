/**
 * Maps the handlers' BrokerApi onto K2's KafkaEngine. Most calls pass straight through; the
 * differences are: synchronous engine calls become promises where handlers await them, config
 * resources are typed by Kafka's numeric resource type, and errors returned in result objects
 * become KafkaEngineErrors.
 */
import type { KafkaEngine } from '../engine/engine.js';
import { KafkaEngineError, type AlterConfigOp, type CreateTopicRequest } from '../engine/types.js';
import { ErrorCode } from '../error-codes.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC, type BrokerApi } from './broker-api.js';

function resourceKind(resourceType: number): 'topic' | 'broker' {
  if (resourceType === RESOURCE_TOPIC) return 'topic';
  if (resourceType === RESOURCE_BROKER) return 'broker';
  throw new KafkaEngineError(ErrorCode.INVALID_REQUEST, `unsupported config resource type ${resourceType}`);
}

function topicOnly(resourceType: number): void {
  if (resourceKind(resourceType) === 'broker') {
    throw new KafkaEngineError(
      ErrorCode.INVALID_REQUEST,
      'broker configs are static in Nimbus; set them in the Nimbus config',
    );
  }
}

/** Runs a synchronous engine call as a promise, turning its throw into a rejection. */
function later<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

export function brokerApiFor(engine: KafkaEngine): BrokerApi {
  return {
    cluster: () => engine.cluster(),
    topics: () => engine.listTopics(),
    topic: (name) => engine.describeTopic(name) ?? undefined,
    topicById: (id) => engine.topicById(id) ?? undefined,
    createTopic: (req: CreateTopicRequest) => later(() => engine.createTopic(req)),
    deleteTopic: (name) => engine.deleteTopic(name),
    createPartitions: (topic, count, validateOnly) =>
      later(() => engine.createPartitions(topic, count, validateOnly)),
    describeConfigs: (resourceType, name, keys) => {
      const r = engine.describeConfigs(resourceKind(resourceType), name, keys);
      if (r.errorCode !== 0)
        throw new KafkaEngineError(r.errorCode, r.errorMessage ?? 'describe configs failed');
      return r.entries;
    },
    alterConfigs: (resourceType, name, configs, validateOnly) =>
      later(() => {
        topicOnly(resourceType);
        engine.alterConfigs(name, configs, validateOnly);
      }),
    incrementalAlterConfigs: (resourceType, name, ops: AlterConfigOp[], validateOnly) =>
      later(() => {
        topicOnly(resourceType);
        engine.incrementalAlterConfigs(name, ops, validateOnly);
      }),
    // One node: acks=1 and acks=-1 both wait for the engine's durability policy.
    produce: (topic, partition, records) => engine.produce(topic, partition, records),
    read: (topic, partition, offset, maxBytes) => engine.read(topic, partition, offset, maxBytes),
    waitForData: (parts, maxWaitMs) => engine.waitForData(parts, maxWaitMs),
    listOffsets: (topic, partition, timestamp) => engine.listOffsets(topic, partition, timestamp),
    deleteRecords: (topic, partition, offset) => later(() => engine.deleteRecords(topic, partition, offset)),
    initProducerId: (transactionalId, timeoutMs, producerId, producerEpoch) =>
      later(() => engine.initProducerId(transactionalId, timeoutMs, producerId, producerEpoch)),
    groups: engine.groups,
  };
}
