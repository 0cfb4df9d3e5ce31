/**
 * Proves the browser- and operator-facing features over real sockets: presigned POST form
 * uploads (fetch FormData, SigV4 policy), static website index/error documents, lifecycle
 * expiration applied on ticks of the injected clock, Expect: 100-continue refused before the body
 * when the signature is wrong, and multipart checksums (COMPOSITE CRC32C, FULL_OBJECT CRC32)
 * through @aws-sdk/client-s3.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketTaggingCommand,
  GetBucketTaggingCommand,
  DeleteBucketTaggingCommand,
  GetBucketLocationCommand,
} from '@aws-sdk/client-s3';
import { s3TestClient } from './client.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { s3Service, type S3Config } from '../../../src/s3/index.js';

let svc: StandaloneService<S3Config>;
let s3: S3Client;
let url: string;
const clock = new ManualClock(Date.now());

before(async () => {
  svc = await startStandalone(s3Service, {
    serveGateway: true,
    clock,
    config: { lifecycleIntervalMs: 60_000 },
  });
  url = svc.gatewayUrl!;
  s3 = s3TestClient(url);
  await s3.send(new CreateBucketCommand({ Bucket: 'feat' }));
});

after(async () => {
  s3.destroy();
  await svc.close();
});

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

describe('browser features', () => {
  it('accepts a presigned POST form upload and rejects a tampered one', async () => {
    const now = new Date(clock.now());
    const date = now.toISOString().slice(0, 10).replace(/-/g, '');
    const amzDate = `${date}T000000Z`;
    const credential = `test/${date}/us-east-1/s3/aws4_request`;
    const policy = Buffer.from(
      JSON.stringify({
        expiration: new Date(clock.now() + 3_600_000).toISOString(),
        conditions: [
          { bucket: 'feat' },
          ['starts-with', '$key', 'uploads/'],
          ['content-length-range', 1, 1_000_000],
          { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
          { 'x-amz-credential': credential },
          { 'x-amz-date': amzDate },
          ['starts-with', '$Content-Type', 'image/'],
        ],
      }),
    ).toString('base64');
    const key = hmac(hmac(hmac(hmac('AWS4test', date), 'us-east-1'), 's3'), 'aws4_request');
    const signature = createHmac('sha256', key).update(policy).digest('hex');
    const file = randomBytes(2048);
    const form = (sig: string): FormData => {
      const f = new FormData();
      f.set('key', 'uploads/${filename}');
      f.set('Content-Type', 'image/png');
      f.set('x-amz-algorithm', 'AWS4-HMAC-SHA256');
      f.set('x-amz-credential', credential);
      f.set('x-amz-date', amzDate);
      f.set('policy', policy);
      f.set('x-amz-signature', sig);
      f.set('file', new Blob([file]), 'avatar.png');
      return f;
    };
    const ok = await fetch(`${url}/feat`, { method: 'POST', body: form(signature) });
    assert.equal(ok.status, 204, await ok.text());
    const got = await s3.send(new GetObjectCommand({ Bucket: 'feat', Key: 'uploads/avatar.png' }));
    assert.equal(got.ContentType, 'image/png');
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(file));
    const bad = await fetch(`${url}/feat`, { method: 'POST', body: form('0'.repeat(64)) });
    assert.equal(bad.status, 403);
    assert.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('serves website index and error documents to anonymous GETs', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'site' }));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'site',
        Key: 'index.html',
        Body: '<h1>home</h1>',
        ContentType: 'text/html',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'site',
        Key: 'docs/index.html',
        Body: '<h1>docs</h1>',
        ContentType: 'text/html',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'site',
        Key: '404.html',
        Body: '<h1>missing</h1>',
        ContentType: 'text/html',
      }),
    );
    await s3.send(
      new PutBucketWebsiteCommand({
        Bucket: 'site',
        WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: '404.html' } },
      }),
    );
    const home = await fetch(`${url}/site/`);
    assert.equal(home.status, 200);
    assert.equal(await home.text(), '<h1>home</h1>');
    assert.equal(await (await fetch(`${url}/site/docs/`)).text(), '<h1>docs</h1>');
    const miss = await fetch(`${url}/site/nope.html`);
    assert.equal(miss.status, 404);
    assert.equal(await miss.text(), '<h1>missing</h1>');
  });

  it('refuses Expect: 100-continue with a bad signature before the body is sent', async () => {
    // The gateway hands both 'request' and 'checkContinue' events to the route (as the host's
    // gateway does); startStandalone's server lets Node answer 100 itself, so serve the route here.
    const route = svc.routes.find((r) => r.service === 's3')!;
    const server = createServer((req, res) => void route.handle(req, res));
    server.on('checkContinue', (req, res) => void route.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const r = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/feat/never',
        headers: {
          expect: '100-continue',
          'content-length': '1048576',
          'x-amz-date': '20250101T000000Z',
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=' +
            '0'.repeat(64),
        },
      });
      req.on('continue', () => {
        continued = true;
        req.end(Buffer.alloc(1048576));
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    assert.equal(r.continued, false, 'no 100 Continue for a rejected request');
    assert.equal(r.status, 403);
  });

  it('expires objects by lifecycle rules on clock ticks', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'life' }));
    await s3.send(new PutObjectCommand({ Bucket: 'life', Key: 'tmp/a', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'life', Key: 'keep/b', Body: 'b' }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'life',
        LifecycleConfiguration: {
          Rules: [{ ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }],
        },
      }),
    );
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await fetch(`${url}/life/tmp/a`, { method: 'HEAD' })).status, 200, 'not yet due');
    clock.advance(2 * 86_400_000);
    // Ticks fired during one advance() overlap the first (still running) pass; the next tick sees
    // the new time.
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(60_000);
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await fetch(`${url}/life/tmp/a`, { method: 'HEAD' })).status;
    }
    assert.equal(status, 404);
    assert.equal((await fetch(`${url}/life/keep/b`, { method: 'HEAD' })).status, 200);
  });
});

describe('bucket configuration and copies', () => {
  it('stores and returns policy, tagging, location; UploadPartCopy copies a range', async () => {
    const c = s3TestClient(url);
    c.config.systemClockOffset = clock.now() - Date.now();
    try {
      await c.send(new CreateBucketCommand({ Bucket: 'cfg' }));
      const policy = JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::cfg/*' },
        ],
      });
      await c.send(new PutBucketPolicyCommand({ Bucket: 'cfg', Policy: policy }));
      assert.equal((await c.send(new GetBucketPolicyCommand({ Bucket: 'cfg' }))).Policy, policy);
      await c.send(
        new PutBucketTaggingCommand({
          Bucket: 'cfg',
          Tagging: { TagSet: [{ Key: 'team', Value: 'photos' }] },
        }),
      );
      assert.deepEqual((await c.send(new GetBucketTaggingCommand({ Bucket: 'cfg' }))).TagSet, [
        { Key: 'team', Value: 'photos' },
      ]);
      await c.send(new DeleteBucketTaggingCommand({ Bucket: 'cfg' }));
      await assert.rejects(
        c.send(new GetBucketTaggingCommand({ Bucket: 'cfg' })),
        /NoSuchTagSet|TagSet does not exist/,
      );
      const loc = await c.send(new GetBucketLocationCommand({ Bucket: 'cfg' }));
      assert.equal(loc.LocationConstraint ?? '', '');
      const src = randomBytes(6 * 1024 * 1024);
      await c.send(new PutObjectCommand({ Bucket: 'cfg', Key: 'src', Body: src }));
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'cfg', Key: 'dst' }));
      const p1 = await c.send(
        new UploadPartCopyCommand({
          Bucket: 'cfg',
          Key: 'dst',
          UploadId: up.UploadId,
          PartNumber: 1,
          CopySource: 'cfg/src',
          CopySourceRange: `bytes=0-${5 * 1024 * 1024 - 1}`,
        }),
      );
      const p2 = await c.send(
        new UploadPartCopyCommand({
          Bucket: 'cfg',
          Key: 'dst',
          UploadId: up.UploadId,
          PartNumber: 2,
          CopySource: 'cfg/src',
          CopySourceRange: `bytes=${5 * 1024 * 1024}-${src.length - 1}`,
        }),
      );
      await c.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'cfg',
          Key: 'dst',
          UploadId: up.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.CopyPartResult?.ETag },
              { PartNumber: 2, ETag: p2.CopyPartResult?.ETag },
            ],
          },
        }),
      );
      const got = await c.send(new GetObjectCommand({ Bucket: 'cfg', Key: 'dst' }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(src));
      const part2 = await c.send(new GetObjectCommand({ Bucket: 'cfg', Key: 'dst', PartNumber: 2 }));
      assert.equal(part2.PartsCount, 2);
      assert.equal(part2.ContentLength, src.length - 5 * 1024 * 1024);
      await part2.Body!.transformToByteArray();
    } finally {
      c.destroy();
    }
  });
});

describe('multipart checksums', () => {
  it('computes COMPOSITE CRC32C and FULL_OBJECT CRC32 checksums', async () => {
    const fresh = s3TestClient(url, { systemClockOffset: 0 });
    // The ManualClock has moved days ahead; sign with its time so the skew check passes.
    fresh.config.systemClockOffset = clock.now() - Date.now();
    try {
      const p1 = randomBytes(5 * 1024 * 1024);
      const p2 = randomBytes(777);
      for (const [alg, type] of [
        ['CRC32C', 'COMPOSITE'],
        ['CRC32', 'FULL_OBJECT'],
      ] as const) {
        const key = `mp-${alg}`;
        const up = await fresh.send(
          new CreateMultipartUploadCommand({
            Bucket: 'feat',
            Key: key,
            ChecksumAlgorithm: alg,
            ChecksumType: type,
          }),
        );
        const parts = [];
        for (const [i, body] of [p1, p2].entries()) {
          const r = await fresh.send(
            new UploadPartCommand({
              Bucket: 'feat',
              Key: key,
              UploadId: up.UploadId,
              PartNumber: i + 1,
              Body: body,
              ChecksumAlgorithm: alg,
            }),
          );
          parts.push({
            PartNumber: i + 1,
            ETag: r.ETag,
            [`Checksum${alg}`]: (r as unknown as Record<string, unknown>)[`Checksum${alg}`],
          });
        }
        const done = await fresh.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'feat',
            Key: key,
            UploadId: up.UploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
        const value = (done as unknown as Record<string, unknown>)[`Checksum${alg}`] as string;
        if (type === 'COMPOSITE') assert.match(value, /-2$/);
        else {
          const whole = Buffer.alloc(4);
          whole.writeUInt32BE(
            (zlib as unknown as { crc32(b: Buffer, v?: number): number }).crc32(Buffer.concat([p1, p2])) >>>
              0,
          );
          assert.equal(value, whole.toString('base64'));
        }
      }
    } finally {
      fresh.destroy();
    }
  });
});
