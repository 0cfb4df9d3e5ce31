/**
 * Incremental RESP request parser (what clients send to a server).
 *
 * Grammar (Redis's processMultibulkBuffer / processInlineBuffer):
 *   request   = multibulk | inline
 *   multibulk = "*" count CRLF { "$" len CRLF bytes CRLF }      count <= 0 → empty request, skipped
 *   inline    = line LF        (a trailing CR is stripped; args split like sdssplitargs: blanks
 *                              separate, "..." with \n \r \t \b \a \\ \xHH escapes, '...' with \')
 *
 * Output: each request is an array of *binary strings*: JS strings where every char code is one byte
 * (latin1). The keyspace stores the same representation, so a GET/SET never converts twice.
 *
 * Errors carry Redis's exact texts; the server replies `-ERR <text>` and closes the connection.
 * No recursion; every buffered byte is counted against a limit the caller checks.
 */

/** Longest inline request and longest `*`/`$` header line (PROTO_INLINE_MAX_SIZE). */
export const PROTO_INLINE_MAX_SIZE_BYTES = 64 * 1024;
/** Largest multibulk count Redis accepts (INT_MAX). Memory is bounded by the query buffer limit. */
export const MULTIBULK_COUNT_MAX = 2 ** 31 - 1;
/** Default proto-max-bulk-len: 512 MB. */
export const PROTO_MAX_BULK_LEN_DEFAULT_BYTES = 512 * 1024 * 1024;
/** Bulk arguments at least this big are assembled in their own buffer instead of re-concatenating. */
const BIG_ARG_BYTES = 32 * 1024;

export class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespProtocolError';
  }
}

const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;

export interface ParserLimits {
  protoMaxBulkLenBytes: number;
}

