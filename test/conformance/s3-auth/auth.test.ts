/**
 * Proves S3 authentication end to end over real sockets, with real signers: presigned GET/PUT
 * URLs from @aws-sdk/s3-request-presigner (tricky keys, expiry, tampering) used with fetch;
 * the SDK with a wrong secret or an unknown key in strict mode; AWS's exact error XML and a
 * bodiless HEAD error; `Expect: 100-continue` refused before the body is sent; an
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload (seed signed by @smithy/signature-v4, chunk chain per
 * the SigV4 streaming spec) accepted and, with one chunk signature broken, refused; boto3 and
 * s3cmd presigned URLs (SigV4 and SigV2 query auth).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/core/serde';
import { HttpRequest } from '@smithy/core/protocols';
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { s3Service, type S3Config } from '../../../src/s3/index.js';
import { EMPTY_SHA256_HEX, hmacHex, sha256Hex, signingKey } from '../../../src/s3/protocol/sigv4.js';
import { requireTool } from '../../helpers/tools.js';

const BUCKET = 'auth-bkt';
const KEYS = ['plain.txt', 'a=b+c d', 'sp ace/ünï©ødé/€', '//double//slash', '/leading', "q?x&y#z%25!*'()~"];

let svc: StandaloneService<S3Config>;
let strict: StandaloneService<S3Config>;
let url: string;
let s3: S3Client;

function client(
  endpoint: string,
  secretAccessKey = 'test',
  accessKeyId = 'test',
  whenRequired = false,
): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    // The documented setting for presigned PUTs: without it the SDK signs CRC32("") into the URL.
    ...(whenRequired ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
  });
}

/** Text of the first <name> element, with the character references XML allows decoded. */
function xmlField(xml: string, name: string): string | undefined {
  const raw = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
  return raw
    ?.replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

before(async () => {
  svc = await startStandalone(s3Service, { serveGateway: true });
  strict = await startStandalone(s3Service, { serveGateway: true, config: { strictAuth: true } });
  url = svc.gatewayUrl!;
  s3 = client(url);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  s3.destroy();
  await svc.close();
  await strict.close();
});

describe('presigned URLs (SigV4 query) with fetch', () => {
  it('PUT then GET through presigned URLs for keys with = + spaces unicode // and a leading /', async () => {
    const presigner = client(url, 'test', 'test', true);
    for (const key of KEYS) {
      const body = `body of ${key}`;
      const put = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 300,
      });
      assert.doesNotMatch(put, /x-amz-checksum-crc32/);
      const pr = await fetch(put, { method: 'PUT', body });
      assert.equal(pr.status, 200, `${key}: ${await pr.text()}`);
      const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 300,
      });
      const gr = await fetch(get);
      assert.equal(gr.status, 200, key);
      assert.equal(await gr.text(), body);
    }
    presigner.destroy();
  });

  // S3 checks the body against the CRC32 of the empty body that the default SDK signs into the URL.
  it('a default-SDK presigned PUT (x-amz-checksum-crc32=AAAAAA== in the URL) with a body is BadDigest', async () => {
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'crc-in-url' }), {
      expiresIn: 300,
    });
    assert.match(put, /x-amz-checksum-crc32=AAAAAA%3D%3D/);
    const r = await fetch(put, { method: 'PUT', body: 'not empty' });
    const xml = await r.text();
    assert.equal(r.status, 400, xml);
    assert.equal(xmlField(xml, 'Code'), 'BadDigest');
    const empty = await fetch(put, { method: 'PUT', body: '' });
    assert.equal(empty.status, 200);
  });

  it('an expired URL is AccessDenied "Request has expired" with AWS fields', async () => {
    const signed = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 60_000),
    });
    const r = await fetch(signed);
    const xml = await r.text();
    assert.equal(r.status, 403);
    assert.equal(xmlField(xml, 'Code'), 'AccessDenied');
    assert.equal(xmlField(xml, 'Message'), 'Request has expired');
    assert.equal(xmlField(xml, 'X-Amz-Expires'), '1');
    assert.ok(xmlField(xml, 'RequestId'));
    assert.equal(r.headers.get('x-amz-request-id'), xmlField(xml, 'RequestId'));
  });

  it('a tampered URL is SignatureDoesNotMatch; X-Amz-Expires over a week is refused', async () => {
    const signed = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' }), {
      expiresIn: 60,
    });
    const r1 = await fetch(signed.replace('plain.txt', 'plain.txT'));
    assert.equal(r1.status, 403);
    assert.equal(xmlField(await r1.text(), 'Code'), 'SignatureDoesNotMatch');
    const r2 = await fetch(signed.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801'));
    assert.equal(r2.status, 400);
    assert.equal(xmlField(await r2.text(), 'Code'), 'AuthorizationQueryParametersError');
  });
});

