/** JoinGroup (11): the classic protocol's join phase, handed to the group coordinator. */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>(
  ApiKey.JoinGroup,
  [0, 9],
  async (req, ctx) => {
    const r = await ctx.env.broker.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.conn.remoteAddress}`,
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout; Kafka uses the session timeout then.
      rebalanceTimeoutMs:
        ctx.apiVersion >= 1 && req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      requireKnownMemberId: ctx.apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Before v7 the name is not nullable.
      protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''),
      leader: r.leader,
      skipAssignment: false,
      memberId: r.memberId,
      members: r.members,
    };
  },
);
