/**
 * python3-confluent-kafka (Debian's 1.7.0 binding over librdkafka 2.0.2) against Nimbus:
 * an idempotent producer (acks=all, enable.idempotence) whose records a group consumer reads back
 * exactly once and commits; and a transactional producer, which must fail fast and fatally with
 * Nimbus's "transactions are not supported" error instead of hanging. Skipped when the Debian
 * package is missing (the Debian python is /usr/bin/python3, not a pyenv shim).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startBroker, type TestBroker } from './broker.js';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
let broker: TestBroker;

before(async () => {
  if (available) broker = await startBroker();
});
after(async () => {
  await broker?.close();
});

function python(
  script: string,
  timeoutMs = 30_000,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, ['-c', script, broker.address], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`python timed out; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

const IDEMPOTENT = `
import sys, json
from confluent_kafka import Producer, Consumer
b = sys.argv[1]
p = Producer({'bootstrap.servers': b, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 2})
errors = []
acked = []
def report(err, msg):
    if err: errors.append(str(err))
    else: acked.append(msg.offset())
for i in range(300):
    p.produce('py-idem', key=str(i).encode(), value=('v%d' % i).encode(), headers=[('n', str(i).encode())], on_delivery=report)
    if i % 50 == 0: p.poll(0)
left = p.flush(15)
c = Consumer({'bootstrap.servers': b, 'group.id': 'py-group', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['py-idem'])
seen = []
import time
deadline = time.time() + 20
while len(seen) < 300 and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error(): continue
    seen.append((m.key().decode(), m.value().decode(), dict(m.headers() or [])['n'].decode()))
c.commit(asynchronous=False)
committed = c.committed(c.assignment(), timeout=10)
c.close()
print(json.dumps({'left': left, 'errors': errors, 'acked': len(acked), 'seen': len(seen),
  'distinct': len(set(seen)), 'ok': all(k == n and v == 'v' + k for k, v, n in seen),
  'committed': sum(tp.offset for tp in committed)}))
`;

const TRANSACTIONAL = `
import sys, json
from confluent_kafka import Producer, KafkaException
t = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'tx-1'})
try:
    t.init_transactions(10)
    print(json.dumps({'initialized': True}))
except KafkaException as e:
    err = e.args[0]
    print(json.dumps({'initialized': False, 'code': err.code(), 'fatal': err.fatal(), 'message': err.str()}))
`;

test(
  'idempotent producer, group consumer, commit',
  { skip: !available && 'python3-confluent-kafka is not installed' },
  async () => {
    const r = await python(IDEMPOTENT);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.deepEqual(out, {
      left: 0,
      errors: [],
      acked: 300,
      seen: 300,
      distinct: 300,
      ok: true,
      committed: 300,
    });
  },
);

test(
  'transactional producer fails fast with a fatal "not supported" error',
  { skip: !available && 'python3-confluent-kafka is not installed' },
  async () => {
    const started = Date.now();
    const r = await python(TRANSACTIONAL);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      initialized: boolean;
      code: number;
      fatal: boolean;
      message: string;
    };
    assert.equal(out.initialized, false);
    assert.equal(out.code, 53);
    assert.equal(out.fatal, true);
    assert.match(out.message, /transactions are not supported by Nimbus/);
    assert.ok(Date.now() - started < 9000, 'no waiting for the 10 s timeout');
  },
);

const COOPERATIVE = `
import sys, time, json, threading
from confluent_kafka import Producer, Consumer
from confluent_kafka.admin import AdminClient, NewTopic
b = sys.argv[1]
adm = AdminClient({'bootstrap.servers': b})
adm.create_topics([NewTopic('coop', 4, 1)])['coop'].result()
def mk(name):
    return Consumer({'bootstrap.servers': b, 'group.id': 'coop-g', 'partition.assignment.strategy': 'cooperative-sticky', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300})
c1 = mk('c1'); c1.subscribe(['coop'])
t0 = time.time()
while time.time() - t0 < 5 and len(c1.assignment()) < 4: c1.poll(0.1)
a1 = len(c1.assignment())
c2 = mk('c2'); c2.subscribe(['coop'])
t0 = time.time()
while time.time() - t0 < 15 and not (len(c1.assignment()) == 2 and len(c2.assignment()) == 2):
    c1.poll(0.05); c2.poll(0.05)
print(json.dumps({'first': a1, 'c1': sorted(p.partition for p in c1.assignment()), 'c2': sorted(p.partition for p in c2.assignment()), 'secs': round(time.time() - t0, 1)}))
c2.close(); c1.close()
`;

test(
  'AdminClient creates a topic; cooperative-sticky consumers rebalance incrementally',
  { skip: !available && 'python3-confluent-kafka is not installed' },
  async () => {
    const r = await python(COOPERATIVE);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      first: number;
      c1: number[];
      c2: number[];
    };
    assert.equal(out.first, 4, 'a lone member owns all four partitions');
    assert.equal(out.c1.length, 2);
    assert.equal(out.c2.length, 2);
    assert.deepEqual([...out.c1, ...out.c2].sort(), [0, 1, 2, 3]);
  },
);
