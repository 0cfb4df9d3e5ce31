/**
 * Topic configs: Kafka's names, types and defaults, validation, and the mapping onto the storage
 * LogConfig. Values travel as strings, as in the protocol. One Nimbus difference, documented in
 * docs/kafka.md: flush.messages defaults to 1 (fsync before every acknowledgement, with group
 * commit) where Kafka defaults to Long.MAX_VALUE; set it higher for Kafka's relaxed behaviour.
 */
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log.js';
import type { CompactionConfig } from '../storage/segment-cleaner.js';
import { BATCH_BYTES_HARD_MAX } from '../storage/batch.js';
import { ErrorCode } from '../error-codes.js';
import { KafkaEngineError, type ConfigEntry } from './types.js';

export const LONG_MAX = '9223372036854775807';
const CONFIG_VALUE_BYTES_MAX = 4096;

type Kind = 'long' | 'int' | 'boolean' | 'string' | 'list' | 'double';
const TYPE_CODE: Record<Kind, number> = { boolean: 1, string: 2, int: 3, long: 5, double: 6, list: 7 };

interface ConfigDef {
  kind: Kind;
  def: string;
  min?: number;
  /** Allowed values (for list kinds, each element). */
  oneOf?: readonly string[];
  doc: string;
}

export const TOPIC_CONFIG_DEFS: Readonly<Record<string, ConfigDef>> = {
  'cleanup.policy': { kind: 'list', def: 'delete', oneOf: ['delete', 'compact'], doc: 'delete, compact, or both: compact keeps the latest record per key (file storage)' },
  'compression.type': { kind: 'string', def: 'producer', oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'], doc: 'only producer (pass-through) is honoured' },
  'delete.retention.ms': { kind: 'long', def: '86400000', min: 0, doc: 'tombstone retention for compacted topics' },
  'file.delete.delay.ms': { kind: 'long', def: '60000', min: 0, doc: 'accepted; files are deleted at once' },
  'flush.messages': { kind: 'long', def: '1', min: 1, doc: 'fsync after this many messages; 1 = fsync before acknowledging (Nimbus default)' },
  'flush.ms': { kind: 'long', def: LONG_MAX, min: 0, doc: 'fsync at least this often when flush.messages > 1' },
  'index.interval.bytes': { kind: 'int', def: '4096', min: 0, doc: 'bytes between sparse index entries' },
  'max.compaction.lag.ms': { kind: 'long', def: LONG_MAX, min: 1, doc: 'a dirty segment older than this is cleaned whatever the dirty ratio' },
  'max.message.bytes': { kind: 'int', def: '1048588', min: 0, doc: 'largest record batch accepted' },
  'message.timestamp.type': { kind: 'string', def: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'], doc: 'CreateTime or LogAppendTime' },
  'message.timestamp.difference.max.ms': { kind: 'long', def: LONG_MAX, min: 0, doc: 'accepted, unused' },
  'message.timestamp.before.max.ms': { kind: 'long', def: LONG_MAX, min: 0, doc: 'accepted, unused' },
  'message.timestamp.after.max.ms': { kind: 'long', def: LONG_MAX, min: 0, doc: 'accepted, unused' },
  'message.downconversion.enable': { kind: 'boolean', def: 'true', doc: 'accepted, unused' },
  'min.cleanable.dirty.ratio': { kind: 'double', def: '0.5', min: 0, doc: 'clean when dirty bytes / cleanable bytes reach this' },
  'min.compaction.lag.ms': { kind: 'long', def: '0', min: 0, doc: 'records younger than this are never compacted' },
  'min.insync.replicas': { kind: 'int', def: '1', min: 1, doc: 'one node: only 1 can be met' },
  preallocate: { kind: 'boolean', def: 'false', doc: 'accepted, unused' },
  'retention.bytes': { kind: 'long', def: '-1', min: -1, doc: 'per-partition size limit, -1 unlimited' },
  'retention.ms': { kind: 'long', def: '604800000', min: -1, doc: 'age limit, -1 unlimited' },
  'segment.bytes': { kind: 'int', def: '1073741824', min: 14, doc: 'segment size before rolling' },
  'segment.index.bytes': { kind: 'int', def: '10485760', min: 4, doc: 'accepted, unused (indexes grow as needed)' },
  'segment.jitter.ms': { kind: 'long', def: '0', min: 0, doc: 'accepted, unused' },
  'segment.ms': { kind: 'long', def: '604800000', min: 1, doc: 'segment age before rolling' },
  'unclean.leader.election.enable': { kind: 'boolean', def: 'false', doc: 'one node: no effect' },
  'leader.replication.throttled.replicas': { kind: 'list', def: '', doc: 'accepted, unused' },
  'follower.replication.throttled.replicas': { kind: 'list', def: '', doc: 'accepted, unused' },
  'remote.storage.enable': { kind: 'boolean', def: 'false', oneOf: ['false'], doc: 'tiered storage is not supported' },
  'local.retention.ms': { kind: 'long', def: '-2', min: -2, doc: 'accepted, unused' },
  'local.retention.bytes': { kind: 'long', def: '-2', min: -2, doc: 'accepted, unused' },
};

/** Throws INVALID_CONFIG unless name is a known topic config and value parses within bounds. */
export function validateTopicConfig(name: string, value: string | null): void {
  const d = TOPIC_CONFIG_DEFS[name];
  if (!d) throw new KafkaEngineError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  if (value === null) return;
  if (value.length > CONFIG_VALUE_BYTES_MAX) throw invalid(name, value, 'too long');
  switch (d.kind) {
    case 'long':
    case 'int': {
      if (!/^-?\d+$/.test(value.trim())) throw invalid(name, value, 'not an integer');
      const n = BigInt(value.trim());
      const max = d.kind === 'int' ? 2n ** 31n - 1n : 2n ** 63n - 1n;
      if (n > max || (d.min !== undefined && n < BigInt(d.min))) throw invalid(name, value, `out of range (min ${d.min ?? '-'})`);
      return;
    }
    case 'double': {
      const n = Number(value);
      if (!Number.isFinite(n) || (d.min !== undefined && n < d.min)) throw invalid(name, value, 'not a valid number');
      return;
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw invalid(name, value, 'expected true or false');
      if (d.oneOf && !d.oneOf.includes(value)) throw invalid(name, value, `must be ${d.oneOf.join(', ')}`);
      return;
    case 'string':
      if (d.oneOf && !d.oneOf.includes(value)) throw invalid(name, value, `must be one of ${d.oneOf.join(', ')}`);
      return;
    case 'list':
      if (d.oneOf) {
        for (const v of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
          if (!d.oneOf.includes(v)) throw invalid(name, value, `elements must be ${d.oneOf.join(', ')}`);
        }
      }
  }
}

function invalid(name: string, value: string, why: string): KafkaEngineError {
  return new KafkaEngineError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${why}`);
}

export function configValue(configs: Record<string, string>, name: string): string {
  return configs[name] ?? TOPIC_CONFIG_DEFS[name]!.def;
}

/** Caps a config long at the safe-integer range (Long.MAX means "never"). */
function longOf(configs: Record<string, string>, name: string): number {
  const n = Number(configValue(configs, name));
  return n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n;
}

export function toLogConfig(configs: Record<string, string>): LogConfig {
  const flushMessages = longOf(configs, 'flush.messages');
  const flushMs = longOf(configs, 'flush.ms');
  const strict = flushMessages <= 1 || flushMs === 0;
  const compactOnly = !cleanupPolicies(configs).includes('delete');
  return {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: longOf(configs, 'segment.bytes'),
    segmentMs: longOf(configs, 'segment.ms'),
    indexIntervalBytes: longOf(configs, 'index.interval.bytes'),
    retentionMs: compactOnly ? -1 : longOf(configs, 'retention.ms'),
    retentionBytes: compactOnly ? -1 : longOf(configs, 'retention.bytes'),
    flushMessages: strict ? null : flushMessages,
    flushMs: strict || flushMs === Number.MAX_SAFE_INTEGER ? null : flushMs,
    maxMessageBytes: Math.min(longOf(configs, 'max.message.bytes'), BATCH_BYTES_HARD_MAX),
  };
}

/** The cleaner's settings for a compacted topic, or null when cleanup.policy has no compact. */
export function toCompactionConfig(configs: Record<string, string>): CompactionConfig | null {
  if (!cleanupPolicies(configs).includes('compact')) return null;
  return {
    deleteRetentionMs: longOf(configs, 'delete.retention.ms'),
    minCompactionLagMs: longOf(configs, 'min.compaction.lag.ms'),
    minCleanableDirtyRatio: Number(configValue(configs, 'min.cleanable.dirty.ratio')),
    maxCompactionLagMs: longOf(configs, 'max.compaction.lag.ms'),
  };
}

export function cleanupPolicies(configs: Record<string, string>): string[] {
  return configValue(configs, 'cleanup.policy').split(',').map((s) => s.trim());
}

/** DescribeConfigs rows for a topic: every known config, explicit ones marked TOPIC_CONFIG. */
export function describeTopicConfigs(configs: Record<string, string>, names: readonly string[] | null): ConfigEntry[] {
  const wanted = names ?? Object.keys(TOPIC_CONFIG_DEFS).sort();
  const out: ConfigEntry[] = [];
  for (const name of wanted) {
    const d = TOPIC_CONFIG_DEFS[name];
    if (!d) continue;
    const explicit = Object.prototype.hasOwnProperty.call(configs, name);
    out.push({
      name,
      value: explicit ? configs[name]! : d.def,
      readOnly: false,
      isDefault: !explicit,
      source: explicit ? 'TOPIC_CONFIG' : 'DEFAULT_CONFIG',
      isSensitive: false,
      type: TYPE_CODE[d.kind],
      documentation: d.doc,
    });
  }
  return out;
}
