/** Bitmap commands (bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO. Bit 0 is the MSB of byte 0. */
import type { Client } from '../client.js';
import type { RedisValue } from '../engine/keyspace.js';
import { MutableString } from '../engine/mutable-string.js';
import { is, parseInteger, parseBigInt } from './args.js';
import { E_BIT_OFFSET, E_BIT_VALUE, E_NOT_INT, E_SYNTAX, E_WRONGTYPE } from './errors.js';
import type { CommandModule } from './types.js';
import { expireBeforeOverwrite, notify, NOTIFY_GENERIC, NOTIFY_STRING } from '../notify.js';

/** Largest bit offset: 512 MB of bits (proto-max-bulk-len), as Redis. */
const BIT_OFFSET_MAX = 512 * 1024 * 1024 * 8 - 1;

/** The value's bytes (a view, not a copy, for MutableString); null after WRONGTYPE. */
function bytesOf(c: Client, v: RedisValue | undefined): Buffer | null {
  if (v === undefined) return Buffer.alloc(0);
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  if (v instanceof MutableString) return v.bytes();
  c.reply.error(E_WRONGTYPE);
  return null;
}

/** Gets (creating or converting) an in-place editable string for a write; null after WRONGTYPE. */
function editable(c: Client, key: string): MutableString | null {
  const v = c.db.getWrite(key);
  if (v instanceof MutableString) return v;
  if (v !== undefined && typeof v !== 'string') {
    c.reply.error(E_WRONGTYPE);
    return null;
  }
  const ms = new MutableString(v ?? '');
  c.db.set(key, ms, true);
  return ms;
}

function parseBitOffset(c: Client, raw: string, hashAllowed = false, width = 1): number | null {
  let s = raw;
  let mul = 1;
  if (hashAllowed && s.startsWith('#')) {
    s = s.slice(1);
    mul = width;
  }
  const n = parseInteger(s);
  if (n === null || n < 0 || n * mul > BIT_OFFSET_MAX) {
    c.reply.error(E_BIT_OFFSET);
    return null;
  }
  return n * mul;
}

function setbit(c: Client): void {
  const key = c.argv[1] as string;
  const off = parseBitOffset(c, c.argv[2] as string);
  if (off === null) return;
  const bitArg = c.argv[3] as string;
  if (bitArg !== '0' && bitArg !== '1') return c.reply.error(E_BIT_VALUE);
  const existed = c.db.peek(key) !== undefined;
  const ms = editable(c, key);
  if (ms === null) return;
  const byte = off >> 3;
  const grew = byte + 1 > ms.len;
  ms.ensure(byte + 1);
  const mask = 1 << (7 - (off & 7));
  const old = ((ms.buf[byte] as number) & mask) !== 0 ? 1 : 0;
  if (bitArg === '1') ms.buf[byte] = (ms.buf[byte] as number) | mask;
  else ms.buf[byte] = (ms.buf[byte] as number) & ~mask;
  // As Redis 7: only a created key, a longer string or a flipped bit counts as a change.
  if (!existed || grew || old !== (bitArg === '1' ? 1 : 0)) {
    c.db.modified(key);
    notify(c, NOTIFY_STRING, 'setbit', key);
  }
  c.reply.int(old);
}

function getbit(c: Client): void {
  const off = parseBitOffset(c, c.argv[2] as string);
  if (off === null) return;
  const b = bytesOf(c, c.db.get(c.argv[1] as string));
  if (b === null) return;
  const byte = off >> 3;
  if (byte >= b.length) return c.reply.int(0);
  c.reply.int(((b[byte] as number) >> (7 - (off & 7))) & 1);
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let x = i; x; x >>= 1) n += x & 1;
  return n;
});

/** Resolves a start/end pair in BYTE or BIT units to a bit range [from, to] inclusive, or null if empty. */
function bitRange(startRaw: number, endRaw: number, lenBytes: number, isBit: boolean): [number, number] | null {
  const total = isBit ? lenBytes * 8 : lenBytes;
  let start = startRaw < 0 ? total + startRaw : startRaw;
  let end = endRaw < 0 ? total + endRaw : endRaw;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end || total === 0) return null;
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

function parseUnit(c: Client, raw: string | undefined): boolean | null {
  if (raw === undefined || is(raw, 'BYTE')) return false;
  if (is(raw, 'BIT')) return true;
  c.reply.error(E_SYNTAX);
  return null;
}

