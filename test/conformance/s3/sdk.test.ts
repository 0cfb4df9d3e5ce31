/**
 * Proves that @aws-sdk/client-s3 (pinned 3.1175.0) works unchanged against Nimbus S3 over real
 * sockets: path-style and virtual-hosted (bucket.localhost) addressing, default CRC32 checksums
 * with aws-chunked trailer uploads, versioning, tagging, listing in UTF-8 byte order with
 * delimiters and url encoding, range/conditional GETs, copy, multipart with lib-storage, and
 * presigned GET/PUT used with plain fetch (the profile-image flow).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Agent as HttpAgent } from 'node:http';
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketCorsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { s3TestClient } from './client.js';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { s3Service, type S3Config } from '../../../src/s3/index.js';

let svc: StandaloneService<S3Config>;
let s3: S3Client;
let url: string;

function client(extra: Record<string, unknown> = {}): S3Client {
  return s3TestClient(url, extra);
}

async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof S3ServiceException, String(e));
    return e.name;
  }
  return 'no error';
}

before(async () => {
  svc = await startStandalone(s3Service, { serveGateway: true });
  url = svc.gatewayUrl!;
  s3 = client();
});

after(async () => {
  s3.destroy();
  await svc.close();
});

describe('client-s3 basics', () => {
  it('creates, heads, lists and deletes buckets with AWS error codes', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'basics' }));
    assert.equal(
      await code(s3.send(new CreateBucketCommand({ Bucket: 'basics' }))),
      'BucketAlreadyOwnedByYou',
    );
    await s3.send(new HeadBucketCommand({ Bucket: 'basics' }));
    assert.equal(await code(s3.send(new HeadBucketCommand({ Bucket: 'nope-nope' }))), 'NotFound');
    const list = await s3.send(new ListBucketsCommand({}));
    assert.ok(list.Buckets?.some((b) => b.Name === 'basics'));
    await s3.send(new PutObjectCommand({ Bucket: 'basics', Key: 'x', Body: 'y' }));
    assert.equal(await code(s3.send(new DeleteBucketCommand({ Bucket: 'basics' }))), 'BucketNotEmpty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'basics', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'basics' }));
    assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: 'basics', Key: 'x' }))), 'NoSuchBucket');
  });

  it('round-trips bodies with default CRC32 (aws-chunked trailer) and returns the checksum', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objs' }));
    const body = randomBytes(12_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'objs',
        Key: 'users/12345/profile.jpg',
        Body: Readable.from([body]),
        ContentLength: body.length,
        ContentType: 'image/jpeg',
        Metadata: { owner: 'ada' },
        StorageClass: 'STANDARD_IA',
      }),
    );
    assert.equal(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'objs', Key: 'users/12345/profile.jpg', ChecksumMode: 'ENABLED' }),
    );
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    assert.equal(bytes.length, 12_000);
    assert.ok(bytes.equals(body));
    assert.equal(got.ContentType, 'image/jpeg');
    assert.equal(got.Metadata?.owner, 'ada');
    assert.equal(got.StorageClass, 'STANDARD_IA');
    assert.ok(got.ChecksumCRC32, 'checksum returned with x-amz-checksum-mode');
  });

  it('rejects a wrong checksum with BadDigest and keeps no object', async () => {
    const r = await code(
      s3.send(new PutObjectCommand({ Bucket: 'objs', Key: 'bad', Body: 'hello', ChecksumCRC32: 'AAAAAA==' })),
    );
    assert.equal(r, 'BadDigest');
    assert.equal(await code(s3.send(new HeadObjectCommand({ Bucket: 'objs', Key: 'bad' }))), 'NotFound');
  });

  it('keeps foo and foo/bar, // and leading / keys, and lists in UTF-8 byte order', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'keys' }));
    const keys = ['foo', 'foo/bar', 'a//b', '/lead', 'é', 'z', 'ﬀ', '😀', 'a+b=c d', 'dir/x', 'dir/y/z'];
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: 'keys', Key: k, Body: k }));
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'keys' }));
    const want = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(
      all.Contents?.map((c) => c.Key),
      want,
    );
    for (const k of keys) {
      const g = await s3.send(new GetObjectCommand({ Bucket: 'keys', Key: k }));
      assert.equal(await text(g.Body), k);
    }
    const d = await s3.send(new ListObjectsV2Command({ Bucket: 'keys', Delimiter: '/', Prefix: 'dir/' }));
    assert.deepEqual(
      d.Contents?.map((c) => c.Key),
      ['dir/x'],
    );
    assert.deepEqual(
      d.CommonPrefixes?.map((c) => c.Prefix),
      ['dir/y/'],
    );
    // paging with continuation tokens, 2 at a time, through common prefixes
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const p = await s3.send(
        new ListObjectsV2Command({ Bucket: 'keys', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      for (const c of p.Contents ?? []) seen.push(c.Key!);
      for (const c of p.CommonPrefixes ?? []) seen.push(c.Prefix!);
      token = p.NextContinuationToken;
    } while (token);
    const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
    assert.deepEqual(
      seen.sort(byBytes),
      ['/', 'a+b=c d', 'a/', 'dir/', 'foo', 'foo/', 'z', 'é', 'ﬀ', '😀'].sort(byBytes),
    );
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'keys', Marker: 'foo', EncodingType: 'url' }));
    // EncodingType=url: keys arrive percent-encoded (the SDK leaves decoding to the caller).
    assert.deepEqual(
      v1.Contents?.map((c) => decodeURIComponent(c.Key!)),
      ['foo/bar', 'z', 'é', 'ﬀ', '😀'],
    );
    assert.equal(v1.Contents?.[2]?.Key, '%C3%A9');
  });

  it('serves ranges, 416, conditionals and response-* overrides', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objs', Key: 'r', Body: '0123456789' }));
    const r = await s3.send(new GetObjectCommand({ Bucket: 'objs', Key: 'r', Range: 'bytes=2-4' }));
    assert.equal(await text(r.Body), '234');
    assert.equal(r.ContentRange, 'bytes 2-4/10');
    const suffix = await s3.send(new GetObjectCommand({ Bucket: 'objs', Key: 'r', Range: 'bytes=-3' }));
    assert.equal(await text(suffix.Body), '789');
    assert.equal(
      await code(s3.send(new GetObjectCommand({ Bucket: 'objs', Key: 'r', Range: 'bytes=10-' }))),
      'InvalidRange',
    );
    const multi = await fetch(`${url}/objs/r`, { headers: { range: 'bytes=0-1,3-4' } });
    assert.equal(multi.status, 200, 'multi-range is served whole, as S3 does');
    assert.equal(await multi.text(), '0123456789');
    const h = await s3.send(new HeadObjectCommand({ Bucket: 'objs', Key: 'r' }));
    assert.equal(
      await code(s3.send(new GetObjectCommand({ Bucket: 'objs', Key: 'r', IfMatch: '"nope"' }))),
      'PreconditionFailed',
    );
    const nm = await fetch(`${url}/objs/r`, { headers: { 'if-none-match': h.ETag! } });
    assert.equal(nm.status, 304);
    const o = await s3.send(
      new GetObjectCommand({
        Bucket: 'objs',
        Key: 'r',
        ResponseContentType: 'text/x-test',
        ResponseContentDisposition: 'attachment',
      }),
    );
    assert.equal(o.ContentType, 'text/x-test');
    assert.equal(o.ContentDisposition, 'attachment');
    await o.Body?.transformToString();
    assert.equal(
      await code(s3.send(new PutObjectCommand({ Bucket: 'objs', Key: 'r', Body: 'x', IfNoneMatch: '*' }))),
      'PreconditionFailed',
    );
    await s3.send(new PutObjectCommand({ Bucket: 'objs', Key: 'fresh', Body: 'x', IfNoneMatch: '*' }));
  });

  it('verifies signatures of the known key: a wrong secret is SignatureDoesNotMatch', async () => {
    const bad = client({ credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' } });
    try {
      assert.equal(await code(bad.send(new ListBucketsCommand({}))), 'SignatureDoesNotMatch');
      assert.equal(
        await code(bad.send(new PutObjectCommand({ Bucket: 'objs', Key: 'sig', Body: 'x' }))),
        'SignatureDoesNotMatch',
      );
    } finally {
      bad.destroy();
    }
  });

  it('returns AWS error XML with request id; HEAD errors are bodiless', async () => {
    const res = await fetch(`${url}/objs/missing-key`);
    assert.equal(res.status, 404);
    assert.ok(res.headers.get('x-amz-request-id'));
    const body = await res.text();
    assert.match(
      body,
      /<Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing-key<\/Key><Resource>\/objs\/missing-key<\/Resource><RequestId>/,
    );
    const head = await fetch(`${url}/objs/missing-key`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  it('copies with metadata REPLACE and copy-source conditions, tags objects, deletes in batch', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'objs',
        Key: 'src',
        Body: 'copy me',
        Metadata: { a: '1' },
        Tagging: 't1=v1',
      }),
    );
    await s3.send(new CopyObjectCommand({ Bucket: 'objs', Key: 'dst', CopySource: 'objs/src' }));
    const same = await s3.send(new HeadObjectCommand({ Bucket: 'objs', Key: 'dst' }));
    assert.equal(same.Metadata?.a, '1');
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'objs',
        Key: 'dst2',
        CopySource: 'objs/src',
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
        ContentType: 'text/plain',
      }),
    );
    const rep = await s3.send(new HeadObjectCommand({ Bucket: 'objs', Key: 'dst2' }));
    assert.deepEqual(rep.Metadata, { b: '2' });
    assert.equal(rep.ContentType, 'text/plain');
    assert.equal(
      await code(
        s3.send(
          new CopyObjectCommand({
            Bucket: 'objs',
            Key: 'dst3',
            CopySource: 'objs/src',
            CopySourceIfMatch: '"zzz"',
          }),
        ),
      ),
      'PreconditionFailed',
    );
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'objs', Key: 'src' }));
    assert.deepEqual(tags.TagSet, [{ Key: 't1', Value: 'v1' }]);
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'objs',
        Key: 'src',
        Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
      }),
    );
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: 'objs', Key: 'src' }))).TagSet, [
      { Key: 'k', Value: 'v' },
    ]);
    const del = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'objs', Delete: { Objects: [{ Key: 'dst' }, { Key: 'dst2' }] } }),
    );
    assert.equal(del.Deleted?.length, 2);
    const quiet = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'objs', Delete: { Quiet: true, Objects: [{ Key: 'src' }] } }),
    );
    assert.equal(quiet.Deleted, undefined);
  });

  it('versions objects with delete markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'vers' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'vers', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'vers' }))).Status, 'Enabled');
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'k', Body: 'one' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'k', Body: 'two' }));
    assert.notEqual(v1.VersionId, v2.VersionId);
    const dm = await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'k' }));
    assert.equal(dm.DeleteMarker, true);
    assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'k' }))), 'NoSuchKey');
    const old = await s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'k', VersionId: v1.VersionId }));
    assert.equal(await text(old.Body), 'one');
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket: 'vers' }));
    assert.equal(list.Versions?.length, 2);
    assert.equal(list.DeleteMarkers?.length, 1);
    assert.equal(list.DeleteMarkers?.[0]?.IsLatest, true);
    await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'k', VersionId: dm.VersionId }));
    const back = await s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'k' }));
    assert.equal(await text(back.Body), 'two');
  });

  it('works virtual-hosted style via bucket.localhost', async () => {
    const port = new URL(url).port;
    // *.localhost does not resolve through every system resolver; pin it to loopback as browsers do.
    const lookup = (_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void): void => {
      if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
    };
    const agent = new HttpAgent({ lookup: lookup as never, keepAlive: true });
    const vh = client({
      endpoint: `http://localhost:${port}`,
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    try {
      await vh.send(new PutObjectCommand({ Bucket: 'objs', Key: 'vh/key', Body: 'virtual' }));
      const g = await s3.send(new GetObjectCommand({ Bucket: 'objs', Key: 'vh/key' }));
      assert.equal(await text(g.Body), 'virtual');
      const l = await vh.send(new ListObjectsV2Command({ Bucket: 'objs', Prefix: 'vh/' }));
      assert.deepEqual(
        l.Contents?.map((c) => c.Key),
        ['vh/key'],
      );
    } finally {
      vh.destroy();
      agent.destroy();
    }
  });
});

describe('presigned URLs and the profile-image flow', () => {
  it('uploads through a presigned PUT with fetch and reads it back with a presigned GET', async () => {
    const presignClient = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    await s3.send(new CreateBucketCommand({ Bucket: 'profiles' }));
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: 'profiles',
        CORSConfiguration: {
          CORSRules: [
            { AllowedMethods: ['PUT', 'GET'], AllowedOrigins: ['http://app.example'], AllowedHeaders: ['*'] },
          ],
        },
      }),
    );
    const key = 'users/12345/profile.jpg';
    const putUrl = await getSignedUrl(
      presignClient,
      new PutObjectCommand({ Bucket: 'profiles', Key: key, ContentType: 'image/jpeg' }),
      { expiresIn: 300 },
    );
    const pre = await fetch(putUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://app.example');
    const img = randomBytes(50_000);
    const up = await fetch(putUrl, {
      method: 'PUT',
      body: img,
      headers: { 'content-type': 'image/jpeg', origin: 'http://app.example' },
    });
    assert.equal(up.status, 200, await up.text());
    const getUrl = await getSignedUrl(presignClient, new GetObjectCommand({ Bucket: 'profiles', Key: key }), {
      expiresIn: 300,
    });
    const down = await fetch(getUrl);
    assert.equal(down.status, 200);
    assert.equal(down.headers.get('content-type'), 'image/jpeg');
    assert.ok(Buffer.from(await down.arrayBuffer()).equals(img));
    presignClient.destroy();
  });
});

describe('multipart with lib-storage', () => {
  it('uploads 100+ MB in parts and the download md5 matches', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'big' }));
    const size = 101 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    const md5 = createHash('md5');
    async function* gen(): AsyncGenerator<Buffer> {
      for (let i = 0; i < size / chunk.length; i++) {
        md5.update(chunk);
        yield chunk;
      }
    }
    const up = new Upload({
      client: s3,
      params: { Bucket: 'big', Key: 'blob.bin', Body: Readable.from(gen()) },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    });
    const r = await up.done();
    assert.match(r.ETag ?? '', /-13"$/);
    const want = md5.digest('hex');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'big', Key: 'blob.bin' }));
    const h = createHash('md5');
    let n = 0;
    for await (const c of got.Body as Readable) {
      h.update(c as Buffer);
      n += (c as Buffer).length;
    }
    assert.equal(n, size);
    assert.equal(h.digest('hex'), want);
  });
});
