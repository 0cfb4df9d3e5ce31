/**
 * DescribeTopicPartitions (75): topics (all when none named) with their partitions, paginated by
 * responsePartitionLimit with a cursor (topic name, partition) as in KIP-966. ELR lists are empty.
 */
import type { TopicInfo } from '../engine/types.js';
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type {
  DescribeTopicPartitionsRequest,
  DescribeTopicPartitionsResponse,
} from '../protocol/messages.generated.js';
import { ZERO_UUID } from '../protocol/types.js';
import { defineHandler } from './handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED, uuidFromBytes } from './util.js';

/** Partitions per response when the client asks for more (Kafka's default limit). */
const PARTITION_LIMIT_MAX = 2000;

export const describeTopicPartitionsHandler = defineHandler<
  DescribeTopicPartitionsRequest,
  DescribeTopicPartitionsResponse
>(ApiKey.DescribeTopicPartitions, [0, 0], (req, ctx) => {
  const { broker } = ctx.env;
  const names = req.topics.length > 0 ? req.topics.map((t) => t.name) : broker.topics().map((t) => t.name);
  names.sort();
  const limit = Math.min(Math.max(req.responsePartitionLimit, 1), PARTITION_LIMIT_MAX);
  let budget = limit;
  const topics = [];
  let nextCursor: { topicName: string; partitionIndex: number } | null = null;
  for (const name of names) {
    if (req.cursor && name < req.cursor.topicName) continue;
    const info: TopicInfo | undefined = broker.topic(name);
    if (!info) {
      topics.push({
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        name,
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [],
        topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      });
      continue;
    }
    const from = req.cursor && name === req.cursor.topicName ? req.cursor.partitionIndex : 0;
    const parts = info.partitions.filter((p) => p.partition >= from);
    const taken = parts.slice(0, budget);
    budget -= taken.length;
    topics.push({
      errorCode: 0,
      name,
      topicId: uuidFromBytes(info.topicId),
      isInternal: info.internal,
      partitions: taken.map((p) => ({
        errorCode: 0,
        partitionIndex: p.partition,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: p.offlineReplicas,
      })),
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
    if (taken.length < parts.length) {
      nextCursor = { topicName: name, partitionIndex: parts[taken.length]!.partition };
      break;
    }
    if (budget === 0) {
      const idx = names.indexOf(name);
      const following = names[idx + 1];
      if (following !== undefined) nextCursor = { topicName: following, partitionIndex: 0 };
      break;
    }
  }
  return { throttleTimeMs: 0, topics, nextCursor };
});
