/**
 * Proves the idempotence rules of PartitionProducerState directly: retries of any of the last 5
 * batches are duplicates with their original offsets, older ones are not remembered, gaps and
 * old epochs are refused, a new epoch restarts at 0, sequences wrap at 2^31-1, several batches of
 * one request chain, and the snapshot round-trips (junk snapshots load as empty, never throw).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildBatch, validateBatch, type BatchHeader } from '../storage/batch.js';
import { PartitionProducerState } from './producer-state.js';
import { ErrorCode as E } from '../error-codes.js';

function h(pid: number, epoch: number, seq: number, n = 1): BatchHeader {
  return validateBatch(buildBatch(Buffer.alloc(0), { lastOffsetDelta: n - 1, recordCount: n, baseTimestamp: 0n, maxTimestamp: 0n, producerId: BigInt(pid), producerEpoch: epoch, baseSequence: seq }), 0);
}

function append(s: PartitionProducerState, x: BatchHeader, baseOffset: number): void {
  assert.equal(s.check(x).kind, 'append');
  s.record({ producerId: Number(x.producerId), producerEpoch: x.producerEpoch, baseSequence: x.baseSequence, lastOffsetDelta: x.lastOffsetDelta, baseOffset });
}

test('duplicates of the last 5 batches, gaps, epochs, wrap-around, multi-batch requests', () => {
  const s = new PartitionProducerState();
  for (let i = 0; i < 7; i++) append(s, h(1, 0, i * 2, 2), 100 + i * 2);
  assert.deepEqual(s.check(h(1, 0, 12, 2)), { kind: 'duplicate', baseOffset: 112 });
  assert.deepEqual(s.check(h(1, 0, 4, 2)), { kind: 'duplicate', baseOffset: 104 });
  assert.equal(s.check(h(1, 0, 2, 2)).kind, 'error', 'the 6th-newest batch is forgotten: out of order');
  assert.equal((s.check(h(1, 0, 15)) as { errorCode: number }).errorCode, E.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(s.check(h(1, 0, 14)).kind, 'append');
  assert.equal((s.check(h(1, 1, 3)) as { errorCode: number }).errorCode, E.OUT_OF_ORDER_SEQUENCE_NUMBER, 'new epoch must start at 0');
  append(s, h(1, 1, 0), 200);
  assert.equal((s.check(h(1, 0, 14)) as { errorCode: number }).errorCode, E.INVALID_PRODUCER_EPOCH);
  append(s, h(2, 0, 2 ** 31 - 2, 2), 300);
  assert.equal(s.check(h(2, 0, 0)).kind, 'append', 'sequence wraps after 2^31-1');
  assert.equal(s.checkAll([h(1, 1, 1), h(1, 1, 2), h(3, 0, 7)]).kind, 'append');
  assert.equal(s.checkAll([h(1, 1, 1), h(1, 1, 3)]).kind, 'error');
  assert.equal(s.check(h(-1, -1, -1)).kind, 'append', 'non-idempotent batches always append');
  const copy = PartitionProducerState.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
  assert.deepEqual(copy.check(h(1, 1, 0)), { kind: 'duplicate', baseOffset: 200 });
  fc.assert(fc.property(fc.jsonValue(), (j) => void PartitionProducerState.fromJSON(j)));
});
