/**
 * The Redis RDB format: a streaming writer, a pull reader, and DUMP/RESTORE payloads.
 *
 * Grammar written (Redis rdb.c):
 *   file    = "REDIS" 4-digit-version aux* (db-section)* 0xFF crc64-LE
 *   aux     = 0xFA string string                      (redis-ver, redis-bits, ctime, used-mem, aof-base)
 *   db      = 0xFE len [0xFB len len] entry*          (SELECTDB, RESIZEDB hint)
 *   entry   = [0xFC i64-LE-ms] type string value      (EXPIRETIME_MS)
 *   len     = 00xxxxxx | 01xxxxxx xxxxxxxx | 0x80 u32-BE | 0x81 u64-BE
 *   string  = len bytes | 0xC0 i8 | 0xC1 i16-LE | 0xC2 i32-LE | 0xC3 len(clen) len(ulen) lzf-bytes
 * Types written are the plain ones every Redis ≥ 2.8 still loads (verified against redis-server
 * 7.0 in rdb.test.ts): 0 STRING, 1 LIST, 2 SET, 4 HASH, 5 ZSET_2 (scores as binary doubles), and
 * for streams 19 STREAM_LISTPACKS_2 (21 when writing version 11), see rdb-stream.ts.
 * The reader also takes what real Redis 2.x–7.4 writes: 3 ZSET, 10 LIST_ZIPLIST, 11 SET_INTSET,
 * 12 ZSET_ZIPLIST, 13 HASH_ZIPLIST, 14 LIST_QUICKLIST, 16 HASH_LISTPACK, 17 ZSET_LISTPACK,
 * 18 LIST_QUICKLIST_2, 20 SET_LISTPACK, LZF strings, IDLE/FREQ/SLOT_INFO opcodes and
 * FUNCTION2 libraries (kept as source text), and streams 15/19/21 with consumer groups. Modules,
 * zipmaps and 7.4 hash-field TTL types give RdbFormatError.
 *
 * Version: we write RDB version 10 (RDB_VERSION_WRITTEN). Redis 7.2 writes 11, but 7.0 (Debian 12's
 * redis-server) refuses anything newer than 10, and 7.2 loads 10; the types we emit exist in both.
 * `redis-ver` still says 7.2.x, because that is the server we present as.
 *
 * API:
 *   new RdbWriter(sink, { version? })  .header(aux) .selectDb(db, size, expires) .entry(e) .finish()
 *   new RdbReader(buf) | RdbReader.open(path) (chunked, call .close())
 *       .version  .aux  .functions  .next() → RdbEntry | null (null = EOF, CRC ok)  .offset
 *   loadRdbFile(path, onEntry) → { version, aux, functions, keys }   (startup load of dump.rdb)
 *   readRdb(buf) → { version, aux, functions, entries }   (convenience for small files and tests)
 *   writer.functions(libs)   FUNCTION2 records (library sources), right after header()
 *   createDumpPayload(value) → Buffer          (DUMP)
 *   parseDumpPayload(buf) → RdbValue           (RESTORE; throws RdbFormatError, see .reason)
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Crc64, crc64 } from './crc64.js';
import { RdbFormatError } from './errors.js';
import { intsetEntries, listpackEntries, lzfDecompress, ziplistEntries } from './rdb-encodings.js';
import { decodeStreamId, decodeStreamNode, encodeStreamId, encodeStreamNodes } from './rdb-stream.js';
import type {
  RdbEntry,
  RdbStreamConsumer,
  RdbStreamEntry,
  RdbStreamGroup,
  RdbStreamId,
  RdbStreamPending,
  RdbStreamValue,
  RdbValue,
} from './value-model.js';

export const RDB_VERSION_WRITTEN = 10;
/** Highest version we read: Redis 7.4 writes 12; older layouts are subsets. */
export const RDB_VERSION_READ_MAX = 12;
export const REDIS_VERSION_ADVERTISED = '7.2.6';
/** proto-max-bulk-len: no single string in a file may exceed what a client could have sent. */
export const RDB_STRING_BYTES_MAX = 512 * 1024 * 1024;
/** The writer hands the sink chunks of about this size (bigger strings go out whole). */
export const RDB_WRITE_CHUNK_BYTES = 64 * 1024;
export const RDB_DB_INDEX_MAX = 1 << 20;
/** File loads read this much at a time instead of the whole file (files over 2 GiB cannot be one Buffer). */
export const RDB_READ_CHUNK_BYTES = 4 * 1024 * 1024;

