/**
 * InitProducerId (22) for idempotent producers. A transactional id is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED: Nimbus has no transaction coordinator (see docs/kafka.md).
 */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';
import { big, errorCodeOf, toNum } from './util.js';

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>(
  ApiKey.InitProducerId,
  [0, 5],
  async (req, ctx) => {
    if (req.transactionalId !== null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    try {
      const r = await ctx.env.broker.initProducerId(
        null,
        req.transactionTimeoutMs,
        toNum(req.producerId),
        req.producerEpoch,
      );
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        producerId: big(r.producerId),
        producerEpoch: r.producerEpoch,
      };
    } catch (e) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(e), producerId: -1n, producerEpoch: -1 };
    }
  },
);