function bitcount(c: Client): void {
  const argv = c.argv;
  if (argv.length === 3 || argv.length > 5) return c.reply.error(E_SYNTAX);
  let range: [number, number, boolean] | null = null;
  if (argv.length >= 4) {
    const s = parseInteger(argv[2] as string);
    const e = parseInteger(argv[3] as string);
    if (s === null || e === null) return c.reply.error(E_NOT_INT);
    const isBit = parseUnit(c, argv[4]);
    if (isBit === null) return;
    range = [s, e, isBit];
  }
  const b = bytesOf(c, c.db.get(argv[1] as string));
  if (b === null) return;
  const r = range ? bitRange(range[0], range[1], b.length, range[2]) : b.length ? ([0, b.length * 8 - 1] as [number, number]) : null;
  if (r === null) return c.reply.int(0);
  let n = 0;
  let i = r[0];
  for (; i <= r[1] && (i & 7) !== 0; i++) n += ((b[i >> 3] as number) >> (7 - (i & 7))) & 1;
  for (; i + 7 <= r[1]; i += 8) n += POPCOUNT[b[i >> 3] as number] as number;
  for (; i <= r[1]; i++) n += ((b[i >> 3] as number) >> (7 - (i & 7))) & 1;
  c.reply.int(n);
}

function bitpos(c: Client): void {
  const argv = c.argv;
  const bitArg = argv[2] as string;
  if (bitArg !== '0' && bitArg !== '1') return c.reply.error('ERR The bit argument must be 1 or 0.');
  const bit = bitArg === '1' ? 1 : 0;
  if (argv.length > 6) return c.reply.error(E_SYNTAX);
  let s = 0;
  let e = -1;
  const endGiven = argv.length >= 5;
  if (argv.length >= 4) {
    const x = parseInteger(argv[3] as string);
    if (x === null) return c.reply.error(E_NOT_INT);
    s = x;
  }
  if (endGiven) {
    const x = parseInteger(argv[4] as string);
    if (x === null) return c.reply.error(E_NOT_INT);
    e = x;
  }
  const isBit = parseUnit(c, argv[5]);
  if (isBit === null) return;
  const v = c.db.get(argv[1] as string);
  const b = bytesOf(c, v);
  if (b === null) return;
  if (v === undefined) return c.reply.int(bit ? -1 : 0);
  const r = bitRange(s, e, b.length, isBit);
  if (r === null) return c.reply.int(-1);
  for (let i = r[0]; i <= r[1]; i++) if ((((b[i >> 3] as number) >> (7 - (i & 7))) & 1) === bit) return c.reply.int(i);
  // Looking for a clear bit with no explicit end: the string is treated as padded with zeros.
  if (bit === 0 && !endGiven) return c.reply.int(r[1] + 1);
  c.reply.int(-1);
}

function bitop(c: Client): void {
  const argv = c.argv;
  const op = (argv[1] as string).toUpperCase();
  if (!['AND', 'OR', 'XOR', 'NOT'].includes(op)) return c.reply.error(E_SYNTAX);
  const dst = argv[2] as string;
  const srcKeys = argv.slice(3);
  if (op === 'NOT' && srcKeys.length !== 1) return c.reply.error('ERR BITOP NOT must be called with a single source key.');
  const srcs: Buffer[] = [];
  for (const k of srcKeys) {
    const b = bytesOf(c, c.db.get(k));
    if (b === null) return;
    srcs.push(b);
  }
  const len = Math.max(0, ...srcs.map((b) => b.length));
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) {
    let acc = srcs[0]?.[i] ?? 0;
    if (op === 'NOT') acc = ~acc & 0xff;
    for (let k = 1; k < srcs.length; k++) {
      const x = srcs[k]?.[i] ?? 0;
      acc = op === 'AND' ? acc & x : op === 'OR' ? acc | x : acc ^ x;
    }
    out[i] = acc;
  }
  if (len === 0) {
    if (c.db.delete(dst)) notify(c, NOTIFY_GENERIC, 'del', dst);
  } else {
    expireBeforeOverwrite(c, dst);
    c.db.set(dst, out.latin1Slice(0, len));
    notify(c, NOTIFY_STRING, 'set', dst);
  }
  c.reply.int(len);
}

// --- BITFIELD ---------------------------------------------------------------------------------

interface FieldType {
  signed: boolean;
  bits: number;
}

function parseType(raw: string): FieldType | null {
  const m = /^([iu])(\d+)$/i.exec(raw);
  if (!m) return null;
  const signed = (m[1] as string).toLowerCase() === 'i';
  const bits = Number(m[2]);
  if (bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) return null;
  return { signed, bits };
}

