/**
 * ElectLeaders (43). On one node every partition already has its preferred leader, so each named
 * partition answers ELECTION_NOT_NEEDED (unknown ones UNKNOWN_TOPIC_OR_PARTITION); null = all.
 */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

export const electLeadersHandler = defineHandler<ElectLeadersRequest, ElectLeadersResponse>(
  ApiKey.ElectLeaders,
  [0, 2],
  (req, ctx) => {
    const { broker } = ctx.env;
    const wanted =
      req.topicPartitions ??
      broker.topics().map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      replicaElectionResults: wanted.map((w) => {
        const info = broker.topic(w.topic);
        return {
          topic: w.topic,
          partitionResult: w.partitions.map((partitionId) => {
            const known = info?.partitions.some((p) => p.partition === partitionId) ?? false;
            return {
              partitionId,
              errorCode: known ? ErrorCode.ELECTION_NOT_NEEDED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: known ? 'the preferred leader is already the leader' : null,
            };
          }),
        };
      }),
    };
  },
);
