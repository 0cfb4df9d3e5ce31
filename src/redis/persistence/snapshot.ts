/**
 * Point-in-time RDB snapshots without fork: BGSAVE serializes the keyspace in slices across event
 * loop turns, and the keyspace calls `beforeKeyChange` before every modification so that a key not
 * yet written is written first with its old value (copy-on-write at key granularity). The file is
 * exactly the dataset as it was when the save started.
 *
 * How "as it was" is decided without copying the key list at start: the first time we hear about a
 * key during a save — from the slice iterator or from beforeKeyChange — is the snapshot's view of
 * it. If it exists then, its value is still the start value (nothing changed it without telling
 * us) and we write it; if it does not exist (being created), it was not in the dataset and is
 * skipped. A `done` set per database remembers keys already decided, so nothing is written twice
 * (redis-server refuses duplicate keys). Cost: that set holds one string per key written during
 * the save; keys are iterated live, so start is O(1).
 *
 * API for the engine (R1):
 *   interface SnapshotSource { dbCount; keys(db) → live Iterable<Buffer>; read(db, key) → RdbEntry|null;
 *                              sizeHint?(db) → {keys, expires}; usedMemoryBytes?(); functions?() }
 *   const snaps = new Snapshots(source)
 *   snaps.beforeKeyChange(db, key)    call before ANY write/delete/expire/rename of key (both keys of
 *                                     RENAME/MOVE/COPY); O(1) when no save is running
 *   snaps.beforeFlush(db | 'all')     call before FLUSHDB/FLUSHALL/SWAPDB (both dbs): drains the
 *                                     db's unwritten keys synchronously (the only blocking case)
 *   snaps.startBackground(path) → BackgroundSave { done: Promise<SaveResult>, abort() }   (BGSAVE)
 *   snaps.saveSync(path) → SaveResult                                                     (SAVE)
 *   snaps.inProgress → boolean
 *   removeStaleTempFiles(dir)         at startup: delete temp files of saves a crash interrupted
 * `keys(db)` must be safe to iterate while the engine mutates the db (a JS Map iterator is).
 */
import { closeSync, fsyncSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { fsync as fsyncCb, close as closeCb } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RdbWriter, type RdbAux } from './rdb.js';
import type { RdbEntry } from './value-model.js';
import { replaceFile, replaceFileSync } from './durable-file.js';

export interface SnapshotSource {
  readonly dbCount: number;
  /** A live iterator over the db's keys; must tolerate mutation during iteration. */
  keys(db: number): Iterable<Buffer>;
  /** The key's current value, or null when it does not exist. */
  read(db: number, key: Buffer): RdbEntry | null;
  /** RESIZEDB hint; when absent the section has no hint. */
  sizeHint?(db: number): { keys: number; expires: number };
  usedMemoryBytes?(): number;
  /** Function library sources (FUNCTION LOAD), taken when the save starts. */
  functions?(): Buffer[];
}

export interface SaveResult {
  path: string;
  bytes: number;
  keys: number;
  /** Wall-clock time of the snapshot's point in time (ms). */
  startedAtMs: number;
  durationMs: number;
}

export interface BackgroundSave {
  readonly done: Promise<SaveResult>;
  /** Stops the save, removes the temp file; `done` rejects with SnapshotAbortedError. */
  abort(): void;
}

export class SnapshotAbortedError extends Error {
  constructor() {
    super('background save aborted');
    this.name = 'SnapshotAbortedError';
  }
}

export interface SaveOptions {
  /** Marks the file as an AOF base (aux aof-base=1). */
  aofBase?: boolean;
  /** Wall clock in ms, injectable for tests. */
  nowMs?: () => number;
}

/** A slice yields to the event loop after this much work, so clients see at most this latency. */
export const SNAPSHOT_SLICE_BUDGET_MS = 2;
/** Keys between clock checks inside a slice. */
const KEYS_PER_CLOCK_CHECK = 32;

let tempCounter = 0;

/** One save in progress: owns the writer, the done-sets and the db cursor. */
class SnapshotRun {
  private readonly done: Array<Set<string>>;
  private db = 0;
  private iter: Iterator<Buffer> | null = null;
  keysWritten = 0;
  readonly writer: RdbWriter;

  constructor(
    private readonly source: SnapshotSource,
    sink: (chunk: Buffer) => void,
    aux: RdbAux,
  ) {
    this.done = Array.from({ length: source.dbCount }, () => new Set<string>());
    this.writer = new RdbWriter({ write: sink }).header(aux).functions(source.functions?.() ?? []);
  }

  /** Writes the key's current value if the snapshot has not decided it yet. */
  decide(db: number, key: Buffer): void {
    const done = this.done[db];
    if (!done) return;
    const k = key.toString('latin1');
    if (done.has(k)) return;
    done.add(k);
    const e = this.source.read(db, key);
    if (e === null) return;
    this.writer.entry(e.db === db ? e : { ...e, db });
    this.keysWritten++;
  }

  /** Decides every remaining key of db now (before a flush or swap destroys the old contents). */
  drainDb(db: number): void {
    for (const key of this.source.keys(db)) this.decide(db, key);
  }

