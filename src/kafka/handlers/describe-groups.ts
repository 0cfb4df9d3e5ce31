/** DescribeGroups (15): state, protocol and members (with their metadata and assignment). */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED, errorCodeOf } from './util.js';

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>(
  ApiKey.DescribeGroups,
  [0, 5],
  (req, ctx) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      try {
        const g = ctx.env.broker.groups.describeGroup(groupId);
        return {
          errorCode: g.errorCode,
          groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocolName,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        };
      } catch (e) {
        return {
          errorCode: errorCodeOf(e),
          groupId,
          groupState: 'Dead',
          members: [],
          authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        };
      }
    }),
  }),
);
