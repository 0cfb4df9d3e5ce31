/**
 * Redis service configuration: the zod schema the host validates (camelCase keys, every key
 * defaulted) and the runtime parameter table behind CONFIG GET/SET (Redis's names).
 */
import { z } from 'zod/v3';

/** Redis memory units: 1k = 1000, 1kb = 1024 (config.c memtoull). */
export function parseMemory(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
  const m = /^(\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(v.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = {
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1e6,
    mb: 1024 * 1024,
    g: 1e9,
    gb: 1024 ** 3,
  };
  return n * (mul[unit] ?? 1);
}

const memory = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseMemory(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `not a memory size: ${String(v)}` });
    return z.NEVER;
  }
  return n;
});

export const MAXMEMORY_POLICIES = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
] as const;

export const redisConfigSchema = z.object({
  port: z.number().int().min(0).max(65535).default(6379),
  /** Empty = no password (AUTH/HELLO AUTH needed when set). */
  requirepass: z.string().default(''),
  /** ACL users file (ACL SAVE/LOAD, loaded at start); relative paths are inside the data dir. "" = none. */
  aclfile: z.string().default(''),
  maxclients: z.number().int().min(1).default(10000),
  /** Close clients idle this many seconds (0 = never). */
  timeout: z.number().int().min(0).default(0),
  /** Bytes (or "100mb"); 0 = no limit. */
  maxmemory: memory.default(0),
  maxmemoryPolicy: z.enum(MAXMEMORY_POLICIES).default('noeviction'),
  databases: z.number().int().min(1).max(1024).default(16),
  appendonly: z.boolean().default(true),
  appendfsync: z.enum(['always', 'everysec', 'no']).default('everysec'),
  /** RDB save rules "seconds changes ..." ("" disables periodic snapshots). */
  save: z.string().default('3600 1 300 100 60 10000'),
  dbfilename: z.string().default('dump.rdb'),
  appenddirname: z.string().default('appendonlydir'),
  appendfilename: z.string().default('appendonly.aof'),
  protoMaxBulkLen: memory.default(512 * 1024 * 1024),
  clientQueryBufferLimit: memory.default(1024 * 1024 * 1024),
  /** "class hard soft seconds" triples as in redis.conf. */
  clientOutputBufferLimit: z.string().default('normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60'),
  hz: z.number().int().min(1).max(500).default(10),
  /** notify-keyspace-events classes, e.g. "KEA" or "Ex" ("" = off, as in Redis). */
  notifyKeyspaceEvents: z
    .string()
    .regex(/^[KEg$lshzxetmdnA]*$/, 'use the notify-keyspace-events classes K E g $ l s h z x e t m d n A')
    .default(''),
});

export type RedisConfig = z.infer<typeof redisConfigSchema>;

export interface OutputLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

export function parseOutputLimits(s: string): Record<string, OutputLimit> | null {
  const parts = s.trim().split(/\s+/);
  if (parts.length % 4 !== 0) return null;
  const out: Record<string, OutputLimit> = {};
  for (let i = 0; i < parts.length; i += 4) {
    let cls = (parts[i] as string).toLowerCase();
    if (cls === 'slave') cls = 'replica';
    if (!['normal', 'replica', 'pubsub'].includes(cls)) return null;
    const hard = parseMemory(parts[i + 1] as string);
    const soft = parseMemory(parts[i + 2] as string);
    const secs = Number(parts[i + 3]);
    if (hard === null || soft === null || !Number.isInteger(secs) || secs < 0) return null;
    out[cls] = { hardBytes: hard, softBytes: soft, softSeconds: secs };
  }
  return out;
}

export function formatOutputLimits(l: Record<string, OutputLimit>): string {
  return ['normal', 'replica', 'pubsub']
    .map((c) => {
      const x = l[c] ?? { hardBytes: 0, softBytes: 0, softSeconds: 0 };
      return `${c === 'replica' ? 'slave' : c} ${x.hardBytes} ${x.softBytes} ${x.softSeconds}`;
    })
    .join(' ');
}

/** Parses "3600 1 300 100" into [seconds, changes] pairs; null when malformed. */
export function parseSaveRules(s: string): Array<[number, number]> | null {
  const parts = s.trim() === '' ? [] : s.trim().split(/\s+/);
  if (parts.length % 2 !== 0) return null;
  const rules: Array<[number, number]> = [];
  for (let i = 0; i < parts.length; i += 2) {
    const secs = Number(parts[i]);
    const changes = Number(parts[i + 1]);
    if (!Number.isInteger(secs) || !Number.isInteger(changes) || secs < 0 || changes < 0) return null;
    rules.push([secs, changes]);
  }
  return rules;
}
