/**
 * OffsetFetch (9). v0-7 ask for one group (topics null = all committed, v2+); v8 batches groups.
 * A partition without a commit answers offset -1 and no error, as Kafka does.
 */
import type { FetchedOffset } from '../engine/group-coordinator.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/messages.generated.js';
import { defineHandler, type RequestContext } from './handler.js';
import { big, errorCodeOf } from './util.js';

interface Asked {
  name: string;
  partitionIndexes: number[];
}

function fetchGroup(groupId: string, topics: Asked[] | null, ctx: RequestContext) {
  const parts =
    topics === null
      ? null
      : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  let offsets: FetchedOffset[];
  let errorCode = 0;
  try {
    offsets = ctx.env.broker.groups.fetchOffsets(groupId, parts);
  } catch (e) {
    errorCode = errorCodeOf(e);
    offsets = [];
  }
  const byTopic = new Map<string, FetchedOffset[]>();
  for (const o of offsets) {
    const l = byTopic.get(o.topic) ?? [];
    l.push(o);
    byTopic.set(o.topic, l);
  }
  const outTopics = [...byTopic].map(([name, list]) => ({
    name,
    partitions: list.map((o) => ({
      partitionIndex: o.partition,
      committedOffset: big(o.offset),
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata ?? '',
      errorCode: o.errorCode,
    })),
  }));
  return { errorCode, topics: outTopics };
}

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>(
  ApiKey.OffsetFetch,
  [0, 8],
  (req, ctx) => {
    if (ctx.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => ({ groupId: g.groupId, ...fetchGroup(g.groupId, g.topics, ctx) })),
      };
    }
    const topics = ctx.apiVersion < 2 && req.topics === null ? [] : req.topics;
    const r = fetchGroup(req.groupId, topics, ctx);
    return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode };
  },
);
