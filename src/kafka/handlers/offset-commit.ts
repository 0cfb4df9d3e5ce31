/**
 * OffsetCommit (8). Members commit with their generation; admin tools and simple consumers with
 * generation -1 and no member id. v1's per-partition commit timestamp and v2-4's retention time
 * are accepted and ignored (offsets.retention.ms applies), as in current Kafka.
 */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { errorCodeOf, toNum } from './util.js';

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>(
  ApiKey.OffsetCommit,
  [0, 8],
  async (req, ctx) => {
    const offsets = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: toNum(p.committedOffset),
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
      })),
    );
    let errors: Map<string, number>;
    try {
      const r = await ctx.env.broker.groups.commitOffsets({
        groupId: req.groupId,
        generationId: ctx.apiVersion >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        offsets,
      });
      errors = new Map(r.map((e) => [`${e.topic}\0${e.partition}`, e.errorCode]));
    } catch (e) {
      const code = errorCodeOf(e);
      errors = new Map(offsets.map((o) => [`${o.topic}\0${o.partition}`, code]));
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: errors.get(`${t.name}\0${p.partitionIndex}`) ?? 0,
        })),
      })),
    };
  },
);
