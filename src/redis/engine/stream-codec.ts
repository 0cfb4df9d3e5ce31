/**
 * Streams ⇄ persistence's RdbStreamValue (RDB files, AOF base, DUMP/RESTORE). Registered with the
 * engine's value-codec table when this module is imported (the stream command module does).
 * Fields and names are binary strings in the engine and Buffers in the model.
 */
import type { RdbStreamValue, RdbValue } from '../persistence/value-model.js';
import { registerValueCodec, type ExtValueCodec } from './rdb-convert.js';
import type { ExtValue } from './keyspace.js';
import { Stream, type Consumer, type ConsumerGroup, type PendingEntry } from './stream.js';
import { MAX_ID, MIN_ID } from './stream-id.js';
import { IdMap } from './stream-index.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const s = (buf: Buffer): string => buf.toString('latin1');

export function streamToRdb(st: Stream): RdbStreamValue {
  return {
    type: 'stream',
    entries: st.range(MIN_ID, MAX_ID, -1).map(([id, f]) => ({ id, fields: f.map(b) })),
    lastId: st.lastId,
    maxDeletedId: st.maxDeletedId,
    entriesAdded: st.entriesAdded,
    groups: [...st.groups.values()].map((g) => ({
      name: b(g.name),
      lastId: g.lastId,
      entriesRead: g.entriesRead,
      pending: [...g.pel.range(MIN_ID, MAX_ID)].map(([id, pe]) => ({
        id,
        consumer: b(pe.consumer.name),
        deliveryTimeMs: pe.deliveryTimeMs,
        deliveryCount: pe.deliveryCount,
      })),
      consumers: [...g.consumers.values()].map((c) => ({
        name: b(c.name),
        seenTimeMs: c.seenTimeMs,
        activeTimeMs: c.activeTimeMs,
      })),
    })),
  };
}

export function streamFromRdb(v: RdbStreamValue): Stream {
  const st = new Stream();
  for (const e of v.entries) st.add({ ms: e.id.ms, seq: e.id.seq }, e.fields.map(s));
  st.lastId = v.lastId;
  st.maxDeletedId = v.maxDeletedId;
  st.entriesAdded = v.entriesAdded;
  for (const rg of v.groups) {
    const g = st.createGroup(s(rg.name), rg.lastId, rg.entriesRead) as ConsumerGroup;
    for (const rc of rg.consumers) {
      const c: Consumer = {
        name: s(rc.name),
        seenTimeMs: rc.seenTimeMs,
        activeTimeMs: rc.activeTimeMs,
        pel: new IdMap(),
      };
      g.consumers.set(c.name, c);
    }
    for (const rp of rg.pending) {
      const name = s(rp.consumer);
      let c = g.consumers.get(name);
      if (!c) {
        c = st.consumer(g, name, rp.deliveryTimeMs, true).consumer as Consumer;
      }
      const pe: PendingEntry = {
        consumer: c,
        deliveryTimeMs: rp.deliveryTimeMs,
        deliveryCount: rp.deliveryCount,
      };
      g.pel.set(rp.id, pe);
      c.pel.set(rp.id, pe);
    }
  }
  return st;
}

export const streamCodec: ExtValueCodec = {
  type: 'stream',
  toRdb: (v: ExtValue): RdbValue => streamToRdb(v as Stream),
  fromRdb: (v: RdbValue): ExtValue => {
    if (v.type !== 'stream') throw new Error(`stream codec given a ${v.type}`);
    return streamFromRdb(v);
  },
};

registerValueCodec(streamCodec);
