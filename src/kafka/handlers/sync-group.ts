/** SyncGroup (14): the leader's assignments in, each member's assignment out (verbatim bytes). */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>(
  ApiKey.SyncGroup,
  [0, 5],
  async (req, ctx) => {
    const r = await ctx.env.broker.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: r.assignment,
    };
  },
);