describe('header auth errors', () => {
  it('a wrong secret is SignatureDoesNotMatch with StringToSign and CanonicalRequest', async () => {
    const bad = client(url, 'wrong-secret');
    await assert.rejects(
      bad.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' })),
      (e: unknown) => {
        assert.ok(e instanceof S3ServiceException);
        assert.equal(e.name, 'SignatureDoesNotMatch');
        assert.equal(e.$metadata.httpStatusCode, 403);
        return true;
      },
    );
    bad.destroy();
    // the raw body carries the fields AWS sends, so people can diff their canonical request
    const r = await fetch(`${url}/${BUCKET}/plain.txt`, {
      headers: {
        'x-amz-date': new Date()
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, ''),
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        authorization: `AWS4-HMAC-SHA256 Credential=test/${new Date().toISOString().slice(0, 10).replace(/-/g, '')}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
    });
    const xml = await r.text();
    assert.equal(r.status, 403);
    assert.equal(xmlField(xml, 'Code'), 'SignatureDoesNotMatch');
    assert.equal(xmlField(xml, 'AWSAccessKeyId'), 'test');
    assert.match(xmlField(xml, 'CanonicalRequest') ?? '', new RegExp(`^GET\\n/${BUCKET}/plain.txt\\n`));
    assert.match(xmlField(xml, 'StringToSign') ?? '', /^AWS4-HMAC-SHA256\n/);
    assert.equal(xmlField(xml, 'SignatureProvided'), '0'.repeat(64));
  });

  it('HEAD errors have no body but keep the status and x-amz-request-id', async () => {
    const bad = client(url, 'wrong-secret');
    await assert.rejects(
      bad.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' })),
      (e: unknown) => {
        assert.ok(e instanceof S3ServiceException);
        assert.equal(e.$metadata.httpStatusCode, 403);
        return true;
      },
    );
    bad.destroy();
    const r = await fetch(`${url}/${BUCKET}/missing`, { method: 'HEAD' });
    assert.equal(r.status, 404);
    assert.ok(r.headers.get('x-amz-request-id'));
    assert.equal(await r.text(), '');
  });

  it('unknown keys: accepted unverified by default, InvalidAccessKeyId in strict mode; known keys always verified', async () => {
    const unknown = client(url, 'whatever', 'AKIDUNKNOWN');
    const r = await unknown.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' }));
    assert.equal(await r.Body!.transformToString(), 'body of plain.txt');
    unknown.destroy();
    const strictUnknown = client(strict.gatewayUrl!, 'whatever', 'AKIDUNKNOWN');
    await assert.rejects(
      strictUnknown.send(new CreateBucketCommand({ Bucket: 'strict-bkt' })),
      (e: unknown) => {
        assert.ok(e instanceof S3ServiceException);
        assert.equal(e.name, 'InvalidAccessKeyId');
        assert.equal(e.$metadata.httpStatusCode, 403);
        return true;
      },
    );
    strictUnknown.destroy();
    const strictKnown = client(strict.gatewayUrl!);
    await strictKnown.send(new CreateBucketCommand({ Bucket: 'strict-bkt' }));
    strictKnown.destroy();
  });
});

describe('Expect: 100-continue', () => {
  // The gateway routes 'checkContinue' to the S3 handler, which authenticates before answering 100.
  it('a request with a bad signature is refused before the body is sent', async () => {
    const u = new URL(url);
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const result = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({
        host: u.hostname,
        port: u.port,
        method: 'PUT',
        path: `/${BUCKET}/expect.bin`,
        headers: {
          expect: '100-continue',
          'content-length': '1048576',
          'x-amz-date': amzDate,
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          authorization: `AWS4-HMAC-SHA256 Credential=test/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'1'.repeat(64)}`,
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
      req.on('error', (e) => (continued ? resolve({ status: -1, continued }) : reject(e)));
      req.flushHeaders();
    });
    assert.equal(result.status, 403);
    assert.equal(result.continued, false);
  });
});

/** Signs the seed request with the smithy signer, then chains chunk signatures (SigV4 streaming). */
async function streamingUpload(
  key: string,
  data: Buffer,
  chunkSize: number,
  breakChunk?: number,
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const date = new Date();
  const chunks: Buffer[] = [];
  for (let o = 0; o < data.length; o += chunkSize) chunks.push(data.subarray(o, o + chunkSize));
  const framedLength = [...chunks, Buffer.alloc(0)].reduce(
    (n, c) => n + c.length.toString(16).length + ';chunk-signature='.length + 64 + 4 + c.length,
    0,
  );
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'PUT',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: `/${BUCKET}/${key}`,
      headers: {
        host: u.host,
        'content-encoding': 'aws-chunked',
        'content-length': String(framedLength),
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': String(data.length),
      },
    }),
    { signingDate: date },
  );
  const auth = String(signed.headers.authorization ?? signed.headers.Authorization);
  const amzDate = String(signed.headers['x-amz-date']);
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const keyBytes = signingKey('test', amzDate.slice(0, 8), 'us-east-1', 's3');
  let prev = /Signature=([0-9a-f]{64})/.exec(auth)![1]!;
  const framed: Buffer[] = [];
  [...chunks, Buffer.alloc(0)].forEach((c, i) => {
    prev = hmacHex(
      keyBytes,
      `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${EMPTY_SHA256_HEX}\n${sha256Hex(c)}`,
    );
    const sig = i === breakChunk ? prev.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a')) : prev;
    framed.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${sig}\r\n`), c, Buffer.from('\r\n'));
  });
  const body = Buffer.concat(framed);
  assert.equal(body.length, framedLength);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: 'PUT',
        path: signed.path,
        headers: signed.headers as Record<string, string>,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', () => {
  const data = Buffer.from(Array.from({ length: 3 * 65536 + 1000 }, (_, i) => (i * 13) & 0xff));

  it('a correctly chained upload is stored byte-exact', async () => {
    const r = await streamingUpload('streamed.bin', data, 65536);
    assert.equal(r.status, 200, r.body);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), data);
  });

  it('one broken chunk signature is SignatureDoesNotMatch and stores nothing', async () => {
    const r = await streamingUpload('broken.bin', data, 65536, 1);
    assert.equal(r.status, 403, r.body);
    assert.equal(xmlField(r.body, 'Code'), 'SignatureDoesNotMatch');
    await assert.rejects(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'broken.bin' })),
      (e: unknown) => e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404,
    );
  });
});

