/** Small helpers shared by handlers: errors → codes, id conversions, grouping. */
import { KafkaEngineError } from '../engine/types.js';
import { ErrorCode } from '../error-codes.js';
import { ZERO_UUID } from '../protocol/types.js';

/** The Kafka error code for an error thrown by the engine (UNKNOWN_SERVER_ERROR otherwise). */
export function errorCodeOf(e: unknown): number {
  if (e instanceof KafkaEngineError) return e.errorCode;
  const code = (e as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === 'number' ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A 16-byte topic id as Kafka's UUID string form used by our codecs. */
export function uuidFromBytes(b: Buffer | null | undefined): string {
  if (!b || b.length !== 16) return ZERO_UUID;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidToBytes(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, ''), 'hex');
}

/** int64 wire value → safe JS number (clamped; offsets and timestamps fit in 2^53). */
export function toNum(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

export const big = (n: number): bigint => BigInt(Math.trunc(n));

/** Kafka's legal topic name: 1-249 of [a-zA-Z0-9._-], not "." or "..". */
export function isValidTopicName(name: string): boolean {
  return (
    name.length > 0 && name.length <= 249 && /^[a-zA-Z0-9._-]+$/.test(name) && name !== '.' && name !== '..'
  );
}

/** Kafka's "unknown" authorized-operations value (INT32_MIN). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
