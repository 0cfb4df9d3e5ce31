/**
 * The S3 engine: buckets, object versions, delete markers, multipart state and lifecycle rules
 * over the blob store and the SQLite index. No HTTP here: handlers translate wire requests into
 * these calls and shape the replies.
 *
 * Write ordering (the durability rule): body → durable blob → index commit. Blobs that a commit
 * made unreachable are unlinked after the commit; a crash in between leaves orphans that the
 * startup sweep removes. Readers pin the blobs they stream so a concurrent overwrite or delete
 * never pulls a file out from under a GET; unlinks of pinned blobs wait for the last reader.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../../platform/clock.js';
import { S3Error } from '../protocol/errors.js';
import { BlobStore, BlobTooLargeError, type BlobWriteResult, type Digester } from '../storage/blob-store.js';
import type { FileRange } from '../storage/range-sender.js';
import {
  INLINE_PREFIX,
  IndexDurabilityError,
  IndexStore,
  type BucketRow,
  type NewVersion,
  type PartRow,
  type Segment,
  type StoredChecksum,
  type UploadRow,
  type VersionRow,
} from '../storage/index-store.js';
import { newInlineId, newUploadId, newVersionId } from './ids.js';
import { prefixSuccessor, validateBucketName, validateKey } from './keys.js';

/** Largest single PUT S3 accepts (5 GiB). */
export const PUT_BYTES_MAX = 5 * 1024 ** 3;
/** Smallest multipart part except the last (5 MiB). */
export const PART_BYTES_MIN = 5 * 1024 ** 2;
/** Largest multipart part (5 GiB). */
export const PART_BYTES_MAX = 5 * 1024 ** 3;
export const PARTS_MAX = 10_000;
/** Listing page limit, as S3. */
export const LIST_KEYS_MAX = 1000;
/** Objects expired per bucket per lifecycle tick, so one tick never stalls the event loop long. */
export const LIFECYCLE_BATCH_MAX = 1000;
export const DAY_MS = 86_400_000;

export type Versioning = '' | 'Enabled' | 'Suspended';

export interface WriteBody {
  body: AsyncIterable<Buffer>;
  digesters?: Record<string, Digester>;
  /** The declared body size, when known (large bodies are hashed and written on a worker). */
  expectedBytes?: number;
  /** Called with the digests once the body is on disk, before the index commit; may throw S3Error. */
  verify?: (w: BlobWriteResult) => StoredChecksum | null;
}

export interface PutObjectInput extends WriteBody {
  bucket: string;
  key: string;
  headers: Record<string, string>;
  storageClass: string;
  tags: Array<[string, string]>;
  /** `If-None-Match: *`: fail with PreconditionFailed if the key exists. */
  ifNoneMatchStar?: boolean;
  /** `If-Match: etag` on a write. */
  ifMatch?: string;
}

export interface DeleteResult {
  versionId: string | null;
  deleteMarker: boolean;
}

export interface ListInput {
  bucket: string;
  prefix: string;
  delimiter: string;
  /** Exclusive start (marker, start-after or decoded continuation token). */
  after: string;
  maxKeys: number;
}

export interface ListResult {
  contents: VersionRow[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned (NextMarker / continuation). */
  last: string | null;
}

export interface ListVersionsInput extends ListInput {
  versionIdMarker: string;
}

export interface ListVersionsResult {
  versions: VersionRow[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker: string | null;
  nextVersionIdMarker: string | null;
}

export interface CompletePart {
  partNumber: number;
  etag: string;
  checksum?: string;
}

export interface LifecycleRule {
  id: string;
  enabled: boolean;
  prefix: string;
  tags: Array<[string, string]>;
  expirationDays?: number;
  expirationDateMs?: number;
  abortIncompleteDays?: number;
}

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface CompositeChecksumFn {
  /** Combines per-part checksums (base64) into the multipart object's checksum, or null. */
  (algorithm: string, type: string, parts: Array<{ checksum: string; size: number }>): string | null;
}

export class S3Engine {
  private readonly pins = new Map<string, number>();
  private readonly doomed = new Set<string>();

