/** IncrementalAlterConfigs (44): SET (0), DELETE (1), APPEND (2), SUBTRACT (3) per key. */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from '../protocol/messages.generated.js';
import type { AlterConfigOp } from '../engine/types.js';
import { defineHandler } from './handler.js';
import { errorCodeOf, errorMessageOf } from './util.js';

const isOp = (n: number): n is AlterConfigOp['op'] => n === 0 || n === 1 || n === 2 || n === 3;

export const incrementalAlterConfigsHandler = defineHandler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse
>(ApiKey.IncrementalAlterConfigs, [0, 1], async (req, ctx) => {
  const responses = [];
  for (const r of req.resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const bad = r.configs.find((c) => !isOp(c.configOperation));
    if (bad) {
      responses.push({
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `unknown config operation ${bad.configOperation}`,
      });
      continue;
    }
    const ops = r.configs.map((c) => ({
      name: c.name,
      op: c.configOperation as AlterConfigOp['op'],
      value: c.value,
    }));
    try {
      await ctx.env.broker.incrementalAlterConfigs(r.resourceType, r.resourceName, ops, req.validateOnly);
      responses.push({ ...base, errorCode: 0, errorMessage: null });
    } catch (e) {
      responses.push({ ...base, errorCode: errorCodeOf(e), errorMessage: errorMessageOf(e) });
    }
  }
  return { throttleTimeMs: 0, responses };
});
