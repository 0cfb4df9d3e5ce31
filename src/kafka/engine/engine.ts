/**
 * KafkaEngine: the broker's domain state behind K1's handlers. No wire types.
 *
 *   const engine = await KafkaEngine.open({ dataDir, clock, host, port, ... });
 *   // topics
 *   engine.createTopic({ name, numPartitions, replicationFactor, configs, validateOnly }) → TopicInfo  (throws KafkaEngineError)
 *   engine.deleteTopic(name) / deleteTopicById(id)   engine.listTopics()   engine.describeTopic(name)
 *   engine.metadataTopic(name, allowAutoCreate) → { errorCode, topic }   (auto-create honoured)
 *   engine.createPartitions(name, count, validateOnly)   (increase only: INVALID_PARTITIONS)
 *   engine.describeConfigs('topic'|'broker', name, keys|null) / alterConfigs / incrementalAlterConfigs
 *   engine.cluster() → { clusterId, controllerId, brokers }   engine.setAdvertisedListener(host, port)
 *   // data
 *   await engine.produce(topic, partition, recordsBuffer) → ProduceResult   (validates, idempotence, durable)
 *   engine.read(topic, partition, offset, maxBytes) → ReadPartitionResult   (whole batches; sync)
 *   engine.waitForData([{topic, partition}], maxWaitMs) → { promise: 'data'|'timeout', cancel }
 *   engine.listOffsets(topic, partition, timestamp) → ListOffsetsResult   (-1 latest, -2 earliest, -3 max ts)
 *   engine.deleteRecords(topic, partition, offset) → { errorCode, lowWatermark }   (offset -1 = high watermark)
 *   engine.initProducerId(transactionalId, timeoutMs, producerId, producerEpoch) → InitProducerIdResult
 *   // groups
 *   engine.groups (GroupCoordinator)   engine.lag(groupId)
 *
 * Persistence (file mode): `<dataDir>/__nimbus/cluster.json` holds the cluster id, topics (name,
 * id, partition count, replication factor, explicit configs) and the producer-id block; partition
 * logs live in `<dataDir>/<topic>-<partition>/`; committed offsets in
 * `<dataDir>/__nimbus/consumer-offsets.log` (offset-store.ts). With dataDir null everything is in memory.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../../platform/clock.js';
import { crc32c } from '../storage/crc32c.js';
import {
  ATTR_TIMESTAMP_TYPE,
  BatchError,
  CRC_START,
  OFF_ATTRIBUTES,
  OFF_CRC,
  OFF_MAX_TIMESTAMP,
  readBatchHeader,
  splitBatches,
  type BatchHeader,
} from '../storage/batch.js';
import { firstRecordAtOrAfter, type Decompress } from '../storage/record-timestamps.js';
import { batchBody, walkRecords, type RecordCodecs } from '../storage/cleaner.js';
import { FileLog } from '../storage/file-log.js';
import type { CompactionConfig } from '../storage/segment-cleaner.js';
import { KafkaStorageError, OffsetOutOfRangeError, type LogConfig, type PartitionLog } from '../storage/log.js';
import { MemoryLog } from '../storage/memory-log.js';
import { writeFileAtomic, writeFileReplace } from '../storage/segment-files.js';
import { DEFAULT_GROUP_CONFIG, GroupCoordinator, type GroupCoordinatorConfig, type LagRow } from './group-coordinator.js';
import { OffsetStore } from './offset-store.js';
import { PartitionProducerState } from './producer-state.js';
import { configValue, describeTopicConfigs, toCompactionConfig, toLogConfig, validateTopicConfig } from './topic-configs.js';
import { ErrorCode } from '../error-codes.js';
import {
  EARLIEST_TIMESTAMP,
  KafkaEngineError,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type AlterConfigOp,
  type BrokerNode,
  type ClusterInfo,
  type ConfigEntry,
  type CreateTopicRequest,
  type InitProducerIdResult,
  type ListOffsetsResult,
  type PartitionInfo,
  type ProduceResult,
  type ReadPartitionResult,
  type TopicInfo,
  type TopicPartitionRef,
} from './types.js';

export const TOPIC_NAME_CHARS_MAX = 249;
/** Kafka's log.cleaner.backoff.ms default. */
export const CLEANER_INTERVAL_MS_DEFAULT = 15_000;
export const TOPICS_MAX = 10_000;
export const PARTITIONS_PER_TOPIC_MAX = 1000;
/** Partitions over all topics: every FileLog holds open file descriptors. */
export const PARTITIONS_TOTAL_MAX = 10_000;
/** Producer ids are persisted in blocks so InitProducerId rarely writes. */
export const PRODUCER_ID_BLOCK = 1000;
export const TRANSACTIONAL_IDS_MAX = 10_000;
const META_DIR = '__nimbus';
const CLUSTER_FILE = 'cluster.json';
const PRODUCER_SNAPSHOT = 'producer-state.json';
const TOPIC_NAME_RE = /^[a-zA-Z0-9._-]+$/;

