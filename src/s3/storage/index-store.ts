/**
 * The S3 index in SQLite (better-sqlite3): buckets, bucket configs, object versions (with delete
 * markers), multipart uploads and parts. See docs/adr/0002-s3-index-store.md for why SQLite, WAL
 * and group commit.
 *
 * Durability: a commit resolves only once its WAL frames are fsync-ed, exactly as with
 * synchronous=FULL, but the fsync runs on the libuv pool instead of inside better-sqlite3's
 * synchronous COMMIT, which would stall the event loop for every group. SQLite runs with
 * synchronous=NORMAL (COMMIT writes the WAL frames without syncing them; checkpoints still sync
 * the WAL before copying and the database after), then `fdatasync(wal)` makes the group durable
 * and only then are its callers told. Mutations queued while an fdatasync runs form the next
 * group. If an fdatasync fails, the store refuses all further commits (IndexDurabilityError):
 * what reached the disk is unknown, and the startup sweep after a restart settles it.
 *
 * Keys are TEXT compared with SQLite's BINARY collation, i.e. memcmp over UTF-8 bytes: exactly the
 * order S3 lists in. Every mutation goes through `commit`, which batches the mutations queued in
 * one event-loop turn into a single transaction (one WAL fsync for all of them); each mutation
 * runs in its own savepoint so one failing precondition does not undo its neighbours.
 */
