/**
 * Redis 7 multi-part append-only file: `<dir>/appendonlydir/` holds one base file (an RDB with
 * aof-base=1, or a RESP log), incremental RESP logs, and `appendonly.aof.manifest` listing them,
 * in the exact layout and manifest syntax of redis-server 7 (it loads our directory and we load its).
 *
 * Writing: `append(db, argv)` encodes into a buffer (emitting SELECT when the db changes, and at
 * the start of every incr file, as Redis does). Once per event-loop turn (setImmediate) the buffer
 * is written to the incr file. Then, by `appendfsync`:
 *   always   — fdatasync after each turn's write, group commit: one fsync covers every append
 *              written before it. `durable()` gives the promise to await before replying.
 *   everysec — fdatasync once a second on the injected clock (a kill -9 loses nothing that was
 *              written; a machine crash loses ≤ ~1-2 s).
 *   no       — never fsync; the OS decides.
 * The caller passes argv with absolute expiry already (PEXPIREAT, SET … PXAT), as Redis propagates.
 *
 * Loading: `load(handler)` replays base then incr files in order. A torn last command in the last
 * file (crash mid-write) is cut off with ftruncate and reported (aof-load-truncated yes), as is an
 * unterminated MULTI. Elsewhere, bad bytes are an AofFormatError.
 *
 * Base files are always RDB (aof-use-rdb-preamble yes, Redis's default); a RESP base written by
 * Redis with the preamble off loads too.
 *
 * Rewrite (BGREWRITEAOF): `rewrite(snapshots)` opens a fresh incr file and persists the manifest
 * (so writes from now on are safe in it), then a sliced point-in-time snapshot writes the new base
 * without blocking; on success the manifest swaps atomically to (new base, new incr) and the old
 * files are deleted. A failed rewrite leaves a consistent manifest (old base + all incrs).
 *
 * Turning AOF on with the dataset already in memory (CONFIG SET appendonly yes, or a start that
 * finds no manifest): `adopt()` then `rewrite()`. Until that first base exists, writes go to the
 * unlisted `temp-<name>.incr` (Redis's AOF_WAIT_REWRITE), which is then renamed to the next incr
 * and listed with the base in one manifest replace; a crash meanwhile leaves no half-made AOF.
 *
 * API for the engine (R1):
 *   const aof = new AofManager({ dir, fsync, clock, loadTruncated?, ... })
 *   aof.hasManifest()               an AOF exists on disk → load() it, else adopt() + rewrite()
 *   aof.load({ entry(e), command(db, argv) }) → AofLoadReport   (call once at start)
 *   aof.adopt({ offline? })         take over the directory without replaying (offline: one
 *                                   BGREWRITEAOF while appendonly is no, base-only manifest)
 *   aof.setFsync(policy)            CONFIG SET appendfsync
 *   aof.append(db, argv)            after a write command executed (argv as to propagate; Buffers or
 *                                   binary latin1 strings — pass the engine's strings, no conversion)
 *   aof.durable() → Promise|null    always-mode: await before sending replies of this turn
 *   aof.rewrite(snapshots) → Promise<RewriteResult>;  aof.rewriting
 *   aof.flushSync()                 SHUTDOWN: write + fsync everything now
 *   aof.close()                     flushSync and release (timers, fds); aborts a running rewrite
 *   aof.stats()                     sizes for INFO persistence and auto-aof-rewrite-percentage
 *   aof.lastWriteError              non-null → refuse writes (Redis: -MISCONF ... AOF ...)
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  close as closeCb,
} from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../../platform/clock.js';
import { AofFormatError } from './errors.js';
import {
  encodeCommandInto,
  encodedCommandBytes,
  formatManifest,
  parseCommand,
  parseManifest,
  type AofArg,
  type AofFileInfo,
  type AofManifest,
} from './aof-format.js';
import { RdbReader } from './rdb.js';
import { SnapshotAbortedError, type BackgroundSave, type Snapshots } from './snapshot.js';
import { fsyncDirSync, replaceFileSync } from './durable-file.js';
import type { RdbEntry } from './value-model.js';

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface AofOptions {
  /** The service's data dir; the AOF lives in dir/dirName. */
  dir: string;
  dirName?: string;
  fileName?: string;
  fsync: AppendFsync;
  clock: Pick<Clock, 'every' | 'after'>;
  /** aof-load-truncated (default true). */
  loadTruncated?: boolean;
}