/**
 * Runs a tool without blocking the event loop: the server under test lives in this process, and
 * a loop blocked past its keep-alive timeout makes the next pooled fetch race a closing socket.
 */
function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('other signers', () => {
  it('boto3 presigned GET (SigV4 query) works with fetch', async (t) => {
    if (!requireTool(t, 'python3')) return;
    const script = `
import boto3, sys
from botocore.config import Config
c = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='test', aws_secret_access_key='test', region_name='us-east-1', config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
for key in sys.argv[3:]:
    print(c.generate_presigned_url('get_object', Params={'Bucket': sys.argv[2], 'Key': key}, ExpiresIn=300))
`;
    const r = await run('python3', ['-c', script, url, BUCKET, ...KEYS]);
    if (r.code !== 0 && /No module named 'boto3'/.test(r.stderr)) {
      t.skip('boto3 is not installed (apt-get install python3-boto3)');
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    const urls = r.stdout.trim().split('\n');
    assert.equal(urls.length, KEYS.length);
    for (const [i, key] of KEYS.entries()) {
      const res = await fetch(urls[i]!);
      assert.equal(res.status, 200, `${key}: ${urls[i]}`);
      assert.equal(await res.text(), `body of ${key}`);
    }
  });

  it('s3cmd signurl (SigV2 query) works with fetch', async (t) => {
    const s3cmd = requireTool(t, 's3cmd');
    if (!s3cmd) return;
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-s3-auth-'));
    try {
      const host = new URL(url).host;
      const cfg = join(dir, 's3cfg');
      writeFileSync(
        cfg,
        `[default]\naccess_key = test\nsecret_key = test\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nsignature_v2 = True\n`,
      );
      for (const key of ['plain.txt', 'a=b+c d']) {
        const expiry = String(Math.floor(Date.now() / 1000) + 300);
        const r = await run(s3cmd, ['-c', cfg, 'signurl', `s3://${BUCKET}/${key}`, expiry]);
        assert.equal(r.code, 0, r.stderr);
        const signed = r.stdout.trim();
        assert.match(signed, /Signature=/);
        const res = await fetch(signed);
        assert.equal(res.status, 200, `${key}: ${signed} ${await res.clone().text()}`);
        assert.equal(await res.text(), `body of ${key}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A browser-style presigned POST form: policy signed with @smithy/signature-v4 (SigV4 POST). */
async function postForm(conditions: unknown[], fields: [string, string][], file: Buffer): Promise<Response> {
  const now = new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const credential = `test/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(now.getTime() + 300_000).toISOString(),
      conditions: [
        ...conditions,
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': credential },
        { 'x-amz-date': amzDate },
      ],
    }),
  ).toString('base64');
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signature = await signer.sign(policy, { signingDate: now });
  const fd = new FormData();
  for (const [k, v] of [
    ...fields,
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', credential],
    ['X-Amz-Date', amzDate],
    ['Policy', policy],
    ['X-Amz-Signature', signature],
  ] as [string, string][])
    fd.append(k, v);
  fd.append('file', new Blob([file], { type: 'image/jpeg' }), 'profile.jpg');
  return fetch(`${url}/${BUCKET}`, { method: 'POST', body: fd });
}

describe('presigned POST (browser form upload)', () => {
  const image = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff));
  const conditions = [
    { bucket: BUCKET },
    ['starts-with', '$key', 'users/12345/'],
    ['starts-with', '$Content-Type', 'image/'],
    ['content-length-range', 1, 100_000],
  ];

  it('a signed form upload is stored under ${filename} and readable', async () => {
    const r = await postForm(
      conditions,
      [
        ['key', 'users/12345/${filename}'],
        ['Content-Type', 'image/jpeg'],
      ],
      image,
    );
    assert.ok(r.status === 204 || r.status === 200 || r.status === 201, `${r.status} ${await r.text()}`);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'users/12345/profile.jpg' }));
    assert.equal(got.ContentType, 'image/jpeg');
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), image);
  });

  it('a key outside the policy, or a file over content-length-range, is refused', async () => {
    const r1 = await postForm(
      conditions,
      [
        ['key', 'users/99999/x.jpg'],
        ['Content-Type', 'image/jpeg'],
      ],
      image,
    );
    const x1 = await r1.text();
    assert.equal(r1.status, 403, x1);
    assert.equal(xmlField(x1, 'Code'), 'AccessDenied');
    assert.match(xmlField(x1, 'Message') ?? '', /Invalid according to Policy: Policy Condition failed/);
    const r2 = await postForm(
      conditions,
      [
        ['key', 'users/12345/big.jpg'],
        ['Content-Type', 'image/jpeg'],
      ],
      Buffer.alloc(100_001),
    );
    const x2 = await r2.text();
    assert.equal(r2.status, 400, x2);
    assert.equal(xmlField(x2, 'Code'), 'EntityTooLarge');
    await assert.rejects(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'users/12345/big.jpg' })),
      (e: unknown) => e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404,
    );
  });
});
