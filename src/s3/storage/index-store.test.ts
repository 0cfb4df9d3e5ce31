/**
 * IndexStore details the engine relies on: an op that throws after writing is undone alone,
 * whether its group holds one op (own transaction) or several (savepoints); GET's lookup joins
 * the inline body in; a database from before the inline_id column opens, and its inline rows are
 * still found (without the join); the latest-row cache never serves a row that a write, a tag
 * change, a delete or a rollback replaced, and stays within its byte bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  IndexStore,
  LATEST_CACHE_ADMIT_EVERY,
  LATEST_CACHE_BYTES_MAX,
  type NewVersion,
} from './index-store.js';

let dir: string;
/** better-sqlite3 handles opened here stay reachable (index-store.ts: KEEP_ALIVE, Node 24). */
const keepAlive: unknown[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-s3-index-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function version(key: string, segId: string, size: number): NewVersion {
  return {
    bucket: 'b',
    key,
    versionId: 'null',
    deleteMarker: false,
    size,
    etag: '"e"',
    lastModifiedMs: 1,
    storageClass: 'STANDARD',
    headers: { 'content-type': 'text/plain' },
    checksum: null,
    tags: [],
    segments: [{ b: segId, n: size }],
    partSizes: [],
  };
}

const bucket = { name: 'b', createdMs: 0, region: 'us-east-1', versioning: '' };

describe('IndexStore', () => {
  it('undoes a failing op alone, in a group of one and in a group of several', async () => {
    const index = new IndexStore(join(dir, 'undo.sqlite'));
    await index.commit(() => index.insertBucket(bucket));
    const failAfterWrite = (key: string) => () => {
      index.insertLatest(version(key, 'f', 1));
      throw new Error(`fail ${key}`);
    };
    // Group of one: queued alone and flushed on its own turn.
    await assert.rejects(index.commit(failAfterWrite('solo')), /fail solo/);
    assert.equal(index.latest('b', 'solo'), null);
    // A group of three, the middle one failing after its insert.
    const results = await Promise.allSettled([
      index.commit(() => index.insertLatest(version('a', 'f1', 1))),
      index.commit(failAfterWrite('mid')),
      index.commit(() => index.insertLatest(version('c', 'f2', 1))),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(index.latest('b', 'mid'), null);
    assert.equal(index.latest('b', 'a')?.segments[0]?.b, 'f1');
    assert.equal(index.latest('b', 'c')?.segments[0]?.b, 'f2');
    index.close();
  });

  it('joins the inline body into latest and byVersion; file-backed rows carry none', async () => {
    const index = new IndexStore(join(dir, 'join.sqlite'));
    const body = Buffer.from('inline body');
    await index.commit(() => {
      index.insertBucket(bucket);
      index.insertInline('i:one', body);
      index.insertLatest(version('small', 'i:one', body.length));
      index.insertLatest(version('big', 'blobfile', 10));
    });
    assert.deepEqual(index.latest('b', 'small')?.inlineData, body);
    assert.deepEqual(index.byVersion('b', 'small', 'null')?.inlineData, body);
    assert.equal(index.latest('b', 'big')?.inlineData, undefined);
    // nullVersion: the light lookup an overwrite uses.
    assert.deepEqual(index.nullVersion('b', 'small')?.segments, [{ b: 'i:one', n: body.length }]);
    assert.equal(index.nullVersion('b', 'none'), null);
    index.close();
  });

  it('latest-row cache: writes, tags, deletes and rollbacks are seen at once; bounded by bytes', async () => {
    const index = new IndexStore(join(dir, 'cache.sqlite'));
    await index.commit(() => index.insertBucket(bucket));
    const put = (key: string, id: string, data: Buffer) =>
      index.commit(() => {
        index.insertInline(id, data);
        return index.insertLatest({ ...version(key, id, data.length), versionId: id });
      });
    await put('k', 'i:1', Buffer.from('one'));
    const first = index.latest('b', 'k');
    assert.equal(index.latest('b', 'k'), first, 'second lookup is served from the cache');
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first?.headers));
    await put('k', 'i:2', Buffer.from('two'));
    assert.deepEqual(index.latest('b', 'k')?.inlineData, Buffer.from('two'));
    const cur = index.latest('b', 'k')!;
    await index.commit(() => index.setTags(cur, [['t', 'v']]));
    assert.deepEqual(index.latest('b', 'k')?.tags, [['t', 'v']]);
    // An op that overwrites and then fails leaves the old row visible, not a cached phantom.
    index.latest('b', 'k');
    await assert.rejects(
      index.commit(() => {
        index.insertLatest({ ...version('k', 'f', 1), versionId: 'f' });
        assert.equal(index.latest('b', 'k')?.segments[0]?.b, 'f');
        throw new Error('undo');
      }),
      /undo/,
    );
    assert.deepEqual(index.latest('b', 'k')?.inlineData, Buffer.from('two'));
    // Deleting the latest makes the older version latest again.
    await index.commit(() => index.deleteVersionRow(index.latest('b', 'k')!));
    assert.deepEqual(index.latest('b', 'k')?.inlineData, Buffer.from('one'));
    // Bodies past the byte bound evict older rows instead of growing the cache.
    const big = Buffer.alloc(LATEST_CACHE_BYTES_MAX / 2 + 1);
    await put('big1', 'i:b1', big);
    await put('big2', 'i:b2', big);
    const b1 = index.latest('b', 'big1');
    assert.equal(index.latest('b', 'big1'), b1);
    // Both do not fit: big2 is admitted on the LATEST_CACHE_ADMIT_EVERY-th miss, evicting big1.
    const reads = Array.from({ length: LATEST_CACHE_ADMIT_EVERY + 1 }, () => index.latest('b', 'big2'));
    assert.notEqual(reads[0], reads[1], 'big2 not admitted on its first miss');
    assert.equal(reads.at(-1), reads.at(-2), 'big2 cached after LATEST_CACHE_ADMIT_EVERY misses');
    assert.notEqual(index.latest('b', 'big1'), b1, 'big1 was evicted');
    index.close();
  });

  it('opens a database from before inline_id; old inline rows are read without the join', async () => {
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    keepAlive.push(old);
    old.exec(`CREATE TABLE versions(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
      is_latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL,
      size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL,
      storage_class TEXT NOT NULL, headers TEXT NOT NULL, checksum TEXT, tags TEXT NOT NULL,
      segments TEXT NOT NULL, part_sizes TEXT NOT NULL);
      CREATE TABLE inline_blobs(id TEXT PRIMARY KEY, data BLOB NOT NULL);
      INSERT INTO inline_blobs VALUES ('i:old', x'6869');
      INSERT INTO versions(bucket, key, version_id, is_latest, delete_marker, size, etag,
        last_modified_ms, storage_class, headers, checksum, tags, segments, part_sizes)
        VALUES ('b', 'k', 'null', 1, 0, 2, '"e"', 1, 'STANDARD', '{}', NULL, '[]',
        '[{"b":"i:old","n":2}]', '[]');`);
    old.close();
    const index = new IndexStore(file);
    const v = index.latest('b', 'k');
    assert.equal(v?.inlineData, undefined);
    assert.deepEqual(index.getInline(v?.segments[0]?.b ?? ''), Buffer.from('hi'));
    await index.commit(() => {
      index.insertInline('i:new', Buffer.from('new'));
      index.insertLatest(version('k2', 'i:new', 3));
    });
    assert.deepEqual(index.latest('b', 'k2')?.inlineData, Buffer.from('new'));
    index.close();
  });
});