function readField(b: Buffer, off: number, t: FieldType): bigint {
  let v = 0n;
  for (let i = 0; i < t.bits; i++) {
    const pos = off + i;
    const byte = b[pos >> 3] ?? 0;
    v = (v << 1n) | BigInt((byte >> (7 - (pos & 7))) & 1);
  }
  if (t.signed && t.bits > 0 && (v >> BigInt(t.bits - 1)) & 1n) v -= 1n << BigInt(t.bits);
  return v;
}

function writeField(ms: MutableString, off: number, t: FieldType, value: bigint): void {
  ms.ensure((off + t.bits + 7) >> 3);
  let v = BigInt.asUintN(t.bits, value);
  for (let i = t.bits - 1; i >= 0; i--) {
    const pos = off + i;
    const mask = 1 << (7 - (pos & 7));
    if (v & 1n) ms.buf[pos >> 3] = (ms.buf[pos >> 3] as number) | mask;
    else ms.buf[pos >> 3] = (ms.buf[pos >> 3] as number) & ~mask;
    v >>= 1n;
  }
}

/** Applies overflow policy; null = FAIL (no write, nil reply). */
function overflow(v: bigint, t: FieldType, mode: 'WRAP' | 'SAT' | 'FAIL'): bigint | null {
  const min = t.signed ? -(1n << BigInt(t.bits - 1)) : 0n;
  const max = t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n;
  if (v >= min && v <= max) return v;
  if (mode === 'FAIL') return null;
  if (mode === 'SAT') return v < min ? min : max;
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

type Op = { kind: 'GET'; t: FieldType; off: number } | { kind: 'SET' | 'INCRBY'; t: FieldType; off: number; arg: bigint; ovf: 'WRAP' | 'SAT' | 'FAIL' };

function bitfield(c: Client, readOnly: boolean): void {
  const argv = c.argv;
  const ops: Op[] = [];
  let ovf: 'WRAP' | 'SAT' | 'FAIL' = 'WRAP';
  for (let i = 2; i < argv.length; i++) {
    const sub = (argv[i] as string).toUpperCase();
    const left = argv.length - i - 1;
    if (sub === 'OVERFLOW' && left >= 1) {
      const m = (argv[++i] as string).toUpperCase();
      if (m !== 'WRAP' && m !== 'SAT' && m !== 'FAIL') return c.reply.error('ERR Invalid OVERFLOW type specified');
      ovf = m;
      continue;
    }
    if ((sub === 'GET' && left >= 2) || ((sub === 'SET' || sub === 'INCRBY') && left >= 3)) {
      const t = parseType(argv[i + 1] as string);
      if (!t) return c.reply.error('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
      const off = parseBitOffset(c, argv[i + 2] as string, true, t.bits);
      if (off === null) return;
      if (sub === 'GET') {
        ops.push({ kind: 'GET', t, off });
        i += 2;
      } else {
        if (readOnly) return c.reply.error('ERR BITFIELD_RO only supports the GET subcommand');
        const arg = parseBigInt(argv[i + 3] as string);
        if (arg === null) return c.reply.error(E_NOT_INT);
        ops.push({ kind: sub, t, off, arg, ovf });
        i += 3;
      }
      continue;
    }
    return c.reply.error(E_SYNTAX);
  }
  const key = argv[1] as string;
  const writes = ops.some((o) => o.kind !== 'GET');
  let ms: MutableString | null = null;
  let bytes: Buffer;
  if (writes) {
    ms = editable(c, key);
    if (ms === null) return;
    bytes = ms.bytes();
  } else {
    const b = bytesOf(c, c.db.get(key));
    if (b === null) return;
    bytes = b;
  }
  c.reply.array(ops.length);
  let changed = false;
  for (const o of ops) {
    if (ms) bytes = ms.bytes();
    const cur = readField(bytes, o.off, o.t);
    if (o.kind === 'GET') {
      c.reply.intExact(cur.toString());
      continue;
    }
    const want = o.kind === 'SET' ? o.arg : cur + o.arg;
    const v = overflow(want, o.t, o.ovf);
    if (v === null) {
      c.reply.nullBulk();
      continue;
    }
    writeField(ms as MutableString, o.off, o.t, v);
    changed = true;
    c.reply.intExact((o.kind === 'SET' ? cur : v).toString());
  }
  if (changed) {
    c.db.modified(key);
    notify(c, NOTIFY_STRING, 'setbit', key);
  }
}

export const bitCommands: CommandModule = {
  setbit,
  getbit,
  bitcount,
  bitpos,
  bitop,
  bitfield: (c) => bitfield(c, false),
  bitfield_ro: (c) => bitfield(c, true),
};
