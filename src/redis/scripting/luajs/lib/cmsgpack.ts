// lua-cmsgpack as Redis ships it (a port of ../../libs/cmsgpack.ts onto the luajs value model):
// cmsgpack.pack(...), unpack(s), unpack_one(s [, offset]), unpack_limit(s, limit [, offset]).
// Integral numbers use the smallest integer form, other numbers float32 when exact else float64;
// tables that are 1..n sequences become arrays, others maps; nesting past MAX_ENCODE_NESTING
// encodes nil. Decoding is iterative: open containers live in a frame stack.
import { LuaError, LuaTable, type LuaValue } from '../value.js';
import { ByteWriter } from '../../libs/bytes.js';
import {
  argError,
  arrayShape,
  checkInteger,
  guardMemory,
  checkString,
  libTable,
  luaError,
  optInteger,
  toInt,
} from './args.js';

export const MAX_ENCODE_NESTING = 16;
/**
 * Lua 5.1's LUAI_MAXCSTACK: the stack slots a C function may use. lua-cmsgpack checks it while
 * decoding (two slots per open container, one per returned value), so that is where Redis stops
 * decoding with "stack overflow (...)"; the same accounting bounds nesting and results here.
 */
export const MAX_C_STACK = 8000;

/** Writes the low `n` bytes of v big-endian (v < 2^32 in magnitude; negative v as two's complement). */
function bigEndian(w: ByteWriter, tag: number, v: number, n: number): void {
  w.byte(tag);
  for (let shift = (n - 1) * 8; shift >= 0; shift -= 8) w.byte((v >>> shift) & 0xff);
}

function encodeInteger(w: ByteWriter, n: number): void {
  if (n >= 0) {
    if (n < 128) w.byte(n);
    else if (n < 0x100) bigEndian(w, 0xcc, n, 1);
    else if (n < 0x10000) bigEndian(w, 0xcd, n, 2);
    else if (n < 0x100000000) bigEndian(w, 0xce, n, 4);
    else
      w.view(9, (d) => {
        d.setUint8(0, 0xcf);
        d.setBigUint64(1, BigInt(n));
      });
  } else if (n >= -32) w.byte(n & 0xff);
  else if (n >= -128) bigEndian(w, 0xd0, n, 1);
  else if (n >= -32768) bigEndian(w, 0xd1, n, 2);
  else if (n >= -2147483648) bigEndian(w, 0xd2, n, 4);
  else
    w.view(9, (d) => {
      d.setUint8(0, 0xd3);
      d.setBigInt64(1, BigInt(n));
    });
}

function encodeNumber(w: ByteWriter, n: number): void {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) {
    encodeInteger(w, n);
    return;
  }
  if (Math.fround(n) === n || Number.isNaN(n))
    w.view(5, (d) => {
      d.setUint8(0, 0xca);
      d.setFloat32(1, n);
    });
  else
    w.view(9, (d) => {
      d.setUint8(0, 0xcb);
      d.setFloat64(1, n);
    });
}

function header(w: ByteWriter, n: number, fix: number, b16: number, b32: number): void {
  if (n < 16) w.byte(fix | n);
  else if (n < 0x10000) bigEndian(w, b16, n, 2);
  else bigEndian(w, b32, n, 4);
}

function encodeString(w: ByteWriter, s: string): void {
  const n = s.length;
  if (n < 32) w.byte(0xa0 | n);
  else if (n < 0x100) bigEndian(w, 0xd9, n, 1);
  else if (n < 0x10000) bigEndian(w, 0xda, n, 2);
  else bigEndian(w, 0xdb, n, 4);
  w.ascii(s);
}

/** Array length if the table is a 1..n sequence, else -1. */
function sequenceLength(t: LuaTable): number {
  const shape = arrayShape(t);
  return shape !== null && shape.max === shape.items ? shape.items : -1;
}

function mapSize(t: LuaTable): number {
  let count = 0;
  for (const v of t.arr) if (v !== undefined) count++;
  return count + (t.hash === null ? 0 : t.hash.size);
}

