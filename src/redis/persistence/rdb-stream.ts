/**
 * Stream nodes as Redis stores them in RDB: a radix-tree key (the node's master ID, 16 bytes
 * big-endian ms then seq) and a listpack holding a master entry followed by entries relative to it
 * (t_stream.c):
 *   master = count deleted num-fields field_1 … field_N 0
 *   entry  = flags ms-diff seq-diff ( num-fields f_1 v_1 … f_N v_N | v_1 … v_N ) lp-count
 * flags: 1 = deleted, 2 = same fields as the master (then the field names are omitted).
 * lp-count = number of elements of the entry before it: N + 3 with same fields, 2N + 4 without.
 *
 * API: encodeStreamNodes(entries) → [{ key, listpack }];  decodeStreamNode(key, listpack, out)
 */
import { RdbFormatError } from './errors.js';
import { listpackEntries } from './rdb-encodings.js';
import { ListpackWriter } from './listpack-writer.js';
import type { RdbStreamEntry, RdbStreamId } from './value-model.js';

/** Redis's stream-node-max-entries / stream-node-max-bytes defaults. */
export const STREAM_NODE_ENTRIES_MAX = 100;
export const STREAM_NODE_BYTES_MAX = 4096;
const FLAG_DELETED = 1;
const FLAG_SAME_FIELDS = 2;

export function encodeStreamId(id: RdbStreamId): Buffer {
  const out = Buffer.alloc(16);
  out.writeBigUInt64BE(BigInt(id.ms), 0);
  out.writeBigUInt64BE(BigInt(id.seq), 8);
  return out;
}

export function decodeStreamId(buf: Buffer, at: number): RdbStreamId {
  if (buf.length !== 16) throw new RdbFormatError('stream ID is not 16 bytes', at);
  const ms = buf.readBigUInt64BE(0);
  const seq = buf.readBigUInt64BE(8);
  if (ms > BigInt(Number.MAX_SAFE_INTEGER) || seq > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RdbFormatError('stream ID beyond 2^53', at);
  }
  return { ms: Number(ms), seq: Number(seq) };
}

export function encodeStreamNodes(
  entries: readonly RdbStreamEntry[],
): Array<{ key: Buffer; listpack: Buffer }> {
  const nodes: Array<{ key: Buffer; listpack: Buffer }> = [];
  let i = 0;
  while (i < entries.length) {
    const first = entries[i] as RdbStreamEntry;
    const masterFields = fieldNames(first.fields);
    // Count the node's entries first: the master entry starts with that count.
    let n = 0;
    let bytes = 0;
    while (i + n < entries.length && n < STREAM_NODE_ENTRIES_MAX && bytes < STREAM_NODE_BYTES_MAX) {
      bytes += approxBytes((entries[i + n] as RdbStreamEntry).fields);
      n++;
    }
    const lp = new ListpackWriter().int(n).int(0).int(masterFields.length);
    for (const f of masterFields) lp.str(f);
    lp.int(0);
    for (let j = 0; j < n; j++) appendEntry(lp, entries[i + j] as RdbStreamEntry, first.id, masterFields);
    nodes.push({ key: encodeStreamId(first.id), listpack: lp.finish() });
    i += n;
  }
  return nodes;
}

function appendEntry(
  lp: ListpackWriter,
  e: RdbStreamEntry,
  master: RdbStreamId,
  masterFields: Buffer[],
): void {
  const names = fieldNames(e.fields);
  const same =
    names.length === masterFields.length && names.every((f, k) => f.equals(masterFields[k] as Buffer));
  lp.int(same ? FLAG_SAME_FIELDS : 0)
    .int(e.id.ms - master.ms)
    .int(e.id.seq - master.seq);
  const pairs = e.fields.length / 2;
  if (same) {
    for (let k = 1; k < e.fields.length; k += 2) lp.str(e.fields[k] as Buffer);
    lp.int(pairs + 3);
  } else {
    lp.int(pairs);
    for (const f of e.fields) lp.str(f);
    lp.int(2 * pairs + 4);
  }
}

function fieldNames(flat: readonly Buffer[]): Buffer[] {
  if (flat.length % 2 !== 0) throw new RangeError('stream entry fields must be field/value pairs');
  const out: Buffer[] = [];
  for (let k = 0; k < flat.length; k += 2) out.push(flat[k] as Buffer);
  return out;
}

function approxBytes(flat: readonly Buffer[]): number {
  let n = 4;
  for (const f of flat) n += f.length + 2;
  return n;
}

/** Appends the node's live (not deleted) entries to out. `at` is for error offsets. */
export function decodeStreamNode(key: Buffer, listpack: Buffer, out: RdbStreamEntry[], at: number): void {
  const master = decodeStreamId(key, at);
  const el: Buffer[] = [];
  listpackEntries(listpack, 0, listpack.length, el);
  let p = 0;
  const next = (): Buffer => {
    const v = el[p++];
    if (v === undefined) throw new RdbFormatError('stream listpack ends early', at);
    return v;
  };
  const int = (): number => {
    const t = next().toString('latin1');
    if (!/^-?\d{1,16}$/.test(t)) throw new RdbFormatError('stream listpack integer expected', at);
    return Number(t);
  };
  int(); // count of live entries (recomputed by the loader)
  int(); // deleted count
  const nMaster = int();
  if (nMaster < 0 || nMaster > el.length) throw new RdbFormatError('bad master field count', at);
  const masterFields: Buffer[] = [];
  for (let k = 0; k < nMaster; k++) masterFields.push(next());
  if (int() !== 0) throw new RdbFormatError('master entry terminator is not 0', at);
  while (p < el.length) {
    const flags = int();
    const id = { ms: master.ms + int(), seq: master.seq + int() };
    if (!Number.isSafeInteger(id.ms) || !Number.isSafeInteger(id.seq) || id.ms < 0 || id.seq < 0) {
      throw new RdbFormatError('bad stream entry ID', at);
    }
    const fields: Buffer[] = [];
    if (flags & FLAG_SAME_FIELDS) {
      for (const f of masterFields) fields.push(f, next());
    } else {
      const n = int();
      if (n < 0 || n > el.length) throw new RdbFormatError('bad entry field count', at);
      for (let k = 0; k < 2 * n; k++) fields.push(next());
    }
    int(); // lp-count, only for backward iteration
    if (!(flags & FLAG_DELETED)) out.push({ id, fields });
  }
}