export interface EngineLogger {
  warn(msg: string): void;
  info(msg: string): void;
}

export interface KafkaEngineOptions {
  /** Folder for logs and metadata; null keeps everything in memory. */
  dataDir: string | null;
  clock: Clock;
  logger?: EngineLogger;
  nodeId?: number;
  /** Advertised listener; update with setAdvertisedListener once the port is bound. */
  host?: string;
  port?: number;
  autoCreateTopics?: boolean;
  numPartitions?: number;
  defaultReplicationFactor?: number;
  /** Broker-level topic config defaults (e.g. { 'retention.ms': '3600000' }). */
  topicDefaults?: Record<string, string>;
  group?: Partial<GroupCoordinatorConfig>;
  /** log.retention.check.interval.ms */
  retentionCheckIntervalMs?: number;
  /** How often segment.ms is checked. */
  rollCheckIntervalMs?: number;
  /**
   * Record-section decompression (the protocol layer's codecs), used only to answer ListOffsets
   * by timestamp at record precision inside compressed batches; without it those answers are
   * the batch's base offset.
   */
  decompress?: Decompress;
  /**
   * Record-section compression, so the log cleaner can re-encode a compressed batch with its own
   * codec. Without it (or for a codec it cannot encode) compressed batches are kept whole.
   */
  compress?: (codec: number, data: Buffer) => Buffer;
  /**
   * Makes `decompress` and `compress` usable when they are loaded lazily; the cleaner awaits it
   * before each pass. (Produce and ListOffsets are loaded with the codecs by their handlers.)
   */
  loadCodecs?: () => Promise<void>;
  /** log.cleaner.backoff.ms: how often compacted partitions are checked for cleaning. */
  cleanerIntervalMs?: number;
}

interface TopicState {
  info: TopicInfo;
  logs: PartitionLog[];
  producers: PartitionProducerState[];
  logConfig: LogConfig;
  /** The cleaner's settings when cleanup.policy includes compact, else null. */
  compaction: CompactionConfig | null;
}

interface ClusterFile {
  version: 1;
  clusterId: string;
  producerIdBlockEnd: number;
  topics: { name: string; id: string; partitions: number; replicationFactor: number; configs: Record<string, string> }[];
}

export class KafkaEngine {
  readonly groups: GroupCoordinator;
  readonly offsets: OffsetStore;
  private readonly topics = new Map<string, TopicState>();
  private readonly nodeId: number;
  private host: string;
  private port: number;
  private clusterId = '';
  private producerIdNext = 0;
  private producerIdBlockEnd = 0;
  private readonly transactionalIds = new Map<string, { producerId: number; producerEpoch: number }>();
  private readonly timers: Timer[] = [];
  private readonly log: EngineLogger;
  private closed = false;
  /** A cleaner pass is running (ticks do not overlap). */
  private cleaning = false;
  /** The cluster file has not been written yet (fresh data dir); see load(). */
  private clusterFileDirty = false;

  private constructor(private readonly o: KafkaEngineOptions) {
    this.nodeId = o.nodeId ?? 1;
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port ?? 9092;
    this.log = o.logger ?? { warn: () => {}, info: () => {} };
    this.offsets = new OffsetStore(o.dataDir === null ? null : join(o.dataDir, META_DIR), (m) => this.log.warn(m));
    this.groups = new GroupCoordinator(
      o.clock,
      this.offsets,
      { ...DEFAULT_GROUP_CONFIG, ...(o.group ?? {}) },
      (t, p) => this.partitionExists(t, p),
    );
  }

  static async open(o: KafkaEngineOptions): Promise<KafkaEngine> {
    const e = new KafkaEngine(o);
    e.load();
    e.offsets.open();
    e.timers.push(o.clock.every(o.retentionCheckIntervalMs ?? 300_000, () => void e.retentionTick()));
    e.timers.push(o.clock.every(o.rollCheckIntervalMs ?? 30_000, () => e.rollTick()));
    e.timers.push(o.clock.every(o.cleanerIntervalMs ?? CLEANER_INTERVAL_MS_DEFAULT, () => void e.cleanerTick()));
    return e;
  }

  // ---- cluster ---------------------------------------------------------------------------

  cluster(): ClusterInfo {
    const broker: BrokerNode = { nodeId: this.nodeId, host: this.host, port: this.port, rack: null };
    return { clusterId: this.id(), controllerId: this.nodeId, brokers: [broker] };
  }

  /** The cluster id: from cluster.json, or drawn on first use for a new cluster. */
  private id(): string {
    if (this.clusterId === '') this.clusterId = randomClusterId();
    return this.clusterId;
  }

  setAdvertisedListener(host: string, port: number): void {
    this.host = host;
    this.port = port;
  }

