/**
 * A `Reply` implementation (the server's reply-writer interface) that builds a ScriptReply tree
 * instead of bytes: redis.call runs ordinary command handlers against it. Containers announced by
 * array(n) / map(n) / set(n) collect the next n (2n for maps) replies; the frame stack is explicit.
 */
import type { Reply, RespVersion } from '../protocol/reply.js';
import type { ScriptReply } from './reply.js';

interface Frame {
  readonly items: ScriptReply[];
  left: number;
  readonly kind: 'array' | 'map' | 'set';
}

export class CaptureReply implements Reply {
  resp: RespVersion = 2;
  private readonly frames: Frame[] = [];
  private result: ScriptReply | undefined = undefined;
  private done = false;

  /** Starts capturing one command's reply. */
  reset(resp: RespVersion): void {
    this.resp = resp;
    // A guard, not a plain store: `length = 0` is a runtime call even on an empty array.
    if (this.frames.length !== 0) this.frames.length = 0;
    this.result = undefined;
    this.done = false;
  }

  /** The captured reply; a handler that replied nothing yields an error (a bug, not a crash). */
  take(): ScriptReply {
    if (!this.done) return { kind: 'error', text: 'ERR command produced no reply' };
    return this.result ?? null;
  }

  private put(r: ScriptReply): void {
    const f = this.frames[this.frames.length - 1];
    if (!f) {
      if (!this.done) {
        this.result = r;
        this.done = true;
      }
      return;
    }
    f.items.push(r);
    f.left--;
    this.closeFilled();
  }

  private closeFilled(): void {
    for (;;) {
      const f = this.frames[this.frames.length - 1];
      if (!f || f.left > 0) return;
      this.frames.pop();
      const value: ScriptReply =
        f.kind === 'array'
          ? f.items
          : f.kind === 'map'
            ? { kind: 'map', items: f.items }
            : { kind: 'set', items: f.items };
      this.put(value);
    }
  }

  private open(kind: Frame['kind'], n: number): void {
    if (n <= 0) {
      this.put(
        kind === 'array' ? [] : kind === 'map' ? { kind: 'map', items: [] } : { kind: 'set', items: [] },
      );
      return;
    }
    this.frames.push({ items: [], left: kind === 'map' ? n * 2 : n, kind });
  }

  ok(): void {
    this.put({ kind: 'status', text: 'OK' });
  }
  simple(s: string): void {
    this.put({ kind: 'status', text: s });
  }
  error(msg: string): void {
    this.put({ kind: 'error', text: msg });
  }
  int(n: number): void {
    this.put(n);
  }
  intExact(s: string): void {
    this.put(Number(s));
  }
  // Bulk strings stay latin1 JS strings (ScriptReply allows them): no Buffer per reply.
  bulk(s: string): void {
    this.put(s);
  }
  bulkOrNull(s: string | undefined | null): void {
    this.put(s === undefined || s === null ? null : s);
  }
  nullBulk(): void {
    this.put(null);
  }
  nullArray(): void {
    this.put(null);
  }
  array(n: number): void {
    this.open('array', n);
  }
  map(n: number): void {
    if (this.resp === 3) this.open('map', n);
    else this.open('array', n * 2);
  }
  set(n: number): void {
    if (this.resp === 3) this.open('set', n);
    else this.open('array', n);
  }
  push(n: number): void {
    this.open('array', n);
  }
  double(d: number): void {
    if (this.resp === 3) this.put({ kind: 'double', value: d });
    else this.put(String(d));
  }
  bool(b: boolean): void {
    if (this.resp === 3) this.put({ kind: 'bool', value: b });
    else this.put(b ? 1 : 0);
  }
  verbatim(s: string, format = 'txt'): void {
    if (this.resp === 3) this.put({ kind: 'verbatim', format, text: Buffer.from(s, 'latin1') });
    else this.put(s);
  }
  bigNumber(s: string): void {
    if (this.resp === 3) this.put({ kind: 'bignum', text: s });
    else this.put(s);
  }
  bulks(items: readonly string[]): void {
    this.put(items.slice());
  }
}

/** Writes a script's reply to a client. Nesting is bounded by convert.ts's MAX_NESTING_DEPTH. */
export function writeScriptReply(out: Reply, r: ScriptReply): void {
  if (r === null) return out.nullBulk();
  if (typeof r === 'number') return out.int(r);
  if (typeof r === 'string') return out.bulk(r);
  if (Buffer.isBuffer(r)) return out.bulk(r.toString('latin1'));
  if (Array.isArray(r)) {
    out.array(r.length);
    for (const x of r) writeScriptReply(out, x);
    return;
  }
  switch (r.kind) {
    case 'status':
      return out.simple(r.text);
    case 'error':
      return out.error(r.text);
    case 'double':
      return out.double(r.value);
    case 'bool':
      return out.bool(r.value);
    case 'bignum':
      return out.bigNumber(r.text);
    case 'verbatim':
      return out.verbatim(r.text.toString('latin1'), r.format);
    case 'map':
      out.map(r.items.length >> 1);
      for (const x of r.items) writeScriptReply(out, x);
      return;
    case 'set':
      out.set(r.items.length);
      for (const x of r.items) writeScriptReply(out, x);
      return;
  }
}
