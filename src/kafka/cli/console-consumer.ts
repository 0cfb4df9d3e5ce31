/**
 * `nimbus kafka console-consumer` — kafka-console-consumer.sh over the wire.
 *   --topic T [--from-beginning] [--group G] [--partition P] [--offset earliest|latest|N]
 *   [--property print.key=true|print.timestamp|print.partition|print.offset|print.headers|print.value|key.separator=S]
 *   [--max-messages N] [--timeout-ms MS]
 * Without --group it reads every partition (or --partition) directly. With --group it joins the
 * group with the classic protocol (range assignor when it leads), starts from the committed offset
 * (else earliest with --from-beginning, latest otherwise, like auto.offset.reset), heartbeats,
 * follows rebalances, and commits what it printed (every second and on exit), then leaves.
 */
import { decodeRecordSet } from '../protocol/records.js';
import { API, KafkaClient, KafkaClientError } from './client.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, rangeAssign } from './consumer-protocol.js';
import { parseProperties, partitionCount } from './console-producer.js';
import { fail, sleep, type CliIo } from './io.js';

export const FETCH_MAX_WAIT_MS = 500;
export const FETCH_MAX_BYTES = 52_428_800;
export const PARTITION_FETCH_MAX_BYTES = 1_048_576;
export const SESSION_TIMEOUT_MS = 45_000;
export const REBALANCE_TIMEOUT_MS = 300_000;
export const HEARTBEAT_INTERVAL_MS = 3000;
export const COMMIT_INTERVAL_MS = 1000;
const E_MEMBER_ID_REQUIRED = 79;
const E_REBALANCE_IN_PROGRESS = 27;
const E_OFFSET_OUT_OF_RANGE = 1;

export interface ConsoleConsumerOptions {
  bootstrapServer: string;
  topic: string;
  fromBeginning?: boolean;
  group?: string;
  partition?: number;
  offset?: string;
  property?: string[];
  maxMessages?: number;
  timeoutMs?: number;
}

interface Format {
  key: boolean;
  value: boolean;
  timestamp: boolean;
  partition: boolean;
  offset: boolean;
  headers: boolean;
  keySeparator: string;
}

interface FetchPartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  records: Buffer | null;
}