  /** Advances the slice cursor; returns true when every db has been iterated. */
  step(deadline: number, now: () => number): boolean {
    let n = 0;
    while (this.db < this.source.dbCount) {
      if (this.iter === null) this.openDb();
      const it = (this.iter as Iterator<Buffer>).next();
      if (it.done) {
        this.iter = null;
        this.db++;
        continue;
      }
      this.decide(this.db, it.value);
      if (++n % KEYS_PER_CLOCK_CHECK === 0 && now() >= deadline) return false;
    }
    return true;
  }

  private openDb(): void {
    const hint = this.source.sizeHint?.(this.db);
    if (hint && hint.keys > 0) this.writer.selectDb(this.db, hint.keys, hint.expires);
    this.iter = this.source.keys(this.db)[Symbol.iterator]();
  }
}

export class Snapshots {
  private readonly active = new Set<SnapshotRun>();

  constructor(private readonly source: SnapshotSource) {}

  get inProgress(): boolean {
    return this.active.size > 0;
  }

  beforeKeyChange(db: number, key: Buffer): void {
    if (this.active.size === 0) return;
    for (const run of this.active) run.decide(db, key);
  }

  beforeFlush(db: number | 'all'): void {
    if (this.active.size === 0) return;
    for (const run of this.active) {
      if (db === 'all') for (let d = 0; d < this.source.dbCount; d++) run.drainDb(d);
      else run.drainDb(db);
    }
  }

  saveSync(path: string, opts: SaveOptions = {}): SaveResult {
    const now = opts.nowMs ?? Date.now;
    const started = now();
    const tmp = tempPath(path);
    const fd = openSync(tmp, 'w');
    try {
      const run = new SnapshotRun(this.source, (c) => writeAll(fd, c), this.aux(started, opts));
      run.step(Infinity, now);
      const bytes = run.writer.finish();
      fsyncSync(fd);
      closeSync(fd);
      replaceFileSync(tmp, path);
      return { path, bytes, keys: run.keysWritten, startedAtMs: started, durationMs: now() - started };
    } catch (e) {
      safeClose(fd);
      safeUnlink(tmp);
      throw e;
    }
  }

  startBackground(path: string, opts: SaveOptions = {}): BackgroundSave {
    const now = opts.nowMs ?? Date.now;
    const started = now();
    const tmp = tempPath(path);
    const fd = openSync(tmp, 'w');
    // Writes are synchronous 64 KiB chunks into the page cache (fast); only fsync goes async.
    const run = new SnapshotRun(this.source, (c) => writeAll(fd, c), this.aux(started, opts));
    this.active.add(run);
    let aborted = false;
    // A closed fd number can be reused by another open file at once: never close ours twice.
    let fdOpen = true;
    const closeOnce = (): void => {
      if (fdOpen) safeClose(fd);
      fdOpen = false;
    };
    let timer: NodeJS.Immediate | null = null;
    let rejectFn: (e: Error) => void = () => {};
    const done = new Promise<SaveResult>((resolve, reject) => {
      rejectFn = reject;
      const finish = async (): Promise<void> => {
        const bytes = run.writer.finish();
        await new Promise<void>((res, rej) => fsyncCb(fd, (err) => (err ? rej(err) : res())));
        fdOpen = false;
        await new Promise<void>((res, rej) => closeCb(fd, (err) => (err ? rej(err) : res())));
        if (aborted) throw new SnapshotAbortedError();
        await replaceFile(tmp, path);
        resolve({ path, bytes, keys: run.keysWritten, startedAtMs: started, durationMs: now() - started });
      };
      const slice = (): void => {
        timer = null;
        if (aborted) return;
        try {
          if (!run.step(performance.now() + SNAPSHOT_SLICE_BUDGET_MS, () => performance.now())) {
            timer = setImmediate(slice);
            return;
          }
        } catch (e) {
          fail(e as Error);
          return;
        }
        // From here the file is complete: no more copy-on-write is needed.
        this.active.delete(run);
        finish().catch(fail);
      };
      const fail = (e: Error): void => {
        this.active.delete(run);
        closeOnce();
        safeUnlink(tmp);
        reject(e);
      };
      timer = setImmediate(slice);
    });
    return {
      done,
      abort: () => {
        if (aborted) return;
        aborted = true;
        if (timer) clearImmediate(timer);
        if (this.active.delete(run)) {
          closeOnce();
          safeUnlink(tmp);
          rejectFn(new SnapshotAbortedError());
        }
      },
    };
  }

  private aux(startedMs: number, opts: SaveOptions): RdbAux {
    return {
      ctimeSec: Math.floor(startedMs / 1000),
      usedMemBytes: this.source.usedMemoryBytes?.() ?? 0,
      aofBase: opts.aofBase ?? false,
    };
  }
}

/**
 * Deletes temp files a crashed save left in dir (ours are `temp-<pid>-<n>-<name>`); call at startup
 * before any save starts. Returns the names removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    if (/^temp-\d+-\d+-/.test(f)) {
      safeUnlink(join(dir, f));
      removed.push(f);
    }
  }
  return removed;
}

function tempPath(target: string): string {
  return join(dirname(target), `temp-${process.pid}-${++tempCounter}-${basename(target)}`);
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

function safeClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

function safeUnlink(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* already gone */
  }
}