import { closeSync, constants, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';

/** Most mutations folded into one group commit; the rest wait for the next turn. */
export const GROUP_COMMIT_OPS_MAX = 512;

/** Cached bucket-config lookups (bucket × kind, hits and misses) before the cache is emptied. */
export const CONFIG_CACHE_ENTRIES_MAX = 4096;

/** Latest-version rows kept in memory for GET/HEAD (see IndexStore.latestCache). */
export const LATEST_CACHE_ENTRIES_MAX = 4096;
/** Inline bodies held by those cached rows, bytes, at most (the cache evicts past it). */
export const LATEST_CACHE_BYTES_MAX = 16 * 1024 * 1024;
/**
 * Once the cache is full, one miss in this many replaces its oldest row. Admitting every miss
 * would make a reader cycling through more keys than the cache holds (a sync, a benchmark) evict
 * each row just before its next read: no hits at all. Admitting a few keeps most rows in place
 * (hits in proportion to the cache's share of the keys) and still lets a new hot set in.
 */
export const LATEST_CACHE_ADMIT_EVERY = 8;

/** Segment IDs with this prefix live in the inline_blobs table, not on disk. */
export const INLINE_PREFIX = 'i:';

export interface Segment {
  /** Blob ID (INLINE_PREFIX + ID for inline bodies). */
  b: string;
  /** Size in bytes. */
  n: number;
}

export interface StoredChecksum {
  algorithm: string;
  /** Base64 value as S3 returns it (composite values end in `-N`). */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

export interface VersionRow {
  id: number;
  bucket: string;
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  etag: string;
  lastModifiedMs: number;
  storageClass: string;
  /** Stored response headers: content-type, cache-control ..., and x-amz-meta-*. */
  headers: Record<string, string>;
  checksum: StoredChecksum | null;
  tags: Array<[string, string]>;
  segments: Segment[];
  /** Per-part sizes of a multipart object (for partNumber GETs); empty for single-part. */
  partSizes: number[];
  /**
   * The inline body, when the lookup that produced this row joined it in (latest / byVersion of a
   * row written with inline_id); absent otherwise (file-backed, or a row from before inline_id).
   */
  inlineData?: Buffer;
}

export type NewVersion = Omit<VersionRow, 'id' | 'isLatest' | 'inlineData'>;

/** What removing a version row needs to know (see deleteVersionRow). */
export type VersionRef = Pick<VersionRow, 'id' | 'isLatest' | 'bucket' | 'key' | 'segments'>;

export interface BucketRow {
  name: string;
  createdMs: number;
  region: string;
  /** '' (never enabled), 'Enabled' or 'Suspended'. */
  versioning: string;
}

export interface UploadRow {
  uploadId: string;
  bucket: string;
  key: string;
  initiatedMs: number;
  storageClass: string;
  headers: Record<string, string>;
  checksumAlgorithm: string;
  checksumType: string;
  tags: Array<[string, string]>;
}

export interface PartRow {
  uploadId: string;
  partNumber: number;
  blobId: string;
  size: number;
  etag: string;
  checksum: string;
  lastModifiedMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets(
  name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, region TEXT NOT NULL,
  versioning TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS bucket_configs(
  bucket TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(bucket, kind));
CREATE TABLE IF NOT EXISTS versions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
  is_latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL,
  storage_class TEXT NOT NULL, headers TEXT NOT NULL, checksum TEXT, tags TEXT NOT NULL,
  segments TEXT NOT NULL, part_sizes TEXT NOT NULL, inline_id TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_id ON versions(bucket, key, version_id);
CREATE INDEX IF NOT EXISTS versions_by_key ON versions(bucket, key, id);
CREATE INDEX IF NOT EXISTS versions_latest ON versions(bucket, key) WHERE is_latest = 1;
CREATE TABLE IF NOT EXISTS uploads(
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,
  initiated_ms INTEGER NOT NULL, storage_class TEXT NOT NULL, headers TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL, checksum_type TEXT NOT NULL, tags TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, initiated_ms);
CREATE TABLE IF NOT EXISTS inline_blobs(id TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS parts(
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob_id TEXT NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, checksum TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL, PRIMARY KEY(upload_id, part_number));
`;

interface RawVersion {
  id: number;
  bucket: string;
  key: string;
  version_id: string;
  is_latest: number;
  delete_marker: number;
  size: number;
  etag: string;
  last_modified_ms: number;
  storage_class: string;
  headers: string;
  checksum: string | null;
  tags: string;
  segments: string;
  part_sizes: string;
  /** Only from the statements that join inline_blobs (null: no inline row for this version). */
  inline_data?: Buffer | null;
}

interface RawUpload {
  upload_id: string;
  bucket: string;
  key: string;
  initiated_ms: number;
  storage_class: string;
  headers: string;
  checksum_algorithm: string;
  checksum_type: string;
  tags: string;
}

interface RawPart {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  checksum: string;
  last_modified_ms: number;
}

interface OpResult {
  ok: boolean;
  v: unknown;
}

interface QueuedOp {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Every better-sqlite3 database (and so every statement it prepared) stays reachable until the
 * process exits. better-sqlite3 12.x on Node 24 aborts the process (`Assertion failed: (env) !=
 * nullptr` in Statement::~Statement) when the garbage collector finalizes a statement; a statement
 * that is never collected is never finalized by the GC. The cost is one closed handle per
 * IndexStore ever opened, which is one per process outside tests.
 */
const KEEP_ALIVE: Db[] = [];
/** Statements prepared outside IndexStore.st (one per IndexStore opened), kept for the same reason. */
const KEEP_STATEMENTS: Statement[] = [];

/**
 * An fdatasync of the WAL failed: commits already applied may or may not be on disk, so callers
 * must not undo side effects (e.g. unlink a blob the commit may reference); the sweep at the next
 * start removes whatever ends up unreferenced.
 */
export class IndexDurabilityError extends Error {
  constructor(override readonly cause: unknown) {
    super(`s3 index: fsync of the write-ahead log failed: ${String(cause)}`);
  }
}

/** Upper bound sentinel: sorts after every key of at most 1,024 UTF-8 bytes. */
const KEY_MAX = '\u{10FFFF}'.repeat(300);

export class IndexStore {
  readonly db: Db;
  private readonly st: Record<string, Statement>;
  /** Buckets are read on every request and change rarely: cached, dropped on any write or rollback. */
  private readonly bucketCache = new Map<string, BucketRow>();
  /**
   * Bucket configs by `bucket\0kind` (null: none): CORS and website configs are looked up on
   * every request. Dropped like bucketCache; emptied when it reaches CONFIG_CACHE_ENTRIES_MAX.
   */
  private readonly configCache = new Map<string, string | null>();
  /**
   * Latest versions by `bucket\0key` (frozen rows, inline body included): a GET of a hot key
   * skips SQLite. Every method that changes which row is a key's latest, or the row itself,
   * drops the key first (insertLatest, deleteVersionRow, setTags), a rolled-back op empties the
   * cache (dropCaches), and rows are only cached outside transactions, i.e. committed ones.
   * Bounded by LATEST_CACHE_ENTRIES_MAX rows and LATEST_CACHE_BYTES_MAX bytes; when full, one
   * miss in LATEST_CACHE_ADMIT_EVERY replaces the oldest row.
   */
  private readonly latestCache = new Map<string, VersionRow>();
  private latestCacheBytes = 0;
  private latestCacheMisses = 0;
  private queue: QueuedOp[] = [];
  private scheduled = false;
  private closed = false;
  /** The WAL file, fdatasync-ed before any commit is reported durable. */
  private readonly walFd: number;
  /** Committed groups waiting for the next WAL fdatasync (each settles its callers). */
  private awaitingSync: Array<(err: unknown) => void> = [];
  private syncRunning = false;
  private failed: IndexDurabilityError | null = null;

  constructor(file: string) {
    this.db = new Database(file);
    KEEP_ALIVE.push(this.db);
    this.db.exec('PRAGMA journal_mode = WAL');
    // NORMAL: COMMIT does not sync; commit() syncs the WAL off the event loop (see the header).
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec(SCHEMA);
    migrate(this.db);
    // SQLite created the WAL when it opened the database in WAL mode; O_CREAT only guards a
    // SQLite that defers it (an empty WAL is valid). The directory sync makes its entry durable.
    this.walFd = openSync(`${file}-wal`, constants.O_RDWR | constants.O_CREAT);
    syncDirSync(dirname(file));
    const p = (sql: string): Statement => this.db.prepare(sql);
    // (The statements below live in this.st, and this.db in KEEP_ALIVE: none is ever collected.)
    this.st = {
      getBucket: p('SELECT * FROM buckets WHERE name = ?'),
      listBuckets: p('SELECT * FROM buckets ORDER BY name'),
      insertBucket: p('INSERT INTO buckets(name, created_ms, region, versioning) VALUES (?, ?, ?, ?)'),
      deleteBucket: p('DELETE FROM buckets WHERE name = ?'),
      deleteBucketConfigs: p('DELETE FROM bucket_configs WHERE bucket = ?'),
      setVersioning: p('UPDATE buckets SET versioning = ? WHERE name = ?'),
      getConfig: p('SELECT body FROM bucket_configs WHERE bucket = ? AND kind = ?'),
      putConfig: p('INSERT OR REPLACE INTO bucket_configs(bucket, kind, body) VALUES (?, ?, ?)'),
      deleteConfig: p('DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?'),
      configsOfKind: p('SELECT bucket, body FROM bucket_configs WHERE kind = ?'),
      anyVersion: p('SELECT 1 FROM versions WHERE bucket = ? LIMIT 1'),
      anyUpload: p('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1'),
      // GET/HEAD: the row and its inline body in one indexed lookup.
      latest: p(`SELECT v.*, i.data AS inline_data FROM versions v LEFT JOIN inline_blobs i
        ON i.id = v.inline_id WHERE v.bucket = ? AND v.key = ? AND v.is_latest = 1`),
      byVersion: p(`SELECT v.*, i.data AS inline_data FROM versions v LEFT JOIN inline_blobs i
        ON i.id = v.inline_id WHERE v.bucket = ? AND v.key = ? AND v.version_id = ?`),
      nullVersion: p(`SELECT id, is_latest, segments FROM versions
        WHERE bucket = ? AND key = ? AND version_id = 'null'`),
      newestOfKey: p('SELECT id FROM versions WHERE bucket = ? AND key = ? ORDER BY id DESC LIMIT 1'),
      clearLatest: p('UPDATE versions SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1'),
      setLatest: p('UPDATE versions SET is_latest = 1 WHERE id = ?'),
      deleteRow: p('DELETE FROM versions WHERE id = ?'),
      setTags: p('UPDATE versions SET tags = ? WHERE id = ?'),
      insertVersion: p(`INSERT INTO versions(bucket, key, version_id, is_latest, delete_marker, size, etag,
        last_modified_ms, storage_class, headers, checksum, tags, segments, part_sizes, inline_id)
        VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      scanLatest: p(`SELECT * FROM versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0
        AND key >= ? AND key > ? AND key < ? ORDER BY key LIMIT ?`),
      scanVersions: p(`SELECT * FROM versions WHERE bucket = ? AND key >= ? AND key > ? AND key < ?
        ORDER BY key, id DESC LIMIT ?`),
      scanVersionsOfKeyBelow: p(`SELECT * FROM versions WHERE bucket = ? AND key = ? AND id < ?
        ORDER BY id DESC LIMIT ?`),
      allSegments: p('SELECT segments FROM versions'),
      insertInline: p('INSERT INTO inline_blobs(id, data) VALUES (?, ?)'),
      getInline: p('SELECT data FROM inline_blobs WHERE id = ?'),
      deleteInline: p('DELETE FROM inline_blobs WHERE id = ?'),
      allInline: p('SELECT id FROM inline_blobs'),
      allPartBlobs: p('SELECT blob_id FROM parts'),
      insertUpload: p(`INSERT INTO uploads(upload_id, bucket, key, initiated_ms, storage_class, headers,
        checksum_algorithm, checksum_type, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      getUpload: p('SELECT * FROM uploads WHERE upload_id = ?'),
      deleteUpload: p('DELETE FROM uploads WHERE upload_id = ?'),
      scanUploads: p(`SELECT * FROM uploads WHERE bucket = ? AND key >= ? AND key < ?
        AND (key > ? OR (key = ? AND upload_id > ?)) ORDER BY key, upload_id LIMIT ?`),
      getPart: p('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
      putPart: p(`INSERT OR REPLACE INTO parts(upload_id, part_number, blob_id, size, etag, checksum,
        last_modified_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      listParts: p(
        'SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      ),
      allParts: p('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number'),
      deleteParts: p('DELETE FROM parts WHERE upload_id = ?'),
      expiredCandidates: p(`SELECT * FROM versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0
        AND key >= ? AND key < ? AND last_modified_ms < ? ORDER BY key LIMIT ?`),
    };
    // Built once: db.transaction() creates four wrapper functions per call, too much per op.
    this.runGroup = this.db.transaction((batch: QueuedOp[], results: OpResult[]) => {
      for (const op of batch) results.push(this.runIsolated(op));
    });
    this.runOp = this.db.transaction((fn: () => unknown) => fn());
  }

  /** The group's transaction (BEGIN … COMMIT) around runIsolated for each op. */
  private readonly runGroup: (batch: QueuedOp[], results: OpResult[]) => void;
  /**
   * One op, undone alone if it throws: better-sqlite3 runs it in SAVEPOINT … RELEASE inside
   * runGroup's transaction, and in BEGIN … COMMIT of its own outside one (a group of one op).
   */
  private readonly runOp: (fn: () => unknown) => unknown;

  private runIsolated(op: QueuedOp): OpResult {
    try {
      return { ok: true, v: this.runOp(op.fn) };
    } catch (e) {
      this.dropCaches();
      return { ok: false, v: e };
    }
  }

  /**
   * Queues a mutation for the next group commit; resolves with its return value once durable.
   * While a WAL sync runs, mutations queue up and commit together when it ends: they could not be
   * acknowledged before the next sync anyway, and one transaction (and one WAL write) per group
   * costs less than one per event-loop turn.
   */
  commit<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('index closed'));
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.syncRunning || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.syncRunning) this.flush();
    });
  }

  /** Commits up to GROUP_COMMIT_OPS_MAX queued mutations in one transaction, then syncs the WAL. */
  private flush(): void {
    const batch = this.queue.splice(0, GROUP_COMMIT_OPS_MAX);
    if (batch.length === 0) return;
    if (this.failed) {
      for (const op of batch) op.reject(this.failed);
      return;
    }
    const results: OpResult[] = [];
    try {
      // A group of one needs no savepoint: its own transaction already undoes it alone.
      if (batch.length === 1) results.push(this.runIsolated(batch[0]!));
      else this.runGroup(batch, results);
    } catch (e) {
      this.dropCaches();
      for (const op of batch) op.reject(e);
      this.schedule();
      return;
    }
    this.awaitingSync.push((err) => {
      batch.forEach((op, i) => {
        const r = results[i];
        if (err) op.reject(err);
        else if (r?.ok) op.resolve(r.v);
        else op.reject(r?.v);
      });
    });
    if (!this.syncRunning && !this.closed) this.syncWal();
  }

  /** One fdatasync of the WAL for every group committed before it starts. */
  private syncWal(): void {
    const settles = this.awaitingSync.splice(0);
    this.syncRunning = true;
    fdatasync(this.walFd, (err) => {
      this.syncRunning = false;
      if (err && !this.failed) this.failed = new IndexDurabilityError(err);
      for (const settle of settles) settle(err ? this.failed : null);
      if (this.closed) closeSync(this.walFd);
      else this.flush();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    while (this.queue.length > 0) this.flush();
    // The last groups are made durable here, synchronously, before the database closes.
    const settles = this.awaitingSync.splice(0);
    let err: unknown = null;
    try {
      fdatasyncSync(this.walFd);
    } catch (e) {
      err = new IndexDurabilityError(e);
    }
    for (const settle of settles) settle(err);
    // A running fdatasync closes the descriptor when it completes.
    if (!this.syncRunning) closeSync(this.walFd);
    this.db.close();
  }

  // ---- buckets -------------------------------------------------------------------------------

  getBucket(name: string): BucketRow | null {
    const hit = this.bucketCache.get(name);
    if (hit) return hit;
    const r = this.st.getBucket!.get(name) as
      { name: string; created_ms: number; region: string; versioning: string } | undefined;
    if (!r) return null;
    const b = { name: r.name, createdMs: r.created_ms, region: r.region, versioning: r.versioning };
    this.bucketCache.set(name, b);
    return b;
  }

  listBuckets(): BucketRow[] {
    return (
      this.st.listBuckets!.all() as Array<{
        name: string;
        created_ms: number;
        region: string;
        versioning: string;
      }>
    ).map((r) => ({ name: r.name, createdMs: r.created_ms, region: r.region, versioning: r.versioning }));
  }

  insertBucket(b: BucketRow): void {
    this.bucketCache.delete(b.name);
    this.st.insertBucket!.run(b.name, b.createdMs, b.region, b.versioning);
  }

  deleteBucket(name: string): void {
    this.bucketCache.delete(name);
    this.configCache.clear();
    this.st.deleteBucketConfigs!.run(name);
    this.st.deleteBucket!.run(name);
  }

  bucketIsEmpty(name: string): boolean {
    return !this.st.anyVersion!.get(name) && !this.st.anyUpload!.get(name);
  }

  setVersioning(name: string, status: string): void {
    this.bucketCache.delete(name);
    this.st.setVersioning!.run(status, name);
  }

  getConfig(bucket: string, kind: string): string | null {
    const ck = `${bucket}\0${kind}`;
    const hit = this.configCache.get(ck);
    if (hit !== undefined) return hit;
    const r = this.st.getConfig!.get(bucket, kind) as { body: string } | undefined;
    if (this.configCache.size >= CONFIG_CACHE_ENTRIES_MAX) this.configCache.clear();
    this.configCache.set(ck, r ? r.body : null);
    return r ? r.body : null;
  }

  putConfig(bucket: string, kind: string, body: string): void {
    this.configCache.delete(`${bucket}\0${kind}`);
    this.st.putConfig!.run(bucket, kind, body);
  }

  deleteConfig(bucket: string, kind: string): void {
    this.configCache.delete(`${bucket}\0${kind}`);
    this.st.deleteConfig!.run(bucket, kind);
  }

  /** A rollback may have undone cached writes: forget everything cached. */
  private dropCaches(): void {
    this.bucketCache.clear();
    this.configCache.clear();
    this.latestCache.clear();
    this.latestCacheBytes = 0;
  }

  private forgetLatest(bucket: string, key: string): void {
    this.dropLatest(`${bucket}\0${key}`);
  }

  private dropLatest(ck: string): void {
    const hit = this.latestCache.get(ck);
    if (!hit) return;
    this.latestCache.delete(ck);
    this.latestCacheBytes -= hit.inlineData?.length ?? 0;
  }

  /** True when a row with `bytes` of inline body does not fit beside what is cached. */
  private latestCacheFull(bytes: number): boolean {
    return this.latestCache.size >= LATEST_CACHE_ENTRIES_MAX || this.latestCacheBytes + bytes > LATEST_CACHE_BYTES_MAX;
  }

  private rememberLatest(ck: string, v: VersionRow): void {
    const bytes = v.inlineData?.length ?? 0;
    if (bytes > LATEST_CACHE_BYTES_MAX) return;
    if (this.latestCacheFull(bytes) && ++this.latestCacheMisses % LATEST_CACHE_ADMIT_EVERY !== 0) return;
    while (this.latestCacheFull(bytes)) {
      const oldest = this.latestCache.keys().next().value;
      if (oldest === undefined) break;
      this.dropLatest(oldest);
    }
    this.latestCache.set(ck, freezeVersion(v));
    this.latestCacheBytes += bytes;
  }

  configsOfKind(kind: string): Array<{ bucket: string; body: string }> {
    return this.st.configsOfKind!.all(kind) as Array<{ bucket: string; body: string }>;
  }

  // ---- versions ------------------------------------------------------------------------------

  /** The key's latest version (a delete marker included); frozen: callers never modify rows. */
  latest(bucket: string, key: string): VersionRow | null {
    const ck = `${bucket}\0${key}`;
    const hit = this.latestCache.get(ck);
    if (hit) return hit;
    const v = toVersion(this.st.latest!.get(bucket, key) as RawVersion | undefined);
    // Inside a transaction the row may not be committed yet (and may be rolled back).
    if (v && !this.db.inTransaction) this.rememberLatest(ck, v);
    return v;
  }

  byVersion(bucket: string, key: string, versionId: string): VersionRow | null {
    return toVersion(this.st.byVersion!.get(bucket, key, versionId) as RawVersion | undefined);
  }

  /** The key's `null` version (unversioned and suspended buckets), without its metadata. */
  nullVersion(bucket: string, key: string): VersionRef | null {
    const r = this.st.nullVersion!.get(bucket, key) as
      { id: number; is_latest: number; segments: string } | undefined;
    if (!r) return null;
    return { id: r.id, isLatest: r.is_latest === 1, bucket, key, segments: parseSegments(r.segments) };
  }

  /**
   * Inserts a version as the key's latest (call inside commit). `onlyVersion`: the caller knows
   * the key has no other row (an unversioned bucket after its null version was removed), so
   * there is no latest flag to clear.
   */
  insertLatest(v: NewVersion, onlyVersion = false): number {
    this.forgetLatest(v.bucket, v.key);
    if (!onlyVersion) this.st.clearLatest!.run(v.bucket, v.key);
    const first = v.segments[0];
    const inlineId = v.segments.length === 1 && first?.b.startsWith(INLINE_PREFIX) ? first.b : null;
    const r = this.st.insertVersion!.run(
      v.bucket,
      v.key,
      v.versionId,
      v.deleteMarker ? 1 : 0,
      v.size,
      v.etag,
      v.lastModifiedMs,
      v.storageClass,
      JSON.stringify(v.headers),
      v.checksum ? JSON.stringify(v.checksum) : null,
      v.tags.length === 0 ? '[]' : JSON.stringify(v.tags),
      JSON.stringify(v.segments),
      v.partSizes.length === 0 ? '[]' : JSON.stringify(v.partSizes),
      inlineId,
    );
    return Number(r.lastInsertRowid);
  }

  /** Removes one version row; if it was the latest, the next newest becomes latest. */
  deleteVersionRow(v: VersionRef): void {
    this.forgetLatest(v.bucket, v.key);
    this.st.deleteRow!.run(v.id);
    if (!v.isLatest) return;
    const next = this.st.newestOfKey!.get(v.bucket, v.key) as { id: number } | undefined;
    if (next) this.st.setLatest!.run(next.id);
  }

  setTags(v: Pick<VersionRow, 'id' | 'bucket' | 'key'>, tags: Array<[string, string]>): void {
    this.forgetLatest(v.bucket, v.key);
    this.st.setTags!.run(JSON.stringify(tags), v.id);
  }

  /** Latest non-deleted versions with prefix <= key < upper and key > after, in byte order. */
  scanLatest(
    bucket: string,
    prefix: string,
    after: string,
    upper: string | null,
    limit: number,
  ): VersionRow[] {
    return (this.st.scanLatest!.all(bucket, prefix, after, upper ?? KEY_MAX, limit) as RawVersion[]).map(
      (r) => toVersion(r)!,
    );
  }

  /** All versions (newest first within a key) with key >= prefix, key > after, key < upper. */
  scanVersions(
    bucket: string,
    prefix: string,
    after: string,
    upper: string | null,
    limit: number,
  ): VersionRow[] {
    return (this.st.scanVersions!.all(bucket, prefix, after, upper ?? KEY_MAX, limit) as RawVersion[]).map(
      (r) => toVersion(r)!,
    );
  }

  /** Older versions of one key than the row with id `belowId`. */
  scanVersionsOfKeyBelow(bucket: string, key: string, belowId: number, limit: number): VersionRow[] {
    return (this.st.scanVersionsOfKeyBelow!.all(bucket, key, belowId, limit) as RawVersion[]).map((r) =>
      toVersion(r)!,
    );
  }

  expiredCandidates(
    bucket: string,
    prefix: string,
    upper: string | null,
    beforeMs: number,
    limit: number,
  ): VersionRow[] {
    return (
      this.st.expiredCandidates!.all(bucket, prefix, upper ?? KEY_MAX, beforeMs, limit) as RawVersion[]
    ).map((r) => toVersion(r)!);
  }

  /** Every blob ID the index references (for the orphan sweep). */
  referencedBlobs(): Set<string> {
    const ids = new Set<string>();
    // .all(), not .iterate(): a collected StatementIterator aborts Node 24 (see KEEP_ALIVE).
    for (const r of this.st.allSegments!.all() as Array<{ segments: string }>) {
      for (const s of parseSegments(r.segments)) ids.add(s.b);
    }
    for (const r of this.st.allPartBlobs!.all() as Array<{ blob_id: string }>) ids.add(r.blob_id);
    return ids;
  }

  // ---- inline blobs (small bodies kept in the index; segment IDs start with INLINE_PREFIX) ----

  insertInline(id: string, data: Buffer): void {
    this.st.insertInline!.run(id, data);
  }

  getInline(id: string): Buffer | null {
    const r = this.st.getInline!.get(id) as { data: Buffer } | undefined;
    return r ? r.data : null;
  }

  deleteInline(id: string): void {
    this.st.deleteInline!.run(id);
  }

  /** Removes inline rows no version references (left by a crash between two commits). */
  sweepInline(refs: Set<string>): number {
    let n = 0;
    for (const r of this.st.allInline!.all() as Array<{ id: string }>) {
      if (refs.has(r.id)) continue;
      this.st.deleteInline!.run(r.id);
      n++;
    }
    return n;
  }

  // ---- multipart -----------------------------------------------------------------------------

  insertUpload(u: UploadRow): void {
    this.st.insertUpload!.run(
      u.uploadId,
      u.bucket,
      u.key,
      u.initiatedMs,
      u.storageClass,
      JSON.stringify(u.headers),
      u.checksumAlgorithm,
      u.checksumType,
      JSON.stringify(u.tags),
    );
  }

  getUpload(uploadId: string): UploadRow | null {
    return toUpload(this.st.getUpload!.get(uploadId) as RawUpload | undefined);
  }

  /** Deletes an upload and its part rows; returns the parts so their blobs can be removed. */
  deleteUpload(uploadId: string): PartRow[] {
    const parts = this.allParts(uploadId);
    this.st.deleteParts!.run(uploadId);
    this.st.deleteUpload!.run(uploadId);
    return parts;
  }

  scanUploads(
    bucket: string,
    prefix: string,
    upper: string | null,
    keyMarker: string,
    uploadIdMarker: string,
    limit: number,
  ): UploadRow[] {
    return (
      this.st.scanUploads!.all(
        bucket,
        prefix,
        upper ?? KEY_MAX,
        keyMarker,
        keyMarker,
        uploadIdMarker,
        limit,
      ) as RawUpload[]
    ).map((r) => toUpload(r)!);
  }

  getPart(uploadId: string, partNumber: number): PartRow | null {
    return toPart(this.st.getPart!.get(uploadId, partNumber) as RawPart | undefined);
  }

  putPart(p: PartRow): void {
    this.st.putPart!.run(p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksum, p.lastModifiedMs);
  }

  listParts(uploadId: string, afterPart: number, limit: number): PartRow[] {
    return (this.st.listParts!.all(uploadId, afterPart, limit) as RawPart[]).map((r) => toPart(r)!);
  }

  allParts(uploadId: string): PartRow[] {
    return (this.st.allParts!.all(uploadId) as RawPart[]).map((r) => toPart(r)!);
  }
}

/**
 * Adds what later sessions added to an existing database. `inline_id` (the inline_blobs row of a
 * one-segment inline version, so GET joins the body in) stays NULL on older rows, whose bodies
 * are then read with getInline as before.
 */
function migrate(db: Db): void {
  const tableInfo = db.prepare('PRAGMA table_info(versions)');
  KEEP_STATEMENTS.push(tableInfo); // never collected (see KEEP_ALIVE)
  const cols = tableInfo.all() as Array<{ name: string }>;
  if (!cols.some((c) => c.name === 'inline_id')) db.exec('ALTER TABLE versions ADD COLUMN inline_id TEXT');
}

/** JSON.parse, but the empty array (most tags and part_sizes) without a parse; fresh each call. */
function parseList<T>(json: string): T[] {
  return json === '[]' ? [] : (JSON.parse(json) as T[]);
}

function parseSegments(json: string): Segment[] {
  return parseList<Segment>(json);
}

function toVersion(r: RawVersion | undefined): VersionRow | null {
  if (!r) return null;
  const v: VersionRow = {
    id: r.id,
    bucket: r.bucket,
    key: r.key,
    versionId: r.version_id,
    isLatest: r.is_latest === 1,
    deleteMarker: r.delete_marker === 1,
    size: r.size,
    etag: r.etag,
    lastModifiedMs: r.last_modified_ms,
    storageClass: r.storage_class,
    headers: JSON.parse(r.headers) as Record<string, string>,
    checksum: r.checksum ? (JSON.parse(r.checksum) as StoredChecksum) : null,
    tags: parseList<[string, string]>(r.tags),
    segments: parseSegments(r.segments),
    partSizes: parseList<number>(r.part_sizes),
  };
  if (r.inline_data) v.inlineData = r.inline_data;
  return v;
}

/** Cached rows are shared between requests: frozen, so a caller that modifies one fails loudly. */
function freezeVersion(v: VersionRow): VersionRow {
  Object.freeze(v.headers);
  Object.freeze(v.tags);
  Object.freeze(v.segments);
  Object.freeze(v.partSizes);
  if (v.checksum) Object.freeze(v.checksum);
  return Object.freeze(v);
}

function toUpload(r: RawUpload | undefined): UploadRow | null {
  if (!r) return null;
  return {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key,
    initiatedMs: r.initiated_ms,
    storageClass: r.storage_class,
    headers: JSON.parse(r.headers) as Record<string, string>,
    checksumAlgorithm: r.checksum_algorithm,
    checksumType: r.checksum_type,
    tags: JSON.parse(r.tags) as Array<[string, string]>,
  };
}

function toPart(r: RawPart | undefined): PartRow | null {
  if (!r) return null;
  return {
    uploadId: r.upload_id,
    partNumber: r.part_number,
    blobId: r.blob_id,
    size: r.size,
    etag: r.etag,
    checksum: r.checksum,
    lastModifiedMs: r.last_modified_ms,
  };
}

/** fsync a directory so a file created in it survives power loss. */
function syncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
