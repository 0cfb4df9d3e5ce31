/**
 * bodyChunks: chunks come out as pushed (never concatenated), the stream pauses when the queue is
 * full and resumes as it drains, errors and a close before 'end' reject, an early exit detaches
 * and leaves the stream paused without an uncaught error later.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { BODY_QUEUE_CHUNKS_MAX, bodyChunks } from './body-chunks.js';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe('bodyChunks', () => {
  it('yields chunks as written, including those buffered before iteration', async () => {
    const s = new PassThrough();
    s.write('a');
    s.write('bb');
    const done = collect(bodyChunks(s));
    s.write('ccc');
    s.end('d');
    assert.deepEqual(
      (await done).map((b) => b.toString()),
      ['a', 'bb', 'ccc', 'd'],
    );
  });

  it('pauses at BODY_QUEUE_CHUNKS_MAX queued chunks and resumes when drained', async () => {
    const s = new PassThrough();
    const it = bodyChunks(s)[Symbol.asyncIterator]();
    const first = it.next(); // attaches and waits
    for (let i = 0; i <= BODY_QUEUE_CHUNKS_MAX; i++) s.write(Buffer.from([i]));
    await new Promise((r) => setImmediate(r));
    assert.equal((await first).value?.[0], 0);
    assert.equal(s.isPaused(), true);
    const rest: number[] = [];
    s.end();
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      rest.push(r.value[0]!);
    }
    assert.deepEqual(
      rest,
      Array.from({ length: BODY_QUEUE_CHUNKS_MAX }, (_, i) => i + 1),
    );
  });

  it('rejects on a stream error and on a close before the end', async () => {
    const a = new PassThrough();
    const pa = collect(bodyChunks(a));
    a.write('x');
    a.destroy(new Error('boom'));
    await assert.rejects(pa, /boom/);
    const b = new PassThrough();
    const pb = collect(bodyChunks(b));
    b.write('x');
    b.destroy();
    await assert.rejects(pb, /closed before its end/);
  });

  it('an early exit detaches, leaves the stream paused, and a later error is not uncaught', async () => {
    const s = new PassThrough();
    s.write('a');
    s.write('b');
    for await (const c of bodyChunks(s)) {
      assert.equal(c.toString(), 'a');
      break;
    }
    assert.equal(s.listenerCount('data'), 0);
    assert.equal(s.isPaused(), true);
    s.destroy(new Error('client went away')); // would throw if nothing listened for 'error'
    await new Promise((r) => setImmediate(r));
  });
});
