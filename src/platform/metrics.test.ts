// Proves the Prometheus text exposition: HELP/TYPE lines, labels escaped, gauges read at scrape time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from './metrics.js';

test('renders counters, gauges and function gauges in text format 0.0.4', () => {
  const reg = new MetricsRegistry();
  const s = reg.scope('nimbus_redis_');
  const c = s.counter('commands_total', 'Commands processed');
  c.inc();
  c.inc(2, { cmd: 'get' });
  s.gauge('clients', 'Connected clients').set(3);
  s.gaugeFn('keys', 'Keys per db', () => [
    [{ db: '0' }, 5],
    [{ db: 'a"b' }, 1],
  ]);
  const text = reg.render();
  assert.match(
    text,
    /# HELP nimbus_redis_commands_total Commands processed\n# TYPE nimbus_redis_commands_total counter\n/,
  );
  assert.match(text, /^nimbus_redis_commands_total 1$/m);
  assert.match(text, /^nimbus_redis_commands_total\{cmd="get"\} 2$/m);
  assert.match(text, /^nimbus_redis_clients 3$/m);
  assert.match(text, /^nimbus_redis_keys\{db="a\\"b"\} 1$/m);
  assert.throws(() => s.counter('bad name', 'x'), /invalid metric name/);
  assert.throws(() => s.gauge('commands_total', 'x'), /registered as counter/);
});