  // ---- topics ----------------------------------------------------------------------------

  listTopics(): TopicInfo[] {
    return [...this.topics.values()].map((t) => t.info);
  }

  describeTopic(name: string): TopicInfo | null {
    return this.topics.get(name)?.info ?? null;
  }

  topicById(id: Buffer): TopicInfo | null {
    for (const t of this.topics.values()) if (t.info.topicId.equals(id)) return t.info;
    return null;
  }

  partitionExists(topic: string, partition: number): boolean {
    const t = this.topics.get(topic);
    return t !== undefined && partition >= 0 && partition < t.logs.length;
  }

  /** Metadata lookup with optional auto-creation (auto.create.topics.enable). */
  metadataTopic(name: string, allowAutoCreate: boolean): { errorCode: number; topic: TopicInfo | null } {
    const t = this.topics.get(name);
    if (t) return { errorCode: ErrorCode.NONE, topic: t.info };
    if (!allowAutoCreate || !(this.o.autoCreateTopics ?? true)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic: null };
    try {
      return { errorCode: ErrorCode.NONE, topic: this.createTopic({ name, numPartitions: -1, replicationFactor: -1 }) };
    } catch (e) {
      if (e instanceof KafkaEngineError) return { errorCode: e.errorCode, topic: null };
      throw e;
    }
  }

