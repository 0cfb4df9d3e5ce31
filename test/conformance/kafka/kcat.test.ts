/**
 * kcat 1.7.1 (librdkafka 2.0.2) against Nimbus: -L metadata; -P/-C with every codec
 * (gzip, snappy, lz4, zstd), keys and headers; -o beginning, end and -N; -G balanced consumer
 * groups. The batches kcat wrote are also decoded by our own records codec, which checks our
 * snappy/lz4/zstd decoders against librdkafka's encoders.
 * kcat runs as a child process (async spawn: the broker lives in this process's event loop).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { findTool, requireTool } from '../../helpers/tools.js';
import { decodeRecordSet } from '../../../src/kafka/protocol/records.js';
import type { KafkaEngine } from '../../../src/kafka/engine/engine.js';
import { startBroker, waitFor, type TestBroker } from './broker.js';
import type { LazyService } from '../../../src/platform/lazy-service.js';
import type { KafkaService } from '../../../src/kafka/index.js';

let broker: TestBroker;

before(async () => {
  if (findTool('kcat')) broker = await startBroker();
});
after(async () => {
  await broker?.close();
});

function engine(): KafkaEngine {
  const engine = (broker.standalone.service as LazyService<KafkaService>).loaded?.kafkaEngine;
  assert.ok(engine, 'the broker is running');
  return engine;
}

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

function kcat(args: string[], input?: string, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn('kcat', ['-b', broker.address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    p.stdin.end(input ?? '');
  });
}

function lines(n: number, prefix: string): string {
  return Array.from({ length: n }, (_, i) => `key${i}:${prefix}-${i}`).join('\n') + '\n';
}

function skipWithoutKcat(t: TestContext): boolean {
  return requireTool(t, 'kcat') === null;
}

test('-L shows this broker and the topics', async (t) => {
  if (skipWithoutKcat(t)) return;
  await kcat(['-P', '-t', 'listed'], 'x\n');
  const r = await kcat(['-L']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`broker 1 at ${broker.address.replace('.', '\\.')} \\(controller\\)`));
  assert.match(r.stdout, /topic "listed" with 1 partitions:/);
});

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`-P -z ${codec} with keys and headers, -C reads them back`, async (t) => {
    if (skipWithoutKcat(t)) return;
    const topic = `codec-${codec}`;
    const p = await kcat(
      ['-P', '-t', topic, '-z', codec, '-K', ':', '-H', 'origin=kcat', '-H', 'codec=' + codec],
      lines(200, codec),
    );
    assert.equal(p.code, 0, p.stderr);
    const c = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%h\n']);
    assert.equal(c.code, 0, c.stderr);
    const got = c.stdout.trim().split('\n');
    assert.equal(got.length, 200);
    got.forEach((l, i) => assert.equal(l, `key${i}|${codec}-${i}|origin=kcat,codec=${codec}`));
    // Our decoder reads what librdkafka wrote, compressed as it chose.
    const read = engine().read(topic, 0, 0, 10 * 1024 * 1024);
    const batches = decodeRecordSet(read.records);
    const codecId = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec];
    // librdkafka may send a lone first message uncompressed; everything else keeps its codec.
    assert.ok(
      batches.some((b) => (b.header.attributes & 7) === codecId),
      'stored as produced',
    );
    assert.ok(batches.every((b) => [0, codecId].includes(b.header.attributes & 7)));
    const recs = batches.flatMap((b) => b.records);
    assert.equal(recs.length, 200);
    assert.equal(recs[7]?.key?.toString(), 'key7');
    assert.equal(recs[7]?.value?.toString(), `${codec}-7`);
    assert.deepEqual(
      recs[7]?.headers.map((h) => `${h.key}=${h.value?.toString()}`),
      ['origin=kcat', `codec=${codec}`],
    );
  });
}

test('-o -N reads the last N, -o end only what comes after', async (t) => {
  if (skipWithoutKcat(t)) return;
  await kcat(['-P', '-t', 'offsets'], Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n') + '\n');
  const last = await kcat(['-C', '-t', 'offsets', '-o', '-3', '-e', '-q']);
  assert.deepEqual(last.stdout.trim().split('\n'), ['m17', 'm18', 'm19']);
  const tail = kcat(['-C', '-t', 'offsets', '-o', 'end', '-c', '2', '-q']);
  // Give the consumer time to resolve "end" before producing.
  await new Promise((r) => setTimeout(r, 1500));
  await kcat(['-P', '-t', 'offsets'], 'late1\nlate2\n');
  const r = await tail;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['late1', 'late2']);
});

test('-G balanced consumer group: two members split the partitions, each message once', async (t) => {
  if (skipWithoutKcat(t)) return;
  await engine().createTopic({ name: 'balanced', numPartitions: 4, replicationFactor: 1 });
  const procs: ChildProcess[] = [];
  const outputs: string[] = ['', ''];
  for (let i = 0; i < 2; i++) {
    const p = spawn(
      'kcat',
      [
        '-b',
        broker.address,
        '-G',
        'kcat-group',
        '-X',
        'auto.offset.reset=earliest',
        '-q',
        '-u',
        '-f',
        '%p:%o\n',
        'balanced',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout!.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    procs.push(p);
  }
  try {
    await waitFor(
      () => {
        const g = engine().groups.describeGroup('kcat-group');
        return g.state === 'Stable' && g.members.length === 2;
      },
      20_000,
      'both kcat members in a stable group',
    );
    const msgs = Array.from({ length: 100 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
    await kcat(['-P', '-t', 'balanced', '-K', ':'], msgs);
    const all = (): string[] =>
      outputs.flatMap((o) =>
        o
          .trim()
          .split('\n')
          .filter((l) => l !== ''),
      );
    await waitFor(() => all().length >= 100, 20_000, '100 messages consumed');
    assert.equal(new Set(all()).size, 100, 'no duplicates');
    assert.equal(all().length, 100);
    const parts = outputs.map(
      (o) =>
        new Set(
          o
            .trim()
            .split('\n')
            .filter((l) => l)
            .map((l) => l.split(':')[0]),
        ),
    );
    assert.ok(parts[0]!.size > 0 && parts[1]!.size > 0, 'both members consumed');
    for (const p of parts[0]!) assert.ok(!parts[1]!.has(p), `partition ${p} owned by one member`);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.on('close', r)))),
    );
  }
});
