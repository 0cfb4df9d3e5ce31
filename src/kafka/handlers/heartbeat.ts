/** Heartbeat (12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin. */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>(
  ApiKey.Heartbeat,
  [0, 4],
  (req, ctx) => ({
    throttleTimeMs: 0,
    errorCode: ctx.env.broker.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
    }),
  }),
);