  createTopic(req: CreateTopicRequest): TopicInfo {
    validateTopicName(req.name);
    if (this.topics.has(req.name)) throw new KafkaEngineError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`);
    const partitions = req.numPartitions === -1 ? (this.o.numPartitions ?? 1) : req.numPartitions;
    const rf = req.replicationFactor === -1 ? (this.o.defaultReplicationFactor ?? 1) : req.replicationFactor;
    if (partitions < 1 || partitions > PARTITIONS_PER_TOPIC_MAX) {
      throw new KafkaEngineError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}.`);
    }
    if (rf < 1) throw new KafkaEngineError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (rf > 1) {
      throw new KafkaEngineError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: 1.`);
    }
    if (this.topics.size >= TOPICS_MAX) throw new KafkaEngineError(ErrorCode.POLICY_VIOLATION, `at most ${TOPICS_MAX} topics`);
    if (this.totalPartitions() + partitions > PARTITIONS_TOTAL_MAX) {
      throw new KafkaEngineError(ErrorCode.POLICY_VIOLATION, `at most ${PARTITIONS_TOTAL_MAX} partitions in total`);
    }
    const configs: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.configs ?? {})) {
      validateTopicConfig(k, v);
      if (v !== null) configs[k] = v;
    }
    const info: TopicInfo = {
      name: req.name,
      topicId: randomBytes(16),
      internal: false,
      partitions: [],
      replicationFactor: rf,
      configs,
    };
    if (req.validateOnly) {
      info.partitions = Array.from({ length: partitions }, (_, i) => this.partitionInfo(i));
      return info;
    }
    const state: TopicState = { info, logs: [], producers: [], logConfig: this.logConfigFor(configs), compaction: toCompactionConfig(configs) };
    this.topics.set(req.name, state);
    this.addPartitions(state, partitions);
    this.persist();
    return info;
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) throw new KafkaEngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    this.topics.delete(name);
    this.persist();
    for (const l of t.logs) await l.destroy();
  }

  async deleteTopicById(id: Buffer): Promise<string> {
    const info = this.topicById(id);
    if (!info) throw new KafkaEngineError(ErrorCode.UNKNOWN_TOPIC_ID, 'unknown topic id');
    await this.deleteTopic(info.name);
    return info.name;
  }

  /** CreatePartitions: the new total must be larger than the current count. */
  createPartitions(name: string, count: number, validateOnly = false): void {
    const t = this.topics.get(name);
    if (!t) throw new KafkaEngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    const current = t.logs.length;
    if (count < current) {
      throw new KafkaEngineError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    }
    if (count === current) throw new KafkaEngineError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (count > PARTITIONS_PER_TOPIC_MAX || this.totalPartitions() + count - current > PARTITIONS_TOTAL_MAX) {
      throw new KafkaEngineError(ErrorCode.INVALID_PARTITIONS, `at most ${PARTITIONS_PER_TOPIC_MAX} partitions per topic`);
    }
    if (validateOnly) return;
    this.addPartitions(t, count - current);
    this.persist();
  }

  private addPartitions(t: TopicState, n: number): void {
    for (let i = 0; i < n; i++) {
      const p = t.logs.length;
      t.logs.push(this.openLog(t.info.name, p, t.logConfig));
      t.producers.push(new PartitionProducerState());
      t.info.partitions.push(this.partitionInfo(p));
    }
  }

  private partitionInfo(partition: number): PartitionInfo {
    return { partition, leader: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId], offlineReplicas: [] };
  }

  private totalPartitions(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.logs.length;
    return n;
  }

  private logConfigFor(configs: Record<string, string>): LogConfig {
    return toLogConfig({ ...(this.o.topicDefaults ?? {}), ...configs });
  }

  // ---- configs ---------------------------------------------------------------------------

  describeConfigs(type: 'topic' | 'broker', name: string, keys: readonly string[] | null): { errorCode: number; errorMessage: string | null; entries: ConfigEntry[] } {
    if (type === 'broker') {
      if (name !== '' && name !== String(this.nodeId)) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown broker ${name}`, entries: [] };
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null, entries: this.brokerConfigs(keys) };
    }
    const t = this.topics.get(name);
    if (!t) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.`, entries: [] };
    const entries = describeTopicConfigs(t.info.configs, keys);
    for (const e of entries) {
      const brokerDefault = this.o.topicDefaults?.[e.name];
      if (e.isDefault && brokerDefault !== undefined) {
        e.value = brokerDefault;
        e.source = 'STATIC_BROKER_CONFIG';
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, entries };
  }

  private brokerConfigs(keys: readonly string[] | null): ConfigEntry[] {
    const g = { ...DEFAULT_GROUP_CONFIG, ...(this.o.group ?? {}) };
    const values: Record<string, [string, number]> = {
      'broker.id': [String(this.nodeId), 3],
      'node.id': [String(this.nodeId), 3],
      'auto.create.topics.enable': [String(this.o.autoCreateTopics ?? true), 1],
      'num.partitions': [String(this.o.numPartitions ?? 1), 3],
      'default.replication.factor': [String(this.o.defaultReplicationFactor ?? 1), 3],
      'group.initial.rebalance.delay.ms': [String(g.groupInitialRebalanceDelayMs), 3],
      'group.min.session.timeout.ms': [String(g.groupMinSessionTimeoutMs), 3],
      'group.max.session.timeout.ms': [String(g.groupMaxSessionTimeoutMs), 3],
      'offsets.retention.minutes': [String(Math.round(g.offsetsRetentionMs / 60000)), 3],
      'log.retention.check.interval.ms': [String(this.o.retentionCheckIntervalMs ?? 300_000), 5],
      'log.retention.ms': [configValue(this.o.topicDefaults ?? {}, 'retention.ms'), 5],
      'log.segment.bytes': [configValue(this.o.topicDefaults ?? {}, 'segment.bytes'), 3],
      'message.max.bytes': [configValue(this.o.topicDefaults ?? {}, 'max.message.bytes'), 3],
      'log.flush.interval.messages': [configValue(this.o.topicDefaults ?? {}, 'flush.messages'), 5],
      'log.cleaner.enable': ['true', 1],
      'log.cleaner.backoff.ms': [String(this.o.cleanerIntervalMs ?? CLEANER_INTERVAL_MS_DEFAULT), 5],
      'log.cleanup.policy': [configValue(this.o.topicDefaults ?? {}, 'cleanup.policy'), 7],
    };
    const names = keys ?? Object.keys(values);
    return names
      .filter((n) => values[n] !== undefined)
      .map((n) => ({
        name: n,
        value: values[n]![0],
        readOnly: true,
        isDefault: false,
        source: 'STATIC_BROKER_CONFIG' as const,
        isSensitive: false,
        type: values[n]![1],
        documentation: null,
      }));
  }

  /** AlterConfigs: replaces the whole set of explicit topic configs. */
  alterConfigs(name: string, configs: Record<string, string | null>, validateOnly = false): void {
    const t = this.requireTopic(name);
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries(configs)) {
      validateTopicConfig(k, v);
      if (v !== null) next[k] = v;
    }
    if (!validateOnly) this.applyConfigs(t, next);
  }

  /** IncrementalAlterConfigs: SET / DELETE (APPEND/SUBTRACT for list configs). */
  incrementalAlterConfigs(name: string, ops: readonly AlterConfigOp[], validateOnly = false): void {
    const t = this.requireTopic(name);
    const next = { ...t.info.configs };
    for (const op of ops) {
      validateTopicConfig(op.name, op.op === 1 ? null : op.value);
      const current = configValue(next, op.name);
      const items = current.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const given = (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (op.op === 0) next[op.name] = op.value ?? '';
      else if (op.op === 1) delete next[op.name];
      else if (op.op === 2) next[op.name] = [...items, ...given.filter((g) => !items.includes(g))].join(',');
      else if (op.op === 3) next[op.name] = items.filter((i) => !given.includes(i)).join(',');
      else throw new KafkaEngineError(ErrorCode.INVALID_REQUEST, `unknown config operation ${String(op.op)}`);
      if (op.op >= 2 && !['cleanup.policy', 'leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'].includes(op.name)) {
        throw new KafkaEngineError(ErrorCode.INVALID_CONFIG, `Config ${op.name} is not a list, APPEND/SUBTRACT do not apply`);
      }
    }
    if (!validateOnly) this.applyConfigs(t, next);
  }

  private applyConfigs(t: TopicState, configs: Record<string, string>): void {
    t.info.configs = configs;
    t.logConfig = this.logConfigFor(configs);
    t.compaction = toCompactionConfig(configs);
    for (const l of t.logs) l.updateConfig(t.logConfig);
    this.persist();
  }

  private requireTopic(name: string): TopicState {
    const t = this.topics.get(name);
    if (!t) throw new KafkaEngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    return t;
  }

  private partitionState(topic: string, partition: number): { t: TopicState; log: PartitionLog } | null {
    const t = this.topics.get(topic);
    const log = t?.logs[partition];
    return t && log ? { t, log } : null;
  }

  // ---- data ------------------------------------------------------------------------------

  /** Validates and appends one partition's records; resolves when durable (or with an error code). */
  async produce(topic: string, partition: number, records: Buffer): Promise<ProduceResult> {
    const ps = this.partitionState(topic, partition);
    if (!ps) return produceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    const { t, log } = ps;
    let headers: BatchHeader[];
    try {
      headers = splitBatches(records, { maxBatchBytes: t.logConfig.maxMessageBytes });
    } catch (e) {
      if (!(e instanceof BatchError)) throw e;
      return produceError(e.tooLarge ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.CORRUPT_MESSAGE, e.message);
    }
    if (headers.length === 0) return produceError(ErrorCode.INVALID_RECORD, 'no record batch');
    if (t.compaction !== null) {
      const keyless = this.keylessRecord(records, headers);
      if (keyless !== null) {
        const message = `${keyless.message} in topic partition ${topic}-${partition}.`;
        return { ...produceError(ErrorCode.INVALID_RECORD, message), recordErrors: [{ batchIndex: keyless.index, message }] };
      }
    }
    const producers = t.producers[partition]!;
    const c = producers.checkAll(headers);
    if (c.kind === 'duplicate') {
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: c.baseOffset, logAppendTimeMs: -1, logStartOffset: log.logStartOffset() };
    }
    if (c.kind === 'error') return produceError(c.errorCode, c.message);
    const logAppendTime = configValue(t.info.configs, 'message.timestamp.type') === 'LogAppendTime' ? this.o.clock.now() : -1;
    if (logAppendTime >= 0) for (const h of headers) stampLogAppendTime(records, h, logAppendTime);
    const pending = log.append(records, headers, 0);
    for (const h of headers) {
      producers.record({
        producerId: Number(h.producerId),
        producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence,
        lastOffsetDelta: h.lastOffsetDelta,
        baseOffset: Number(h.baseOffset),
      });
    }
    try {
      const r = await pending;
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: r.baseOffset, logAppendTimeMs: logAppendTime, logStartOffset: r.logStartOffset };
    } catch (e) {
      if (e instanceof KafkaStorageError) return produceError(ErrorCode.KAFKA_STORAGE_ERROR, e.message);
      throw e;
    }
  }

  read(topic: string, partition: number, offset: number, maxBytes: number): ReadPartitionResult {
    const ps = this.partitionState(topic, partition);
    if (!ps) return readError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    try {
      const r = ps.log.read(offset, maxBytes);
      return { errorCode: ErrorCode.NONE, highWatermark: r.highWatermark, lastStableOffset: r.highWatermark, logStartOffset: r.logStartOffset, records: r.records, release: r.release ?? null };
    } catch (e) {
      if (e instanceof OffsetOutOfRangeError) {
        const r = readError(ErrorCode.OFFSET_OUT_OF_RANGE);
        r.highWatermark = r.lastStableOffset = e.highWatermark;
        r.logStartOffset = e.logStartOffset;
        return r;
      }
      if (e instanceof KafkaStorageError) return readError(ErrorCode.KAFKA_STORAGE_ERROR);
      throw e;
    }
  }

  /**
   * Fetch long poll: resolves 'data' as soon as the high watermark of any listed partition moves,
   * or 'timeout' after maxWaitMs (on the engine clock). Always call cancel() when done.
   */
  waitForData(parts: readonly TopicPartitionRef[], maxWaitMs: number): { promise: Promise<'data' | 'timeout'>; cancel: () => void } {
    const unsubs: (() => void)[] = [];
    let timer: Timer | null = null;
    let settle: (v: 'data' | 'timeout') => void = () => {};
    const cancel = (): void => {
      for (const u of unsubs) u();
      unsubs.length = 0;
      timer?.cancel();
      timer = null;
    };
    const promise = new Promise<'data' | 'timeout'>((resolve) => {
      settle = (v) => {
        cancel();
        resolve(v);
      };
    });
    for (const p of parts) {
      const ps = this.partitionState(p.topic, p.partition);
      if (ps) unsubs.push(ps.log.onAdvance(() => settle('data')));
    }
    timer = this.o.clock.after(Math.max(0, maxWaitMs), () => settle('timeout'));
    return { promise, cancel: () => settle('timeout') };
  }

  logEndOffset(topic: string, partition: number): number | null {
    return this.partitionState(topic, partition)?.log.highWatermark() ?? null;
  }

  logStartOffset(topic: string, partition: number): number | null {
    return this.partitionState(topic, partition)?.log.logStartOffset() ?? null;
  }

  listOffsets(topic: string, partition: number, timestamp: number): ListOffsetsResult {
    const ps = this.partitionState(topic, partition);
    if (!ps) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1, leaderEpoch: -1 };
    const log = ps.log;
    const ok = (offset: number, ts: number): ListOffsetsResult => ({ errorCode: ErrorCode.NONE, timestamp: ts, offset, leaderEpoch: 0 });
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === -4) return ok(log.logStartOffset(), -1);
    if (timestamp === LATEST_TIMESTAMP || timestamp === -5) return ok(log.highWatermark(), -1);
    if (timestamp === MAX_TIMESTAMP) {
      const m = log.maxTimestamp();
      return m ? ok(m.offset, m.timestamp) : ok(-1, -1);
    }
    if (timestamp < 0) return { errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1, offset: -1, leaderEpoch: -1 };
    const r = log.offsetForTimestamp(timestamp);
    if (!r) return ok(-1, -1);
    // Narrow from the batch to its first record at or after the timestamp, as Kafka does.
    const batch = log.read(r.offset, 1).records;
    if (batch.length === 0) return ok(r.offset, r.timestamp);
    const exact = firstRecordAtOrAfter(batch, readBatchHeader(batch, 0), timestamp, this.o.decompress);
    const offset = Math.max(exact.offset, log.logStartOffset());
    return ok(offset, exact.timestamp);
  }

  deleteRecords(topic: string, partition: number, offset: number): { errorCode: number; lowWatermark: number } {
    const ps = this.partitionState(topic, partition);
    if (!ps) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    const target = offset === -1 ? ps.log.highWatermark() : offset;
    try {
      return { errorCode: ErrorCode.NONE, lowWatermark: ps.log.deleteRecordsBefore(target) };
    } catch (e) {
      if (e instanceof OffsetOutOfRangeError) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
      throw e;
    }
  }

  // ---- producers -------------------------------------------------------------------------

  initProducerId(transactionalId: string | null, transactionTimeoutMs: number, producerId = -1, producerEpoch = -1): InitProducerIdResult {
    if (transactionalId === null || transactionalId === '') {
      // KIP-360: a known producer may bump its own epoch instead of taking a new id.
      if (producerId >= 0 && producerEpoch >= 0 && producerEpoch < 32766 && producerId < this.producerIdNext) {
        return { errorCode: ErrorCode.NONE, producerId, producerEpoch: producerEpoch + 1 };
      }
      return { errorCode: ErrorCode.NONE, producerId: this.allocateProducerId(), producerEpoch: 0 };
    }
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > 900_000) {
      return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT, producerId: -1, producerEpoch: -1 };
    }
    const cur = this.transactionalIds.get(transactionalId);
    if (cur && cur.producerEpoch < 32766) {
      cur.producerEpoch++;
      return { errorCode: ErrorCode.NONE, ...cur };
    }
    if (!cur && this.transactionalIds.size >= TRANSACTIONAL_IDS_MAX) {
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
    }
    const next = { producerId: this.allocateProducerId(), producerEpoch: 0 };
    this.transactionalIds.set(transactionalId, next);
    return { errorCode: ErrorCode.NONE, ...next };
  }

  private allocateProducerId(): number {
    if (this.producerIdNext >= this.producerIdBlockEnd) {
      this.producerIdBlockEnd = this.producerIdNext + PRODUCER_ID_BLOCK;
      this.persist();
    }
    return this.producerIdNext++;
  }

  /** Numbers for metrics (read at scrape time). */
  stats(): { topics: number; partitions: number; logBytes: number; appends: number; fsyncs: number; groups: number } {
    let partitions = 0;
    let logBytes = 0;
    let appends = 0;
    let fsyncs = 0;
    for (const t of this.topics.values()) {
      for (const l of t.logs) {
        partitions++;
        logBytes += l.sizeBytes();
        if (l instanceof FileLog) {
          appends += l.stats.appends;
          fsyncs += l.stats.fsyncs;
        }
      }
    }
    return { topics: this.topics.size, partitions, logBytes, appends, fsyncs, groups: this.groups.listGroups().length };
  }

  // ---- groups ----------------------------------------------------------------------------

  lag(groupId: string): LagRow[] {
    return this.groups.lag(groupId, (t, p) => this.logEndOffset(t, p));
  }

  // ---- periodic work ---------------------------------------------------------------------

  private rollTick(): void {
    const now = this.o.clock.now();
    for (const t of this.topics.values()) for (const l of t.logs) l.maybeRollByTime(now);
  }

  /** Kafka's LogValidator: a compacted topic refuses records without a key (and unreadable ones). */
  private keylessRecord(records: Buffer, headers: readonly BatchHeader[]): { index: number; message: string } | null {
    const decompress = this.o.decompress ?? ((): Buffer => { throw new Error('no codec'); });
    for (const h of headers) {
      try {
        const recs = walkRecords(batchBody(records, h, { decompress }), h);
        const index = recs.findIndex((r) => r.key === null);
        if (index >= 0) return { index, message: 'Compacted topic cannot accept message without key' };
      } catch (e) {
        return { index: 0, message: `Compacted topic cannot check record keys: ${(e as Error).message}` };
      }
    }
    return null;
  }

  /**
   * One log-cleaner pass over every compacted partition; public so tests can force one. Each
   * partition's pass is synchronous (readers never see a half-swapped segment); between
   * partitions the event loop gets a turn, so requests are not held up by all of them at once.
   */
  async cleanerTick(): Promise<void> {
    const decompress = this.o.decompress;
    if (this.closed || this.cleaning || !decompress) return;
    this.cleaning = true;
    try {
      if (this.o.loadCodecs && this.hasCompactedTopic()) await this.o.loadCodecs();
      await this.cleanAll(decompress);
    } finally {
      this.cleaning = false;
    }
  }

  private hasCompactedTopic(): boolean {
    for (const t of this.topics.values()) if (t.compaction !== null) return true;
    return false;
  }

  private async cleanAll(decompress: Decompress): Promise<void> {
    const now = this.o.clock.now();
    const codecs: RecordCodecs = {
      decompress,
      compress: this.o.compress ?? ((codec) => { throw new Error(`no encoder for codec ${codec}`); }),
    };
    const work: [TopicState, PartitionLog][] = [];
    for (const t of this.topics.values()) if (t.compaction !== null) for (const l of t.logs) work.push([t, l]);
    for (let i = 0; i < work.length; i++) {
      const [t, l] = work[i]!;
      if (i > 0) await new Promise<void>((r) => setImmediate(r));
      // The topic may have been deleted or altered while we yielded.
      if (this.closed) return;
      if (t.compaction === null || this.topics.get(t.info.name) !== t) continue;
      try {
        const r = l.compact(now, t.compaction, codecs);
        if (r && r.cleanedSegments > 0) {
          this.log.info(`cleaner: ${l.topic}-${l.partition} ${r.cleanedSegments} segment(s), ${r.bytesBefore} → ${r.bytesAfter} bytes, ${r.recordsRemoved} record(s) removed`);
        }
      } catch (e) {
        this.log.warn(`cleaning ${l.topic}-${l.partition} failed: ${(e as Error).message}`);
      }
    }
  }


  /** Retention and offset expiry; public so tests and admin tools can force a pass. */
  async retentionTick(): Promise<void> {
    if (this.closed) return;
    const now = this.o.clock.now();
    for (const t of this.topics.values()) {
      for (const l of t.logs) {
        try {
          const r = l.applyRetention(now);
          if (r.deletedSegments > 0) this.log.info(`retention removed ${r.deletedSegments} segment(s) of ${l.topic}-${l.partition}`);
        } catch (e) {
          this.log.warn(`retention of ${l.topic}-${l.partition} failed: ${(e as Error).message}`);
        }
      }
    }
    await this.groups.expireOffsets(now);
  }

  // ---- persistence -----------------------------------------------------------------------

  private openLog(topic: string, partition: number, config: LogConfig): PartitionLog {
    if (this.o.dataDir === null) return new MemoryLog(topic, partition, config);
    return FileLog.open({
      dir: join(this.o.dataDir, `${topic}-${partition}`),
      topic,
      partition,
      config,
      clock: this.o.clock,
      onWarning: (m) => this.log.warn(m),
    });
  }

  private load(): void {
    if (this.o.dataDir === null) {
      return; // the cluster id is drawn on first use (id())
    }
    const meta = join(this.o.dataDir, META_DIR);
    mkdirSync(meta, { recursive: true });
    const path = join(meta, CLUSTER_FILE);
    const file: ClusterFile = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as ClusterFile)
      : { version: 1, clusterId: '', producerIdBlockEnd: 0, topics: [] };
    this.clusterId = file.clusterId;
    this.producerIdNext = this.producerIdBlockEnd = file.producerIdBlockEnd;
    for (const ft of file.topics) {
      const info: TopicInfo = {
        name: ft.name,
        topicId: Buffer.from(ft.id, 'hex'),
        internal: false,
        partitions: [],
        replicationFactor: ft.replicationFactor,
        configs: ft.configs,
      };
      const state: TopicState = { info, logs: [], producers: [], logConfig: this.logConfigFor(ft.configs), compaction: toCompactionConfig(ft.configs) };
      this.topics.set(ft.name, state);
      this.addPartitions(state, ft.partitions);
      state.producers = state.logs.map((l) => this.loadProducerState(l));
    }
    this.removeOrphans();
    // A fresh data dir: the cluster file (its id) is written with the first change that persists
    // anything, or at close, instead of paying two fsyncs before the broker listens. Losing it in a
    // crash before then loses nothing: there are no topics yet, only a cluster id nobody relies on.
    if (!existsSync(path)) this.clusterFileDirty = true;
  }

  private loadProducerState(l: PartitionLog): PartitionProducerState {
    if (!(l instanceof FileLog)) return new PartitionProducerState();
    const snap = join(l.dir, PRODUCER_SNAPSHOT);
    let s = new PartitionProducerState();
    if (existsSync(snap)) {
      if (l.wasCleanShutdown) {
        try {
          s = PartitionProducerState.fromJSON(JSON.parse(readFileSync(snap, 'utf8')));
        } catch {
          this.log.warn(`ignoring unreadable ${snap}`);
        }
      }
      unlinkSync(snap);
    }
    if (!l.wasCleanShutdown) for (const b of l.recoveredProducerBatches) s.record(b);
    l.recoveredProducerBatches = [];
    if (l.recovery.truncatedBytes > 0) this.log.warn(`recovered ${l.topic}-${l.partition}: ${l.recovery.reason}`);
    return s;
  }

  /** Partition folders left by a crash between the metadata write and the folder removal. */
  private removeOrphans(): void {
    const dir = this.o.dataDir!;
    for (const name of readdirSync(dir)) {
      const m = /^(.+)-(\d+)$/.exec(name);
      if (!m || this.partitionExists(m[1]!, Number(m[2]))) continue;
      this.log.warn(`removing orphan partition folder ${name}`);
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }

  private persist(): void {
    if (this.o.dataDir === null) return;
    this.clusterFileDirty = false;
    const file: ClusterFile = {
      version: 1,
      clusterId: this.id(),
      producerIdBlockEnd: this.producerIdBlockEnd,
      topics: [...this.topics.values()].map((t) => ({
        name: t.info.name,
        id: t.info.topicId.toString('hex'),
        partitions: t.logs.length,
        replicationFactor: t.info.replicationFactor,
        configs: t.info.configs,
      })),
    };
    writeFileAtomic(join(this.o.dataDir, META_DIR), CLUSTER_FILE, JSON.stringify(file, null, 1));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.groups.close();
    for (const t of this.topics.values()) {
      for (const [i, l] of t.logs.entries()) {
        await l.flush();
        // Read only after a clean close (the marker is written after it); tolerant of loss.
        if (l instanceof FileLog) writeFileReplace(l.dir, PRODUCER_SNAPSHOT, JSON.stringify(t.producers[i]!.toJSON()));
        await l.close();
      }
    }
    await this.offsets.close();
    if (this.clusterFileDirty) this.persist();
  }
}

function validateTopicName(name: string): void {
  if (name.length === 0 || name.length > TOPIC_NAME_CHARS_MAX || name === '.' || name === '..' || !TOPIC_NAME_RE.test(name)) {
    throw new KafkaEngineError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-', or is empty, '.', '..' or longer than ${TOPIC_NAME_CHARS_MAX}`,
    );
  }
}

