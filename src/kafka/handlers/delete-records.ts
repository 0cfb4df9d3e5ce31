/** DeleteRecords (21): moves a partition's log start offset; -1 means "up to the high watermark". */
import { ApiKey } from '../protocol/api-table.generated.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../protocol/messages.generated.js';
import { LATEST_TIMESTAMP } from '../engine/types.js';
import { defineHandler } from './handler.js';
import { big, errorCodeOf, toNum } from './util.js';

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>(
  ApiKey.DeleteRecords,
  [0, 2],
  async (req, ctx) => {
    const { broker } = ctx.env;
    const topics = [];
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        try {
          let offset = toNum(p.offset);
          if (offset === -1) offset = broker.listOffsets(t.name, p.partitionIndex, LATEST_TIMESTAMP).offset;
          const r = await broker.deleteRecords(t.name, p.partitionIndex, offset);
          partitions.push({
            partitionIndex: p.partitionIndex,
            lowWatermark: big(r.lowWatermark),
            errorCode: r.errorCode,
          });
        } catch (e) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(e) });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
);