// Recursion bounded by MAX_ENCODE_NESTING (16), as in lua-cmsgpack.
function encodeValue(w: ByteWriter, v: LuaValue, level: number): void {
  if (typeof v === 'string') encodeString(w, v);
  else if (typeof v === 'number') encodeNumber(w, v);
  else if (typeof v === 'boolean') w.byte(v ? 0xc3 : 0xc2);
  else if (v instanceof LuaTable && level < MAX_ENCODE_NESTING) encodeTable(w, v, level + 1);
  else w.byte(0xc0);
}

function encodeTable(w: ByteWriter, t: LuaTable, level: number): void {
  const n = sequenceLength(t);
  if (n >= 0) {
    header(w, n, 0x90, 0xdc, 0xdd);
    for (let i = 1; i <= n; i++) encodeValue(w, t.get(i), level);
    return;
  }
  header(w, mapSize(t), 0x80, 0xde, 0xdf);
  // next()'s order: the array part, then the hash part (nothing can change the table meanwhile).
  const arr = t.arr;
  for (let i = 0; i < arr.length; i++) {
    if (arr[i] === undefined) continue;
    encodeInteger(w, i + 1);
    encodeValue(w, arr[i], level);
  }
  if (t.hash !== null) {
    for (const [k, v] of t.hash) {
      encodeValue(w, k, level);
      encodeValue(w, v, level);
    }
  }
}

function bytesToLatin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

// ---- decoding -------------------------------------------------------------------------------------

class Missing extends Error {}
class BadFormat extends Error {}

interface Frame {
  table: LuaTable;
  isMap: boolean;
  /** Elements (arrays) or key+value slots (maps, counted twice) still to read. */
  left: number;
  index: number;
  key: LuaValue;
}

const OPENED: unique symbol = Symbol('opened');

class Decoder {
  pos: number;
  private readonly buf: Buffer;
  private readonly dv: DataView;

  constructor(
    private readonly s: string,
    offset: number,
  ) {
    this.buf = Buffer.from(s, 'latin1');
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.pos = offset;
  }