export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** End of the valid bytes in buf (the server feeds its shared read buffer without slicing it). */
  private end = 0;
  /** Arguments still expected in the current multibulk request (0 = between requests). */
  private remaining = 0;
  private argv: string[] = [];
  /** Bytes of the current multibulk request already parsed into argv. */
  private argvBytes = 0;
  /** Length of the bulk whose header has been read, or -1 when a `$` header is expected. */
  private bulkLen = -1;
  /** A big bulk argument being assembled across chunks. */
  private big: Buffer | null = null;
  private bigFilled = 0;
  /** A multibulk header was read and its request is not yet returned. */
  private inRequest = false;
  /** True once the current request turned out to be inline (for redis-cli style clients). */
  lastWasInline = false;

  constructor(readonly limits: ParserLimits = { protoMaxBulkLenBytes: PROTO_MAX_BULK_LEN_DEFAULT_BYTES }) {}

  /** Bytes held for requests not yet complete: what the query buffer limit is checked against. */
  bufferedBytes(): number {
    return this.end - this.pos + this.argvBytes + this.bigFilled;
  }

  /** Adds the first `n` bytes of `chunk` (all of it by default) to the input. */
  feed(chunk: Buffer, n = chunk.length): void {
    if (this.big !== null) {
      const need = this.big.length - this.bigFilled;
      const k = Math.min(need, n);
      chunk.copy(this.big, this.bigFilled, 0, k);
      this.bigFilled += k;
      chunk = chunk.subarray(k, n);
      n -= k;
      if (this.bigFilled < this.big.length) return;
      this.finishBig();
    }
    if (this.pos >= this.end) {
      this.buf = chunk;
      this.pos = 0;
      this.end = n;
    } else if (n > 0) {
      this.buf = Buffer.concat([this.buf.subarray(this.pos, this.end), chunk.subarray(0, n)]);
      this.pos = 0;
      this.end = this.buf.length;
    }
  }

  /**
   * Copies the unparsed tail out of the last fed chunk and drops the reference to it. Call after
   * parsing a chunk whose memory the caller reuses (the server's shared read buffer).
   */
  retain(): void {
    this.buf = this.pos < this.end ? Buffer.from(this.buf.subarray(this.pos, this.end)) : EMPTY;
    this.pos = 0;
    this.end = this.buf.length;
  }

  private finishBig(): void {
    // Like Redis, the two bytes after the payload are skipped, not checked.
    const big = this.big as Buffer;
    this.argv.push(big.latin1Slice(0, big.length - 2));
    this.argvBytes += big.length;
    this.big = null;
    this.bigFilled = 0;
    this.bulkLen = -1;
    this.remaining--;
  }

  /** Next complete request, or null when more bytes are needed. Throws RespProtocolError. */
  next(): string[] | null {
    for (;;) {
      if (this.big !== null) return null;
      if (this.remaining === 0 && !this.inRequest) {
        if (this.pos >= this.end) return null;
        if (this.buf[this.pos] === 42 /* '*' */) {
          const whole = this.wholeRequest();
          if (whole !== null) return whole;
          const r = this.readCount();
          if (r === null) return null;
          if (r <= 0) continue;
          this.remaining = r;
          this.inRequest = true;
          this.argv = [];
          this.argvBytes = 0;
          this.lastWasInline = false;
        } else {
          const inline = this.readInline();
          if (inline === null) return null;
          if (inline.length === 0) continue;
          this.lastWasInline = true;
          return inline;
        }
      }
      if (!this.readBulks()) return null;
      const argv = this.argv;
      this.argv = [];
      this.argvBytes = 0;
      this.inRequest = false;
      return argv;
    }
  }

  /**
   * The fast path: a whole, plainly formed request (`*<n>` with 1 <= n <= FAST_ARGC_MAX, each
   * `$<len>` a canonical length within proto-max-bulk-len, every byte already buffered) parsed in
   * one pass, header digits read as they are scanned. Anything else (incomplete, zero or negative
   * counts, odd digits, errors) returns null without consuming a byte, and the general path below
   * parses it with its exact error texts.
   */
  private wholeRequest(): string[] | null {
    const buf = this.buf;
    const end = this.end;
    const n = canonicalDigits(buf, this.pos + 1, end, FAST_ARGC_MAX);
    if (n <= 0) return null; // also `*0`: the general path skips empty requests
    let p = digitsCR + 2;
    const maxLen = Math.min(this.limits.protoMaxBulkLenBytes, FAST_BULK_LEN_MAX);
    const argv = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      if (p >= end || buf[p] !== 36 /* '$' */) return null;
      const len = canonicalDigits(buf, p + 1, end, maxLen);
      if (len < 0) return null;
      p = digitsCR + 2;
      if (p + len + 2 > end) return null;
      argv[i] = i === 0 && len <= NAME_INTERN_MAX_BYTES ? internName(buf, p, len) : argString(buf, p, len);
      p += len + 2;
    }
    this.pos = p;
    this.lastWasInline = false;
    return argv;
  }

  /** Parses `*<n>\r\n`; returns null when incomplete. */
  private readCount(): number | null {
    const buf = this.buf;
    const cr = findCR(buf, this.pos, this.end);
    if (cr === -1) {
      if (this.end - this.pos > PROTO_INLINE_MAX_SIZE_BYTES)
        throw new RespProtocolError('Protocol error: too big mbulk count string');
      return null;
    }
    if (cr + 1 >= this.end) return null; // the LF has not arrived yet
    const n = parseStrictInt(buf, this.pos + 1, cr);
    if (n === null || n > MULTIBULK_COUNT_MAX) throw new RespProtocolError('Protocol error: invalid multibulk length');
    this.pos = cr + 2;
    return n;
  }

  /** Reads as many bulk arguments as are complete; true when the request is complete. */
  private readBulks(): boolean {
    const buf = this.buf;
    const max = this.limits.protoMaxBulkLenBytes;
    while (this.remaining > 0) {
      if (this.bulkLen === -1) {
        if (this.pos >= this.end) return false;
        const cr = findCR(buf, this.pos, this.end);
        if (cr === -1) {
          if (this.end - this.pos > PROTO_INLINE_MAX_SIZE_BYTES)
            throw new RespProtocolError('Protocol error: too big bulk count string');
          return false;
        }
        if (cr + 1 >= this.end) return false;
        const c = buf[this.pos] as number;
        if (c !== 36 /* '$' */)
          throw new RespProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(c)}'`);
        const len = parseStrictInt(buf, this.pos + 1, cr);
        if (len === null || len < 0 || len > max) throw new RespProtocolError('Protocol error: invalid bulk length');
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      const len = this.bulkLen;
      const avail = this.end - this.pos;
      if (avail < len + 2) {
        if (len >= BIG_ARG_BYTES) {
          // Assemble in a dedicated buffer so a 512 MB value is copied once, not once per chunk.
          this.big = Buffer.allocUnsafe(len + 2);
          buf.copy(this.big, 0, this.pos, this.end);
          this.bigFilled = avail;
          this.pos = this.end;
        }
        return false;
      }
      const argv = this.argv;
      argv.push(argv.length === 0 && len <= NAME_INTERN_MAX_BYTES ? internName(buf, this.pos, len) : argString(buf, this.pos, len));
      this.argvBytes += len;
      this.pos += len + 2;
      this.bulkLen = -1;
      this.remaining--;
    }
    return true;
  }

  private readInline(): string[] | null {
    const buf = this.buf;
    let lf = buf.indexOf(LF, this.pos);
    if (lf >= this.end) lf = -1;
    if (lf === -1) {
      if (this.end - this.pos > PROTO_INLINE_MAX_SIZE_BYTES)
        throw new RespProtocolError('Protocol error: too big inline request');
      return null;
    }
    let end = lf;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.latin1Slice(this.pos, end);
    this.pos = lf + 1;
    const args = splitArgs(line);
    if (args === null) throw new RespProtocolError('Protocol error: unbalanced quotes in request');
    return args;
  }
}

