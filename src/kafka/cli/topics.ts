/**
 * `nimbus kafka topics` — kafka-topics.sh over the wire:
 *   --create --topic T [--partitions N] [--replication-factor R] [--config k=v]... [--if-not-exists]
 *   --list | --describe [--topic T] | --alter --topic T --partitions N | --delete --topic T [--if-exists]
 * Output formats follow Kafka 3.x (`Created topic T.`, the tab-separated describe lines).
 */
import { API, KafkaClient, KafkaClientError, uuidToBase64 } from './client.js';
import { fail, type CliIo } from './io.js';

export interface TopicsOptions {
  bootstrapServer: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  alter?: boolean;
  delete?: boolean;
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  config?: string[];
  ifNotExists?: boolean;
  ifExists?: boolean;
}

interface MetaTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: { errorCode: number; partitionIndex: number; leaderId: number; replicaNodes: number[]; isrNodes: number[] }[];
}

const TOPIC_CONFIG_SOURCE = 1;

export async function runTopics(o: TopicsOptions, io: CliIo): Promise<number> {
  const actions = [o.create, o.list, o.describe, o.alter, o.delete].filter(Boolean).length;
  if (actions !== 1) {
    io.stderr.write('Command must include exactly one action: --list, --describe, --create, --alter or --delete\n');
    return 1;
  }
  if ((o.create || o.alter || o.delete) && !o.topic) {
    io.stderr.write('Missing required argument "[topic]"\n');
    return 1;
  }
  let client: KafkaClient;
  try {
    client = await KafkaClient.connect(o.bootstrapServer, 'nimbus-kafka-topics');
  } catch (e) {
    return fail(io, 'topic command', e);
  }
  try {
    if (o.create) return await create(client, o, io);
    if (o.list) return await list(client, io);
    if (o.describe) return await describe(client, o, io);
    if (o.alter) return await alter(client, o, io);
    return await del(client, o, io);
  } catch (e) {
    return fail(io, 'topic command', e);
  } finally {
    client.close();
  }
}

function parseConfigs(list: readonly string[] = []): { name: string; value: string }[] {
  return list.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new KafkaClientError(`Invalid config ${kv}: expected key=value`);
    return { name: kv.slice(0, i), value: kv.slice(i + 1) };
  });
}

async function create(c: KafkaClient, o: TopicsOptions, io: CliIo): Promise<number> {
  const res = await c.request<{ topics: { name: string; errorCode: number; errorMessage: string | null }[] }>(API.CreateTopics, {
    topics: [{ name: o.topic!, numPartitions: o.partitions ?? -1, replicationFactor: o.replicationFactor ?? -1, assignments: [], configs: parseConfigs(o.config) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const r = res.topics[0]!;
  if (r.errorCode === 36 && o.ifNotExists) return 0;
  if (r.errorCode !== 0) throw new KafkaClientError(r.errorMessage ?? `error code ${r.errorCode}`, r.errorCode);
  io.stdout.write(`Created topic ${o.topic}.\n`);
  return 0;
}

async function metadata(c: KafkaClient, topics: string[] | null): Promise<MetaTopic[]> {
  const res = await c.request<{ topics: MetaTopic[] }>(API.Metadata, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return res.topics;
}

async function list(c: KafkaClient, io: CliIo): Promise<number> {
  const topics = await metadata(c, null);
  for (const n of topics.map((t) => t.name ?? '').sort()) io.stdout.write(`${n}\n`);
  return 0;
}

async function topicConfigs(c: KafkaClient, name: string): Promise<string> {
  const res = await c.request<{ results: { errorCode: number; configs: { name: string; value: string | null; configSource: number; isDefault: boolean }[] }[] }>(
    API.DescribeConfigs,
    { resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false },
  );
  const r = res.results[0];
  if (!r || r.errorCode !== 0) return '';
  return r.configs
    .filter((x) => x.configSource === TOPIC_CONFIG_SOURCE || (x.configSource === -1 && !x.isDefault))
    .map((x) => `${x.name}=${x.value ?? ''}`)
    .join(',');
}

async function describe(c: KafkaClient, o: TopicsOptions, io: CliIo): Promise<number> {
  const topics = await metadata(c, o.topic ? [o.topic] : null);
  const missing = topics.find((t) => t.errorCode === 3);
  if (o.topic && missing) throw new KafkaClientError(`Topic '${o.topic}' does not exist as expected`, 3);
  for (const t of topics.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1))) {
    const name = t.name ?? '';
    const rf = t.partitions[0]?.replicaNodes.length ?? 0;
    const configs = await topicConfigs(c, name);
    io.stdout.write(`Topic: ${name}\tTopicId: ${uuidToBase64(t.topicId)}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configs}\n`);
    for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
      io.stdout.write(`\tTopic: ${name}\tPartition: ${p.partitionIndex}\tLeader: ${p.leaderId < 0 ? 'none' : p.leaderId}\tReplicas: ${p.replicaNodes.join(',')}\tIsr: ${p.isrNodes.join(',')}\n`);
    }
  }
  return 0;
}

async function alter(c: KafkaClient, o: TopicsOptions, io: CliIo): Promise<number> {
  if (o.partitions === undefined) {
    io.stderr.write('--alter needs --partitions (configs are changed with kafka-configs, not supported here)\n');
    return 1;
  }
  const [t] = await metadata(c, [o.topic!]);
  if (!t || t.errorCode !== 0) throw new KafkaClientError(`Topic '${o.topic}' does not exist as expected`, 3);
  const res = await c.request<{ results: { errorCode: number; errorMessage: string | null }[] }>(API.CreatePartitions, {
    topics: [{ name: o.topic!, count: o.partitions, assignments: null }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const r = res.results[0]!;
  if (r.errorCode !== 0) throw new KafkaClientError(r.errorMessage ?? `error code ${r.errorCode}`, r.errorCode);
  return 0;
}

async function del(c: KafkaClient, o: TopicsOptions, io: CliIo): Promise<number> {
  const res = await c.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(API.DeleteTopics, {
    topics: [{ name: o.topic!, topicId: '00000000-0000-0000-0000-000000000000' }],
    topicNames: [o.topic!],
    timeoutMs: 30_000,
  });
  const r = res.responses[0]!;
  if (r.errorCode === 3) {
    if (o.ifExists) return 0;
    throw new KafkaClientError(`Topic '${o.topic}' does not exist as expected`, 3);
  }
  if (r.errorCode !== 0) throw new KafkaClientError(r.errorMessage ?? `error code ${r.errorCode}`, r.errorCode);
  void io;
  return 0;
}
