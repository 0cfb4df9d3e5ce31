/** LeaveGroup (13): one member (v0-2) or a batch of members by id or instance id (v3+). */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>(
  ApiKey.LeaveGroup,
  [0, 5],
  (req, ctx) => {
    const batched = ctx.apiVersion >= 3;
    const members = batched
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = ctx.env.broker.groups.leaveGroup(req.groupId, members);
    // v0-2 report the single member's error at the top level.
    const errorCode = batched ? r.errorCode : r.errorCode || (r.members[0]?.errorCode ?? 0);
    return { throttleTimeMs: 0, errorCode, members: batched ? r.members : [] };
  },
);
