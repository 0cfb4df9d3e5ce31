/** OffsetDelete (47): drops committed offsets of partitions the group no longer consumes. */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { errorCodeOf } from './util.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>(
  ApiKey.OffsetDelete,
  [0, 0],
  async (req, ctx) => {
    const parts = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })),
    );
    let r: { errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] };
    try {
      r = await ctx.env.broker.groups.deleteOffsets(req.groupId, parts);
    } catch (e) {
      return { errorCode: errorCodeOf(e), throttleTimeMs: 0, topics: [] };
    }
    const codes = new Map(r.partitions.map((p) => [`${p.topic}\0${p.partition}`, p.errorCode]));
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes.get(`${t.name}\0${p.partitionIndex}`) ?? 0,
        })),
      })),
    };
  },
);
