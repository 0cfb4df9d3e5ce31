/**
 * CreateTopics (19). Partitions/replication -1 mean the broker defaults; explicit replica
 * assignments are accepted only when they name this node (one broker for now). validateOnly checks
 * without creating. v5+ echo the topic's configs.
 */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/messages.generated.js';
import { ZERO_UUID } from '../protocol/types.js';
import { RESOURCE_TOPIC } from './broker-api.js';
import { defineHandler, type RequestContext } from './handler.js';
import { errorCodeOf, errorMessageOf, isValidTopicName, uuidFromBytes } from './util.js';

const CONFIG_SOURCE: Record<string, number> = {
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
};

type Topic = CreateTopicsRequest['topics'][number];

async function createOne(t: Topic, validateOnly: boolean, ctx: RequestContext) {
  const fail = (errorCode: number, errorMessage: string) => ({
    name: t.name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  });
  if (!isValidTopicName(t.name))
    return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name '${t.name}'`);
  let numPartitions = t.numPartitions;
  if (t.assignments.length > 0) {
    if (numPartitions !== -1 || t.replicationFactor !== -1)
      return fail(ErrorCode.INVALID_REQUEST, 'assignments given with partition count or replication factor');
    if (t.assignments.some((a) => a.brokerIds.some((b) => b !== ctx.env.nodeId)))
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `only broker ${ctx.env.nodeId} exists`);
    numPartitions = t.assignments.length;
  }
  const configs: Record<string, string | null> = {};
  for (const c of t.configs) configs[c.name] = c.value;
  try {
    const info = await ctx.env.broker.createTopic({
      name: t.name,
      numPartitions,
      replicationFactor: t.replicationFactor,
      configs,
      validateOnly,
    });
    let described:
      | {
          name: string;
          value: string | null;
          readOnly: boolean;
          configSource: number;
          isSensitive: boolean;
        }[]
      | null = null;
    if (ctx.apiVersion >= 5 && !validateOnly) {
      described = ctx.env.broker.describeConfigs(RESOURCE_TOPIC, t.name, null).map((c) => ({
        name: c.name,
        value: c.isSensitive ? null : c.value,
        readOnly: c.readOnly,
        configSource: CONFIG_SOURCE[c.source] ?? 5,
        isSensitive: c.isSensitive,
      }));
    }
    return {
      name: t.name,
      topicId: uuidFromBytes(info.topicId),
      errorCode: 0,
      errorMessage: null,
      numPartitions: info.partitions.length,
      replicationFactor: info.replicationFactor,
      configs: described,
    };
  } catch (e) {
    return fail(errorCodeOf(e), errorMessageOf(e));
  }
}

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>(
  ApiKey.CreateTopics,
  [0, 7],
  async (req, ctx) => {
    const seen = new Set<string>();
    const topics = [];
    for (const t of req.topics) {
      if (seen.has(t.name)) {
        topics.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'topic named twice in one request',
        });
        continue;
      }
      seen.add(t.name);
      topics.push(await createOne(t, req.validateOnly, ctx));
    }
    return { throttleTimeMs: 0, topics };
  },
);

export { CONFIG_SOURCE };