  constructor(
    readonly blobs: BlobStore,
    readonly index: IndexStore,
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  /** Startup: remove temp files and blobs no index row references. */
  sweep(): { temp: number; orphans: number } {
    const temp = this.blobs.sweepTemp();
    const refs = this.index.referencedBlobs();
    const orphans = this.blobs.sweepOrphans((id) => refs.has(id)) + this.index.sweepInline(refs);
    return { temp, orphans };
  }

  // ---- buckets -------------------------------------------------------------------------------

  listBuckets(): BucketRow[] {
    return this.index.listBuckets();
  }

  bucket(name: string): BucketRow {
    const b = this.index.getBucket(name);
    if (!b) throw new S3Error('NoSuchBucket', { fields: { BucketName: name } });
    return b;
  }

  async createBucket(name: string, region: string | null): Promise<void> {
    validateBucketName(name);
    await this.index.commit(() => {
      if (this.index.getBucket(name)) {
        throw new S3Error('BucketAlreadyOwnedByYou', { fields: { BucketName: name } });
      }
      this.index.insertBucket({
        name,
        createdMs: this.clock.now(),
        region: region ?? this.region,
        versioning: '',
      });
    });
  }

  async deleteBucket(name: string): Promise<void> {
    await this.index.commit(() => {
      this.bucket(name);
      if (!this.index.bucketIsEmpty(name))
        throw new S3Error('BucketNotEmpty', { fields: { BucketName: name } });
      this.index.deleteBucket(name);
    });
  }

  async setVersioning(name: string, status: 'Enabled' | 'Suspended'): Promise<void> {
    await this.index.commit(() => {
      this.bucket(name);
      this.index.setVersioning(name, status);
    });
  }

  getConfig(bucket: string, kind: string): string | null {
    this.bucket(bucket);
    return this.index.getConfig(bucket, kind);
  }

  /** Stores bucket configs (several kinds in one commit, e.g. raw XML and its parsed JSON). */
  async putConfigs(bucket: string, entries: Record<string, string>): Promise<void> {
    await this.index.commit(() => {
      this.bucket(bucket);
      for (const [kind, body] of Object.entries(entries)) this.index.putConfig(bucket, kind, body);
    });
  }

  async deleteConfigs(bucket: string, kinds: string[]): Promise<void> {
    await this.index.commit(() => {
      this.bucket(bucket);
      for (const k of kinds) this.index.deleteConfig(bucket, k);
    });
  }

  // ---- objects: reads ------------------------------------------------------------------------

  /** The version a GET/HEAD addresses, with S3's errors for missing keys and delete markers. */
  resolve(bucket: string, key: string, versionId: string | null): VersionRow {
    this.bucket(bucket);
    if (versionId === null) {
      const v = this.index.latest(bucket, key);
      if (!v) throw new S3Error('NoSuchKey', { fields: { Key: key } });
      if (v.deleteMarker) {
        throw new S3Error('NoSuchKey', {
          fields: { Key: key },
          headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': v.versionId },
        });
      }
      return v;
    }
    const v = this.index.byVersion(bucket, key, versionId);
    if (!v) throw new S3Error('NoSuchVersion', { fields: { Key: key, VersionId: versionId } });
    if (v.deleteMarker) {
      throw new S3Error('MethodNotAllowed', {
        fields: { Method: 'GET', ResourceType: 'DeleteMarker' },
        headers: { 'x-amz-delete-marker': 'true', allow: 'DELETE', 'x-amz-version-id': v.versionId },
      });
    }
    return v;
  }

  /** The bytes [start, end] of an inline (small) version, or null when it lives in files. */
  inlineBody(v: VersionRow, start: number, end: number): Buffer | null {
    const first = v.segments[0];
    if (v.segments.length !== 1 || !first?.b.startsWith(INLINE_PREFIX)) return null;
    const data = v.inlineData ?? this.index.getInline(first.b) ?? Buffer.alloc(0);
    return end >= start ? data.subarray(start, end + 1) : Buffer.alloc(0);
  }

  /**
   * The files and offsets holding bytes [start, end] (inclusive) of a file-backed version, pinned
   * (a concurrent overwrite or delete cannot unlink them) until `release()`; null when inline.
   */
  fileRanges(v: VersionRow, start: number, end: number): { ranges: FileRange[]; release(): void } | null {
    if (v.segments.some((s) => s.b.startsWith(INLINE_PREFIX))) return null;
    const ids = v.segments.map((s) => s.b);
    const ranges: FileRange[] = [];
    let offset = 0;
    for (const s of v.segments) {
      const segStart = offset;
      offset += s.n;
      if (s.n === 0 || segStart + s.n - 1 < start) continue;
      if (segStart > end) break;
      const from = Math.max(start, segStart) - segStart;
      const to = Math.min(end, segStart + s.n - 1) - segStart;
      ranges.push({ path: this.blobs.path(s.b), from, to });
    }
    this.pin(ids);
    let released = false;
    return {
      ranges,
      release: () => {
        if (released) return;
        released = true;
        this.unpin(ids);
      },
    };
  }

  /** Streams bytes [start, end] (inclusive) of a version across its segments. */
  openRead(v: VersionRow, start: number, end: number): Readable {
    const ids = v.segments.map((s) => s.b);
    this.pin(ids);
    let stream: Readable;
    const first = v.segments[0];
    if (v.segments.length === 1 && first?.b.startsWith(INLINE_PREFIX)) {
      // Copied out synchronously: a concurrent delete cannot take the bytes away afterwards.
      const data = v.inlineData ?? this.index.getInline(first.b) ?? Buffer.alloc(0);
      stream = Readable.from(end >= start ? [data.subarray(start, end + 1)] : []);
    } else if (v.segments.length === 1 && first) {
      stream = end >= start ? this.blobs.read(first.b, start, end) : Readable.from([]);
    } else {
      stream = Readable.from(this.segmentChunks(v.segments, start, end), { objectMode: false });
    }
    let released = false;
    stream.once('close', () => {
      if (released) return;
      released = true;
      this.unpin(ids);
    });
    return stream;
  }

  private async *segmentChunks(segments: Segment[], start: number, end: number): AsyncGenerator<Buffer> {
    let offset = 0;
    for (const s of segments) {
      const segStart = offset;
      const segEnd = offset + s.n - 1;
      offset += s.n;
      if (segEnd < start || s.n === 0) continue;
      if (segStart > end) break;
      const from = Math.max(start, segStart) - segStart;
      const to = Math.min(end, segEnd) - segStart;
      for await (const chunk of this.blobs.read(s.b, from, to)) yield chunk as Buffer;
    }
  }

  private pin(ids: string[]): void {
    for (const id of ids) this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  private unpin(ids: string[]): void {
    for (const id of ids) {
      const n = (this.pins.get(id) ?? 1) - 1;
      if (n > 0) {
        this.pins.set(id, n);
        continue;
      }
      this.pins.delete(id);
      if (this.doomed.delete(id)) void this.blobs.remove(id).catch(() => undefined);
    }
  }

  /**
   * Inside a commit: deletes the inline rows of a version being removed (in the same transaction,
   * so no second commit per overwrite) and returns its file blob IDs, which release() unlinks
   * once the commit is durable.
   */
  private unreference(segments: Segment[]): string[] {
    const files: string[] = [];
    for (const s of segments) {
      if (s.b.startsWith(INLINE_PREFIX)) this.index.deleteInline(s.b);
      else files.push(s.b);
    }
    return files;
  }

  /** Unlinks blobs a commit made unreachable; pinned ones go when their last reader finishes. */
  private release(ids: string[]): void {
    const inline = ids.filter((id) => id.startsWith(INLINE_PREFIX));
    if (inline.length > 0) {
      void this.index
        .commit(() => {
          for (const id of inline) this.index.deleteInline(id);
        })
        .catch(() => undefined);
    }
    for (const id of ids) {
      if (id.startsWith(INLINE_PREFIX)) continue;
      if (this.pins.has(id)) this.doomed.add(id);
      else void this.blobs.remove(id).catch(() => undefined);
    }
  }

  // ---- objects: writes -----------------------------------------------------------------------

  /** Fails early (before the body is read) when a conditional write cannot succeed. */
  precheckWrite(bucket: string, key: string, ifNoneMatchStar: boolean, ifMatch: string | undefined): void {
    this.bucket(bucket);
    validateKey(key);
    if (!ifNoneMatchStar && ifMatch === undefined) return;
    this.checkWriteConditions(bucket, key, ifNoneMatchStar, ifMatch);
  }

  private checkWriteConditions(
    bucket: string,
    key: string,
    ifNoneMatchStar: boolean,
    ifMatch: string | undefined,
  ): void {
    if (!ifNoneMatchStar && ifMatch === undefined) return;
    const cur = this.index.latest(bucket, key);
    const exists = cur !== null && !cur.deleteMarker;
    if (ifNoneMatchStar && exists)
      throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-None-Match' } });
    if (ifMatch !== undefined) {
      if (!exists) throw new S3Error('NoSuchKey', { fields: { Key: key } });
      if (ifMatch !== '*' && !etagMatches(ifMatch, cur.etag)) {
        throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-Match' } });
      }
    }
  }

  async writeBlob(
    input: WriteBody,
    maxBytes: number,
    allowInline = false,
  ): Promise<{ w: BlobWriteResult; checksum: StoredChecksum | null }> {
    let w: BlobWriteResult;
    try {
      w = await this.blobs.write(input.body, {
        maxBytes,
        allowInline,
        ...(input.digesters ? { digesters: input.digesters } : {}),
        ...(input.expectedBytes !== undefined ? { expectedBytes: input.expectedBytes } : {}),
      });
    } catch (err) {
      if (err instanceof BlobTooLargeError) {
        throw new S3Error('EntityTooLarge', {
          fields: { ProposedSize: maxBytes + 1, MaxSizeAllowed: maxBytes },
        });
      }
      throw err;
    }
    try {
      const checksum = input.verify ? input.verify(w) : null;
      return { w, checksum };
    } catch (err) {
      if (!w.inline) await this.blobs.remove(w.id);
      throw err;
    }
  }

  async putObject(input: PutObjectInput): Promise<VersionRow> {
    this.precheckWrite(input.bucket, input.key, input.ifNoneMatchStar ?? false, input.ifMatch);
    const { w, checksum } = await this.writeBlob(input, PUT_BYTES_MAX, true);
    const segId = w.inline ? INLINE_PREFIX + newInlineId(this.clock.now()) : w.id;
    const v: Omit<NewVersion, 'versionId'> = {
      bucket: input.bucket,
      key: input.key,
      deleteMarker: false,
      size: w.size,
      etag: `"${w.md5.toString('hex')}"`,
      lastModifiedMs: this.clock.now(),
      storageClass: input.storageClass,
      headers: input.headers,
      checksum,
      tags: input.tags,
      segments: [{ b: segId, n: w.size }],
      partSizes: [],
    };
    const inline = w.inline;
    try {
      // The inline body is inserted in the same transaction as the version that references it.
      return await this.commitVersion(
        v,
        input.ifNoneMatchStar ?? false,
        input.ifMatch,
        inline ? () => (this.index.insertInline(segId, inline), []) : undefined,
      );
    } catch (err) {
      if (!inline && !(err instanceof IndexDurabilityError)) await this.blobs.remove(w.id);
      throw err;
    }
  }

  /** Inserts a new latest version under the bucket's versioning rules, conditions re-checked. */
  private async commitVersion(
    v: Omit<NewVersion, 'versionId'>,
    ifNoneMatchStar: boolean,
    ifMatch: string | undefined,
    /** Runs in the commit first; returns blob IDs to release, in a fresh array (extended here). */
    beforeInsert?: () => string[],
  ): Promise<VersionRow> {
    const { row, dropped } = await this.index.commit(() => {
      const b = this.bucket(v.bucket);
      this.checkWriteConditions(v.bucket, v.key, ifNoneMatchStar, ifMatch);
      const dropped = beforeInsert ? beforeInsert() : [];
      for (const id of this.dropNullVersion(b, v.key)) dropped.push(id);
      const versionId = b.versioning === 'Enabled' ? newVersionId() : 'null';
      // Built field by field: spreading v cost more here than the rest of this function.
      const row: VersionRow = {
        id: 0,
        bucket: v.bucket,
        key: v.key,
        versionId,
        isLatest: true,
        deleteMarker: v.deleteMarker,
        size: v.size,
        etag: v.etag,
        lastModifiedMs: v.lastModifiedMs,
        storageClass: v.storageClass,
        headers: v.headers,
        checksum: v.checksum,
        tags: v.tags,
        segments: v.segments,
        partSizes: v.partSizes,
      };
      // A never-versioned bucket keeps one row per key, and dropNullVersion just removed it.
      row.id = this.index.insertLatest(row, b.versioning === '');
      return { row, dropped };
    });
    this.release(dropped);
    return row;
  }

  /** Unversioned and suspended buckets keep one `null` version: a new write replaces it. */
  private dropNullVersion(b: BucketRow, key: string): string[] {
    if (b.versioning === 'Enabled') return [];
    const old = this.index.nullVersion(b.name, key);
    if (!old) return [];
    this.index.deleteVersionRow(old);
    return this.unreference(old.segments);
  }

  async deleteObject(bucket: string, key: string, versionId: string | null): Promise<DeleteResult> {
    const { result, dropped } = await this.index.commit(() => this.deleteInTxn(bucket, key, versionId));
    this.release(dropped);
    return result;
  }

  private deleteInTxn(
    bucket: string,
    key: string,
    versionId: string | null,
  ): { result: DeleteResult; dropped: string[] } {
    const b = this.bucket(bucket);
    if (versionId !== null) {
      const v = this.index.byVersion(bucket, key, versionId);
      if (!v) return { result: { versionId, deleteMarker: false }, dropped: [] };
      this.index.deleteVersionRow(v);
      return { result: { versionId, deleteMarker: v.deleteMarker }, dropped: this.unreference(v.segments) };
    }
    if (b.versioning === '') {
      const dropped = this.dropNullVersion(b, key);
      return { result: { versionId: null, deleteMarker: false }, dropped };
    }
    const dropped = this.dropNullVersion(b, key);
    const id = b.versioning === 'Enabled' ? newVersionId() : 'null';
    this.index.insertLatest({
      bucket,
      key,
      versionId: id,
      deleteMarker: true,
      size: 0,
      etag: '',
      lastModifiedMs: this.clock.now(),
      storageClass: '',
      headers: {},
      checksum: null,
      tags: [],
      segments: [],
      partSizes: [],
    });
    return { result: { versionId: id, deleteMarker: true }, dropped };
  }

  /** DeleteObjects: one commit for the whole batch; per-key errors are reported, not thrown. */
  async deleteObjects(
    bucket: string,
    items: Array<{ key: string; versionId: string | null }>,
  ): Promise<Array<{ key: string; versionId: string | null; result?: DeleteResult; error?: S3Error }>> {
    this.bucket(bucket);
    const out = await this.index.commit(() =>
      items.map((it) => {
        try {
          const r = this.deleteInTxn(bucket, it.key, it.versionId);
          return { ...it, result: r.result, dropped: r.dropped };
        } catch (err) {
          if (err instanceof S3Error) return { ...it, error: err, dropped: [] as string[] };
          throw err;
        }
      }),
    );
    for (const o of out) this.release(o.dropped);
    return out.map(({ dropped: _d, ...rest }) => rest);
  }

  async setTags(
    bucket: string,
    key: string,
    versionId: string | null,
    tags: Array<[string, string]>,
  ): Promise<VersionRow> {
    return this.index.commit(() => {
      const v = this.resolve(bucket, key, versionId);
      this.index.setTags(v, tags);
      return v;
    });
  }

  // ---- listing -------------------------------------------------------------------------------

  listObjects(input: ListInput): ListResult {
    this.bucket(input.bucket);
    const out: ListResult = { contents: [], commonPrefixes: [], isTruncated: false, last: null };
    if (input.maxKeys <= 0) return out;
    const upper = input.prefix ? prefixSuccessor(input.prefix) : null;
    let lower = input.prefix;
    let after = input.after;
    // A marker that is itself a common prefix means "everything under it was already returned".
    const skip = this.rolledPrefix(input, input.after);
    if (skip) lower = maxKey(lower, prefixSuccessor(skip) ?? lower);
    let count = 0;
    for (;;) {
      const batch = Math.min(LIST_KEYS_MAX, input.maxKeys - count) + 1;
      const rows = this.index.scanLatest(input.bucket, lower, after, upper, batch);
      let jumped = false;
      for (const row of rows) {
        if (count === input.maxKeys) {
          out.isTruncated = true;
          return out;
        }
        const cp = this.rolledPrefix(input, row.key);
        if (cp) {
          out.commonPrefixes.push(cp);
          out.last = cp;
          count++;
          const next = prefixSuccessor(cp);
          if (next === null) return out;
          lower = next;
          jumped = true;
          break;
        }
        out.contents.push(row);
        out.last = row.key;
        after = row.key;
        count++;
      }
      if (!jumped && rows.length < batch) return out;
    }
  }

  /** The common prefix `key` rolls into under the request's prefix and delimiter, or null. */
  private rolledPrefix(input: ListInput, key: string): string | null {
    if (!input.delimiter || !key.startsWith(input.prefix)) return null;
    const i = key.indexOf(input.delimiter, input.prefix.length);
    return i < 0 ? null : key.slice(0, i + input.delimiter.length);
  }

  listVersions(input: ListVersionsInput): ListVersionsResult {
    this.bucket(input.bucket);
    const out: ListVersionsResult = {
      versions: [],
      commonPrefixes: [],
      isTruncated: false,
      nextKeyMarker: null,
      nextVersionIdMarker: null,
    };
    if (input.maxKeys <= 0) return out;
    const upper = input.prefix ? prefixSuccessor(input.prefix) : null;
    let lower = input.prefix;
    let after = input.after;
    let count = 0;
    const take = (row: VersionRow): boolean => {
      if (count === input.maxKeys) {
        out.isTruncated = true;
        return false;
      }
      out.versions.push(row);
      out.nextKeyMarker = row.key;
      out.nextVersionIdMarker = row.versionId;
      count++;
      return true;
    };
    if (input.after && input.versionIdMarker) {
      const m = this.index.byVersion(input.bucket, input.after, input.versionIdMarker);
      if (m && input.after >= input.prefix && !this.rolledPrefix(input, input.after)) {
        for (const row of this.index.scanVersionsOfKeyBelow(
          input.bucket,
          input.after,
          m.id,
          input.maxKeys + 1,
        )) {
          if (!take(row)) return out;
        }
      }
    }
    const skip = this.rolledPrefix(input, input.after);
    if (skip) lower = maxKey(lower, prefixSuccessor(skip) ?? lower);
    for (;;) {
      const batch = Math.min(LIST_KEYS_MAX, input.maxKeys - count) + 1;
      const rows = this.index.scanVersions(input.bucket, lower, after, upper, batch);
      let jumped = false;
      for (const row of rows) {
        const cp = this.rolledPrefix(input, row.key);
        if (cp) {
          if (count === input.maxKeys) {
            out.isTruncated = true;
            return out;
          }
          out.commonPrefixes.push(cp);
          out.nextKeyMarker = cp;
          out.nextVersionIdMarker = null;
          count++;
          const next = prefixSuccessor(cp);
          if (next === null) return out;
          lower = next;
          jumped = true;
          break;
        }
        if (!take(row)) return out;
      }
      if (jumped) continue;
      if (rows.length < batch) return out;
      // The page ended inside a key's versions: continue after the last row of that key.
      const last = rows[rows.length - 1]!;
      const rest = this.index.scanVersionsOfKeyBelow(input.bucket, last.key, last.id, input.maxKeys + 1);
      for (const row of rest) if (!take(row)) return out;
      after = last.key;
    }
  }

  // ---- multipart -----------------------------------------------------------------------------

  async createUpload(u: Omit<UploadRow, 'uploadId' | 'initiatedMs'>): Promise<UploadRow> {
    this.bucket(u.bucket);
    validateKey(u.key);
    const row: UploadRow = { ...u, uploadId: newUploadId(), initiatedMs: this.clock.now() };
    await this.index.commit(() => {
      this.bucket(u.bucket);
      this.index.insertUpload(row);
    });
    return row;
  }

  upload(bucket: string, key: string, uploadId: string): UploadRow {
    this.bucket(bucket);
    const u = this.index.getUpload(uploadId);
    if (!u || u.bucket !== bucket || u.key !== key) {
      throw new S3Error('NoSuchUpload', { fields: { UploadId: uploadId } });
    }
    return u;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: WriteBody,
  ): Promise<PartRow> {
    validatePartNumber(partNumber);
    this.upload(bucket, key, uploadId);
    const { w, checksum } = await this.writeBlob(body, PART_BYTES_MAX);
    const part: PartRow = {
      uploadId,
      partNumber,
      blobId: w.id,
      size: w.size,
      etag: `"${w.md5.toString('hex')}"`,
      checksum: checksum?.value ?? '',
      lastModifiedMs: this.clock.now(),
    };
    let old: PartRow | null;
    try {
      old = await this.index.commit(() => {
        this.upload(bucket, key, uploadId);
        const prev = this.index.getPart(uploadId, partNumber);
        this.index.putPart(part);
        return prev;
      });
    } catch (err) {
      // After a failed WAL sync the part row may be on disk: leave the blob to the startup sweep.
      if (!(err instanceof IndexDurabilityError)) await this.blobs.remove(w.id);
      throw err;
    }
    if (old) this.release([old.blobId]);
    return part;
  }

  async completeUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: CompletePart[],
    composite: CompositeChecksumFn,
    conditions: { ifNoneMatchStar: boolean; ifMatch?: string },
  ): Promise<VersionRow> {
    const u = this.upload(bucket, key, uploadId);
    if (parts.length === 0) {
      throw new S3Error('MalformedXML', {
        message: 'The XML you provided was not well-formed or did not validate against our published schema',
      });
    }
    if (parts.length > PARTS_MAX) throw new S3Error('TooManyParts');
    const stored = new Map(this.index.allParts(uploadId).map((p) => [p.partNumber, p]));
    const chosen: PartRow[] = [];
    let prev = 0;
    for (const p of parts) {
      if (p.partNumber <= prev) throw new S3Error('InvalidPartOrder');
      prev = p.partNumber;
      const s = stored.get(p.partNumber);
      if (!s || !etagMatches(p.etag, s.etag)) {
        throw new S3Error('InvalidPart', {
          fields: { UploadId: uploadId, PartNumber: p.partNumber, ETag: p.etag },
        });
      }
      if (p.checksum && s.checksum && p.checksum !== s.checksum) {
        throw new S3Error('InvalidPart', {
          fields: { UploadId: uploadId, PartNumber: p.partNumber, ETag: p.etag },
        });
      }
      chosen.push(s);
    }
    chosen.forEach((s, i) => {
      if (i < chosen.length - 1 && s.size < PART_BYTES_MIN) {
        throw new S3Error('EntityTooSmall', {
          fields: {
            ProposedSize: s.size,
            MinSizeAllowed: PART_BYTES_MIN,
            PartNumber: s.partNumber,
            ETag: s.etag,
          },
        });
      }
    });
    const md5s = Buffer.concat(chosen.map((s) => Buffer.from(s.etag.replace(/"/g, ''), 'hex')));
    const etag = `"${createHash('md5').update(md5s).digest('hex')}-${chosen.length}"`;
    let checksum: StoredChecksum | null = null;
    if (u.checksumAlgorithm) {
      const value = composite(
        u.checksumAlgorithm,
        u.checksumType,
        chosen.map((s) => ({ checksum: s.checksum, size: s.size })),
      );
      if (value) {
        checksum = {
          algorithm: u.checksumAlgorithm,
          value,
          type: u.checksumType === 'FULL_OBJECT' ? 'FULL_OBJECT' : 'COMPOSITE',
        };
      }
    }
    const size = chosen.reduce((a, s) => a + s.size, 0);
    const used = new Set(chosen.map((s) => s.blobId));
    return this.commitVersion(
      {
        bucket,
        key,
        deleteMarker: false,
        size,
        etag,
        lastModifiedMs: this.clock.now(),
        storageClass: u.storageClass,
        headers: u.headers,
        checksum,
        tags: u.tags,
        segments: chosen.map((s) => ({ b: s.blobId, n: s.size })),
        partSizes: chosen.map((s) => s.size),
      },
      conditions.ifNoneMatchStar,
      conditions.ifMatch,
      () => {
        // Re-validated inside the commit: a concurrent Abort or Complete wins cleanly.
        this.upload(bucket, key, uploadId);
        const all = this.index.deleteUpload(uploadId);
        for (const s of chosen) {
          const cur = all.find((p) => p.partNumber === s.partNumber);
          if (!cur || cur.blobId !== s.blobId)
            throw new S3Error('InvalidPart', { fields: { UploadId: uploadId } });
        }
        return all.filter((p) => !used.has(p.blobId)).map((p) => p.blobId);
      },
    );
  }

  async abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const parts = await this.index.commit(() => {
      this.upload(bucket, key, uploadId);
      return this.index.deleteUpload(uploadId);
    });
    this.release(parts.map((p) => p.blobId));
  }

  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    afterPart: number,
    maxParts: number,
  ): { upload: UploadRow; parts: PartRow[]; isTruncated: boolean } {
    const upload = this.upload(bucket, key, uploadId);
    const rows = this.index.listParts(uploadId, afterPart, maxParts + 1);
    return { upload, parts: rows.slice(0, maxParts), isTruncated: rows.length > maxParts };
  }

  listUploads(
    bucket: string,
    prefix: string,
    delimiter: string,
    keyMarker: string,
    uploadIdMarker: string,
    maxUploads: number,
  ): { uploads: UploadRow[]; commonPrefixes: string[]; isTruncated: boolean } {
    this.bucket(bucket);
    const upper = prefix ? prefixSuccessor(prefix) : null;
    const rows = this.index.scanUploads(
      bucket,
      prefix,
      upper,
      keyMarker,
      uploadIdMarker,
      maxUploads + 1 + LIST_KEYS_MAX,
    );
    const uploads: UploadRow[] = [];
    const commonPrefixes: string[] = [];
    let count = 0;
    for (const r of rows) {
      const i = delimiter ? r.key.indexOf(delimiter, prefix.length) : -1;
      if (i >= 0) {
        const cp = r.key.slice(0, i + delimiter.length);
        if (commonPrefixes[commonPrefixes.length - 1] === cp) continue;
        if (count === maxUploads) return { uploads, commonPrefixes, isTruncated: true };
        commonPrefixes.push(cp);
      } else {
        if (count === maxUploads) return { uploads, commonPrefixes, isTruncated: true };
        uploads.push(r);
      }
      count++;
    }
    return { uploads, commonPrefixes, isTruncated: false };
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Applies expiration and abort-incomplete-upload rules; returns how many objects expired. */
  async applyLifecycle(): Promise<number> {
    const now = this.clock.now();
    let expired = 0;
    for (const { bucket, body } of this.index.configsOfKind('lifecycle.json')) {
      const rules = JSON.parse(body) as LifecycleRule[];
      for (const rule of rules) {
        if (!rule.enabled) continue;
        expired += await this.expireRule(bucket, rule, now);
        await this.abortStale(bucket, rule, now);
      }
    }
    return expired;
  }

  private async expireRule(bucket: string, rule: LifecycleRule, now: number): Promise<number> {
    let cutoff: number | null = null;
    if (rule.expirationDateMs !== undefined && now >= rule.expirationDateMs) cutoff = Number.MAX_SAFE_INTEGER;
    else if (rule.expirationDays !== undefined) cutoff = now - rule.expirationDays * DAY_MS;
    if (cutoff === null) return 0;
    const upper = rule.prefix ? prefixSuccessor(rule.prefix) : null;
    const rows = this.index.expiredCandidates(bucket, rule.prefix, upper, cutoff, LIFECYCLE_BATCH_MAX);
    let n = 0;
    for (const row of rows) {
      if (rule.expirationDays !== undefined && rule.expirationDateMs === undefined) {
        // S3 rounds the expiry up to the next midnight UTC.
        const due = Math.ceil((row.lastModifiedMs + rule.expirationDays * DAY_MS) / DAY_MS) * DAY_MS;
        if (due > now) continue;
      }
      if (!rule.tags.every(([k, val]) => row.tags.some(([tk, tv]) => tk === k && tv === val))) continue;
      await this.deleteObject(bucket, row.key, null).catch(() => undefined);
      n++;
    }
    return n;
  }

  private async abortStale(bucket: string, rule: LifecycleRule, now: number): Promise<void> {
    if (rule.abortIncompleteDays === undefined) return;
    const upper = rule.prefix ? prefixSuccessor(rule.prefix) : null;
    const ups = this.index.scanUploads(bucket, rule.prefix, upper, '', '', LIFECYCLE_BATCH_MAX);
    for (const u of ups) {
      if (u.initiatedMs + rule.abortIncompleteDays * DAY_MS > now) continue;
      await this.abortUpload(bucket, u.key, u.uploadId).catch(() => undefined);
    }
  }
}

export function validatePartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > PARTS_MAX) {
    throw new S3Error('InvalidArgument', {
      message: `Part number must be an integer between 1 and ${PARTS_MAX}, inclusive`,
      fields: { ArgumentName: 'partNumber', ArgumentValue: String(n) },
    });
  }
}

/** ETag comparison as S3 does it: quotes optional, `*` matches anything. */
export function etagMatches(given: string, etag: string): boolean {
  const strip = (s: string): string => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return given.split(',').some((g) => g.trim() === '*' || strip(g) === strip(etag));
}

function maxKey(a: string, b: string): string {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) >= 0 ? a : b;
}
