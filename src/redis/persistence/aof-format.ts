/**
 * Pure pieces of the Redis 7 multi-part AOF: the manifest text format and the RESP command log
 * encoding/decoding. No file system here (aof.ts does I/O), so both are unit-tested and fuzzed.
 *
 * Manifest grammar (Redis aof.c, one file per line, '#' lines are comments):
 *   line = "file" SP name SP "seq" SP n SP "type" SP ("b" | "h" | "i") LF     (keys in any order)
 *   b = base (at most one), h = history (awaiting deletion), i = incremental (ascending seq).
 * Command log grammar (RESP arrays of bulk strings, as clients send them):
 *   cmd  = "*" n CRLF ( "$" len CRLF bytes CRLF ){n}      n ≥ 1
 *   note = "#" any LF                                      (annotations, e.g. timestamps: skipped)
 *
 * API: parseManifest(text) / formatManifest(m); encodeCommand(argv) / encodeCommandInto(argv, buf, at)
 *      (argv items are Buffers or binary latin1 strings);
 *      parseCommand(buf, pos, end) → { argv, next } | null (need more bytes) | throws AofFormatError.
 */
import { AofFormatError } from './errors.js';

export const AOF_MANIFEST_BYTES_MAX = 1024 * 1024;
export const AOF_MANIFEST_FILES_MAX = 10_000;
/** Longest header or annotation line accepted in a command log. */
export const AOF_LINE_BYTES_MAX = 64 * 1024;
/** Arguments per logged command (Redis rewrites collections in batches of 64, clients send less than this). */
export const AOF_COMMAND_ARGS_MAX = 1024 * 1024;
/** proto-max-bulk-len. */
export const AOF_BULK_BYTES_MAX = 512 * 1024 * 1024;

export type AofFileType = 'b' | 'h' | 'i';
export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}
export interface AofManifest {
  base: AofFileInfo | null;
  history: AofFileInfo[];
  incr: AofFileInfo[];
}

export function parseManifest(text: string, file = 'manifest'): AofManifest {
  if (text.length > AOF_MANIFEST_BYTES_MAX) throw new AofFormatError('manifest too large', file, 0);
  const m: AofManifest = { base: null, history: [], incr: [] };
  const lines = text.split('\n');
  if (lines.length > AOF_MANIFEST_FILES_MAX + 100) throw new AofFormatError('too many lines', file, 0);
  let offset = 0;
  for (const raw of lines) {
    const at = offset;
    offset += raw.length + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const info = parseManifestLine(line, file, at);
    if (info.type === 'b') {
      if (m.base) throw new AofFormatError('more than one base file', file, at);
      m.base = info;
    } else if (info.type === 'h') {
      m.history.push(info);
    } else {
      const prev = m.incr[m.incr.length - 1];
      if (prev && info.seq <= prev.seq) throw new AofFormatError('incr seq not ascending', file, at);
      m.incr.push(info);
    }
  }
  return m;
}

function parseManifestLine(line: string, file: string, at: number): AofFileInfo {
  const parts = splitArgs(line, file, at);
  if (parts.length < 6 || parts.length % 2 !== 0) throw new AofFormatError('invalid manifest line', file, at);
  let name: string | null = null;
  let seq = -1;
  let type: string | null = null;
  for (let i = 0; i < parts.length; i += 2) {
    const k = parts[i] as string;
    const v = parts[i + 1] as string;
    if (k === 'file') name = v;
    else if (k === 'seq') seq = /^\d{1,15}$/.test(v) ? Number(v) : -1;
    else if (k === 'type') type = v;
  }
  if (name === null || name === '' || name.includes('/') || name === '.' || name === '..') {
    throw new AofFormatError('invalid file name', file, at);
  }
  if (seq < 1) throw new AofFormatError('invalid seq', file, at);
  if (type !== 'b' && type !== 'h' && type !== 'i') throw new AofFormatError('invalid type', file, at);
  return { name, seq, type };
}

