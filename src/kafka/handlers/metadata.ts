/**
 * Metadata (3). Lists brokers (this node, advertised as the bound host/port) and topics; a topic
 * asked for by name that does not exist is created when both the broker (autoCreateTopics) and
 * the request (allowAutoTopicCreation, v4+; implied before) allow it. v10+ carries topic ids;
 * v12 may ask by id alone.
 */
import type { TopicInfo } from '../engine/types.js';
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { MetadataRequest, MetadataResponse } from '../protocol/messages.generated.js';
import type { Init } from '../protocol/types.js';
import { ZERO_UUID } from '../protocol/types.js';
import { defineHandler, type RequestContext } from './handler.js';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  errorCodeOf,
  isValidTopicName,
  uuidFromBytes,
  uuidToBytes,
} from './util.js';

type TopicOut = NonNullable<Init<MetadataResponse>['topics']>[number];

export function topicMetadata(t: TopicInfo): TopicOut {
  return {
    errorCode: 0,
    name: t.name,
    topicId: uuidFromBytes(t.topicId),
    isInternal: t.internal,
    partitions: t.partitions.map((p) => ({
      errorCode: 0,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.offlineReplicas,
    })),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

async function resolveTopic(name: string, autoCreate: boolean, ctx: RequestContext): Promise<TopicOut> {
  const broker = ctx.env.broker;
  const found = broker.topic(name);
  if (found) return topicMetadata(found);
  const missing = { name, topicId: ZERO_UUID, partitions: [], isInternal: false };
  if (!isValidTopicName(name)) return { ...missing, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
  if (!autoCreate) return { ...missing, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  try {
    return topicMetadata(await broker.createTopic({ name, numPartitions: -1, replicationFactor: -1 }));
  } catch (e) {
    const code = errorCodeOf(e);
    // A concurrent request created it first.
    const again = code === ErrorCode.TOPIC_ALREADY_EXISTS ? broker.topic(name) : undefined;
    return again ? topicMetadata(again) : { ...missing, errorCode: code };
  }
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>(
  ApiKey.Metadata,
  [0, 12],
  async (req, ctx) => {
    const { broker, nodeId } = ctx.env;
    const cluster = broker.cluster();
    const v = ctx.apiVersion;
    const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);
    const autoCreate = ctx.env.autoCreateTopics && (v < 4 || req.allowAutoTopicCreation);
    let topics: TopicOut[];
    if (allTopics) topics = broker.topics().map(topicMetadata);
    else {
      topics = [];
      for (const t of req.topics ?? []) {
        if (t.name !== null) topics.push(await resolveTopic(t.name, autoCreate, ctx));
        else {
          const byId = broker.topicById(uuidToBytes(t.topicId));
          topics.push(
            byId
              ? topicMetadata(byId)
              : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: t.topicId, partitions: [] },
          );
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: cluster.brokers.map((b) => ({
        nodeId: b.nodeId,
        host: b.nodeId === nodeId ? ctx.env.advertisedHost() : b.host,
        port: b.nodeId === nodeId ? ctx.env.advertisedPort() : b.port,
        rack: b.rack,
      })),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
);
