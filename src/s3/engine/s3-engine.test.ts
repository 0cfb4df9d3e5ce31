/**
 * Engine rules without HTTP: listing (prefix, delimiter, markers, max-keys) matches a reference
 * model sorted on UTF-8 bytes for random key sets (fast-check), pagination neither repeats nor
 * skips, and versioning keeps S3's null-version and delete-marker semantics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../../platform/clock.js';
import { BlobStore } from '../storage/blob-store.js';
import { IndexStore } from '../storage/index-store.js';
import { S3Engine } from './s3-engine.js';
import { prefixSuccessor } from './keys.js';

let dir: string;
let engine: S3Engine;
let index: IndexStore;
let bucketSeq = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-s3-engine-'));
  const blobs = new BlobStore(dir);
  blobs.init();
  index = new IndexStore(join(dir, 'index.sqlite'));
  engine = new S3Engine(blobs, index, new ManualClock(), 'us-east-1');
});

after(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Index rows without blobs: listing only reads the index. */
async function seed(bucket: string, keys: string[]): Promise<void> {
  await engine.createBucket(bucket, null);
  await index.commit(() => {
    for (const key of keys) {
      index.insertLatest({
        bucket,
        key,
        versionId: 'null',
        deleteMarker: false,
        size: 0,
        etag: '""',
        lastModifiedMs: 0,
        storageClass: 'STANDARD',
        headers: {},
        checksum: null,
        tags: [],
        segments: [],
        partSizes: [],
      });
    }
  });
}

function model(keys: string[], prefix: string, delimiter: string): string[] {
  const out: string[] = [];
  for (const k of [...new Set(keys)].sort(byBytes)) {
    if (!k.startsWith(prefix)) continue;
    const i = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
    const item = i < 0 ? k : k.slice(0, i + delimiter.length);
    if (out[out.length - 1] !== item) out.push(item);
  }
  return out;
}

// Whole code points only: keys arrive as valid UTF-8, never as lone surrogates.
const keyArb = fc
  .array(fc.constantFrom('a', 'b', '/', 'é', '😀', '.', 'ﬀ'), { minLength: 1, maxLength: 6 })
  .map((cs) => cs.join(''));

describe('listing', () => {
  it('pages through any key set like the byte-ordered model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { minLength: 0, maxLength: 25 }),
        fc.constantFrom('', 'a', 'b/', '/', 'é'),
        fc.constantFrom('', '/', 'é'),
        fc.integer({ min: 1, max: 7 }),
        async (keys, prefix, delimiter, maxKeys) => {
          const bucket = `list-${++bucketSeq}`;
          await seed(bucket, keys);
          const seen: string[] = [];
          let after = '';
          for (let page = 0; page < 100; page++) {
            const r = engine.listObjects({ bucket, prefix, delimiter, after, maxKeys });
            const items = [...r.contents.map((c) => c.key), ...r.commonPrefixes].sort(byBytes);
            seen.push(...items);
            assert.ok(items.length <= maxKeys);
            if (!r.isTruncated) break;
            after = r.last!;
          }
          assert.deepEqual(seen, model(keys, prefix, delimiter));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('prefixSuccessor bounds every extension of the prefix', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }),
        fc.string({ unit: 'grapheme', maxLength: 5 }),
        (p, rest) => {
          const s = prefixSuccessor(p);
          if (s === null) return;
          assert.ok(byBytes(p + rest, s) < 0);
          assert.ok(byBytes(p, s) < 0);
        },
      ),
    );
  });
});

describe('versioning', () => {
  const body = (s: string): { body: AsyncIterable<Buffer> } => ({ body: Readable.from([Buffer.from(s)]) });
  const put = (bucket: string, key: string, s: string) =>
    engine.putObject({ bucket, key, headers: {}, storageClass: 'STANDARD', tags: [], ...body(s) });

  it('replaces the null version when unversioned and suspended, stacks versions when enabled', async () => {
    await engine.createBucket('ver', null);
    await put('ver', 'k', 'a');
    await put('ver', 'k', 'b');
    assert.equal(
      engine.listVersions({
        bucket: 'ver',
        prefix: '',
        delimiter: '',
        after: '',
        versionIdMarker: '',
        maxKeys: 100,
      }).versions.length,
      1,
    );
    await engine.setVersioning('ver', 'Enabled');
    const v2 = await put('ver', 'k', 'c');
    assert.notEqual(v2.versionId, 'null');
    const del = await engine.deleteObject('ver', 'k', null);
    assert.equal(del.deleteMarker, true);
    assert.throws(() => engine.resolve('ver', 'k', null), /specified key does not exist/);
    await engine.setVersioning('ver', 'Suspended');
    await put('ver', 'k', 'd');
    const all = engine.listVersions({
      bucket: 'ver',
      prefix: '',
      delimiter: '',
      after: '',
      versionIdMarker: '',
      maxKeys: 100,
    }).versions;
    // old null 'b' was replaced by the suspended write 'd'; v2 and the delete marker stay.
    assert.deepEqual(
      all.map((v) => [v.versionId === 'null' ? 'null' : 'id', v.deleteMarker, v.isLatest]),
      [
        ['null', false, true],
        ['id', true, false],
        ['id', false, false],
      ],
    );
    // Paging versions one at a time visits each exactly once.
    const ids: string[] = [];
    let after = '';
    let vm = '';
    for (;;) {
      const r = engine.listVersions({
        bucket: 'ver',
        prefix: '',
        delimiter: '',
        after,
        versionIdMarker: vm,
        maxKeys: 1,
      });
      ids.push(...r.versions.map((v) => v.versionId));
      if (!r.isTruncated) break;
      after = r.nextKeyMarker!;
      vm = r.nextVersionIdMarker!;
    }
    assert.deepEqual(
      ids,
      all.map((v) => v.versionId),
    );
  });

  it('removes an overwritten or deleted inline body in the same commit', async () => {
    await engine.createBucket('inl', null);
    const first = await put('inl', 'k', 'one');
    const firstId = first.segments[0]!.b;
    assert.deepEqual(index.getInline(firstId), Buffer.from('one'));
    const second = await put('inl', 'k', 'two');
    // Gone as soon as the overwrite is acknowledged, not in a later commit.
    assert.equal(index.getInline(firstId), null);
    const v = engine.resolve('inl', 'k', null);
    assert.deepEqual(engine.inlineBody(v, 0, 2), Buffer.from('two'));
    await engine.deleteObject('inl', 'k', null);
    assert.equal(index.getInline(second.segments[0]!.b), null);
  });
});
