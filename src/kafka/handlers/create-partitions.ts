/** CreatePartitions (37): grows a topic to `count` partitions (a decrease is INVALID_PARTITIONS). */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { errorCodeOf, errorMessageOf } from './util.js';

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>(
  ApiKey.CreatePartitions,
  [0, 3],
  async (req, ctx) => {
    const results = [];
    for (const t of req.topics) {
      if (t.assignments?.some((a) => a.brokerIds.some((b) => b !== ctx.env.nodeId))) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `only broker ${ctx.env.nodeId} exists`,
        });
        continue;
      }
      try {
        await ctx.env.broker.createPartitions(t.name, t.count, req.validateOnly);
        results.push({ name: t.name, errorCode: 0, errorMessage: null });
      } catch (e) {
        results.push({ name: t.name, errorCode: errorCodeOf(e), errorMessage: errorMessageOf(e) });
      }
    }
    return { throttleTimeMs: 0, results };
  },
);
