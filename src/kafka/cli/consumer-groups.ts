/**
 * `nimbus kafka consumer-groups` — kafka-consumer-groups.sh over the wire:
 *   --list
 *   --describe --group G        columns GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
 *   --delete --group G
 *   --reset-offsets --group G (--topic T[:p,p] | --all-topics)
 *       (--to-earliest | --to-latest | --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z|±hh:mm] | --shift-by N | --to-offset N)
 *       [--dry-run | --execute]
 * Resetting needs an inactive group (Empty or Dead), as in Kafka; without --execute it is a dry run.
 */
import { API, KafkaClient, KafkaClientError } from './client.js';
import { decodeAssignment } from './consumer-protocol.js';
import { listOffsets } from './console-consumer.js';
import { fail, formatTable, type CliIo } from './io.js';

export interface ConsumerGroupsOptions {
  bootstrapServer: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  group?: string;
  topic?: string;
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: string;
  shiftBy?: number;
  toOffset?: number;
  dryRun?: boolean;
  execute?: boolean;
}

interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  members: { memberId: string; clientId: string; clientHost: string; memberAssignment: Buffer }[];
}

export async function runConsumerGroups(o: ConsumerGroupsOptions, io: CliIo): Promise<number> {
  const actions = [o.list, o.describe, o.delete, o.resetOffsets].filter(Boolean).length;
  if (actions !== 1) {
    io.stderr.write('Command must include exactly one action: --list, --describe, --delete, --reset-offsets\n');
    return 1;
  }
  if (!o.list && !o.group) {
    io.stderr.write('Missing required argument "[group]"\n');
    return 1;
  }
  let client: KafkaClient;
  try {
    client = await KafkaClient.connect(o.bootstrapServer, 'nimbus-consumer-groups');
  } catch (e) {
    return fail(io, 'consumer group command', e);
  }
  try {
    if (o.list) return await list(client, io);
    if (o.describe) return await describe(client, o.group!, io);
    if (o.delete) return await del(client, o.group!, io);
    return await reset(client, o, io);
  } catch (e) {
    return fail(io, 'consumer group command', e);
  } finally {
    client.close();
  }
}

async function list(c: KafkaClient, io: CliIo): Promise<number> {
  const res = await c.request<{ errorCode: number; groups: { groupId: string }[] }>(API.ListGroups, { statesFilter: [], typesFilter: [] });
  if (res.errorCode !== 0) throw new KafkaClientError(`ListGroups failed with error ${res.errorCode}`, res.errorCode);
  for (const g of res.groups.map((x) => x.groupId).sort()) io.stdout.write(`${g}\n`);
  return 0;
}

async function describeGroup(c: KafkaClient, group: string): Promise<DescribedGroup> {
  const res = await c.request<{ groups: DescribedGroup[] }>(API.DescribeGroups, { groups: [group], includeAuthorizedOperations: false });
  const g = res.groups[0];
  if (!g || g.errorCode !== 0) throw new KafkaClientError(`DescribeGroups failed with error ${g?.errorCode ?? '?'}`, g?.errorCode ?? -1);
  return g;
}

/** Committed offsets of every partition of a group: "topic\0partition" → offset. */
async function committedOffsets(c: KafkaClient, group: string): Promise<Map<string, number>> {
  const res = await c.request<{ errorCode: number; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; errorCode: number }[] }[] }>(API.OffsetFetch, {
    groupId: group,
    topics: null,
    groups: [],
    requireStable: false,
  });
  if (res.errorCode !== 0) throw new KafkaClientError(`OffsetFetch failed with error ${res.errorCode}`, res.errorCode);
  const out = new Map<string, number>();
  for (const t of res.topics) for (const p of t.partitions) if (p.committedOffset >= 0n) out.set(`${t.name}\u0000${p.partitionIndex}`, Number(p.committedOffset));
  return out;
}

async function describe(c: KafkaClient, group: string, io: CliIo): Promise<number> {
  const g = await describeGroup(c, group);
  const committed = await committedOffsets(c, group);
  if (g.groupState === 'Dead' && committed.size === 0) {
    io.stderr.write(`Error: Consumer group '${group}' does not exist.\n`);
    return 1;
  }
  const owners = new Map<string, DescribedGroup['members'][number]>();
  for (const m of g.members) {
    for (const [t, ps] of decodeAssignment(m.memberAssignment)) for (const p of ps) owners.set(`${t}\u0000${p}`, m);
  }
  const keys = [...new Set([...committed.keys(), ...owners.keys()])].map((k) => {
    const i = k.lastIndexOf('\u0000');
    return { key: k, topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
  });
  keys.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const ends = new Map<string, number>();
  for (const topic of new Set(keys.map((k) => k.topic))) {
    const offs = await listOffsets(c, topic, keys.filter((k) => k.topic === topic).map((k) => k.partition), -1);
    for (const [p, off] of offs) ends.set(`${topic}\u0000${p}`, off);
  }
  if (g.members.length === 0) io.stdout.write(`\nConsumer group '${group}' has no active members.\n\n`);
  else io.stdout.write('\n');
  const rows = keys.map(({ key, topic, partition }) => {
    const cur = committed.get(key);
    const end = ends.get(key);
    const m = owners.get(key);
    return [
      group,
      topic,
      String(partition),
      cur === undefined ? '-' : String(cur),
      end === undefined ? '-' : String(end),
      cur === undefined || end === undefined ? '-' : String(Math.max(0, end - cur)),
      m?.memberId ?? '-',
      m?.clientHost ?? '-',
      m?.clientId ?? '-',
    ];
  });
  io.stdout.write(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows));
  return 0;
}

