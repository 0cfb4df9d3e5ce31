/**
 * Proves the `nimbus kafka` tools against the real broker (startStandalone(kafkaService), real
 * sockets): topics create/list/describe/alter (increase only, Kafka's error on decrease)/delete;
 * console-producer partitions keys with Java's murmur2 and keyless lines stickily; console-consumer
 * reads from the beginning, prints keys, and with --group commits so a second run resumes;
 * consumer-groups --list/--describe (Kafka's columns, lag) and every --reset-offsets variant with
 * --dry-run and --execute; and the commander wiring of registerKafkaCli.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { startStandalone } from '../../platform/testing.js';
import { kafkaService } from '../index.js';
import { murmur2, partitionForKey } from './client.js';
import { runConsoleConsumer } from './console-consumer.js';
import { StickyPartitioner, runConsoleProducer } from './console-producer.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, rangeAssign } from './consumer-protocol.js';
import { parseDatetime, runConsumerGroups } from './consumer-groups.js';
import { registerKafkaCli } from './index.js';
import { runTopics } from './topics.js';

function io(input: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdin: Readable.from(input), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

test('murmur2 matches the Java client; sticky partitioning; consumer protocol; datetimes', () => {
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of cases) assert.equal(murmur2(Buffer.from(s)), h, s);
  assert.equal(partitionForKey(Buffer.from('21'), 7), (-973932308 & 0x7fffffff) % 7);
  let r = 0;
  const sticky = new StickyPartitioner(4, () => [0.1, 0.6, 0.6][r++ % 3]!);
  const first = sticky.next(10_000);
  assert.equal(sticky.next(7_000), first, 'stays until batch.size bytes');
  const second = sticky.next(100);
  assert.notEqual(second, first, 'then moves on');
  assert.equal(sticky.next(100), second);
  assert.deepEqual(decodeSubscription(encodeSubscription(['a', 'bé'])), ['a', 'bé']);
  assert.deepEqual([...decodeAssignment(encodeAssignment(new Map([['t', [0, 2]]])))], [['t', [0, 2]]]);
  assert.deepEqual(decodeSubscription(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 5])), [], 'truncated input is safe');
  const plan = rangeAssign([{ memberId: 'b', topics: ['t'] }, { memberId: 'a', topics: ['t'] }], new Map([['t', 5]]));
  assert.deepEqual(plan.get('a')!.get('t'), [0, 1, 2]);
  assert.deepEqual(plan.get('b')!.get('t'), [3, 4]);
  assert.equal(parseDatetime('2024-01-02T03:04:05.006Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 6));
  assert.equal(parseDatetime('2024-01-02T03:04:05+01:00'), Date.UTC(2024, 0, 2, 2, 4, 5));
  assert.throws(() => parseDatetime('yesterday'));
});

test('the tools against a real broker', async () => {
  const s = await startStandalone(kafkaService, {});
  const bs = Object.values(s.service.endpoints())[0]!.replace('kafka://', '');
  try {
    // --- topics
    let r = io();
    assert.equal(await runTopics({ bootstrapServer: bs, create: true, topic: 'orders', partitions: 3, replicationFactor: 1, config: ['retention.ms=60000'] }, r.io), 0);
    assert.equal(r.out(), 'Created topic orders.\n');
    r = io();
    assert.equal(await runTopics({ bootstrapServer: bs, create: true, topic: 'orders', partitions: 3 }, r.io), 1);
    assert.match(r.err(), /^Error while executing topic command : Topic 'orders' already exists\.\n$/);
    assert.equal(await runTopics({ bootstrapServer: bs, create: true, topic: 'orders', partitions: 3, ifNotExists: true }, io().io), 0);
    r = io();
    assert.equal(await runTopics({ bootstrapServer: bs, alter: true, topic: 'orders', partitions: 2 }, r.io), 1);
    assert.match(r.err(), /Topic currently has 3 partitions, which is higher than the requested 2\./);
    assert.equal(await runTopics({ bootstrapServer: bs, alter: true, topic: 'orders', partitions: 4 }, io().io), 0);
    r = io();
    await runTopics({ bootstrapServer: bs, describe: true, topic: 'orders' }, r.io);
    const lines = r.out().trimEnd().split('\n');
    assert.match(lines[0]!, /^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 4\tReplicationFactor: 1\tConfigs: retention\.ms=60000$/);
    assert.notEqual(lines[0]!.split('\t')[1], 'TopicId: AAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(lines[4], '\tTopic: orders\tPartition: 3\tLeader: 1\tReplicas: 1\tIsr: 1');
    await runTopics({ bootstrapServer: bs, create: true, topic: 'gone', partitions: 1 }, io().io);
    assert.equal(await runTopics({ bootstrapServer: bs, delete: true, topic: 'gone' }, io().io), 0);
    r = io();
    await runTopics({ bootstrapServer: bs, list: true }, r.io);
    assert.equal(r.out(), 'orders\n');

    // --- console-producer: keys by murmur2, keyless sticky
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    r = io(keys.map((k, i) => `${k}:v${i}\n`));
    assert.equal(await runConsoleProducer({ bootstrapServer: bs, topic: 'orders', property: ['parse.key=true', 'key.separator=:'] }, r.io), 0, r.err());
    r = io(['no-separator\n']);
    assert.equal(await runConsoleProducer({ bootstrapServer: bs, topic: 'orders', property: ['parse.key=true', 'key.separator=:'] }, r.io), 1);
    assert.match(r.err(), /No key separator found on line number 1/);
    assert.equal(await runConsoleProducer({ bootstrapServer: bs, topic: 'orders' }, io(['k1\n', 'k2\n', 'k3\n']).io), 0);

    // --- console-consumer without group: everything, with keys and partitions
    r = io();
    assert.equal(await runConsoleConsumer({ bootstrapServer: bs, topic: 'orders', fromBeginning: true, property: ['print.key=true', 'print.partition=true'], maxMessages: 9 }, r.io), 0);
    const got = r.out().trimEnd().split('\n').map((l) => l.split('\t'));
    assert.equal(got.length, 9);
    for (const [i, k] of keys.entries()) {
      const row = got.find((g) => g[1] === k)!;
      assert.equal(row[0], `Partition:${partitionForKey(Buffer.from(k), 4)}`, `key ${k}`);
      assert.equal(row[2], `v${i}`);
    }
    const keyless = got.filter((g) => g[1] === 'null');
    assert.equal(new Set(keyless.map((g) => g[0])).size, 1, 'keyless lines stick to one partition');
    assert.match(r.err(), /Processed a total of 9 messages/);

    // --- console-consumer with a group: commits, and a second run resumes
    r = io();
    await runConsoleConsumer({ bootstrapServer: bs, topic: 'orders', fromBeginning: true, group: 'g1', maxMessages: 9 }, r.io);
    assert.equal(r.out().trimEnd().split('\n').length, 9);
    assert.equal(await runConsoleProducer({ bootstrapServer: bs, topic: 'orders', property: ['parse.key=true'] }, io(['late\tnews\n']).io), 0);
    r = io();
    await runConsoleConsumer({ bootstrapServer: bs, topic: 'orders', fromBeginning: true, group: 'g1', maxMessages: 1, timeoutMs: 5000 }, r.io);
    assert.equal(r.out(), 'news\n', 'resumes after the committed offsets');

    // --- consumer-groups
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, list: true }, r.io);
    assert.equal(r.out(), 'g1\n');
    await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g1', topic: 'orders', toEarliest: true, execute: true }, io().io);
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, describe: true, group: 'g1' }, r.io);
    const table = r.out().split('\n').filter((l) => l.startsWith('GROUP') || l.startsWith('g1'));
    assert.deepEqual(table[0]!.split(/\s+/), ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
    assert.match(r.out(), /Consumer group 'g1' has no active members\./);
    let lagSum = 0;
    for (const row of table.slice(1)) {
      const [, topic, , cur, end, lag, member] = row.split(/\s+/);
      assert.equal(topic, 'orders');
      assert.equal(Number(lag), Number(end) - Number(cur));
      assert.equal(cur, '0');
      assert.equal(member, '-');
      lagSum += Number(lag);
    }
    assert.equal(lagSum, 10);
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g1', topic: 'orders:0,1', toLatest: true, dryRun: true }, r.io);
    assert.match(r.out(), /GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET/);
    assert.equal(r.out().trim().split('\n').length, 3);
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, describe: true, group: 'g1' }, r.io);
    assert.ok(!/g1\s+orders\s+\d\s+[1-9]/.test(r.out()), 'dry run changed nothing');
    await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g1', allTopics: true, shiftBy: 1, execute: true }, io().io);
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g1', allTopics: true, shiftBy: -5, dryRun: true }, r.io);
    assert.ok(r.out().split('\n').filter((l) => l.startsWith('g1')).every((l) => l.trim().endsWith(' 0')), 'shift clamps at the earliest offset');
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g1', allTopics: true, toDatetime: '2999-01-01T00:00:00.000', execute: true }, r.io);
    const rows = r.out().split('\n').filter((l) => l.startsWith('g1')).map((l) => l.trim().split(/\s+/));
    r = io();
    await runConsumerGroups({ bootstrapServer: bs, describe: true, group: 'g1' }, r.io);
    assert.ok(r.out().split('\n').filter((l) => l.startsWith('g1')).every((l) => l.split(/\s+/)[5] === '0'), 'future datetime = latest, no lag');
    assert.equal(rows.length, 4);
    r = io();
    assert.equal(await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g1', topic: 'orders', toEarliest: true }, r.io), 0);
    assert.match(r.err(), /No action will be performed as the --execute option is missing/);

    // --- a live member shows in --describe; resetting an active group is refused
    const ac = new AbortController();
    const live = io();
    const running = runConsoleConsumer({ bootstrapServer: bs, topic: 'orders', group: 'g2', fromBeginning: true }, { ...live.io, signal: ac.signal });
    let described = '';
    for (let i = 0; i < 100 && !/console-consumer-/.test(described); i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = io();
      await runConsumerGroups({ bootstrapServer: bs, describe: true, group: 'g2' }, r.io);
      described = r.out();
    }
    const liveRows = described.split('\n').filter((l) => l.startsWith('g2')).map((l) => l.split(/\s+/));
    assert.equal(liveRows.length, 4, described);
    for (const row of liveRows) {
      assert.match(row[6]!, /^console-consumer-/);
      assert.equal(row[7], '/127.0.0.1');
      assert.equal(row[8], 'console-consumer');
    }
    r = io();
    assert.equal(await runConsumerGroups({ bootstrapServer: bs, resetOffsets: true, group: 'g2', allTopics: true, toEarliest: true, execute: true }, r.io), 1);
    assert.match(r.err(), /Assignments can only be reset if the group 'g2' is inactive, but the current state is Stable\./);
    ac.abort();
    assert.equal(await running, 0);
    assert.equal(live.out().trimEnd().split('\n').length, 10, 'it printed the whole topic');

    // --- commander wiring
    const program = new Command().exitOverride();
    registerKafkaCli(program);
    const saved = process.exitCode;
    await program.parseAsync(['kafka', 'topics', '--bootstrap-server', bs, '--create', '--topic', 'wired', '--partitions', '2', '--replication-factor', '1', '--config', 'retention.ms=5000', '--config', 'segment.ms=100000'], { from: 'user' });
    assert.equal(process.exitCode ?? 0, 0);
    process.exitCode = saved;
    r = io();
    await runTopics({ bootstrapServer: bs, describe: true, topic: 'wired' }, r.io);
    assert.match(r.out(), /PartitionCount: 2\tReplicationFactor: 1\tConfigs: (retention\.ms=5000,segment\.ms=100000|segment\.ms=100000,retention\.ms=5000)/);
  } finally {
    await s.close();
  }
});