/**
 * node:crypto, loaded on first use: importing it costs about 10 ms of start-up, and nothing
 * random is needed before a topic is created or the cluster id is first shown or persisted.
 */
const requireBuiltin = createRequire(import.meta.url);
function randomBytes(n: number): Buffer {
  return (requireBuiltin('node:crypto') as typeof import('node:crypto')).randomBytes(n);
}

function randomClusterId(): string {
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (22 chars).
  return randomBytes(16).toString('base64url');
}

function produceError(errorCode: number, errorMessage: string): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

function readError(errorCode: number): ReadPartitionResult {
  return { errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0) };
}

/** LogAppendTime: set the timestamp type bit and maxTimestamp, then re-seal the CRC. */
function stampLogAppendTime(buf: Buffer, h: BatchHeader, nowMs: number): void {
  const p = h.position;
  buf.writeInt16BE(h.attributes | ATTR_TIMESTAMP_TYPE, p + OFF_ATTRIBUTES);
  buf.writeBigInt64BE(BigInt(nowMs), p + OFF_MAX_TIMESTAMP);
  buf.writeUInt32BE(crc32c(buf, p + CRC_START, p + h.sizeBytes), p + OFF_CRC);
  h.attributes |= ATTR_TIMESTAMP_TYPE;
  h.maxTimestamp = BigInt(nowMs);
}