/** Space-separated tokens; double quotes group (what Redis's sdscatrepr emits for odd names). */
function splitArgs(line: string, file: string, at: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (line[i] === '"') {
      const close = line.indexOf('"', i + 1);
      if (close < 0) throw new AofFormatError('unbalanced quotes', file, at);
      out.push(line.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

export function formatManifest(m: AofManifest): string {
  const line = (f: AofFileInfo): string => `file ${f.name} seq ${f.seq} type ${f.type}\n`;
  return (m.base ? line(m.base) : '') + m.history.map(line).join('') + m.incr.map(line).join('');
}

// ───────────────────────────── command log ─────────────────────────────

/**
 * A logged argument: a Buffer, or a binary ("latin1") string where each char is one byte, which is
 * how the engine holds keys and values (saves a Buffer per argument on the hot path).
 */
export type AofArg = Buffer | string;

/** Bytes needed to encode argv as a RESP array. */
export function encodedCommandBytes(argv: readonly AofArg[]): number {
  let n = 3 + decimalDigits(argv.length);
  for (const a of argv) n += 5 + decimalDigits(a.length) + a.length;
  return n;
}

/** Encodes argv into target at offset (which must have room); returns the new offset. */
export function encodeCommandInto(argv: readonly AofArg[], target: Buffer, offset: number): number {
  let p = offset;
  target[p++] = 0x2a; // '*'
  p = writeDecimal(target, p, argv.length);
  for (const a of argv) {
    target[p++] = 0x24; // '$'
    p = writeDecimal(target, p, a.length);
    if (typeof a === 'string') p += target.latin1Write(a, p, a.length);
    else p += a.copy(target, p);
    target[p++] = 0x0d;
    target[p++] = 0x0a;
  }
  return p;
}

/** Writes n (≥ 0) in decimal followed by CRLF, without building a string. */
function writeDecimal(target: Buffer, p: number, n: number): number {
  const digits = decimalDigits(n);
  let v = n;
  for (let i = digits - 1; i >= 0; i--) {
    target[p + i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  p += digits;
  target[p++] = 0x0d;
  target[p++] = 0x0a;
  return p;
}

export function encodeCommand(argv: readonly AofArg[]): Buffer {
  const out = Buffer.allocUnsafe(encodedCommandBytes(argv));
  encodeCommandInto(argv, out, 0);
  return out;
}

function decimalDigits(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  let d = 4;
  let v = Math.floor(n / 10000);
  while (v > 0) {
    v = Math.floor(v / 10);
    d++;
  }
  return d;
}

export interface ParsedCommand {
  argv: Buffer[];
  /** Offset just past the command (or past skipped annotation lines when argv is empty). */
  next: number;
}

/**
 * Parses one command (or one '#' annotation line, returned with an empty argv) from buf[pos, end).
 * Returns null when more bytes are needed. Arguments are copies, independent of buf.
 */
export function parseCommand(
  buf: Buffer,
  pos: number,
  end: number,
  file = 'aof',
  base = 0,
): ParsedCommand | null {
  if (pos >= end) return null;
  if (buf[pos] === 0x23) {
    const lf = findLf(buf, pos, end, file, base);
    return lf < 0 ? null : { argv: [], next: lf + 1 };
  }
  if (buf[pos] !== 0x2a) throw new AofFormatError("expected '*'", file, base + pos);
  const head = readLineInt(buf, pos, end, file, base);
  if (head === null) return null;
  const argc = head.value;
  if (argc < 1 || argc > AOF_COMMAND_ARGS_MAX)
    throw new AofFormatError(`invalid argument count ${argc}`, file, base + pos);
  let p = head.next;
  const argv: Buffer[] = [];
  for (let i = 0; i < argc; i++) {
    if (p >= end) return null;
    if (buf[p] !== 0x24) throw new AofFormatError("expected '$'", file, base + p);
    const len = readLineInt(buf, p, end, file, base);
    if (len === null) return null;
    if (len.value < 0 || len.value > AOF_BULK_BYTES_MAX)
      throw new AofFormatError(`invalid bulk length ${len.value}`, file, base + p);
    p = len.next;
    if (end - p < len.value + 2) return null;
    if (buf[p + len.value] !== 0x0d || buf[p + len.value + 1] !== 0x0a) {
      throw new AofFormatError('bulk string not followed by CRLF', file, base + p + len.value);
    }
    argv.push(Buffer.from(buf.subarray(p, p + len.value)));
    p += len.value + 2;
  }
  return { argv, next: p };
}

function findLf(buf: Buffer, pos: number, end: number, file: string, base: number): number {
  const lf = buf.indexOf(0x0a, pos);
  if (lf >= 0 && lf < end) return lf;
  if (end - pos > AOF_LINE_BYTES_MAX) throw new AofFormatError('line too long', file, base + pos);
  return -1;
}

/** Reads "<prefix><digits>\r\n" at pos. */
function readLineInt(
  buf: Buffer,
  pos: number,
  end: number,
  file: string,
  base: number,
): { value: number; next: number } | null {
  const lf = findLf(buf, pos, end, file, base);
  if (lf < 0) return null;
  if (buf[lf - 1] !== 0x0d || lf - pos < 3 || lf - pos > 22)
    throw new AofFormatError('bad header line', file, base + pos);
  let v = 0;
  let i = pos + 1;
  const neg = buf[i] === 0x2d;
  if (neg) i++;
  if (i === lf - 1) throw new AofFormatError('bad number', file, base + pos);
  for (; i < lf - 1; i++) {
    const c = (buf[i] as number) - 0x30;
    if (c < 0 || c > 9) throw new AofFormatError('bad number', file, base + pos);
    v = v * 10 + c;
  }
  return { value: neg ? -v : v, next: lf + 1 };
}
