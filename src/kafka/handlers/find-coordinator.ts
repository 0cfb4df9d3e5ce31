/**
 * FindCoordinator (10). This single node coordinates every group. Transaction coordinators
 * (key type 1) are refused: Nimbus does not implement transactions, and the clients turn
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED into a fatal, non-retried error instead of looping on a
 * retriable COORDINATOR_NOT_AVAILABLE. v4+ batches several keys.
 */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages.generated.js';
import { defineHandler, type RequestContext } from './handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
const TXN_UNSUPPORTED = 'transactions are not supported by Nimbus';

function coordinatorFor(key: string, keyType: number, ctx: RequestContext) {
  if (keyType === KEY_TYPE_TRANSACTION) {
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      errorMessage: TXN_UNSUPPORTED,
    };
  }
  if (keyType !== KEY_TYPE_GROUP)
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `key type ${keyType}`,
    };
  return {
    key,
    nodeId: ctx.env.nodeId,
    host: ctx.env.advertisedHost(),
    port: ctx.env.advertisedPort(),
    errorCode: 0,
    errorMessage: null,
  };
}

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>(
  ApiKey.FindCoordinator,
  [0, 5],
  (req, ctx) => {
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: req.coordinatorKeys.map((k) => coordinatorFor(k, req.keyType, ctx)),
      };
    }
    const c = coordinatorFor(req.key, req.keyType, ctx);
    return {
      throttleTimeMs: 0,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage,
      nodeId: c.nodeId,
      host: c.host,
      port: c.port,
    };
  },
);
