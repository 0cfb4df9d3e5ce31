/**
 * Conversion between live keyspace values and persistence's engine-free RdbValue model (RDB files,
 * AOF base files, DUMP/RESTORE payloads). Keys and members are binary strings here and Buffers there.
 */
import type { RdbValue } from '../persistence/value-model.js';
import { Deque } from './deque.js';
import type { ExtValue, RedisValue } from './keyspace.js';
import { MutableString } from './mutable-string.js';
import { ZSet } from './zset.js';

/** Converts a value type defined outside the engine core (streams) to and from RdbValue. */
export interface ExtValueCodec {
  readonly type: string;
  toRdb(v: ExtValue): RdbValue;
  fromRdb(v: RdbValue): ExtValue;
}

const codecs = new Map<string, ExtValueCodec>();

/** Streams (R3) register here so RDB/AOF/DUMP handle them like built-in types. */
export function registerValueCodec(codec: ExtValueCodec): void {
  codecs.set(codec.type, codec);
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const s = (buf: Buffer): string => buf.latin1Slice(0, buf.length);

/** null for value types persistence does not model yet (streams). */
export function toRdbValue(v: RedisValue): RdbValue | null {
  if (typeof v === 'string') return { type: 'string', value: b(v) };
  if (v instanceof MutableString) return { type: 'string', value: Buffer.from(v.bytes()) };
  if (v instanceof Deque) return { type: 'list', items: v.toArray().map(b) };
  if (v instanceof Map) return { type: 'hash', entries: [...v].map(([f, x]) => [b(f), b(x)]) };
  if (v instanceof Set) return { type: 'set', members: [...v].map(b) };
  if (v instanceof ZSet) return { type: 'zset', entries: [...v.entries()].map(([m, sc]) => [b(m), sc]) };
  return codecs.get(v.redisType)?.toRdb(v) ?? null;
}

/** null when the value's type has no codec registered (a stream before streams are plugged in). */
export function fromRdbValue(v: RdbValue): RedisValue | null {
  switch (v.type) {
    case 'string':
      return s(v.value);
    case 'list':
      return Deque.from(v.items.map(s));
    case 'hash':
      return new Map(v.entries.map(([f, x]) => [s(f), s(x)]));
    case 'set':
      return new Set(v.members.map(s));
    case 'zset': {
      const z = new ZSet();
      for (const [m, sc] of v.entries) z.add(s(m), sc);
      return z;
    }
    default:
      return codecs.get(v.type)?.fromRdb(v) ?? null;
  }
}
