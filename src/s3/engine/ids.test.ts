import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newInlineId, newUploadId, newVersionId } from './ids.js';

test('upload and version IDs are base64url and never start with - or _ (CLIs read those as options)', () => {
  // Without the rule about one ID in 32 starts with '-' or '_': 2,000 of them would all but surely show one.
  for (let i = 0; i < 2000; i++) {
    const u = newUploadId();
    const v = newVersionId();
    assert.match(u, /^[A-Za-z0-9][A-Za-z0-9_-]{47}$/);
    assert.match(v, /^[A-Za-z0-9][A-Za-z0-9_-]{31}$/);
  }
});

test('inline body IDs ascend (time, then counter) and stay unique within a millisecond', () => {
  const ids = [newInlineId(5000), newInlineId(5000), newInlineId(5000), newInlineId(6000)];
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  // A clock stepped back still gives a new ID (the counter differs).
  assert.ok(!ids.includes(newInlineId(5000)));
});