  /** Advances over n bytes, returning their offset. */
  private need(n: number): number {
    if (this.pos + n > this.buf.length) throw new Missing();
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private str(n: number): string {
    const at = this.need(n);
    return this.s.substring(at, at + n);
  }

  /** Decodes one complete value. */
  one(): LuaValue {
    const frames: Frame[] = [];
    for (;;) {
      let v = this.item(frames);
      if (v === OPENED) continue;
      for (;;) {
        const f = frames[frames.length - 1];
        if (!f) return v;
        f.left--;
        if (f.isMap) {
          if (f.left % 2 === 1) {
            f.key = v; // just read a key; read its value next
            break;
          }
          checkKey(f.key);
          f.table.set(f.key, v);
        } else f.table.set(++f.index, v);
        if (f.left > 0) break;
        frames.pop();
        v = f.table;
      }
    }
  }

  private item(frames: Frame[]): LuaValue | typeof OPENED {
    const c = this.buf[this.need(1)]!;
    if (c <= 0x7f) return c;
    if (c >= 0xe0) return c - 0x100;
    if (c >= 0xa0 && c <= 0xbf) return this.str(c & 0x1f);
    if (c >= 0x90 && c <= 0x9f) return this.open(frames, false, c & 0x0f);
    if (c >= 0x80 && c <= 0x8f) return this.open(frames, true, c & 0x0f);
    return this.typed(frames, c);
  }

  private typed(frames: Frame[], c: number): LuaValue | typeof OPENED {
    const dv = this.dv;
    switch (c) {
      case 0xc0:
        return undefined;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      // lua-cmsgpack 0.4 has no bin types (0xc4-0xc6): they are bad data, as in Redis.
      case 0xd9:
        return this.str(dv.getUint8(this.need(1)));
      case 0xda:
        return this.str(dv.getUint16(this.need(2)));
      case 0xdb:
        return this.str(dv.getUint32(this.need(4)));
      case 0xca:
        return dv.getFloat32(this.need(4));
      case 0xcb:
        return dv.getFloat64(this.need(8));
      case 0xcc:
        return dv.getUint8(this.need(1));
      case 0xcd:
        return dv.getUint16(this.need(2));
      case 0xce:
        return dv.getUint32(this.need(4));
      case 0xcf:
        return Number(dv.getBigUint64(this.need(8)));
      case 0xd0:
        return dv.getInt8(this.need(1));
      case 0xd1:
        return dv.getInt16(this.need(2));
      case 0xd2:
        return dv.getInt32(this.need(4));
      case 0xd3:
        return Number(dv.getBigInt64(this.need(8)));
      case 0xdc:
        return this.open(frames, false, dv.getUint16(this.need(2)));
      case 0xdd:
        return this.open(frames, false, dv.getUint32(this.need(4)));
      case 0xde:
        return this.open(frames, true, dv.getUint16(this.need(2)));
      case 0xdf:
        return this.open(frames, true, dv.getUint32(this.need(4)));
      default:
        throw new BadFormat();
    }
  }

  private open(frames: Frame[], isMap: boolean, n: number): LuaValue | typeof OPENED {
    // Slots in use: the input string, the values decoded so far, two per open container.
    // Arrays check in mp_decode_to_lua_array; maps do not check, and redis-server then fails in
    // the check of the results (its message is reproduced).
    if (1 + this.results + 2 * (frames.length + 1) > MAX_C_STACK)
      luaError(isMap ? TOO_MANY_VALUES : 'stack overflow (in function mp_decode_to_lua_array)');
    const table = new LuaTable();
    if (n === 0) return table;
    frames.push({ table, isMap, left: isMap ? n * 2 : n, index: 0, key: undefined });
    return OPENED;
  }

  /** Values already decoded by the caller (they hold stack slots too). */
  results = 0;
}

/** lua_settable's key checks (raised without a position: the failing call is in C). */
function checkKey(k: LuaValue): void {
  if (k === undefined) throw new LuaError('table index is nil');
  if (k !== k) throw new LuaError('table index is NaN');
}

const TOO_MANY_VALUES =
  'stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)';

/**
 * mp_unpack_full: decodes up to `limit` values from `offset` (limit and offset both 0: all
 * values, and no offset in the results); otherwise the results start with the next offset, -1
 * at the end of the input.
 */
function unpackFull(s: string, limit: number, offset: number): LuaValue[] {
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0)
    luaError(`Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
  if (offset > s.length) luaError(`Start offset ${offset} greater than input length ${s.length}.`);
  const max = decodeAll ? Infinity : limit;
  const d = new Decoder(s, offset);
  const values: LuaValue[] = [];
  try {
    while (d.pos < s.length && values.length < max) {
      if (1 + values.length + 1 > MAX_C_STACK) luaError(TOO_MANY_VALUES);
      d.results = values.length;
      values.push(d.one());
    }
  } catch (e) {
    if (e instanceof Missing) luaError('Missing bytes in input.');
    if (e instanceof BadFormat) luaError('Bad data format in input.');
    throw e;
  }
  if (decodeAll) return values;
  if (1 + values.length + 1 > MAX_C_STACK) luaError('stack overflow (in function mp_unpack_full)');
  values.unshift(d.pos >= s.length ? -1 : d.pos);
  return values;
}

export function createCmsgpackLib(): LuaTable {
  function pack(this: void, ...args: LuaValue[]): LuaValue[] {
    if (args.length === 0) argError(0, 'pack', 'MessagePack pack needs input.');
    const w = new ByteWriter();
    for (const v of args) encodeValue(w, v, 0);
    return [bytesToLatin1(w.result())];
  }
  function unpack(this: void, s?: LuaValue): LuaValue[] {
    return unpackFull(checkString(s, 1, 'unpack', arguments.length), 0, 0);
  }
  function unpackOne(this: void, s?: LuaValue, off?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const offset = toInt(optInteger(off, 2, 'unpack_one', argc, 0));
    return unpackFull(checkString(s, 1, 'unpack_one', argc), 1, offset);
  }
  function unpackLimit(this: void, s?: LuaValue, limit?: LuaValue, off?: LuaValue): LuaValue[] {
    const argc = arguments.length;
    const n = toInt(checkInteger(limit, 2, 'unpack_limit', argc));
    const offset = toInt(optInteger(off, 3, 'unpack_limit', argc, 0));
    return unpackFull(checkString(s, 1, 'unpack_limit', argc), n, offset);
  }
  return libTable({
    pack: guardMemory(pack),
    unpack,
    unpack_one: unpackOne,
    unpack_limit: unpackLimit,
    _NAME: 'cmsgpack',
    _VERSION: 'lua-cmsgpack 0.4.0',
  });
}
