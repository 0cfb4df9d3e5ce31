/**
 * Blob writes through the hash worker: bytes and digests match node:crypto for bodies spanning
 * many batches in odd chunk sizes, on the worker and on the calling thread; a failing body leaves
 * no temp file; concurrent writes sharing one worker keep their digests apart. Also the index's
 * group commit: concurrent commits resolve with their own results and survive a reopen.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BATCHES_IN_FLIGHT,
  BlobStore,
  BlobTooLargeError,
  WRITE_BATCH_BYTES,
  poolableDigester,
} from './blob-store.js';
import { HashPool } from './hash-pool.js';
import { IndexStore } from './index-store.js';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-s3-blobs-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** `body` cut into chunks of varying sizes (never aligned with the batch size). */
async function* chunked(body: Buffer, sizes = [65_536, 1, 100_003, 7_777]): AsyncGenerator<Buffer> {
  let off = 0;
  for (let i = 0; off < body.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield body.subarray(off, off + n);
    off += n;
  }
}

const hex = (alg: string, b: Buffer): string => createHash(alg).update(b).digest('hex');

describe('BlobStore.write', () => {
  for (const workers of [1, 0]) {
    it(`streams a multi-batch body with MD5 and SHA-256 (${workers} hash worker)`, async () => {
      const store = new BlobStore(join(dir, `w${workers}`), workers);
      store.init();
      // More batches than the ring holds, and a partial last batch.
      const body = randomBytes(WRITE_BATCH_BYTES * (BATCHES_IN_FLIGHT + 2) + 12_345);
      const r = await store.write(chunked(body), {
        maxBytes: body.length,
        digesters: { sha: poolableDigester('sha256') },
      });
      assert.equal(r.size, body.length);
      assert.equal(r.md5.toString('hex'), hex('md5', body));
      assert.equal(r.digests.sha?.toString('hex'), hex('sha256', body));
      assert.ok(readFileSync(store.path(r.id)).equals(body));
      await store.close();
    });
  }

  it('keeps the digests of concurrent writes on one worker apart', async () => {
    const store = new BlobStore(join(dir, 'concurrent'), 1);
    store.init();
    const bodies = [0, 1, 2].map(() => randomBytes(WRITE_BATCH_BYTES * 2 + 999));
    const rs = await Promise.all(bodies.map((b) => store.write(chunked(b), { maxBytes: 1e9 })));
    rs.forEach((r, i) => assert.equal(r.md5.toString('hex'), hex('md5', bodies[i]!)));
    await store.close();
  });

  it('removes the temp file when the body fails or is too large', async () => {
    const root = join(dir, 'fail');
    const store = new BlobStore(root, 1);
    store.init();
    async function* broken(): AsyncGenerator<Buffer> {
      yield randomBytes(WRITE_BATCH_BYTES * 3);
      throw new Error('client went away');
    }
    await assert.rejects(store.write(broken(), { maxBytes: 1e9 }), /client went away/);
    const big = randomBytes(WRITE_BATCH_BYTES * 2);
    await assert.rejects(store.write(chunked(big), { maxBytes: WRITE_BATCH_BYTES }), BlobTooLargeError);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    // The store still works after failures (batches were returned settled).
    const ok = randomBytes(WRITE_BATCH_BYTES + 1);
    assert.equal((await store.write(chunked(ok), { maxBytes: 1e9 })).md5.toString('hex'), hex('md5', ok));
    await store.close();
  });
});

describe('HashPool', () => {
  it('hashes on the calling thread once closed', async () => {
    const pool = new HashPool(1);
    await pool.close();
    const sab = new SharedArrayBuffer(3);
    Buffer.from(sab).set([1, 2, 3]);
    const job = pool.start(['md5']);
    await job.update(sab, 3);
    const [d] = await job.digest();
    assert.equal(d?.toString('hex'), hex('md5', Buffer.from([1, 2, 3])));
  });
});

describe('IndexStore group commit', () => {
  it('resolves concurrent commits with their own results, durable across a reopen', async () => {
    const file = join(dir, 'index.sqlite');
    let index = new IndexStore(file);
    const names = Array.from({ length: 40 }, (_, i) => `bucket-${i}`);
    const results = await Promise.all(
      names
        .map((name, i) =>
          index.commit(() => {
            if (i === 7) throw new Error('precondition');
            index.insertBucket({ name, createdMs: i, region: 'us-east-1', versioning: '' });
            return i;
          }),
        )
        .map((p) => p.catch((e: Error) => e.message)),
    );
    assert.deepEqual(
      results,
      names.map((_, i) => (i === 7 ? 'precondition' : i)),
    );
    index.close();
    index = new IndexStore(file);
    assert.equal(index.listBuckets().length, names.length - 1);
    assert.equal(index.getBucket('bucket-7'), null);
    index.close();
  });

  it('settles commits still queued when it closes', async () => {
    const index = new IndexStore(join(dir, 'closing.sqlite'));
    const p = index.commit(() => 'done');
    index.close();
    assert.equal(await p, 'done');
  });
});