/** Index of the CR that ended the number canonicalDigits last read (its second result). */
let digitsCR = 0;

/**
 * The number written at buf[p…] up to a CR, when it is canonical ("0", or digits without a leading
 * zero), at most `max`, and wholly before `end`; otherwise -1. Leaves the CR's index in digitsCR.
 * Counts and lengths for the fast path: anything it refuses, the general path reads with its errors.
 */
function canonicalDigits(buf: Buffer, p: number, end: number, max: number): number {
  if (p >= end) return -1;
  let c = buf[p] as number;
  if (c === 48 /* '0' */) {
    digitsCR = p + 1;
    return p + 1 < end && buf[p + 1] === CR ? 0 : -1;
  }
  if (c < 49 || c > 57) return -1;
  let n = c - 48;
  for (;;) {
    if (++p >= end) return -1;
    c = buf[p] as number;
    if (c === CR) break;
    if (c < 48 || c > 57 || n > max) return -1;
    n = n * 10 + c - 48;
  }
  digitsCR = p;
  return n > max ? -1 : n;
}

/** Requests with more arguments than this take the general path (their size dwarfs the saving). */
const FAST_ARGC_MAX = 1024;
/** Bulk lengths the fast path reads (longer ones, over a terabyte, take the general path). */
const FAST_BULK_LEN_MAX = 2 ** 40;

/** Header lines (`*2`, `$16`) are a few bytes: scanning them in JS beats a native indexOf call. */
const SHORT_SCAN_BYTES = 24;

/** Index of the first CR in buf[from, end), or -1. */
function findCR(buf: Buffer, from: number, end: number): number {
  const stop = from + SHORT_SCAN_BYTES < end ? from + SHORT_SCAN_BYTES : end;
  for (let i = from; i < stop; i++) if (buf[i] === CR) return i;
  if (stop === end) return -1;
  const i = buf.indexOf(CR, stop);
  return i < end ? i : -1;
}

/** Arguments up to this long are decoded in JS (shortLatin1) rather than by a native call. */
const SHORT_ARG_BYTES = 24;
/** String.fromCharCode, typed to take the buffer's possibly-undefined indexed reads. */
const F = String.fromCharCode as (...codes: Array<number | undefined>) => string;

