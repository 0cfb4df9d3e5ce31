// Proves BullMQ 6.7.0 runs unchanged on Nimbus: a queue with a worker processes jobs, retries with
// exponential backoff, delayed jobs, priorities and a repeatable job (job scheduler), and
// QueueEvents (XREAD BLOCK on the events stream) reports every completion. It exercises Lua
// scripting (BullMQ is almost entirely scripts), streams and blocking BZPOPMIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Worker, QueueEvents, type Job } from 'bullmq';
import { startRedis, type RedisUnderTest } from './harness.js';

let r: RedisUnderTest;
before(async () => {
  r = await startRedis();
});
after(async () => {
  await r.close();
});

const connection = (): { host: string; port: number; maxRetriesPerRequest: null } => ({
  host: '127.0.0.1',
  port: r.port,
  maxRetriesPerRequest: null,
});

test('BullMQ: jobs, retries with backoff, delayed, priorities, repeatable, QueueEvents', async () => {
  const name = 'q' + Date.now();
  const queue = new Queue(name, { connection: connection() });
  const events = new QueueEvents(name, { connection: connection() });
  await events.waitUntilReady();
  const completedEvents: string[] = [];
  events.on('completed', ({ jobId }) => completedEvents.push(jobId));
  const processed: string[] = [];
  const attempts = new Map<string, number>();
  let repeats = 0;
  const worker = new Worker(
    name,
    async (job: Job) => {
      attempts.set(job.name, (attempts.get(job.name) ?? 0) + 1);
      if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error('try again');
      if (job.name === 'tick') repeats++;
      processed.push(job.name);
      return { ok: job.name };
    },
    { connection: connection(), concurrency: 1 },
  );
  try {
    await worker.waitUntilReady();
    await queue.add('plain', { n: 1 });
    await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'exponential', delay: 20 } });
    await queue.add('delayed', {}, { delay: 200 });
    await queue.pause();
    await queue.add('low', {}, { priority: 10 });
    await queue.add('high', {}, { priority: 1 });
    await queue.resume();
    await queue.upsertJobScheduler('every-100ms', { every: 100, limit: 2 }, { name: 'tick' });
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && (processed.length < 7 || completedEvents.length < 7))
      await new Promise((res) => setTimeout(res, 50));
    assert.ok(processed.includes('plain'));
    assert.equal(attempts.get('flaky'), 3);
    assert.ok(processed.includes('delayed'));
    assert.ok(processed.indexOf('high') < processed.indexOf('low'), `priority order: ${processed.join(',')}`);
    assert.ok(repeats >= 2, `repeatable ran ${repeats} times`);
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active');
    assert.equal(counts.failed, 0);
    assert.equal(counts.completed, processed.length);
    assert.equal(completedEvents.length, processed.length);
  } finally {
    await worker.close();
    await queue.removeJobScheduler('every-100ms').catch(() => undefined);
    await events.close();
    await queue.close();
  }
});
