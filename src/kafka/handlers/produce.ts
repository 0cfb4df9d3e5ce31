/**
 * Produce (0). Every partition's records go to broker.produce() synchronously in request order
 * (offsets are assigned there, so pipelined requests keep their order); the response waits for
 * all of them to be durable. acks=0 gets no response at all, as in Kafka. v0-2 message sets
 * (magic 0/1) are refused by the batch validation with CORRUPT_MESSAGE.
 */
import type { ProduceResult } from '../engine/types.js';
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/messages.generated.js';
import { defineHandler, NO_RESPONSE } from './handler.js';
import { big, errorCodeOf, errorMessageOf } from './util.js';

const failed = (errorCode: number, errorMessage: string | null): ProduceResult => ({
  errorCode,
  errorMessage,
  baseOffset: -1,
  logAppendTimeMs: -1,
  logStartOffset: -1,
});

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>(
  ApiKey.Produce,
  [0, 11],
  async (req, ctx) => {
    const { broker } = ctx.env;
    const acks = req.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const pending = req.topicData.map((t) => ({
      name: t.name,
      parts: t.partitionData.map((p) => {
        let result: Promise<ProduceResult>;
        if (!validAcks) result = Promise.resolve(failed(ErrorCode.INVALID_REQUIRED_ACKS, `acks ${acks}`));
        else if (req.transactionalId !== null) {
          result = Promise.resolve(
            failed(
              ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
              'transactions are not supported by Nimbus',
            ),
          );
        } else if (!p.records || p.records.length === 0)
          result = Promise.resolve(failed(ErrorCode.CORRUPT_MESSAGE, 'no records'));
        else {
          try {
            result = broker
              .produce(t.name, p.index, p.records, acks)
              .catch((e: unknown) => failed(errorCodeOf(e), errorMessageOf(e)));
          } catch (e) {
            result = Promise.resolve(failed(errorCodeOf(e), errorMessageOf(e)));
          }
        }
        return { index: p.index, result };
      }),
    }));
    if (acks === 0) {
      // Nothing to answer; failures are only visible in the broker's metrics and logs.
      for (const t of pending) for (const p of t.parts) void p.result;
      return NO_RESPONSE;
    }
    const responses = [];
    for (const t of pending) {
      const partitionResponses = [];
      for (const p of t.parts) {
        const r = await p.result;
        partitionResponses.push({
          index: p.index,
          // INVALID_RECORD arrived with Produce v8 (KIP-467); older clients know it as CORRUPT_MESSAGE.
          errorCode:
            r.errorCode === ErrorCode.INVALID_RECORD && ctx.apiVersion < 8
              ? ErrorCode.CORRUPT_MESSAGE
              : r.errorCode,
          baseOffset: big(r.baseOffset),
          logAppendTimeMs: big(r.logAppendTimeMs),
          logStartOffset: big(r.logStartOffset),
          recordErrors: (r.recordErrors ?? []).map((e) => ({
            batchIndex: e.batchIndex,
            batchIndexErrorMessage: e.message,
          })),
          errorMessage: r.errorCode === 0 ? null : r.errorMessage,
        });
      }
      responses.push({ name: t.name, partitionResponses });
    }
    return { responses, throttleTimeMs: 0 };
  },
);