async function del(c: KafkaClient, group: string, io: CliIo): Promise<number> {
  const res = await c.request<{ results: { groupId: string; errorCode: number }[] }>(API.DeleteGroups, { groupsNames: [group] });
  const r = res.results[0];
  if (!r || r.errorCode !== 0) {
    const why = r?.errorCode === 68 ? 'The group is not empty.' : r?.errorCode === 69 ? 'The group id does not exist.' : `error ${r?.errorCode ?? '?'}`;
    io.stderr.write(`Error: Deletion of some consumer groups failed:\n* Group '${group}' could not be deleted due to: ${why}\n`);
    return 1;
  }
  io.stdout.write(`Deletion of requested consumer groups ('${group}') was successful.\n`);
  return 0;
}

/** Parses Kafka's --to-datetime format; no zone means local time, like Kafka. */
export function parseDatetime(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (!m) throw new KafkaClientError(`Error parsing datetime ${s}: expected yyyy-MM-ddTHH:mm:SS.sss`);
  const zone = m[2] === undefined ? '' : m[2].length === 5 ? `${m[2].slice(0, 3)}:${m[2].slice(3)}` : m[2];
  const ms = Date.parse(m[1]! + zone);
  if (Number.isNaN(ms)) throw new KafkaClientError(`Error parsing datetime ${s}`);
  return ms;
}

async function reset(c: KafkaClient, o: ConsumerGroupsOptions, io: CliIo): Promise<number> {
  const group = o.group!;
  const modes = [o.toEarliest, o.toLatest, o.toDatetime !== undefined, o.shiftBy !== undefined, o.toOffset !== undefined].filter(Boolean).length;
  if (modes !== 1) {
    io.stderr.write('Option --reset-offsets needs exactly one of --to-earliest, --to-latest, --to-datetime, --shift-by, --to-offset\n');
    return 1;
  }
  if (!o.topic && !o.allTopics) {
    io.stderr.write('Option --reset-offsets needs --topic or --all-topics\n');
    return 1;
  }
  const g = await describeGroup(c, group);
  if (g.groupState !== 'Empty' && g.groupState !== 'Dead') {
    io.stderr.write(`Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${g.groupState}.\n`);
    return 1;
  }
  const committed = await committedOffsets(c, group);
  const targets = await resetTargets(c, o, committed);
  const plan: { topic: string; partition: number; offset: number }[] = [];
  for (const { topic, partitions } of targets) {
    const earliest = await listOffsets(c, topic, partitions, -2);
    const latest = await listOffsets(c, topic, partitions, -1);
    const byTime = o.toDatetime !== undefined ? await listOffsets(c, topic, partitions, parseDatetime(o.toDatetime)) : null;
    for (const p of partitions) {
      const lo = earliest.get(p)!;
      const hi = latest.get(p)!;
      let off: number;
      if (o.toEarliest) off = lo;
      else if (o.toLatest) off = hi;
      else if (byTime) off = byTime.get(p)! < 0 ? hi : byTime.get(p)!;
      else if (o.toOffset !== undefined) off = o.toOffset;
      else off = (committed.get(`${topic}\u0000${p}`) ?? hi) + o.shiftBy!;
      plan.push({ topic, partition: p, offset: Math.min(hi, Math.max(lo, off)) });
    }
  }
  if (!o.execute && !o.dryRun) {
    io.stderr.write('WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n');
  }
  if (o.execute) {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string }[]>();
    for (const x of plan) {
      let l = byTopic.get(x.topic);
      if (!l) byTopic.set(x.topic, (l = []));
      l.push({ partitionIndex: x.partition, committedOffset: BigInt(x.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' });
    }
    const res = await c.request<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }>(API.OffsetCommit, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    const bad = res.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== 0).map((p) => `${t.name}-${p.partitionIndex}: error ${p.errorCode}`));
    if (bad.length > 0) throw new KafkaClientError(`OffsetCommit failed for ${bad.join(', ')}`);
  }
  io.stdout.write('\n' + formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((x) => [group, x.topic, String(x.partition), String(x.offset)])));
  return 0;
}

/** --topic T (all partitions), --topic T:0,2, or --all-topics (the group's committed topics). */
async function resetTargets(c: KafkaClient, o: ConsumerGroupsOptions, committed: Map<string, number>): Promise<{ topic: string; partitions: number[] }[]> {
  if (o.allTopics) {
    const byTopic = new Map<string, number[]>();
    for (const k of committed.keys()) {
      const i = k.lastIndexOf('\u0000');
      const t = k.slice(0, i);
      byTopic.set(t, [...(byTopic.get(t) ?? []), Number(k.slice(i + 1))]);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }
  const [topic, spec] = o.topic!.split(':') as [string, string | undefined];
  if (spec !== undefined) {
    const partitions = spec.split(',').map((x) => Number(x.trim()));
    if (partitions.some((p) => !Number.isInteger(p) || p < 0)) throw new KafkaClientError(`bad partition list in --topic ${o.topic}`);
    return [{ topic, partitions }];
  }
  const md = await c.request<{ topics: { errorCode: number; partitions: { partitionIndex: number }[] }[] }>(API.Metadata, {
    topics: [{ name: topic }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const t = md.topics[0];
  if (!t || t.errorCode !== 0) throw new KafkaClientError(`Topic '${topic}' does not exist`, t?.errorCode ?? 3);
  return [{ topic, partitions: t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b) }];
}
