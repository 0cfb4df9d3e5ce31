/**
 * The value model persistence speaks: what an RDB file, a DUMP payload or an AOF base holds, with no
 * engine types. The engine (R1's keyspace) converts its live values to and from these shapes.
 *
 * API:
 *   RdbValue  — one Redis value; byte strings are Buffers (Redis strings are binary).
 *   RdbEntry  — one key in one database, with its absolute expiry (ms since epoch) or null.
 *
 * Streams and functions are not modelled yet; the union is open so they can be added as new
 * `type` tags without touching the existing ones.
 */

export type RdbValue =
  | { readonly type: 'string'; readonly value: Buffer }
  | { readonly type: 'list'; readonly items: Buffer[] }
  | { readonly type: 'set'; readonly members: Buffer[] }
  | { readonly type: 'hash'; readonly entries: Array<[Buffer, Buffer]> }
  | { readonly type: 'zset'; readonly entries: Array<[Buffer, number]> };

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
      return v.entries.length;
  }
}