export interface AofLoadHandler {
  entry(e: RdbEntry): void;
  command(db: number, argv: Buffer[]): void;
  /** A function library from the RDB base (FUNCTION2 record); absent = ignored. */
  functionLibrary?(code: Buffer): void;
}

export interface AofLoadReport {
  existed: boolean;
  baseKeys: number;
  commands: number;
  /** Bytes cut from the end of the last file (torn write or unterminated MULTI). */
  truncatedBytes: number;
  truncatedFile: string | null;
  files: string[];
}

export interface RewriteResult {
  baseFile: string;
  baseBytes: number;
  keys: number;
  durationMs: number;
}

/** Log data read per read() call when replaying. */
export const AOF_READ_CHUNK_BYTES = 1024 * 1024;
/** Initial append buffer; it grows for big commands and shrinks back after a flush. */
export const AOF_BUFFER_INITIAL_BYTES = 64 * 1024;
const EVERYSEC_INTERVAL_MS = 1000;
/** After a failed write (ENOSPC, EIO) the buffer is kept and retried this often. */
export const AOF_WRITE_RETRY_MS = 100;

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class AofManager {
  readonly dirPath: string;
  private readonly fileName: string;
  private manifest: AofManifest = { base: null, history: [], incr: [] };
  private fd = -1;
  private selectedDb = -1;
  private buf = Buffer.allocUnsafe(AOF_BUFFER_INITIAL_BYTES);
  private pos = 0;
  private flushScheduled = false;
  /** Waiters for the appends buffered in this turn. */
  private turnWaiter: Deferred | null = null;
  /** Waiters whose bytes are written and need the next fsync. */
  private awaitingSync: Deferred[] = [];
  private syncInFlight = false;
  private dirty = false;
  private fdsToClose: number[] = [];
  private timer: Timer | null = null;
  private rewriteInFlight = false;
  private baseBytes = 0;
  private incrBytes = 0;
  private closed = false;
  private fsyncPolicy: AppendFsync;
  /**
   * Redis's AOF_WAIT_REWRITE: AOF is being turned on (adopt()), and until the first rewrite has
   * written a base, writes go to a temp incr file the manifest does not list (so a crash meanwhile
   * leaves the previous state, e.g. dump.rdb, to load, never an AOF missing the dataset).
   */
  private waitingFirstRewrite = false;
  /** adopt({ offline: true }): BGREWRITEAOF while appendonly is no (a base, no incr, no logging). */
  private offline = false;
  /** The snapshot a running rewrite is writing (aborted by close()). */
  private currentSave: BackgroundSave | null = null;
  lastWriteError: Error | null = null;

  constructor(private readonly opts: AofOptions) {
    this.dirPath = join(opts.dir, opts.dirName ?? 'appendonlydir');
    this.fileName = opts.fileName ?? 'appendonly.aof';
    this.fsyncPolicy = opts.fsync;
  }

  get fsync(): AppendFsync {
    return this.fsyncPolicy;
  }

  /** CONFIG SET appendfsync: applies from now on (always: from the next reply). */
  setFsync(policy: AppendFsync): void {
    if (policy === this.fsyncPolicy) return;
    this.fsyncPolicy = policy;
    this.timer?.cancel();
    this.timer = null;
    if (this.closed) return;
    this.startTimer();
    // Bytes written under the old policy get synced now, so the next durable() wait covers them.
    if (policy === 'always') this.kickSync();
  }

  /** True while AOF is being turned on and its first base is not written yet. */
  get waitingForFirstRewrite(): boolean {
    return this.waitingFirstRewrite;
  }

  private get manifestPath(): string {
    return join(this.dirPath, `${this.fileName}.manifest`);
  }

  /** Redis's name for the incr file that collects writes while AOF is being turned on. */
  private get tempIncrPath(): string {
    return join(this.dirPath, `temp-${this.fileName}.incr`);
  }

  /** Whether an AOF exists on disk (a manifest): load() it; otherwise adopt() and rewrite(). */
  hasManifest(): boolean {
    return existsSync(this.manifestPath);
  }

  get rewriting(): boolean {
    return this.rewriteInFlight;
  }

  stats(): { baseBytes: number; currentBytes: number; bufferedBytes: number } {
    return {
      baseBytes: this.baseBytes,
      currentBytes: this.baseBytes + this.incrBytes,
      bufferedBytes: this.pos,
    };
  }

  // ───────────── loading ─────────────

  load(handler: AofLoadHandler): AofLoadReport {
    const report: AofLoadReport = {
      existed: false,
      baseKeys: 0,
      commands: 0,
      truncatedBytes: 0,
      truncatedFile: null,
      files: [],
    };
    const manifestPath = this.manifestPath;
    mkdirSync(this.dirPath, { recursive: true });
    if (existsSync(manifestPath)) {
      report.existed = true;
      this.manifest = parseManifest(readFileSync(manifestPath, 'latin1'), manifestPath);
      this.replayAll(handler, report);
    }
    this.deleteHistory();
    this.openForAppend();
    this.startTimer();
    return report;
  }

  /**
   * Turning AOF on while the dataset is already in memory (CONFIG SET appendonly yes, or a start
   * that found no AOF): reads an existing manifest without replaying it (its files become history
   * after the first rewrite, as in Redis) and enters the wait-for-first-rewrite state; call
   * rewrite() next. Appends are dropped until that rewrite starts (the base will hold them).
   * Throws when the directory or manifest cannot be read.
   *
   * With `offline`, the manager only serves one rewrite() while AOF is off (Redis allows
   * BGREWRITEAOF then): the manifest becomes just the new base; nothing is appended.
   */
  adopt(opts: { offline?: boolean } = {}): void {
    mkdirSync(this.dirPath, { recursive: true });
    if (existsSync(this.manifestPath)) {
      this.manifest = parseManifest(readFileSync(this.manifestPath, 'latin1'), this.manifestPath);
    }
    this.deleteHistory();
    safeUnlink(this.tempIncrPath);
    this.offline = opts.offline ?? false;
    this.waitingFirstRewrite = !this.offline;
    if (!this.offline) this.startTimer();
  }

  private replayAll(handler: AofLoadHandler, report: AofLoadReport): void {
    const files = [...(this.manifest.base ? [this.manifest.base] : []), ...this.manifest.incr];
    files.forEach((f, i) => {
      const path = join(this.dirPath, f.name);
      const isLast = i === files.length - 1;
      if (!existsSync(path)) {
        // A crash between creating the manifest entry and the file leaves the last incr missing.
        if (isLast && f.type === 'i') return;
        throw new AofFormatError('file listed in the manifest is missing', path, 0);
      }
      report.files.push(f.name);
      let start = 0;
      if (f.type === 'b') {
        const loaded = this.loadRdbPreamble(path, handler);
        report.baseKeys += loaded.keys;
        start = loaded.end;
        this.baseBytes = statSync(path).size;
      } else {
        this.incrBytes += statSync(path).size;
      }
      const r = replayLog(path, start, handler, isLast && (this.opts.loadTruncated ?? true));
      report.commands += r.commands;
      if (r.truncatedBytes > 0) {
        report.truncatedBytes = r.truncatedBytes;
        report.truncatedFile = f.name;
        this.incrBytes -= r.truncatedBytes;
      }
    });
  }

  /** Loads the RDB part of a base file, if it has one; returns where the RESP part starts. */
  private loadRdbPreamble(path: string, handler: AofLoadHandler): { keys: number; end: number } {
    const fd = openSync(path, 'r');
    const magic = Buffer.alloc(5);
    const n = readSync(fd, magic, 0, 5, 0);
    closeSync(fd);
    if (n < 5 || magic.toString('latin1') !== 'REDIS') return { keys: 0, end: 0 };
    const r = RdbReader.open(path);
    try {
      let keys = 0;
      for (let e = r.next(); e !== null; e = r.next()) {
        handler.entry(e);
        keys++;
      }
      for (const lib of r.functions) handler.functionLibrary?.(lib);
      return { keys, end: r.offset };
    } finally {
      r.close();
    }
  }

  private deleteHistory(): void {
    if (this.manifest.history.length === 0) return;
    for (const h of this.manifest.history) safeUnlink(join(this.dirPath, h.name));
    this.manifest = { ...this.manifest, history: [] };
    this.persistManifest();
  }

  /** Opens the last incr file for appending, creating one (and the manifest entry) if needed. */
  private openForAppend(): void {
    const last = this.manifest.incr[this.manifest.incr.length - 1];
    if (last) {
      this.fd = openSync(join(this.dirPath, last.name), 'a');
      return;
    }
    this.openNewIncr();
  }

  private nextSeq(type: 'b' | 'i'): number {
    const seqs =
      type === 'b'
        ? this.manifest.base
          ? [this.manifest.base.seq]
          : []
        : this.manifest.incr.map((f) => f.seq);
    return seqs.length ? Math.max(...seqs) + 1 : 1;
  }

  /** Creates a fresh incr file, makes it current and persists the manifest listing it. */
  private openNewIncr(): void {
    const seq = this.nextSeq('i');
    const info: AofFileInfo = { name: `${this.fileName}.${seq}.incr.aof`, seq, type: 'i' };
    const fd = openSync(join(this.dirPath, info.name), 'a');
    this.manifest = { ...this.manifest, incr: [...this.manifest.incr, info] };
    this.persistManifest();
    fsyncDirSync(this.dirPath);
    if (this.fd >= 0) this.retireFd(this.fd);
    this.fd = fd;
    this.selectedDb = -1;
  }

  private persistManifest(): void {
    const target = join(this.dirPath, `${this.fileName}.manifest`);
    const tmp = join(this.dirPath, `temp-${this.fileName}.manifest`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, formatManifest(this.manifest));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    replaceFileSync(tmp, target);
  }

  // ───────────── appending ─────────────

  append(db: number, argv: readonly AofArg[]): void {
    if (this.closed || this.offline) throw new Error('AOF is closed');
    // Between adopt() and the first rewrite (or a retry of a failed one) nothing is logged:
    // the coming base snapshot holds these writes (Redis feeds the AOF only once a rewrite runs).
    if (this.fd < 0 && this.waitingFirstRewrite) return;
    if (db !== this.selectedDb) {
      this.put(['SELECT', String(db)]);
      this.selectedDb = db;
    }
    this.put(argv);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushTurn());
    }
  }

  /**
   * In always mode, a promise that resolves once every append made so far is on disk (rejects on
   * a write/fsync error: the writes must not be acknowledged). Null when there is nothing to wait
   * for (other modes, or nothing appended this turn): the fast path allocates nothing.
   */
  durable(): Promise<void> | null {
    if (this.fsyncPolicy !== 'always') return null;
    if (this.pos > 0 || this.flushScheduled) {
      this.turnWaiter ??= deferred();
      return this.turnWaiter.promise;
    }
    if (this.awaitingSync.length > 0 || this.syncInFlight) {
      const d = deferred();
      this.awaitingSync.push(d);
      this.kickSync();
      return d.promise;
    }
    return null;
  }

  private put(argv: readonly AofArg[]): void {
    const n = encodedCommandBytes(argv);
    if (this.pos + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    this.pos = encodeCommandInto(argv, this.buf, this.pos);
  }

  /** Writes this turn's buffer; in always mode hands its waiter to the fsync pipeline. */
  private flushTurn(): void {
    this.flushScheduled = false;
    const waiter = this.turnWaiter;
    this.turnWaiter = null;
    if (!this.writeBuffer()) {
      waiter?.reject(this.lastWriteError as Error);
      if (this.pos > 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        this.opts.clock.after(AOF_WRITE_RETRY_MS, () => this.flushTurn());
      }
      return;
    }
    // A waiter taken under `always` is honoured even if appendfsync changed since.
    if (waiter) this.awaitingSync.push(waiter);
    if (this.fsyncPolicy === 'always' || waiter) this.kickSync();
  }

  /** Writes the whole buffer; on error keeps the unwritten rest for a retry. */
  private writeBuffer(): boolean {
    let off = 0;
    try {
      while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
      this.lastWriteError = null;
    } catch (e) {
      this.lastWriteError = e as Error;
    }
    if (off > 0) {
      this.dirty = true;
      this.incrBytes += off;
      this.buf.copy(this.buf, 0, off, this.pos);
      this.pos -= off;
    }
    if (this.pos === 0 && this.buf.length > AOF_BUFFER_INITIAL_BYTES * 16) {
      this.buf = Buffer.allocUnsafe(AOF_BUFFER_INITIAL_BYTES);
    }
    return this.lastWriteError === null;
  }

  /** Starts an fdatasync covering everything written so far, unless one is running. */
  private kickSync(): void {
    if (this.syncInFlight || (!this.dirty && this.awaitingSync.length === 0)) return;
    const batch = this.awaitingSync;
    this.awaitingSync = [];
    this.dirty = false;
    this.syncInFlight = true;
    fdatasync(this.fd, (err) => {
      this.syncInFlight = false;
      for (const d of batch) {
        if (err) d.reject(err);
        else d.resolve();
      }
      if (err) this.lastWriteError = err;
      this.closeRetired();
      if (this.fsyncPolicy === 'always' || this.awaitingSync.length > 0) this.kickSync();
    });
  }

  private startTimer(): void {
    if (this.fsyncPolicy !== 'everysec') return;
    this.timer = this.opts.clock.every(EVERYSEC_INTERVAL_MS, () => {
      if (this.dirty) this.kickSync();
    });
  }

  /** Old incr fds are closed once no fsync is using them. */
  private retireFd(fd: number): void {
    this.fdsToClose.push(fd);
    this.closeRetired();
  }

  private closeRetired(): void {
    if (this.syncInFlight) return;
    for (const fd of this.fdsToClose) closeCb(fd, () => {});
    this.fdsToClose = [];
  }

  /** Writes and fsyncs everything now (SHUTDOWN, rewrite switch). Throws on I/O error. */
  flushSync(): void {
    if (this.fd < 0) return;
    if (!this.writeBuffer()) throw this.lastWriteError as Error;
    const waiter = this.turnWaiter;
    this.turnWaiter = null;
    fsyncSync(this.fd);
    this.dirty = false;
    waiter?.resolve();
    // Bytes written before this point are durable, so waiters queued for the next fsync are done.
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    this.turnWaiter?.resolve();
    this.turnWaiter = null;
    for (const d of this.awaitingSync) d.resolve();
    this.awaitingSync = [];
  }

  /**
   * Writes and releases everything (CONFIG SET appendonly no, shutdown). A running rewrite is
   * aborted; if AOF was still waiting for its first base, the temp incr file is deleted as Redis
   * does (the files the manifest lists stay on disk).
   */
  close(): void {
    if (this.closed) return;
    this.currentSave?.abort();
    if (this.waitingFirstRewrite) this.dropTempIncr();
    else this.flushSync();
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    if (this.fd >= 0) this.retireFd(this.fd);
    this.fd = -1;
  }

  // ───────────── rewrite ─────────────

  /**
   * BGREWRITEAOF, or the first rewrite after adopt(). The point-in-time snapshot starts
   * synchronously, together with the switch to a new incr file, so every later write is in the
   * new incr and every earlier one in the base.
   */
  async rewrite(snapshots: Snapshots): Promise<RewriteResult> {
    if (this.rewriteInFlight) throw new Error('Background append only file rewriting already in progress');
    if (this.closed) throw new Error('AOF is closed');
    this.rewriteInFlight = true;
    try {
      if (this.offline) return await this.offlineRewrite(snapshots);
      return this.waitingFirstRewrite ? await this.firstRewrite(snapshots) : await this.compact(snapshots);
    } finally {
      this.rewriteInFlight = false;
      this.currentSave = null;
    }
  }

  private newBaseInfo(): AofFileInfo {
    const seq = this.nextSeq('b');
    return { name: `${this.fileName}.${seq}.base.rdb`, seq, type: 'b' };
  }

  /** Starts the base snapshot; resolves when written, unless close() came first. */
  private async writeBase(snapshots: Snapshots, base: AofFileInfo): Promise<{ bytes: number; keys: number; durationMs: number }> {
    const path = join(this.dirPath, base.name);
    const run = snapshots.startBackground(path, { aofBase: true });
    this.currentSave = run;
    const res = await run.done;
    if (this.closed) {
      // Turned off while the file was being renamed into place: it belongs to no manifest.
      safeUnlink(path);
      throw new SnapshotAbortedError();
    }
    return res;
  }

  /** Makes (base, incr) the whole AOF: older files become history, then are deleted. */
  private installBase(base: AofFileInfo, incr: AofFileInfo | null, baseBytes: number): void {
    const old = [...(this.manifest.base ? [this.manifest.base] : []), ...this.manifest.incr.filter((f) => f !== incr)];
    this.manifest = { base, history: old.map((f) => ({ ...f, type: 'h' as const })), incr: incr ? [incr] : [] };
    this.persistManifest();
    this.baseBytes = baseBytes;
    this.deleteHistory();
  }

  private async compact(snapshots: Snapshots): Promise<RewriteResult> {
    // Everything before this instant is in the old files; everything after goes to the new incr.
    this.flushSync();
    this.openNewIncr();
    const keepIncr = this.manifest.incr[this.manifest.incr.length - 1] as AofFileInfo;
    const incrBytesAtSwitch = this.incrBytes;
    const base = this.newBaseInfo();
    const res = await this.writeBase(snapshots, base);
    this.installBase(base, keepIncr, res.bytes);
    this.incrBytes -= incrBytesAtSwitch;
    return { baseFile: base.name, baseBytes: res.bytes, keys: res.keys, durationMs: res.durationMs };
  }

  /** BGREWRITEAOF with AOF off: the manifest becomes the new base alone (as redis-server 7 does). */
  private async offlineRewrite(snapshots: Snapshots): Promise<RewriteResult> {
    const base = this.newBaseInfo();
    const res = await this.writeBase(snapshots, base);
    this.installBase(base, null, res.bytes);
    return { baseFile: base.name, baseBytes: res.bytes, keys: res.keys, durationMs: res.durationMs };
  }

  /**
   * Redis's rewrite in AOF_WAIT_REWRITE: writes collect in the unlisted temp incr file while the
   * base is written; then the temp file is renamed to the next incr name and the manifest switches
   * to (new base, that incr) in one atomic replace. On failure the temp file is dropped (the
   * caller retries; the next base holds those writes, which are in memory).
   */
  private async firstRewrite(snapshots: Snapshots): Promise<RewriteResult> {
    this.fd = openSync(this.tempIncrPath, 'w');
    this.selectedDb = -1;
    this.incrBytes = 0;
    try {
      const base = this.newBaseInfo();
      const res = await this.writeBase(snapshots, base);
      this.flushSync();
      const seq = this.nextSeq('i');
      const incr: AofFileInfo = { name: `${this.fileName}.${seq}.incr.aof`, seq, type: 'i' };
      renameSync(this.tempIncrPath, join(this.dirPath, incr.name));
      this.manifest = { ...this.manifest, incr: [...this.manifest.incr, incr] };
      this.installBase(base, incr, res.bytes);
      fsyncDirSync(this.dirPath);
      this.waitingFirstRewrite = false;
      return { baseFile: base.name, baseBytes: res.bytes, keys: res.keys, durationMs: res.durationMs };
    } catch (e) {
      this.dropTempIncr();
      throw e;
    }
  }

  /** Discards the temp incr file of a first rewrite that failed or was cancelled. */
  private dropTempIncr(): void {
    if (this.fd < 0) return;
    try {
      this.flushSync();
    } catch {
      /* the writes are in memory; the next base snapshot holds them */
    }
    // Waiters are released: their writes are applied in memory, as Redis acknowledges them.
    this.resolveWaiters();
    this.retireFd(this.fd);
    this.fd = -1;
    this.pos = 0;
    this.dirty = false;
    this.incrBytes = 0;
    safeUnlink(this.tempIncrPath);
  }
}

