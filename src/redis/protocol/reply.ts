/**
 * RESP2/RESP3 reply encoding.
 *
 * Replies are appended to one pending *binary string* per client (latin1: one char per byte) and
 * written with a single write per event-loop turn (socket-writer.ts). Appending short strings
 * to a V8 string builds a rope without copying, and Node writes a latin1 string to the socket
 * without creating a Buffer, so the hot path (GET/SET) allocates no Buffer at all.
 *
 * Encodings (RESP3 → RESP2 fallback, as Redis does):
 *   simple +s   error -s   integer :n   bulk $len s | null: RESP3 `_`, RESP2 `$-1` / `*-1`
 *   array *n   map %n → *2n   set ~n → *n   push >n → *n   double ,d → bulk
 *   boolean #t/#f → :1/:0   verbatim =len txt:s → bulk   big number (s → bulk
 */

export type RespVersion = 2 | 3;

/** What command handlers write replies through. Lua scripting can supply its own implementation. */
export interface Reply {
  readonly resp: RespVersion;
  ok(): void;
  simple(s: string): void;
  /** `msg` is the full error line, code first: "ERR syntax error", "WRONGTYPE ...". */
  error(msg: string): void;
  int(n: number): void;
  /** An integer reply given as decimal text (64-bit values beyond 2^53). */
  intExact(s: string): void;
  /** A binary string (latin1, one char per byte). */
  bulk(s: string): void;
  bulkOrNull(s: string | undefined | null): void;
  /** Null bulk string (RESP2 `$-1`). */
  nullBulk(): void;
  /** Null array (RESP2 `*-1`). */
  nullArray(): void;
  array(n: number): void;
  map(n: number): void;
  set(n: number): void;
  push(n: number): void;
  double(d: number): void;
  bool(b: boolean): void;
  verbatim(s: string, format?: string): void;
  bigNumber(s: string): void;
  /** An array of bulk strings. */
  bulks(items: readonly string[]): void;
}

const CRLF = '\r\n';

/** Redis's double → string for replies: shortest round-trip digits, inf/-inf/nan spelled out. */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return d === 0 && 1 / d < 0 ? '-0' : String(d);
  const s = String(d);
  // JS writes 1e-7 / 1e+21; C's %g (which Redis matches) pads the exponent to two digits.
  const e = s.indexOf('e');
  if (e === -1) return s;
  const sign = s[e + 1] as string;
  const digits = s.slice(e + 2);
  return s.slice(0, e) + 'e' + sign + (digits.length < 2 ? '0' + digits : digits);
}

export class RespReply implements Reply {
  /** Pending bytes not yet handed to the socket. */
  out = '';
  /** Set when `out` becomes non-empty so the server can flush this client once per turn. */
  onDirty: (() => void) | null = null;
  /** CLIENT REPLY OFF/SKIP: replies are dropped while false. */
  enabled = true;

  constructor(public resp: RespVersion = 2) {}

  private w(s: string): void {
    if (!this.enabled) return;
    if (this.out.length === 0 && this.onDirty !== null) this.onDirty();
    this.out += s;
  }
  ok(): void {
    this.w('+OK\r\n');
  }
  simple(s: string): void {
    this.w('+' + s + CRLF);
  }
  error(msg: string): void {
    // An error line may not contain CR/LF (Redis replaces them with spaces).
    if (msg.indexOf('\r') !== -1 || msg.indexOf('\n') !== -1) msg = msg.replace(/[\r\n]/g, ' ');
    this.w('-' + msg + CRLF);
  }
  int(n: number): void {
    this.w(':' + n + CRLF);
  }
  intExact(s: string): void {
    this.w(':' + s + CRLF);
  }
  bulk(s: string): void {
    this.w('$' + s.length + CRLF + s + CRLF);
  }
  bulkOrNull(s: string | undefined | null): void {
    if (s === undefined || s === null) this.nullBulk();
    else this.w('$' + s.length + CRLF + s + CRLF);
  }
  nullBulk(): void {
    this.w(this.resp === 3 ? '_\r\n' : '$-1\r\n');
  }
  nullArray(): void {
    this.w(this.resp === 3 ? '_\r\n' : '*-1\r\n');
  }
  array(n: number): void {
    this.w('*' + n + CRLF);
  }
  map(n: number): void {
    this.w(this.resp === 3 ? '%' + n + CRLF : '*' + n * 2 + CRLF);
  }
  set(n: number): void {
    this.w(this.resp === 3 ? '~' + n + CRLF : '*' + n + CRLF);
  }
  push(n: number): void {
    this.w(this.resp === 3 ? '>' + n + CRLF : '*' + n + CRLF);
  }
  double(d: number): void {
    const s = formatDouble(d);
    this.w(this.resp === 3 ? ',' + s + CRLF : '$' + s.length + CRLF + s + CRLF);
  }
  bool(b: boolean): void {
    this.w(this.resp === 3 ? (b ? '#t\r\n' : '#f\r\n') : b ? ':1\r\n' : ':0\r\n');
  }
  verbatim(s: string, format = 'txt'): void {
    if (this.resp === 3) this.w('=' + (s.length + 4) + CRLF + format + ':' + s + CRLF);
    else this.bulk(s);
  }
  bigNumber(s: string): void {
    this.w(this.resp === 3 ? '(' + s + CRLF : '$' + s.length + CRLF + s + CRLF);
  }
  bulks(items: readonly string[]): void {
    let s = '*' + items.length + CRLF;
    for (const it of items) s += '$' + it.length + CRLF + it + CRLF;
    this.w(s);
  }
  /** Takes the pending bytes (the server writes them to the socket). */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }
}
