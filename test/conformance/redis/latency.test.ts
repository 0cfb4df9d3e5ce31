// The latency monitor and LATENCY HISTOGRAM, driven with ioredis against Nimbus and, with the same
// assertions, against Debian's redis-server (when installed), so the reply shapes are Redis's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { useBothServers } from './raw-conn.js';

// Redis 7 refuses DEBUG unless enabled; Nimbus allows it (a development server).
const servers = useBothServers(['--enable-debug-command', 'local']);

async function checkLatencyMonitor(port: number): Promise<void> {
  const r = new Redis(port, { lazyConnect: true });
  await r.connect();
  try {
    await r.call('LATENCY', 'RESET');
    assert.deepEqual(await r.call('LATENCY', 'LATEST'), []);
    await assert.rejects(r.call('LATENCY', 'GRAPH', 'command'), /No samples available for event 'command'/);
    await r.config('SET', 'latency-monitor-threshold', '0');
    assert.match(String(await r.call('LATENCY', 'DOCTOR')), /Latency monitoring is disabled/);

    // Below the threshold nothing is recorded; DEBUG SLEEP is not a fast command.
    // A threshold well above the short sleep, so a loaded CI machine cannot push it over.
    await r.config('SET', 'latency-monitor-threshold', '200');
    assert.match(String(await r.call('LATENCY', 'DOCTOR')), /no latency spike was observed/);
    await r.call('DEBUG', 'SLEEP', '0.01');
    assert.deepEqual(await r.call('LATENCY', 'LATEST'), []);
    await r.call('DEBUG', 'SLEEP', '0.3');
    const latest = (await r.call('LATENCY', 'LATEST')) as Array<[string, number, number, number]>;
    assert.equal(latest.length, 1);
    const [event, time, ms, max] = latest[0] as [string, number, number, number];
    assert.equal(event, 'command');
    assert.ok(Math.abs(time - Date.now() / 1000) < 5, `time ${time}`);
    assert.ok(ms >= 280 && ms < 3000, `latency ${ms}`);
    assert.equal(max, ms);

    const history = (await r.call('LATENCY', 'HISTORY', 'command')) as Array<[number, number]>;
    assert.deepEqual(history, [[time, ms]]);
    assert.deepEqual(await r.call('LATENCY', 'HISTORY', 'no-such-event'), []);
    assert.match(String(await r.call('LATENCY', 'GRAPH', 'command')), /^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)/);
    assert.match(String(await r.call('LATENCY', 'DOCTOR')), /command: 1 latency spikes/);

    assert.equal(await r.call('LATENCY', 'RESET', 'command', 'no-such-event'), 1);
    assert.deepEqual(await r.call('LATENCY', 'LATEST'), []);
    await r.config('SET', 'latency-monitor-threshold', '0');
    await r.call('DEBUG', 'SLEEP', '0.15');
    assert.deepEqual(await r.call('LATENCY', 'LATEST'), [], 'threshold 0 disables the monitor');
  } finally {
    r.disconnect();
  }
}

async function checkHistogram(port: number): Promise<void> {
  const r = new Redis(port, { lazyConnect: true });
  await r.connect();
  try {
    await r.config('RESETSTAT');
    for (let i = 0; i < 10; i++) await r.set(`h${i}`, 'v');
    await r.config('GET', 'maxmemory');
    // RESP2 flattens the maps: [name, [calls, n, histogram_usec, [bucket, cumulative, ...]], ...]
    const reply = (await r.call('LATENCY', 'HISTOGRAM', 'set', 'config', 'nosuchcommand')) as unknown[];
    const byName = new Map<string, unknown[]>();
    for (let i = 0; i < reply.length; i += 2) byName.set(String(reply[i]), reply[i + 1] as unknown[]);
    // A container name selects its subcommands; CONFIG RESETSTAT itself counts after the reset.
    assert.deepEqual([...byName.keys()].sort(), ['config|get', 'config|resetstat', 'set']);
    const set = byName.get('set') as unknown[];
    assert.equal(set[0], 'calls');
    assert.equal(set[1], 10);
    assert.equal(set[2], 'histogram_usec');
    const buckets = set[3] as number[];
    assert.ok(buckets.length >= 2 && buckets.length % 2 === 0);
    let prevBound = 0;
    let prevCount = 0;
    for (let i = 0; i < buckets.length; i += 2) {
      const bound = buckets[i] as number;
      const count = buckets[i + 1] as number;
      // Nimbus's bounds are powers of two; Redis's HDR buckets are 1, 2, 4, 8, 16, 33, 66, …
      assert.ok(Number.isInteger(bound) && bound > prevBound, `bucket bounds increase (${bound} after ${prevBound})`);
      assert.ok(count > prevCount, 'counts are cumulative, and only buckets that add calls are listed');
      prevBound = bound;
      prevCount = count;
    }
    assert.equal(prevCount, 10, 'the last bucket holds every call');
    await r.config('RESETSTAT');
    const after = (await r.call('LATENCY', 'HISTOGRAM', 'set')) as unknown[];
    assert.deepEqual(after, []);
  } finally {
    r.disconnect();
  }
}

test('LATENCY LATEST/HISTORY/GRAPH/DOCTOR/RESET record slow commands over latency-monitor-threshold', async () => {
  await checkLatencyMonitor(servers.nimbus.port);
  if (servers.real) await checkLatencyMonitor(servers.real.port);
});

test('LATENCY HISTOGRAM reports calls and cumulative power-of-two µs buckets; CONFIG RESETSTAT clears them', async () => {
  await checkHistogram(servers.nimbus.port);
  if (servers.real) await checkHistogram(servers.real.port);
});
