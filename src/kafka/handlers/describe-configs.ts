/** DescribeConfigs (32): topic (2) and broker (4) resources; v0 has isDefault, v1+ the source. */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/messages.generated.js';
import { CONFIG_SOURCE } from './create-topics.js';
import { defineHandler } from './handler.js';
import { errorCodeOf, errorMessageOf } from './util.js';

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>(
  ApiKey.DescribeConfigs,
  [0, 4],
  (req, ctx) => ({
    throttleTimeMs: 0,
    results: req.resources.map((r) => {
      try {
        const entries = ctx.env.broker.describeConfigs(r.resourceType, r.resourceName, r.configurationKeys);
        return {
          errorCode: 0,
          errorMessage: null,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: entries.map((c) => ({
            name: c.name,
            value: c.isSensitive ? null : c.value,
            readOnly: c.readOnly,
            isDefault: c.isDefault,
            configSource: CONFIG_SOURCE[c.source] ?? 5,
            isSensitive: c.isSensitive,
            synonyms: [],
            configType: c.type,
            documentation: req.includeDocumentation ? c.documentation : null,
          })),
        };
      } catch (e) {
        return {
          errorCode: errorCodeOf(e),
          errorMessage: errorMessageOf(e),
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [],
        };
      }
    }),
  }),
);
