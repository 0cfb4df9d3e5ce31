/** DeleteTopics (20): by name (v0-5 topicNames, v6 topics) or by id (v6). */
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/messages.generated.js';
import { ZERO_UUID } from '../protocol/types.js';
import { defineHandler } from './handler.js';
import { errorCodeOf, errorMessageOf, uuidFromBytes, uuidToBytes } from './util.js';

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>(
  ApiKey.DeleteTopics,
  [0, 6],
  async (req, ctx) => {
    const { broker } = ctx.env;
    const wanted =
      ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses = [];
    for (const w of wanted) {
      const info = w.name !== null ? broker.topic(w.name) : broker.topicById(uuidToBytes(w.topicId));
      if (!info) {
        const errorCode = w.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
        responses.push({ name: w.name, topicId: w.topicId, errorCode, errorMessage: null });
        continue;
      }
      try {
        await broker.deleteTopic(info.name);
        responses.push({
          name: info.name,
          topicId: uuidFromBytes(info.topicId),
          errorCode: 0,
          errorMessage: null,
        });
      } catch (e) {
        responses.push({
          name: info.name,
          topicId: uuidFromBytes(info.topicId),
          errorCode: errorCodeOf(e),
          errorMessage: errorMessageOf(e),
        });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
);
