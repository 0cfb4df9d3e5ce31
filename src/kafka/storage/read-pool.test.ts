/**
 * Proves the read buffer pool's rules: a released buffer is handed out again (and only then),
 * releasing twice cannot put a buffer in the pool twice, sizes outside the pooled range are plain
 * allocations with nothing to release, and the free buffers kept stay within their bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  READ_POOL_BYTES_MAX,
  READ_POOL_BYTES_MIN,
  READ_POOL_FREE_BYTES_MAX,
  READ_POOL_FREE_PER_CLASS,
  ReadBufferPool,
} from './read-pool.js';

test('a buffer is reused only after its release, and at most once per release', () => {
  const pool = new ReadBufferPool();
  const a = pool.take(READ_POOL_BYTES_MIN + 1);
  assert.equal(a.buf.length, 2 * READ_POOL_BYTES_MIN, 'rounded up to its size class');
  const b = pool.take(READ_POOL_BYTES_MIN + 1);
  assert.notEqual(a.buf.buffer, b.buf.buffer, 'not released yet: a new buffer');
  a.release!();
  a.release!();
  const c = pool.take(2 * READ_POOL_BYTES_MIN);
  const d = pool.take(2 * READ_POOL_BYTES_MIN);
  assert.equal(c.buf, a.buf, 'the released buffer comes back');
  assert.notEqual(d.buf, a.buf, 'a double release did not queue it twice');
});

test('reads outside the pooled sizes are plain allocations', () => {
  const pool = new ReadBufferPool();
  assert.equal(pool.take(READ_POOL_BYTES_MIN - 1).release, null);
  assert.equal(pool.take(READ_POOL_BYTES_MAX + 1).release, null);
  assert.notEqual(pool.take(READ_POOL_BYTES_MAX).release, null);
});

test('the free buffers kept are bounded per class and in total', () => {
  const pool = new ReadBufferPool();
  const small = Array.from({ length: READ_POOL_FREE_PER_CLASS + 2 }, () => pool.take(READ_POOL_BYTES_MIN));
  for (const r of small) r.release!();
  assert.equal(pool.heldBytes, READ_POOL_FREE_PER_CLASS * READ_POOL_BYTES_MIN);
  const big = Array.from({ length: 4 }, () => pool.take(READ_POOL_BYTES_MAX));
  for (const r of big) r.release!();
  assert.ok(pool.heldBytes <= READ_POOL_FREE_BYTES_MAX, `${pool.heldBytes} bytes held`);
});
