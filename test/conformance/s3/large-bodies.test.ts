/**
 * Large bodies over real sockets with and without the write worker (writeWorkers 1 and 0; the
 * default depends on the CPU count, so both pipelines are pinned here): @aws-sdk/client-s3's
 * aws-chunked upload with a CRC32 trailer, a plain PUT with Content-MD5 (and a wrong one → BadDigest,
 * nothing stored), a multipart upload whose parts take the worker path, then whole and ranged GETs
 * byte-exact through the read-ahead sender.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { s3TestClient } from './client.js';
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { s3Service, type S3Config } from '../../../src/s3/index.js';

const MiB = 1024 * 1024;
const md5hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function bytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

for (const writeWorkers of [1, 0] as const) {
  describe(`large bodies (writeWorkers ${writeWorkers})`, () => {
    let svc: StandaloneService<S3Config>;
    let s3: S3Client;
    let url: string;

    before(async () => {
      svc = await startStandalone(s3Service, { serveGateway: true, config: { writeWorkers } });
      url = svc.gatewayUrl!;
      s3 = s3TestClient(url);
      await s3.send(new CreateBucketCommand({ Bucket: 'large' }));
    });

    after(async () => {
      s3.destroy();
      await svc.close();
    });

    it('SDK stream upload (aws-chunked, CRC32 trailer) and GETs come back byte-exact', async () => {
      const body = randomBytes(9 * MiB + 4321);
      const chunks = Array.from({ length: 10 }, (_, i) => body.subarray(i * MiB, (i + 1) * MiB));
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: 'large',
          Key: 'sdk',
          Body: Readable.from(chunks),
          ContentLength: body.length,
        }),
      );
      assert.equal(put.ETag, `"${md5hex(body)}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: 'sdk' }));
      assert.ok((await bytes(got.Body)).equals(body));
      const ranged = await s3.send(
        new GetObjectCommand({ Bucket: 'large', Key: 'sdk', Range: `bytes=${MiB - 5}-${3 * MiB + 6}` }),
      );
      assert.ok((await bytes(ranged.Body)).equals(body.subarray(MiB - 5, 3 * MiB + 7)));
    });

    it('plain PUT with Content-MD5: a match stores, a mismatch is BadDigest and stores nothing', async () => {
      const body = randomBytes(5 * MiB + 1);
      const md5 = createHash('md5').update(body).digest('base64');
      const ok = await fetch(`${url}/large/plain`, { method: 'PUT', body, headers: { 'content-md5': md5 } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('etag'), `"${md5hex(body)}"`);
      const bad = await fetch(`${url}/large/plain`, {
        method: 'PUT',
        body: randomBytes(5 * MiB),
        headers: { 'content-md5': md5 },
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /<Code>BadDigest<\/Code>/);
      const get = await fetch(`${url}/large/plain`);
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(body));
    });

    it('multipart: parts through the worker path, ETag MD5-of-MD5s-N, GET byte-exact', async () => {
      const parts = [randomBytes(5 * MiB), randomBytes(MiB + 17)];
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'large', Key: 'mp' }));
      const etags: string[] = [];
      for (const [i, p] of parts.entries()) {
        const r = await s3.send(
          new UploadPartCommand({ Bucket: 'large', Key: 'mp', UploadId, PartNumber: i + 1, Body: p }),
        );
        assert.equal(r.ETag, `"${md5hex(p)}"`);
        etags.push(r.ETag!);
      }
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'large',
          Key: 'mp',
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
      const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
      assert.equal(done.ETag, `"${md5hex(md5s)}-2"`);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: 'mp' }));
      assert.ok((await bytes(got.Body)).equals(Buffer.concat(parts)));
      const across = await s3.send(
        new GetObjectCommand({ Bucket: 'large', Key: 'mp', Range: `bytes=${5 * MiB - 3}-${5 * MiB + 2}` }),
      );
      assert.ok((await bytes(across.Body)).equals(Buffer.concat(parts).subarray(5 * MiB - 3, 5 * MiB + 3)));
    });
  });
}