/**
 * buf[s, s + n) as a latin1 string for n <= SHORT_ARG_BYTES. `String.fromCharCode` with the bytes
 * as arguments builds the same flat one-byte string as `Buffer#latin1Slice`, in about a third of
 * the time (~30 ns against ~90 ns for a 16-byte key on this machine; past 24 bytes the native call
 * wins): its fixed cost dominates short arguments, which most keys and values are.
 */
function shortLatin1(b: Buffer, s: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return F(b[s]);
    case 2:
      return F(b[s], b[s + 1]);
    case 3:
      return F(b[s], b[s + 1], b[s + 2]);
    case 4:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    case 17:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16]);
    case 18:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17]);
    case 19:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18]);
    case 20:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19]);
    case 21:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20]);
    case 22:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21]);
    case 23:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22]);
    case 24:
      return F(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23]);
    default:
      return b.latin1Slice(s, s + n);
  }
}

/** An argument's string: short ones in JS, longer ones natively. */
function argString(b: Buffer, s: number, n: number): string {
  return n <= SHORT_ARG_BYTES ? shortLatin1(b, s, n) : b.latin1Slice(s, s + n);
}

/** Command names up to this length are interned (the longest real one is 23 bytes). */
const NAME_INTERN_MAX_BYTES = 24;
/** Interned names kept; any client can send made-up names, so the table is bounded. */
const NAME_INTERN_MAX_ENTRIES = 1024;
const internedNames = new Map<number, string>();

/**
 * A request's first argument as a string shared by every request naming the same command: no
 * allocation per request, and the registry's Map lookup reuses the string's cached hash.
 */
function internName(buf: Buffer, start: number, len: number): string {
  let h = len;
  for (let i = start; i < start + len; i++) h = (Math.imul(h, 31) + (buf[i] as number)) | 0;
  const hit = internedNames.get(h);
  if (hit !== undefined && hit.length === len) {
    let same = true;
    for (let i = 0; i < len; i++)
      if (hit.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    if (same) return hit;
  }
  const s = argString(buf, start, len);
  if (hit === undefined && internedNames.size < NAME_INTERN_MAX_ENTRIES) internedNames.set(h, s);
  return s;
}

/** string2ll: optional '-', digits, no leading zeros (except "0"), no '+', no spaces. */
export function parseStrictInt(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  let neg = false;
  if (buf[i] === 45 /* '-' */) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] === 48 /* '0' */) return i + 1 === end && !neg ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
}
function hexVal(c: string): number {
  const n = parseInt(c, 16);
  return Number.isNaN(n) ? -1 : n;
}

/** sdssplitargs: splits an inline request line; null on unbalanced quotes. */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let p = 0;
  const n = line.length;
  for (;;) {
    while (p < n && isSpace(line[p] as string)) p++;
    if (p >= n) return out;
    let cur = '';
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      const ch = p < n ? (line[p] as string) : '';
      if (inq) {
        if (ch === '\\' && line[p + 1] === 'x' && p + 3 < n && hexVal(line[p + 2] as string) >= 0 && hexVal(line[p + 3] as string) >= 0) {
          cur += String.fromCharCode(hexVal(line[p + 2] as string) * 16 + hexVal(line[p + 3] as string));
          p += 3;
        } else if (ch === '\\' && p + 1 < n) {
          p++;
          const e = line[p] as string;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (ch === '"') {
          if (p + 1 < n && !isSpace(line[p + 1] as string)) return null;
          done = true;
        } else if (ch === '') {
          return null;
        } else cur += ch;
      } else if (insq) {
        if (ch === '\\' && line[p + 1] === "'") {
          p++;
          cur += "'";
        } else if (ch === "'") {
          if (p + 1 < n && !isSpace(line[p + 1] as string)) return null;
          done = true;
        } else if (ch === '') {
          return null;
        } else cur += ch;
      } else if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '' || ch === '\0') {
        done = true;
      } else if (ch === '"') inq = true;
      else if (ch === "'") insq = true;
      else cur += ch;
      if (p < n) p++;
    }
    out.push(cur);
  }
}