export async function runConsoleConsumer(o: ConsoleConsumerOptions, io: CliIo): Promise<number> {
  let client: KafkaClient;
  let format: Format;
  try {
    const p = parseProperties(o.property);
    format = {
      key: p.get('print.key') === 'true',
      value: p.get('print.value') !== 'false',
      timestamp: p.get('print.timestamp') === 'true',
      partition: p.get('print.partition') === 'true',
      offset: p.get('print.offset') === 'true',
      headers: p.get('print.headers') === 'true',
      keySeparator: p.get('key.separator') ?? '\t',
    };
    client = await KafkaClient.connect(o.bootstrapServer, 'console-consumer');
  } catch (e) {
    return fail(io, 'console consumer', e);
  }
  const c = new Consumer(client, o, format, io);
  try {
    await c.run();
    io.stderr.write(`Processed a total of ${c.printed} messages\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`Processed a total of ${c.printed} messages\n`);
    return fail(io, 'console consumer', e);
  } finally {
    client.close();
  }
}

class Consumer {
  printed = 0;
  /** partition → next offset to read */
  private positions = new Map<number, number>();
  private committed = new Map<number, number>();
  private memberId = '';
  private generationId = -1;
  private needsRejoin = false;
  private lastHeartbeat = 0;
  private lastCommit = 0;
  private lastMessageAt = Date.now();

  constructor(
    private readonly client: KafkaClient,
    private readonly o: ConsoleConsumerOptions,
    private readonly f: Format,
    private readonly io: CliIo,
  ) {}

  async run(): Promise<void> {
    const partitions = await partitionCount(this.client, this.o.topic);
    if (this.o.group) await this.joinGroup(partitions);
    else await this.assignDirect(partitions);
    try {
      while (!this.done()) {
        if (this.o.group) await this.groupDuties(partitions);
        if (this.positions.size === 0) {
          await sleep(FETCH_MAX_WAIT_MS, this.io.signal);
          continue;
        }
        await this.fetchOnce();
      }
    } finally {
      if (this.o.group && this.generationId >= 0) await this.leave();
    }
  }

  private done(): boolean {
    if (this.io.signal?.aborted) return true;
    if (this.o.maxMessages !== undefined && this.printed >= this.o.maxMessages) return true;
    return this.o.timeoutMs !== undefined && Date.now() - this.lastMessageAt >= this.o.timeoutMs;
  }

  private async assignDirect(partitions: number): Promise<void> {
    const list = this.o.partition !== undefined ? [this.o.partition] : Array.from({ length: partitions }, (_, i) => i);
    if (this.o.partition !== undefined && (this.o.partition < 0 || this.o.partition >= partitions)) {
      throw new KafkaClientError(`partition ${this.o.partition} does not exist in ${this.o.topic}`);
    }
    const spec = this.o.offset ?? (this.o.fromBeginning ? 'earliest' : 'latest');
    if (/^\d+$/.test(spec)) {
      for (const p of list) this.positions.set(p, Number(spec));
      return;
    }
    if (spec !== 'earliest' && spec !== 'latest') throw new KafkaClientError(`--offset must be earliest, latest or a number`);
    const offs = await listOffsets(this.client, this.o.topic, list, spec === 'earliest' ? -2 : -1);
    for (const [p, off] of offs) this.positions.set(p, off);
  }

  // ---- group membership ------------------------------------------------------------------

  private async joinGroup(partitions: number): Promise<void> {
    for (;;) {
      const res = await this.client.request<{ errorCode: number; generationId: number; protocolName: string | null; leader: string; memberId: string; members: { memberId: string; metadata: Buffer }[] }>(API.JoinGroup, {
        groupId: this.o.group!,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription([this.o.topic]) }],
        reason: null,
      });
      if (res.errorCode === E_MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode === 25 /* UNKNOWN_MEMBER_ID */) {
        this.memberId = '';
        continue;
      }
      if (res.errorCode === E_REBALANCE_IN_PROGRESS) continue;
      if (res.errorCode !== 0) throw new KafkaClientError(`JoinGroup failed with error ${res.errorCode}`, res.errorCode);
      this.memberId = res.memberId;
      this.generationId = res.generationId;
      const assignments = res.leader === res.memberId ? this.assignAsLeader(res.members, partitions) : [];
      const sync = await this.client.request<{ errorCode: number; assignment: Buffer }>(API.SyncGroup, {
        groupId: this.o.group!,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: res.protocolName,
        assignments,
      });
      if (sync.errorCode === E_REBALANCE_IN_PROGRESS) continue;
      if (sync.errorCode !== 0) throw new KafkaClientError(`SyncGroup failed with error ${sync.errorCode}`, sync.errorCode);
      await this.takeAssignment(decodeAssignment(sync.assignment).get(this.o.topic) ?? []);
      this.lastHeartbeat = Date.now();
      this.needsRejoin = false;
      return;
    }
  }

  private assignAsLeader(members: { memberId: string; metadata: Buffer }[], partitions: number) {
    const subs = members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata) }));
    const plan = rangeAssign(subs, new Map([[this.o.topic, partitions]]));
    return [...plan].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
  }

  private async takeAssignment(parts: number[]): Promise<void> {
    this.positions.clear();
    this.committed.clear();
    if (parts.length === 0) return;
    const res = await this.client.request<{ topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[] }>(API.OffsetFetch, {
      groupId: this.o.group!,
      topics: [{ name: this.o.topic, partitionIndexes: parts }],
      groups: [],
      requireStable: false,
    });
    const missing: number[] = [];
    for (const p of parts) {
      const c = res.topics.find((t) => t.name === this.o.topic)?.partitions.find((x) => x.partitionIndex === p);
      if (c && c.committedOffset >= 0n) {
        this.positions.set(p, Number(c.committedOffset));
        this.committed.set(p, Number(c.committedOffset));
      } else missing.push(p);
    }
    if (missing.length > 0) {
      const offs = await listOffsets(this.client, this.o.topic, missing, this.o.fromBeginning ? -2 : -1);
      for (const [p, off] of offs) this.positions.set(p, off);
    }
  }

  private async groupDuties(partitions: number): Promise<void> {
    const now = Date.now();
    if (now - this.lastCommit >= COMMIT_INTERVAL_MS) await this.commit();
    if (now - this.lastHeartbeat >= HEARTBEAT_INTERVAL_MS) {
      this.lastHeartbeat = now;
      const hb = await this.client.request<{ errorCode: number }>(API.Heartbeat, { groupId: this.o.group!, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null });
      if (hb.errorCode !== 0) this.needsRejoin = true;
      if (hb.errorCode === 25) this.memberId = '';
    }
    if (this.needsRejoin) {
      await this.commit();
      await this.joinGroup(partitions);
    }
  }

  private async commit(): Promise<void> {
    this.lastCommit = Date.now();
    if (!this.o.group || this.generationId < 0) return;
    const changed = [...this.positions].filter(([p, off]) => this.committed.get(p) !== off);
    if (changed.length === 0) return;
    const res = await this.client.request<{ topics: { partitions: { partitionIndex: number; errorCode: number }[] }[] }>(API.OffsetCommit, {
      groupId: this.o.group,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: this.o.topic, partitions: changed.map(([p, off]) => ({ partitionIndex: p, committedOffset: BigInt(off), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })) }],
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) this.committed.set(p.partitionIndex, this.positions.get(p.partitionIndex)!);
        else this.needsRejoin = true;
      }
    }
  }

  private async leave(): Promise<void> {
    try {
      await this.commit();
      await this.client.request(API.LeaveGroup, { groupId: this.o.group!, memberId: this.memberId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: null }] });
    } catch {
      // Leaving is a courtesy; the session timeout removes us anyway.
    }
  }

  // ---- fetching --------------------------------------------------------------------------

  private async fetchOnce(): Promise<void> {
    const res = await this.client.request<{ errorCode: number; responses: { topic: string; partitions: FetchPartition[] }[] }>(API.Fetch, {
      replicaId: -1,
      maxWaitMs: FETCH_MAX_WAIT_MS,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: this.o.topic,
          partitions: [...this.positions].map(([partition, off]) => ({ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(off), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: PARTITION_FETCH_MAX_BYTES })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    if (res.errorCode !== 0) throw new KafkaClientError(`Fetch failed with error ${res.errorCode}`, res.errorCode);
    for (const t of res.responses) for (const p of t.partitions) await this.handlePartition(p);
  }

  private async handlePartition(p: FetchPartition): Promise<void> {
    if (p.errorCode === E_OFFSET_OUT_OF_RANGE) {
      const reset = this.o.fromBeginning || this.o.offset === 'earliest' ? -2 : -1;
      const offs = await listOffsets(this.client, this.o.topic, [p.partitionIndex], reset);
      this.positions.set(p.partitionIndex, offs.get(p.partitionIndex) ?? 0);
      return;
    }
    if (p.errorCode !== 0) throw new KafkaClientError(`Fetch of partition ${p.partitionIndex} failed with error ${p.errorCode}`, p.errorCode);
    if (!p.records || p.records.length === 0 || !this.positions.has(p.partitionIndex)) return;
    let pos = this.positions.get(p.partitionIndex)!;
    for (const batch of decodeRecordSet(p.records)) {
      if (batch.isControl) {
        pos = Math.max(pos, Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1);
        continue;
      }
      for (const r of batch.records) {
        if (r.offset < pos) continue;
        if (this.o.maxMessages !== undefined && this.printed >= this.o.maxMessages) break;
        this.io.stdout.write(this.formatRecord(p.partitionIndex, r, (batch.header.attributes & 0x08) !== 0));
        this.printed++;
        this.lastMessageAt = Date.now();
        pos = r.offset + 1;
      }
    }
    this.positions.set(p.partitionIndex, pos);
  }

  private formatRecord(partition: number, r: { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headers: { key: string; value: Buffer | null }[] }, logAppend: boolean): string {
    const f = this.f;
    let s = '';
    if (f.timestamp) s += `${logAppend ? 'LogAppendTime' : 'CreateTime'}:${r.timestamp}\t`;
    if (f.partition) s += `Partition:${partition}\t`;
    if (f.offset) s += `Offset:${r.offset}\t`;
    if (f.headers) s += (r.headers.length === 0 ? 'NO_HEADERS' : r.headers.map((h) => `${h.key}:${h.value === null ? 'null' : h.value.toString()}`).join(',')) + '\t';
    if (f.key) s += (r.key === null ? 'null' : r.key.toString()) + f.keySeparator;
    if (f.value) s += r.value === null ? 'null' : r.value.toString();
    return s + '\n';
  }
}

/** ListOffsets for some partitions of one topic; timestamp -2 earliest, -1 latest, else by time. */
export async function listOffsets(client: KafkaClient, topic: string, partitions: readonly number[], timestamp: number): Promise<Map<number, number>> {
  const res = await client.request<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number; offset: bigint }[] }[] }>(API.ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: BigInt(timestamp), maxNumOffsets: 1 })) }],
    timeoutMs: 30_000,
  });
  const out = new Map<number, number>();
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new KafkaClientError(`ListOffsets of ${topic}-${p.partitionIndex} failed with error ${p.errorCode}`, p.errorCode);
      out.set(p.partitionIndex, Number(p.offset));
    }
  }
  return out;
}
