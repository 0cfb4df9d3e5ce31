/**
 * Idempotent producer state, following Kafka's ProducerStateManager rules:
 *   - producerId -1: not idempotent, always appended.
 *   - a batch whose (epoch, firstSeq, lastSeq) matches one of the producer's last 5 batches is a
 *     retry: acknowledged with the original base offset and not written again;
 *   - an older epoch is fenced (INVALID_PRODUCER_EPOCH);
 *   - a new epoch must start at sequence 0 unless the producer was unknown;
 *   - otherwise firstSeq must be lastSeq + 1 (wrapping at 2^31-1), else OUT_OF_ORDER_SEQUENCE_NUMBER.
 * State is per partition. It survives a clean restart via a JSON snapshot
 * (`producer-state.json` in the partition directory) and an unclean one by replaying the producer
 * batches the FileLog recovery scan found in the active segment.
 */
import type { BatchHeader } from '../storage/batch.js';
import { ErrorCode } from '../error-codes.js';

/** Kafka keeps the last 5 batches per producer for duplicate detection (max.in.flight = 5). */
export const PRODUCER_BATCHES_KEPT = 5;
/** Producers remembered per partition before the least recently used is forgotten. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;
const INT32_MAX = 2 ** 31 - 1;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; errorCode: number; message: string };

export interface ProducerBatchRef {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  baseOffset: number;
}

export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  const s = baseSequence + lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

export class PartitionProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Decides what to do with a batch; does not change state (see record). */
  check(h: BatchHeader): SequenceCheck {
    if (h.producerId < 0n) return APPEND;
    const pid = Number(h.producerId);
    const e = this.producers.get(pid);
    const first = h.baseSequence;
    const last = lastSequence(first, h.lastOffsetDelta);
    if (!e) return APPEND;
    if (h.producerEpoch < e.epoch) {
      return err(ErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${h.producerEpoch} older than ${e.epoch} for producer ${pid}`);
    }
    if (h.producerEpoch > e.epoch) {
      if (first !== 0) return err(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `new epoch must start at sequence 0, got ${first}`);
      return APPEND;
    }
    for (const b of e.batches) {
      if (b.firstSeq === first && b.lastSeq === last) return { kind: 'duplicate', baseOffset: b.baseOffset };
    }
    const prev = e.batches[e.batches.length - 1];
    if (!prev) return APPEND;
    const expected = prev.lastSeq === INT32_MAX ? 0 : prev.lastSeq + 1;
    if (first !== expected) {
      return err(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${pid}: sequence ${first}, expected ${expected}`);
    }
    return APPEND;
  }

  /**
   * Checks the batches of one produce request in order: the first against the stored state, each
   * later batch of the same producer as the continuation of the one before it in the request.
   * A duplicate first batch makes the whole request a duplicate (clients retry whole requests).
   */
  checkAll(headers: readonly BatchHeader[]): SequenceCheck {
    const seen = new Map<bigint, { epoch: number; lastSeq: number }>();
    for (const [i, h] of headers.entries()) {
      const prior = h.producerId >= 0n ? seen.get(h.producerId) : undefined;
      let c: SequenceCheck;
      if (prior && prior.epoch === h.producerEpoch) {
        const expected = prior.lastSeq === INT32_MAX ? 0 : prior.lastSeq + 1;
        c = h.baseSequence === expected ? APPEND : err(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `sequence ${h.baseSequence}, expected ${expected}`);
      } else {
        c = this.check(h);
      }
      if (c.kind === 'duplicate' && i > 0) return err(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, 'duplicate batch after new ones in one request');
      if (c.kind !== 'append') return c;
      if (h.producerId >= 0n) seen.set(h.producerId, { epoch: h.producerEpoch, lastSeq: lastSequence(h.baseSequence, h.lastOffsetDelta) });
    }
    return APPEND;
  }

  /** Records an appended batch (after check said append). */
  record(b: ProducerBatchRef): void {
    if (b.producerId < 0) return;
    let e = this.producers.get(b.producerId);
    if (e) {
      this.producers.delete(b.producerId); // re-insert: Map order is our LRU order
    } else {
      e = { epoch: b.producerEpoch, batches: [] };
      if (this.producers.size >= PRODUCERS_PER_PARTITION_MAX) {
        const oldest = this.producers.keys().next().value as number;
        this.producers.delete(oldest);
      }
    }
    if (b.producerEpoch !== e.epoch) {
      e.epoch = b.producerEpoch;
      e.batches = [];
    }
    e.batches.push({ firstSeq: b.baseSequence, lastSeq: lastSequence(b.baseSequence, b.lastOffsetDelta), baseOffset: b.baseOffset });
    if (e.batches.length > PRODUCER_BATCHES_KEPT) e.batches.shift();
    this.producers.set(b.producerId, e);
  }

  /** Snapshot for a clean shutdown: [[pid, epoch, [[firstSeq, lastSeq, baseOffset]...]]...]. */
  toJSON(): unknown {
    return [...this.producers].map(([pid, e]) => [pid, e.epoch, e.batches.map((b) => [b.firstSeq, b.lastSeq, b.baseOffset])]);
  }

  static fromJSON(data: unknown): PartitionProducerState {
    const s = new PartitionProducerState();
    if (!Array.isArray(data)) return s;
    for (const row of data.slice(0, PRODUCERS_PER_PARTITION_MAX)) {
      if (!Array.isArray(row) || row.length !== 3 || !Array.isArray(row[2])) continue;
      const [pid, epoch, batches] = row as [unknown, unknown, unknown[]];
      if (typeof pid !== 'number' || typeof epoch !== 'number') continue;
      const list: BatchMeta[] = [];
      for (const b of batches.slice(-PRODUCER_BATCHES_KEPT)) {
        if (Array.isArray(b) && b.length === 3 && b.every((x) => typeof x === 'number')) {
          list.push({ firstSeq: b[0] as number, lastSeq: b[1] as number, baseOffset: b[2] as number });
        }
      }
      s.producers.set(pid, { epoch, batches: list });
    }
    return s;
  }

  get size(): number {
    return this.producers.size;
  }
}

const APPEND: SequenceCheck = { kind: 'append' };
function err(errorCode: number, message: string): SequenceCheck {
  return { kind: 'error', errorCode, message };
}
