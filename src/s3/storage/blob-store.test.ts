/**
 * Blob writes through the write worker: bytes and digests match node:crypto for bodies spanning
 * many batches in odd chunk sizes, on the worker and on the calling thread; a failing body leaves
 * no temp file and the worker never touches the fd after the write gave up; concurrent writes
 * sharing one worker keep their digests apart; a short write continues where it stopped. Also the index's
 * group commit: concurrent commits resolve with their own results and survive a reopen.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BATCHES_IN_FLIGHT,
  BlobStore,
  BlobTooLargeError,
  WORKER_MIN_BYTES,
  WRITE_BATCH_BYTES,
  poolableDigester,
} from './blob-store.js';
import { WritePool, skipBytes, writeAllAt } from './write-pool.js';
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
    it(`streams a multi-batch body with MD5 and SHA-256 (${workers} write worker)`, async () => {
      const store = new BlobStore(join(dir, `w${workers}`), workers);
      store.init();
      // More batches than the ring holds, and a partial last batch.
      const body = randomBytes(WRITE_BATCH_BYTES * (BATCHES_IN_FLIGHT + 2) + 12_345);
      assert.ok(body.length >= WORKER_MIN_BYTES);
      const r = await store.write(chunked(body), {
        maxBytes: body.length,
        expectedBytes: body.length,
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
    const rs = await Promise.all(
      bodies.map((b) => store.write(chunked(b), { maxBytes: 1e9, expectedBytes: WORKER_MIN_BYTES })),
    );
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
    const big = { maxBytes: 1e9, expectedBytes: WORKER_MIN_BYTES };
    await assert.rejects(store.write(broken(), big), /client went away/);
    const body = randomBytes(WRITE_BATCH_BYTES * 2);
    await assert.rejects(
      store.write(chunked(body), { maxBytes: WRITE_BATCH_BYTES, expectedBytes: WORKER_MIN_BYTES }),
      BlobTooLargeError,
    );
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    // The store still works after failures (batches came back from the worker).
    const ok = randomBytes(WRITE_BATCH_BYTES + 1);
    assert.equal((await store.write(chunked(ok), big)).md5.toString('hex'), hex('md5', ok));
    await store.close();
  });
});

describe('WritePool', () => {
  for (const size of [1, 0]) {
    it(`hashes and writes moved batches, and hands them back (${size} worker)`, async () => {
      const pool = new WritePool(size);
      const file = join(dir, `pool-${size}`);
      const fh = await open(file, 'w');
      const a = Buffer.from(new ArrayBuffer(8));
      a.write('abcdefgh');
      const b = Buffer.from(new ArrayBuffer(8));
      b.write('ijkl');
      const job = pool.start({ hashes: ['md5', 'sha1'], fd: fh.fd, earlySyncBytes: 4 });
      const back = await Promise.all([job.write(a.buffer, 8, 0), job.write(b.buffer, 4, 8)]);
      assert.deepEqual(
        back.map((ab) => ab.byteLength),
        [8, 8],
      );
      const [md5, sha1] = await job.digest();
      await fh.close();
      assert.equal(readFileSync(file, 'latin1'), 'abcdefghijkl');
      assert.equal(md5?.toString('hex'), hex('md5', Buffer.from('abcdefghijkl')));
      assert.equal(sha1?.toString('hex'), hex('sha1', Buffer.from('abcdefghijkl')));
      await pool.close();
    });
  }

  it('reports a write error from digest() and runs jobs on the calling thread once closed', async () => {
    const pool = new WritePool(1);
    const fh = await open(join(dir, 'pool-ro'), 'w');
    await fh.close();
    const ro = await open(join(dir, 'pool-ro'), 'r');
    const job = pool.start({ hashes: ['md5'], fd: ro.fd, earlySyncBytes: 1e9 });
    await job.write(new ArrayBuffer(16), 16, 0);
    await assert.rejects(job.digest(), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
    await ro.close();
    await pool.close();
    assert.equal(pool.threaded, false);
  });

  it('a job whose worker is gone fails instead of hanging', async () => {
    const pool = new WritePool(1);
    const fh = await open(join(dir, 'pool-dead'), 'w');
    const job = pool.start({ hashes: ['md5'], fd: fh.fd, earlySyncBytes: 1e9 });
    await job.write(new ArrayBuffer(8), 8, 0);
    await pool.close(); // terminates the worker under the job
    await job.abort(); // settles (the fd may be closed afterwards)
    await assert.rejects(job.digest(), /exited/);
    await fh.close();
  });

  it('skipBytes drops what a short write already wrote', () => {
    const parts = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
    assert.deepEqual(
      skipBytes(parts, 4).map((b) => b.toString()),
      ['e', 'fgh'],
    );
    assert.deepEqual(
      skipBytes(parts, 5).map((b) => b.toString()),
      ['fgh'],
    );
    assert.deepEqual(skipBytes(parts, 8), []);
  });

  it('writeAllAt writes gathered buffers (empty ones included) at a position', async () => {
    const file = join(dir, 'short');
    const fh = await open(file, 'w');
    const parts = [Buffer.from('hello '), Buffer.alloc(0), Buffer.from('world')];
    await writeAllAt(fh.fd, parts, 0);
    await writeAllAt(fh.fd, [Buffer.from('W')], 6);
    await fh.close();
    assert.equal(readFileSync(file, 'latin1'), 'hello World');
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
