/**
 * Durable committed offsets: an append-only text log of our own at
 * `<dataDir>/__nimbus/consumer-offsets.log` (not a Kafka topic, so no client can read or corrupt it).
 *
 * Format, one record per line:  <crc32c of the JSON, 8 hex digits> <space> <JSON> <newline>
 *   commit:          {"g":group,"t":topic,"p":partition,"o":offset,"e":leaderEpoch,"m":metadata,"ts":commitMs}
 *   delete offset:   {"g":group,"t":topic,"p":partition,"d":1}
 *   delete group:    {"g":group,"D":1}
 * Loading replays lines in order and stops at the first line whose CRC or JSON is bad (a torn
 * tail after a crash), truncating it. Commits are acknowledged after an fsync shared by every
 * commit queued meanwhile (group commit). When the file grows past COMPACT_MIN_BYTES and twice the
 * live size, it is rewritten from the live state (temp file + rename).
 */
import { closeSync, existsSync, fsync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, write } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../storage/crc32c.js';
import { writeFileAtomic } from '../storage/segment-files.js';

export const OFFSETS_FILE = 'consumer-offsets.log';
/** Below this size the log is never rewritten. */
export const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
/** offset.metadata.max.bytes */
export const OFFSET_METADATA_BYTES_MAX = 4096;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestampMs: number;
}

type Rec =
  | { g: string; t: string; p: number; o: number; e: number; m: string | null; ts: number }
  | { g: string; t: string; p: number; d: 1 }
  | { g: string; D: 1 };

export class OffsetStore {
  /** group → "topic\u0000partition" → committed */
  private readonly groups = new Map<string, Map<string, CommittedOffset>>();
  private fd = -1;
  private sizeBytes = 0;
  private queue: { line: Buffer; resolve: () => void; reject: (e: Error) => void }[] = [];
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  truncatedBytes = 0;

  constructor(
    private readonly dir: string | null,
    private readonly onWarning: (m: string) => void = () => {},
  ) {}

  /** Loads the log (no-op in memory mode, dir null). */
  open(): void {
    if (this.dir === null) return;
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, OFFSETS_FILE);
    const data = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const validEnd = this.replay(data);
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    if (validEnd < data.length) {
      ftruncateSync(this.fd, validEnd);
      this.truncatedBytes = data.length - validEnd;
      this.onWarning(`consumer offsets log: dropped ${this.truncatedBytes} torn bytes at ${validEnd}`);
    }
    this.sizeBytes = validEnd;
    this.maybeCompact();
  }

  private replay(data: Buffer): number {
    let pos = 0;
    while (pos < data.length) {
      const nl = data.indexOf(10, pos);
      if (nl < 0 || nl - pos < 10 || data[pos + 8] !== 32) return pos;
      const crc = parseInt(data.toString('latin1', pos, pos + 8), 16);
      if (crc !== crc32c(data, pos + 9, nl)) return pos;
      let rec: Rec;
      try {
        rec = JSON.parse(data.toString('utf8', pos + 9, nl)) as Rec;
      } catch {
        return pos;
      }
      this.apply(rec);
      pos = nl + 1;
    }
    return pos;
  }

  private apply(r: Rec): void {
    if ('D' in r) {
      this.groups.delete(r.g);
      return;
    }
    const key = `${r.t}\u0000${r.p}`;
    if ('d' in r) {
      this.groups.get(r.g)?.delete(key);
      return;
    }
    let g = this.groups.get(r.g);
    if (!g) this.groups.set(r.g, (g = new Map()));
    g.set(key, { offset: r.o, leaderEpoch: r.e, metadata: r.m, commitTimestampMs: r.ts });
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(`${topic}\u0000${partition}`);
  }

  /** Every committed offset of a group. */
  list(group: string): { topic: string; partition: number; committed: CommittedOffset }[] {
    const g = this.groups.get(group);
    if (!g) return [];
    return [...g].map(([k, committed]) => {
      const i = k.lastIndexOf('\u0000');
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), committed };
    });
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  hasGroup(group: string): boolean {
    return (this.groups.get(group)?.size ?? 0) > 0;
  }

  /** Applies in memory at once (visible to OffsetFetch) and resolves when durable. */
  commit(group: string, entries: { topic: string; partition: number; value: CommittedOffset }[]): Promise<void> {
    const recs: Rec[] = entries.map((x) => ({
      g: group,
      t: x.topic,
      p: x.partition,
      o: x.value.offset,
      e: x.value.leaderEpoch,
      m: x.value.metadata,
      ts: x.value.commitTimestampMs,
    }));
    return this.log(recs);
  }

  deleteOffsets(group: string, parts: { topic: string; partition: number }[]): Promise<void> {
    return this.log(parts.map((x) => ({ g: group, t: x.topic, p: x.partition, d: 1 as const })));
  }

  deleteGroup(group: string): Promise<void> {
    return this.log([{ g: group, D: 1 }]);
  }

  private log(recs: Rec[]): Promise<void> {
    for (const r of recs) this.apply(r);
    if (this.dir === null || recs.length === 0) return Promise.resolve();
    const line = Buffer.from(recs.map(encodeLine).join(''), 'utf8');
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const data = Buffer.concat(batch.map((b) => b.line));
      try {
        await writeAll(this.fd, data, this.sizeBytes);
        this.sizeBytes += data.length;
        await new Promise<void>((res, rej) => fsync(this.fd, (e) => (e ? rej(e) : res())));
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    this.writing = false;
    this.maybeCompact();
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private liveBytesEstimate(): number {
    let n = 0;
    for (const [g, m] of this.groups) n += m.size * (g.length + 80);
    return n;
  }

  private maybeCompact(): void {
    if (this.dir === null || this.writing || this.sizeBytes < COMPACT_MIN_BYTES) return;
    if (this.sizeBytes < 2 * this.liveBytesEstimate()) return;
    const lines: string[] = [];
    for (const [g, m] of this.groups) {
      for (const [k, v] of m) {
        const i = k.lastIndexOf('\u0000');
        lines.push(encodeLine({ g, t: k.slice(0, i), p: Number(k.slice(i + 1)), o: v.offset, e: v.leaderEpoch, m: v.metadata, ts: v.commitTimestampMs }));
      }
    }
    closeSync(this.fd);
    writeFileAtomic(this.dir, OFFSETS_FILE, lines.join(''));
    this.fd = openSync(join(this.dir, OFFSETS_FILE), 'r+');
    this.sizeBytes = fstatSync(this.fd).size;
  }

  async close(): Promise<void> {
    if (this.writing) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function encodeLine(r: Rec): string {
  const json = JSON.stringify(r);
  const crc = crc32c(Buffer.from(json, 'utf8'));
  return `${crc.toString(16).padStart(8, '0')} ${json}\n`;
}

async function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const n = await new Promise<number>((res, rej) =>
      write(fd, data, off, data.length - off, position + off, (e, w) => (e ? rej(e) : res(w))),
    );
    off += n;
  }
}