export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS: 15,
  STREAM_LISTPACKS_2: 19,
  STREAM_LISTPACKS_3: 21,
} as const;

const OP = {
  SLOT_INFO: 0xf4,
  FUNCTION2: 0xf5,
  FUNCTION_PRE_GA: 0xf6,
  MODULE_AUX: 0xf7,
  IDLE: 0xf8,
  FREQ: 0xf9,
  AUX: 0xfa,
  RESIZEDB: 0xfb,
  EXPIRETIME_MS: 0xfc,
  EXPIRETIME: 0xfd,
  SELECTDB: 0xfe,
  EOF: 0xff,
} as const;

/** Where the writer's bytes go; synchronous so a caller can bound its own memory. */
export interface RdbSink {
  write(chunk: Buffer): void;
}

export interface RdbAux {
  ctimeSec: number;
  usedMemBytes: number;
  /** True when this RDB is the preamble of an AOF base file. */
  aofBase?: boolean;
}

// ───────────────────────────── writer ─────────────────────────────

export class RdbWriter {
  private buf = Buffer.allocUnsafe(RDB_WRITE_CHUNK_BYTES);
  private pos = 0;
  private readonly crc = new Crc64();
  private currentDb = -1;
  private bytesOut = 0;
  private readonly version: number;

  constructor(
    private readonly sink: RdbSink,
    opts: { version?: number } = {},
  ) {
    this.version = opts.version ?? RDB_VERSION_WRITTEN;
  }

  get bytesWritten(): number {
    return this.bytesOut + this.pos;
  }

  header(aux: RdbAux): this {
    this.raw(Buffer.from(`REDIS${String(this.version).padStart(4, '0')}`, 'latin1'));
    this.auxField('redis-ver', REDIS_VERSION_ADVERTISED);
    this.auxField('redis-bits', '64');
    this.auxField('ctime', String(Math.floor(aux.ctimeSec)));
    this.auxField('used-mem', String(Math.floor(aux.usedMemBytes)));
    this.auxField('aof-base', aux.aofBase ? '1' : '0');
    return this;
  }

  /** FUNCTION2 records: one Lua library source per call of FUNCTION LOAD (write after header). */
  functions(libraries: readonly Buffer[]): this {
    for (const lib of libraries) {
      this.byte(OP.FUNCTION2);
      this.string(lib);
    }
    return this;
  }

  /** Starts a database section; size and expires are only hints for the loader's hash tables. */
  selectDb(db: number, size: number, expires: number): this {
    this.byte(OP.SELECTDB);
    this.len(db);
    this.byte(OP.RESIZEDB);
    this.len(size);
    this.len(expires);
    this.currentDb = db;
    return this;
  }

  /** Writes one key; switches database first if needed. Empty collections are skipped, as Redis does. */
  entry(e: RdbEntry): this {
    if (isEmptyCollection(e.value)) return this;
    if (e.db !== this.currentDb) {
      this.byte(OP.SELECTDB);
      this.len(e.db);
      this.currentDb = e.db;
    }
    if (e.expireAtMs !== null) {
      this.byte(OP.EXPIRETIME_MS);
      this.msTime(e.expireAtMs);
    }
    this.value(e.value, e.key);
    return this;
  }

  /** Type byte, then (optionally) the key, then the value body: the unit DUMP also uses. */
  value(v: RdbValue, key: Buffer | null): this {
    this.byte(typeOf(v, this.version));
    if (key) this.string(key);
    switch (v.type) {
      case 'string':
        this.string(v.value);
        break;
      case 'list':
        this.len(v.items.length);
        for (const item of v.items) this.string(item);
        break;
      case 'set':
        this.len(v.members.length);
        for (const m of v.members) this.string(m);
        break;
      case 'hash':
        this.len(v.entries.length);
        for (const [f, val] of v.entries) this.string(f).string(val);
        break;
      case 'zset':
        this.len(v.entries.length);
        for (const [m, score] of v.entries) {
          this.string(m);
          this.ensure(8);
          this.buf.writeDoubleLE(score, this.pos);
          this.pos += 8;
        }
        break;
      case 'stream':
        this.streamBody(v);
        break;
    }
    return this;
  }

  /** STREAM_LISTPACKS_2 (v ≤ 10) or _3 (v ≥ 11, adds consumer active time), as rdbSaveObject. */
  private streamBody(v: RdbStreamValue): void {
    const nodes = encodeStreamNodes(v.entries);
    this.len(nodes.length);
    for (const n of nodes) this.string(n.key).string(n.listpack);
    this.len(v.entries.length);
    this.streamId(v.lastId);
    this.streamId(v.entries[0]?.id ?? { ms: 0, seq: 0 });
    this.streamId(v.maxDeletedId);
    this.len(v.entriesAdded);
    this.len(v.groups.length);
    for (const g of v.groups) this.streamGroup(g);
  }