// ───────────── replay of one RESP log ─────────────

interface ReplayResult {
  commands: number;
  truncatedBytes: number;
}

/**
 * Replays the RESP commands of path from byte start, reading in chunks. SELECT sets the db and is
 * not passed on; MULTI…EXEC is delivered on EXEC (an unterminated MULTI counts as a torn tail).
 */
function replayLog(
  path: string,
  start: number,
  handler: AofLoadHandler,
  tolerateTruncation: boolean,
): ReplayResult {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    let buf: Buffer = Buffer.allocUnsafe(Math.min(AOF_READ_CHUNK_BYTES, Math.max(size - start, 1)));
    let bufStart = start;
    let end = 0;
    let pos = 0;
    let db = 0;
    let commands = 0;
    let validUpTo = start;
    let multi: Array<{ db: number; argv: Buffer[] }> | null = null;
    for (;;) {
      const r = parseCommand(buf, pos, end, path, bufStart);
      if (r === null) {
        if (bufStart + end >= size) break;
        ({ buf, bufStart, end, pos } = refill(fd, buf, bufStart, end, pos));
        continue;
      }
      pos = r.next;
      if (r.argv.length === 0) continue;
      const name = (r.argv[0] as Buffer).toString('latin1').toLowerCase();
      if (name === 'select') {
        db = parseDb(r.argv, path, bufStart + pos);
      } else if (name === 'multi') {
        multi = [];
      } else if (name === 'exec') {
        for (const c of multi ?? []) handler.command(c.db, c.argv);
        commands += multi?.length ?? 0;
        multi = null;
      } else if (multi) {
        multi.push({ db, argv: r.argv });
      } else {
        handler.command(db, r.argv);
        commands++;
      }
      if (multi === null) validUpTo = bufStart + pos;
    }
    if (validUpTo === size) return { commands, truncatedBytes: 0 };
    if (!tolerateTruncation) throw new AofFormatError('unexpected end of file', path, validUpTo);
    ftruncateSync(fd, validUpTo);
    fsyncSync(fd);
    return { commands, truncatedBytes: size - validUpTo };
  } finally {
    closeSync(fd);
  }
}

function refill(
  fd: number,
  buf: Buffer,
  bufStart: number,
  end: number,
  pos: number,
): { buf: Buffer; bufStart: number; end: number; pos: number } {
  let b = buf;
  if (pos > 0) {
    b.copy(b, 0, pos, end);
    bufStart += pos;
    end -= pos;
  }
  if (end === b.length) {
    const grown = Buffer.allocUnsafe(b.length * 2);
    b.copy(grown, 0, 0, end);
    b = grown;
  }
  const n = readSync(fd, b, end, b.length - end, bufStart + end);
  if (n === 0) throw new AofFormatError('file shrank while loading', 'aof', bufStart + end);
  return { buf: b, bufStart, end: end + n, pos: 0 };
}

const AOF_DB_INDEX_MAX = 1 << 20;

function parseDb(argv: Buffer[], path: string, at: number): number {
  const text = argv[1]?.toString('latin1') ?? '';
  if (argv.length !== 2 || !/^\d{1,7}$/.test(text) || Number(text) > AOF_DB_INDEX_MAX) {
    throw new AofFormatError('bad SELECT', path, at);
  }
  return Number(text);
}

function safeUnlink(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* gone already */
  }
}
