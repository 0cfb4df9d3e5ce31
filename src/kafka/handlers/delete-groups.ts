/** DeleteGroups (42): only empty groups (NON_EMPTY_GROUP otherwise); their offsets go too. */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { errorCodeOf } from './util.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>(
  ApiKey.DeleteGroups,
  [0, 2],
  async (req, ctx) => {
    const results = [];
    for (const groupId of req.groupsNames) {
      let errorCode: number;
      try {
        errorCode = await ctx.env.broker.groups.deleteGroup(groupId);
      } catch (e) {
        errorCode = errorCodeOf(e);
      }
      results.push({ groupId, errorCode });
    }
    return { throttleTimeMs: 0, results };
  },
);
