/**
 * The value model persistence speaks: what an RDB file, a DUMP payload or an AOF base holds, with no
 * engine types. The engine (R1's keyspace) converts its live values to and from these shapes.
 *
 * API:
 *   RdbValue  — one Redis value; byte strings are Buffers (Redis strings are binary).
 *   RdbEntry  — one key in one database, with its absolute expiry (ms since epoch) or null.
 *
 * Streams carry their entries (fields flat: field, value, field, value …), the bookkeeping Redis
 * keeps (last ID, max deleted ID, entries added) and consumer groups with their pending entries.
 * Stream ID parts are numbers ≤ 2^53-1, like the engine's; a file with larger ones is refused.
 * Function libraries are not values: they travel beside the entries (RdbReader.functions).
 */

export interface RdbStreamId {
  readonly ms: number;
  readonly seq: number;
}

export interface RdbStreamEntry {
  readonly id: RdbStreamId;
  /** field, value, field, value … */
  readonly fields: Buffer[];
}

export interface RdbStreamPending {
  readonly id: RdbStreamId;
  readonly consumer: Buffer;
  readonly deliveryTimeMs: number;
  readonly deliveryCount: number;
}

export interface RdbStreamConsumer {
  readonly name: Buffer;
  readonly seenTimeMs: number;
  readonly activeTimeMs: number;
}

export interface RdbStreamGroup {
  readonly name: Buffer;
  readonly lastId: RdbStreamId;
  /** Logical read counter; null when Redis marks it invalid (-1). */
  readonly entriesRead: number | null;
  readonly pending: RdbStreamPending[];
  readonly consumers: RdbStreamConsumer[];
}

export interface RdbStreamValue {
  readonly type: 'stream';
  /** Ascending by ID. */
  readonly entries: RdbStreamEntry[];
  readonly lastId: RdbStreamId;
  readonly maxDeletedId: RdbStreamId;
  readonly entriesAdded: number;
  readonly groups: RdbStreamGroup[];
}

export type RdbValue =
  | { readonly type: 'string'; readonly value: Buffer }
  | { readonly type: 'list'; readonly items: Buffer[] }
  | { readonly type: 'set'; readonly members: Buffer[] }
  | { readonly type: 'hash'; readonly entries: Array<[Buffer, Buffer]> }
  | { readonly type: 'zset'; readonly entries: Array<[Buffer, number]> }
  | RdbStreamValue;

export type RdbValueType = RdbValue['type'];

export interface RdbEntry {
  readonly db: number;
  readonly key: Buffer;
  readonly value: RdbValue;
  /** Absolute expiry in ms since the epoch, or null for a key without TTL. */
  readonly expireAtMs: number | null;
}

/** Number of elements a collection value holds (1 for a string); empty collections are not stored. */
export function valueSize(v: RdbValue): number {
  switch (v.type) {
    case 'string':
      return 1;
    case 'list':
      return v.items.length;
    case 'set':
      return v.members.length;
    case 'hash':
    case 'zset':
    case 'stream':
      return v.entries.length;
  }
}
