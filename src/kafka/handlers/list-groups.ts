/** ListGroups (16): every group, optionally filtered by state (v4+) and type (v5, "classic" only). */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

const GROUP_TYPE = 'classic';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>(
  ApiKey.ListGroups,
  [0, 5],
  (req, ctx) => {
    const types = req.typesFilter.map((t) => t.toLowerCase());
    const groups =
      types.length > 0 && !types.includes(GROUP_TYPE)
        ? []
        : ctx.env.broker.groups.listGroups(req.statesFilter);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: groups.map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        groupState: g.state,
        groupType: GROUP_TYPE,
      })),
    };
  },
);