  private streamGroup(g: RdbStreamGroup): void {
    this.string(g.name);
    this.streamId(g.lastId);
    if (g.entriesRead === null) this.lenAllOnes();
    else this.len(g.entriesRead);
    this.len(g.pending.length);
    for (const p of g.pending) {
      this.raw(encodeStreamId(p.id));
      this.msTime(p.deliveryTimeMs);
      this.len(p.deliveryCount);
    }
    const consumers = withImpliedConsumers(g);
    this.len(consumers.length);
    for (const c of consumers) {
      this.string(c.name);
      this.msTime(c.seenTimeMs);
      if (this.version >= 11) this.msTime(c.activeTimeMs);
      const own = g.pending.filter((p) => p.consumer.equals(c.name));
      this.len(own.length);
      for (const p of own) this.raw(encodeStreamId(p.id));
    }
  }

  private streamId(id: RdbStreamId): void {
    this.len(id.ms);
    this.len(id.seq);
  }

  /** int64 little-endian milliseconds, without bigint (hi/lo words; exact for |ms| < 2^53). */
  private msTime(ms: number): void {
    this.ensure(8);
    const v = Math.trunc(ms);
    const hi = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(v - hi * 4294967296, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  /** A 64-bit length of 2^64-1: how Redis stores -1 ("invalid") in an unsigned length. */
  private lenAllOnes(): void {
    this.ensure(9);
    this.buf[this.pos++] = 0x81;
    this.buf.fill(0xff, this.pos, this.pos + 8);
    this.pos += 8;
  }

  /** EOF opcode and checksum; flushes everything to the sink. Returns total bytes. */
  finish(): number {
    this.byte(OP.EOF);
    this.flush();
    const tail = Buffer.allocUnsafe(8);
    this.crc.writeLE(tail, 0);
    this.sink.write(tail);
    this.bytesOut += 8;
    return this.bytesOut;
  }

  /** Flushes buffered bytes to the sink (the CRC covers everything flushed). */
  flush(): void {
    if (this.pos === 0) return;
    const chunk = Buffer.from(this.buf.subarray(0, this.pos));
    this.crc.update(chunk);
    this.sink.write(chunk);
    this.bytesOut += this.pos;
    this.pos = 0;
  }

  private auxField(key: string, value: string): void {
    this.byte(OP.AUX);
    this.string(Buffer.from(key, 'latin1'));
    this.string(Buffer.from(value, 'latin1'));
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private raw(b: Buffer): void {
    if (b.length > this.buf.length - this.pos) {
      this.flush();
      if (b.length > this.buf.length) {
        this.crc.update(b);
        this.sink.write(b);
        this.bytesOut += b.length;
        return;
      }
    }
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  private len(n: number): this {
    this.ensure(9);
    const b = this.buf;
    if (n < 64) {
      b[this.pos++] = n;
    } else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >> 8);
      b[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
    return this;
  }

  /** A Redis string, int-encoded when it is the canonical text of a 32-bit integer, as Redis does. */
  private string(s: Buffer): this {
    const n = s.length <= 11 ? canonicalInt32(s) : null;
    if (n !== null) {
      this.ensure(5);
      const b = this.buf;
      if (n >= -128 && n <= 127) {
        b[this.pos++] = 0xc0;
        b.writeInt8(n, this.pos++);
      } else if (n >= -32768 && n <= 32767) {
        b[this.pos++] = 0xc1;
        b.writeInt16LE(n, this.pos);
        this.pos += 2;
      } else {
        b[this.pos++] = 0xc2;
        b.writeInt32LE(n, this.pos);
        this.pos += 4;
      }
      return this;
    }
    this.len(s.length);
    this.raw(s);
    return this;
  }
}

/** Consumers of the group, plus any named only by a pending entry (Redis requires an owner). */
function withImpliedConsumers(g: RdbStreamGroup): RdbStreamConsumer[] {
  const out = [...g.consumers];
  for (const p of g.pending) {
    if (!out.some((c) => c.name.equals(p.consumer))) {
      out.push({ name: p.consumer, seenTimeMs: p.deliveryTimeMs, activeTimeMs: p.deliveryTimeMs });
    }
  }
  return out;
}

function isEmptyCollection(v: RdbValue): boolean {
  switch (v.type) {
    case 'string':
    case 'stream': // an empty stream still has its IDs and groups
      return false;
    case 'list':
      return v.items.length === 0;
    case 'set':
      return v.members.length === 0;
    case 'hash':
    case 'zset':
      return v.entries.length === 0;
  }
}

function typeOf(v: RdbValue, version: number): number {
  switch (v.type) {
    case 'stream':
      return version >= 11 ? RDB_TYPE.STREAM_LISTPACKS_3 : RDB_TYPE.STREAM_LISTPACKS_2;
    case 'string':
      return RDB_TYPE.STRING;
    case 'list':
      return RDB_TYPE.LIST;
    case 'set':
      return RDB_TYPE.SET;
    case 'hash':
      return RDB_TYPE.HASH;
    case 'zset':
      return RDB_TYPE.ZSET_2;
  }
}

/** The integer s spells in canonical form ("-12", not "012", "+1" or "-0"), if it fits in 32 bits. */
function canonicalInt32(s: Buffer): number | null {
  const len = s.length;
  if (len === 0) return null;
  let i = 0;
  const neg = s[0] === 0x2d;
  if (neg) i = 1;
  if (i === len) return null;
  if (s[i] === 0x30 && (len > i + 1 || neg)) return null;
  let v = 0;
  for (; i < len; i++) {
    const c = (s[i] as number) - 0x30;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  if (neg) v = -v;
  return v >= -2147483648 && v <= 2147483647 ? v : null;
}

// ───────────────────────────── reader ─────────────────────────────

/**
 * Pull reader over a whole RDB image in memory. `next()` returns entries one at a time so a loader
 * can insert as it goes; the CRC is checked when EOF is reached (a bad file still throws, after
 * some entries were handed out: a caller must treat the load as failed as a whole).
 */
export class RdbReader {
  readonly version: number;
  readonly aux = new Map<string, Buffer>();
  /** FUNCTION2 library source texts, in file order. */
  readonly functions: Buffer[] = [];
  private pos = 0;
  private db = 0;
  private done = false;
  private lenEncoded = false;
  /** Valid bytes in buf (file mode reads in chunks; memory mode: the whole image). */
  private end: number;
  /** Offset in the file of buf[0]. */
  private base = 0;
  /** Total size of the image. */
  private readonly size: number;
  private fd = -1;
  private chunkBytes = RDB_READ_CHUNK_BYTES;
  private readonly crc = new Crc64();
  /** buf[0, crcFed) has been folded into crc. */
  private crcFed = 0;

  /**
   * mode 'body' reads a bare value (DUMP payload body) with no magic or version header.
   * `RdbReader.open(path)` reads a file in chunks instead of one buffer.
   */
  constructor(
    private buf: Buffer,
    mode: 'file' | 'body' = 'file',
    source?: { fd: number; size: number; chunkBytes: number },
  ) {
    this.end = buf.length;
    this.size = source ? source.size : buf.length;
    if (source) {
      this.fd = source.fd;
      this.chunkBytes = source.chunkBytes;
    }
    if (mode === 'body') {
      this.version = RDB_VERSION_WRITTEN;
      return;
    }
    const magic = this.take(9);
    if (magic.toString('latin1', 0, 5) !== 'REDIS') throw this.err('not an RDB file (magic)', 0);
    const verText = magic.toString('latin1', 5, 9);
    const version = /^\d{4}$/.test(verText) ? Number(verText) : NaN;
    if (!(version >= 1 && version <= RDB_VERSION_READ_MAX)) {
      throw this.err(`unsupported RDB version ${verText}`, 5);
    }
    this.version = version;
  }

  /** Opens a file for chunked reading (memory stays ~RDB_READ_CHUNK_BYTES plus the largest value). Call close(). */
  static open(path: string, chunkBytes = RDB_READ_CHUNK_BYTES): RdbReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const first = Buffer.allocUnsafe(Math.max(16, Math.min(chunkBytes, size)));
      const n = readSync(fd, first, 0, first.length, 0);
      return new RdbReader(first.subarray(0, n), 'file', { fd, size, chunkBytes });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Releases the file (no-op for in-memory images); safe to call twice. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Byte offset just past the checksum once next() returned null (AOF preamble continues there). */
  get offset(): number {
    return this.base + this.pos;
  }

  next(): RdbEntry | null {
    if (this.done) return null;
    let expireAtMs: number | null = null;
    for (;;) {
      const op = this.byte();
      switch (op) {
        case OP.EOF:
          this.finishChecksum();
          return null;
        case OP.SELECTDB: {
          const db = this.len();
          if (db > RDB_DB_INDEX_MAX) throw this.err(`database index ${db} too large`);
          this.db = db;
          break;
        }
        case OP.RESIZEDB:
          this.len();
          this.len();
          break;
        case OP.EXPIRETIME_MS:
          expireAtMs = this.int64LE();
          break;
        case OP.EXPIRETIME:
          expireAtMs = this.take(4).readInt32LE(0) * 1000;
          break;
        case OP.AUX: {
          const k = this.string();
          this.aux.set(k.toString('latin1'), this.string());
          break;
        }
        case OP.IDLE:
          this.len();
          break;
        case OP.FREQ:
          this.byte();
          break;
        case OP.SLOT_INFO:
          this.len();
          this.len();
          this.len();
          break;
        case OP.FUNCTION2:
          this.functions.push(this.string());
          break;
        case OP.FUNCTION_PRE_GA:
        case OP.MODULE_AUX:
          throw this.err(`unsupported opcode 0x${op.toString(16)}`);
        default: {
          const key = this.string();
          const value = this.valueOfType(op);
          return { db: this.db, key, value, expireAtMs };
        }
      }
    }
  }

  /** Reads a type byte and the value body that follows it (DUMP payload body). */
  typedValue(): RdbValue {
    return this.valueOfType(this.byte());
  }

  private valueOfType(type: number): RdbValue {
    switch (type) {
      case RDB_TYPE.STRING:
        return { type: 'string', value: this.string() };
      case RDB_TYPE.LIST:
        return { type: 'list', items: this.strings(this.count(1)) };
      case RDB_TYPE.SET:
        return { type: 'set', members: this.strings(this.count(1)) };
      case RDB_TYPE.HASH:
        return { type: 'hash', entries: pairs(this.strings(this.count(2) * 2), this.pos) };
      case RDB_TYPE.ZSET:
      case RDB_TYPE.ZSET_2:
        return { type: 'zset', entries: this.zsetBody(type === RDB_TYPE.ZSET_2) };
      case RDB_TYPE.LIST_ZIPLIST:
        return { type: 'list', items: this.blobItems(ziplistEntries) };
      case RDB_TYPE.LIST_QUICKLIST:
      case RDB_TYPE.LIST_QUICKLIST_2:
        return { type: 'list', items: this.quicklist(type === RDB_TYPE.LIST_QUICKLIST_2) };
      case RDB_TYPE.SET_INTSET:
        return { type: 'set', members: this.blobItems(intsetEntries) };
      case RDB_TYPE.SET_LISTPACK:
        return { type: 'set', members: this.blobItems(listpackEntries) };
      case RDB_TYPE.HASH_ZIPLIST:
        return { type: 'hash', entries: pairs(this.blobItems(ziplistEntries), this.pos) };
      case RDB_TYPE.HASH_LISTPACK:
        return { type: 'hash', entries: pairs(this.blobItems(listpackEntries), this.pos) };
      case RDB_TYPE.ZSET_ZIPLIST:
      case RDB_TYPE.ZSET_LISTPACK: {
        const flat = this.blobItems(type === RDB_TYPE.ZSET_ZIPLIST ? ziplistEntries : listpackEntries);
        return { type: 'zset', entries: scored(pairs(flat, this.pos), this.pos) };
      }
      case RDB_TYPE.STREAM_LISTPACKS:
      case RDB_TYPE.STREAM_LISTPACKS_2:
      case RDB_TYPE.STREAM_LISTPACKS_3:
        return this.streamBody(type);
      default:
        throw this.err(`unsupported value type ${type}`);
    }
  }

  private streamBody(type: number): RdbStreamValue {
    const v2 = type !== RDB_TYPE.STREAM_LISTPACKS;
    const entries: RdbStreamEntry[] = [];
    const nodes = this.count(2);
    for (let i = 0; i < nodes; i++) {
      const at = this.offset;
      const key = this.string();
      const lp = this.string();
      try {
        decodeStreamNode(key, lp, entries, at);
      } catch (e) {
        if (e instanceof RdbFormatError) throw this.err(e.reason, at);
        throw e;
      }
    }
    const length = this.len();
    const lastId = this.streamId();
    let maxDeletedId: RdbStreamId = { ms: 0, seq: 0 };
    let entriesAdded = length;
    if (v2) {
      this.streamId(); // first ID: derived from the entries
      maxDeletedId = this.streamId();
      entriesAdded = this.len();
    }
    const groups: RdbStreamGroup[] = [];
    const nGroups = this.count(3);
    for (let i = 0; i < nGroups; i++) groups.push(this.streamGroup(v2, type === RDB_TYPE.STREAM_LISTPACKS_3));
    return { type: 'stream', entries, lastId, maxDeletedId, entriesAdded, groups };
  }

  private streamGroup(v2: boolean, v3: boolean): RdbStreamGroup {
    const name = this.string();
    const lastId = this.streamId();
    const entriesRead = v2 ? this.lenOrInvalid() : null;
    const pel = new Map<
      string,
      { id: RdbStreamId; deliveryTimeMs: number; deliveryCount: number; owner: Buffer | null }
    >();
    const nPel = this.count(17);
    for (let i = 0; i < nPel; i++) {
      const at = this.offset;
      const raw = this.take(16);
      const id = decodeStreamId(raw, at);
      const deliveryTimeMs = Number(this.take(8).readBigInt64LE(0));
      pel.set(raw.toString('latin1'), { id, deliveryTimeMs, deliveryCount: this.len(), owner: null });
    }
    const consumers: RdbStreamConsumer[] = [];
    const nConsumers = this.count(10);
    for (let i = 0; i < nConsumers; i++) {
      const cname = this.string();
      const seenTimeMs = Number(this.take(8).readBigInt64LE(0));
      const activeTimeMs = v3 ? Number(this.take(8).readBigInt64LE(0)) : seenTimeMs;
      consumers.push({ name: cname, seenTimeMs, activeTimeMs });
      const nOwn = this.count(16);
      for (let j = 0; j < nOwn; j++) {
        const at = this.offset;
        const nack = pel.get(this.take(16).toString('latin1'));
        if (!nack || nack.owner) throw this.err('consumer PEL entry not in the group PEL', at);
        nack.owner = cname;
      }
    }
    const pending: RdbStreamPending[] = [];
    for (const p of pel.values()) {
      if (!p.owner) throw this.err('group PEL entry without a consumer');
      pending.push({
        id: p.id,
        consumer: p.owner,
        deliveryTimeMs: p.deliveryTimeMs,
        deliveryCount: p.deliveryCount,
      });
    }
    return { name, lastId, entriesRead, pending, consumers };
  }

  private streamId(): RdbStreamId {
    return { ms: this.len(), seq: this.len() };
  }

  /** A length where 2^64-1 means -1 ("invalid"), as Redis stores a group's entries_read. */
  private lenOrInvalid(): number | null {
    this.ensure(1);
    if (this.buf[this.pos] === 0x81) {
      this.ensure(9);
      if (this.buf.readBigUInt64BE(this.pos + 1) === 0xffffffffffffffffn) {
        this.pos += 9;
        return null;
      }
    }
    return this.len();
  }

  /** True when every byte of the buffer has been consumed. */
  atEnd(): boolean {
    return this.base + this.pos === this.size;
  }

  private zsetBody(binaryScores: boolean): Array<[Buffer, number]> {
    const n = this.count(binaryScores ? 9 : 2);
    const out: Array<[Buffer, number]> = [];
    for (let i = 0; i < n; i++) {
      const m = this.string();
      out.push([m, binaryScores ? this.take(8).readDoubleLE(0) : this.oldScore()]);
    }
    return out;
  }

  /** RDB_TYPE_ZSET score: one length byte, 253 NaN, 254 +inf, 255 -inf, else ASCII digits. */
  private oldScore(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    const v = Number(this.take(n).toString('latin1'));
    if (Number.isNaN(v)) throw this.err('bad zset score');
    return v;
  }

  private quicklist(v2: boolean): Buffer[] {
    const QUICKLIST_NODE_PLAIN = 1;
    const QUICKLIST_NODE_PACKED = 2;
    const nodes = this.count(v2 ? 2 : 1);
    const items: Buffer[] = [];
    for (let i = 0; i < nodes; i++) {
      const container = v2 ? this.len() : QUICKLIST_NODE_PACKED;
      const blob = this.string();
      if (container === QUICKLIST_NODE_PLAIN) items.push(blob);
      else if (container !== QUICKLIST_NODE_PACKED) throw this.err(`quicklist container ${container}`);
      else if (v2) listpackEntries(blob, 0, blob.length, items);
      else ziplistEntries(blob, 0, blob.length, items);
    }
    return items;
  }

  private blobItems(decode: (b: Buffer, s: number, e: number, out: Buffer[]) => void): Buffer[] {
    const at = this.offset;
    const blob = this.string();
    const out: Buffer[] = [];
    try {
      decode(blob, 0, blob.length, out);
    } catch (e) {
      if (e instanceof RdbFormatError) throw this.err(e.reason, at);
      throw e;
    }
    return out;
  }

  private strings(n: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(this.string());
    return out;
  }

  /** A collection length, refused when the remaining bytes cannot possibly hold it. */
  private count(minBytesPerItem: number): number {
    const at = this.offset;
    const n = this.len();
    if (n * minBytesPerItem > this.size - this.offset) {
      throw this.err(`collection of ${n} cannot fit in the remaining bytes`, at);
    }
    return n;
  }

  private string(): Buffer {
    const at = this.offset;
    const n = this.lenOrEncoding();
    if (!this.lenEncoded) {
      if (n > RDB_STRING_BYTES_MAX) throw this.err(`string of ${n} bytes exceeds limit`, at);
      this.ensure(n);
      // One pooled allocation + copy: values must not pin the whole file buffer.
      const out = Buffer.allocUnsafe(n);
      this.buf.copy(out, 0, this.pos, this.pos + n);
      this.pos += n;
      return out;
    }
    switch (n) {
      case 0:
        return Buffer.from(String(this.take(1).readInt8(0)), 'latin1');
      case 1:
        return Buffer.from(String(this.take(2).readInt16LE(0)), 'latin1');
      case 2:
        return Buffer.from(String(this.take(4).readInt32LE(0)), 'latin1');
      case 3: {
        const clen = this.len();
        const ulen = this.len();
        if (ulen > RDB_STRING_BYTES_MAX) throw this.err(`LZF string of ${ulen} bytes exceeds limit`, at);
        this.take(clen);
        return lzfDecompressAt(this.buf, this.pos - clen, this.pos, ulen);
      }
      default:
        throw this.err(`unknown string encoding ${n}`, at);
    }
  }

  private len(): number {
    const at = this.offset;
    const n = this.lenOrEncoding();
    if (this.lenEncoded) throw this.err('encoded value where a length was expected', at);
    return n;
  }

  private lenOrEncoding(): number {
    const b = this.byte();
    const kind = b >> 6;
    this.lenEncoded = false;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | this.byte();
    if (kind === 3) {
      this.lenEncoded = true;
      return b & 0x3f;
    }
    if (b === 0x80) return this.take(4).readUInt32BE(0);
    if (b === 0x81) {
      const v = this.take(8).readBigUInt64BE(0);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.err('64-bit length too large');
      return Number(v);
    }
    throw this.err(`bad length byte 0x${b.toString(16)}`, this.pos - 1);
  }

  /** A little-endian int64 as a number (exact below 2^53, which covers every ms timestamp). */
  private int64LE(): number {
    this.ensure(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  private byte(): number {
    if (this.pos >= this.end) this.ensure(1);
    return this.buf[this.pos++] as number;
  }

  /** A view of the next n bytes (not a copy). */
  private take(n: number): Buffer {
    this.ensure(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private finishChecksum(): void {
    this.done = true;
    if (this.version < 5) return;
    const eofAt = this.offset;
    this.crc.update(this.buf, this.crcFed, this.pos);
    this.crcFed = this.pos;
    const stored = this.take(8).readBigUInt64LE(0);
    // Redis writes 0 when rdbchecksum is off; such files are accepted unchecked.
    if (stored !== 0n && stored !== this.crc.value()) throw this.err('checksum mismatch', eofAt);
  }

  /** Makes n bytes available at pos, reading more of the file when in file mode. */
  private ensure(n: number): void {
    if (this.end - this.pos >= n) return;
    if (this.fd < 0 || this.base + this.end >= this.size) {
      throw this.err(`unexpected end of data (need ${n} bytes)`);
    }
    // Fold the consumed bytes into the CRC, then slide the unconsumed tail to the front.
    this.crc.update(this.buf, this.crcFed, this.pos);
    const keep = this.end - this.pos;
    const cap = Math.max(this.chunkBytes, n);
    const target = this.buf.length >= cap && this.buf.byteOffset === 0 ? this.buf : Buffer.allocUnsafe(cap);
    this.buf.copy(target, 0, this.pos, this.end);
    this.base += this.pos;
    this.buf = target;
    this.pos = 0;
    this.end = keep;
    this.crcFed = 0;
    while (this.end < target.length && this.base + this.end < this.size) {
      const r = readSync(this.fd, target, this.end, target.length - this.end, this.base + this.end);
      if (r === 0) break;
      this.end += r;
    }
    if (this.end < n) throw this.err(`unexpected end of data (need ${n} bytes)`);
  }

  private err(reason: string, at = this.offset): RdbFormatError {
    return new RdbFormatError(reason, at);
  }
}

function lzfDecompressAt(buf: Buffer, start: number, end: number, ulen: number): Buffer {
  return lzfDecompress(buf, start, end, ulen);
}

function pairs(flat: Buffer[], at: number): Array<[Buffer, Buffer]> {
  if (flat.length % 2 !== 0) throw new RdbFormatError('odd number of elements in a pair list', at);
  const out: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as Buffer, flat[i + 1] as Buffer]);
  return out;
}

function scored(p: Array<[Buffer, Buffer]>, at: number): Array<[Buffer, number]> {
  return p.map(([m, s]) => {
    const text = s.toString('latin1');
    const v = text === 'inf' || text === '+inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
    if (Number.isNaN(v)) throw new RdbFormatError('bad zset score', at);
    return [m, v];
  });
}

export interface RdbImage {
  version: number;
  aux: Map<string, Buffer>;
  functions: Buffer[];
  entries: RdbEntry[];
}

/** Reads a whole image into memory; for tests and small files (loaders should pull with next()). */
export function readRdb(buf: Buffer): RdbImage {
  const r = new RdbReader(buf);
  const entries: RdbEntry[] = [];
  for (let e = r.next(); e !== null; e = r.next()) entries.push(e);
  return { version: r.version, aux: r.aux, functions: r.functions, entries };
}

/**
 * Loads an RDB file, handing each entry to onEntry as it is decoded (no array of all entries).
 * The CRC is verified at the end: on any throw the caller must discard what it loaded.
 */
export function loadRdbFile(
  path: string,
  onEntry: (e: RdbEntry) => void,
): { version: number; aux: Map<string, Buffer>; functions: Buffer[]; keys: number } {
  const r = RdbReader.open(path);
  try {
    let keys = 0;
    for (let e = r.next(); e !== null; e = r.next()) {
      onEntry(e);
      keys++;
    }
    return { version: r.version, aux: r.aux, functions: r.functions, keys };
  } finally {
    r.close();
  }
}

/** Writes a whole image into one Buffer (tests, DEBUG RELOAD); large saves use snapshot.ts. */
export function writeRdb(entries: Iterable<RdbEntry>, aux: RdbAux): Buffer {
  const chunks: Buffer[] = [];
  const w = new RdbWriter({ write: (c) => chunks.push(c) }).header(aux);
  for (const e of entries) w.entry(e);
  w.finish();
  return Buffer.concat(chunks);
}

// ───────────────────────────── DUMP / RESTORE ─────────────────────────────

/** DUMP payload: type + value body, RDB version as u16 LE, CRC-64 LE of everything before it. */
export function createDumpPayload(value: RdbValue): Buffer {
  const chunks: Buffer[] = [];
  const w = new RdbWriter({ write: (c) => chunks.push(c) });
  w.value(value, null);
  w.flush();
  const body = Buffer.concat(chunks);
  const out = Buffer.allocUnsafe(body.length + 10);
  body.copy(out, 0);
  out.writeUInt16LE(RDB_VERSION_WRITTEN, body.length);
  new Crc64().update(out, 0, body.length + 2).writeLE(out, body.length + 2);
  return out;
}

/**
 * RESTORE's payload check and decode. reason 'version-or-checksum' maps to Redis's
 * "ERR DUMP payload version or checksum are wrong"; anything else to "ERR Bad data format".
 */
export function parseDumpPayload(payload: Buffer): RdbValue {
  const FOOTER_BYTES = 10;
  if (payload.length < FOOTER_BYTES + 1) throw new RdbFormatError('version-or-checksum', 0);
  const footer = payload.length - FOOTER_BYTES;
  const version = payload.readUInt16LE(footer);
  const stored = payload.readBigUInt64LE(footer + 2);
  if (version > RDB_VERSION_READ_MAX || stored !== crc64(payload, 0, footer + 2)) {
    throw new RdbFormatError('version-or-checksum', footer);
  }
  const r = new RdbReader(payload.subarray(0, footer), 'body');
  try {
    const value = r.typedValue();
    if (!r.atEnd()) throw new RdbFormatError('trailing bytes after value', r.offset);
    return value;
  } catch (e) {
    if (e instanceof RdbFormatError) throw new RdbFormatError('bad-data-format', e.offset);
    throw e;
  }
}
