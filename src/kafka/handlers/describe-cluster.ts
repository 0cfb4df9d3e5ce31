/** DescribeCluster (60): cluster id, controller and brokers (this node, as advertised). */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './util.js';

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>(
  ApiKey.DescribeCluster,
  [0, 1],
  (req, ctx) => {
    const c = ctx.env.broker.cluster();
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: req.endpointType,
      clusterId: c.clusterId,
      controllerId: c.controllerId,
      brokers: c.brokers.map((b) => ({
        brokerId: b.nodeId,
        host: b.nodeId === ctx.env.nodeId ? ctx.env.advertisedHost() : b.host,
        port: b.nodeId === ctx.env.nodeId ? ctx.env.advertisedPort() : b.port,
        rack: b.rack,
      })),
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
);
