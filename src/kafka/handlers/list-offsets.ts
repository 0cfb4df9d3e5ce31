/**
 * ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3) and by timestamp. v0 answers
 * in the old `oldStyleOffsets` list form.
 */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { big, errorCodeOf, toNum } from './util.js';

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>(
  ApiKey.ListOffsets,
  [0, 8],
  (req, ctx) => {
    const { broker } = ctx.env;
    const v0 = ctx.apiVersion === 0;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          try {
            const r = broker.listOffsets(t.name, p.partitionIndex, toNum(p.timestamp));
            return {
              partitionIndex: p.partitionIndex,
              errorCode: r.errorCode,
              oldStyleOffsets: v0 && r.errorCode === 0 && r.offset >= 0 ? [big(r.offset)] : [],
              timestamp: big(r.timestamp),
              offset: big(r.offset),
              leaderEpoch: r.leaderEpoch,
            };
          } catch (e) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: errorCodeOf(e),
              timestamp: -1n,
              offset: -1n,
              leaderEpoch: -1,
            };
          }
        }),
      })),
    };
  },
);
