/** AlterConfigs (33): replaces a resource's whole explicit config set (Kafka's legacy semantics). */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { errorCodeOf, errorMessageOf } from './util.js';

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>(
  ApiKey.AlterConfigs,
  [0, 2],
  async (req, ctx) => {
    const responses = [];
    for (const r of req.resources) {
      const configs: Record<string, string | null> = {};
      for (const c of r.configs) configs[c.name] = c.value;
      try {
        await ctx.env.broker.alterConfigs(r.resourceType, r.resourceName, configs, req.validateOnly);
        responses.push({
          errorCode: 0,
          errorMessage: null,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        });
      } catch (e) {
        responses.push({
          errorCode: errorCodeOf(e),
          errorMessage: errorMessageOf(e),
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
);
