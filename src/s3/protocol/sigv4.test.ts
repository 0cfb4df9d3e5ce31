/**
 * Proves our SigV4/SigV2 verification accepts exactly what the real AWS SDK signs (header auth,
 * presigned URLs, tricky keys and queries) and rejects tampering, expiry and skew with AWS's codes.
 * Requests are produced by @aws-sdk/client-s3 and captured before they leave the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  CreateMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { HttpResponse, buildQueryString } from '@smithy/core/protocols';
import { authenticate, staticCredentials, PayloadSha256Verifier } from './auth.js';
import { parseS3Address } from './addressing.js';
import { S3Error } from './errors.js';
import { canonicalQuery, canonicalUri, EMPTY_SHA256_HEX, parseAmzDate, type AuthRequest } from './sigv4.js';

interface Captured {
  method: string;
  host: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

function client(forcePathStyle: boolean, sink: Captured[]): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: 'http://localhost:4566',
    forcePathStyle,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: {
      handle: async (req: {
        method: string;
        hostname: string;
        port?: number;
        path: string;
        query: Record<string, string | string[] | null>;
        headers: Record<string, string>;
        body: unknown;
      }) => {
        const qs = buildQueryString(req.query as Record<string, string>);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
        sink.push({
          method: req.method,
          host: `${req.hostname}:${req.port}`,
          url: req.path + (qs ? `?${qs}` : ''),
          headers,
          body: req.body,
        });
        return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([]) }) };
      },
    } as never,
  });
}

function toAuthRequest(c: Captured): AuthRequest {
  const addr = parseS3Address(c.host, c.url);
  const headers: Record<string, string> = { ...c.headers, host: c.host };
  return {
    method: c.method,
    rawPath: addr.rawPath,
    rawQuery: addr.rawQuery,
    headers,
    ...(addr.style === 'virtual' ? { virtualHostBucket: addr.bucket! } : {}),
  };
}

const NOW = Date.now();
const EMPTY = EMPTY_SHA256_HEX;
/** The signing time embedded in a presigned URL (the SDK reads the clock itself). */
const signedAt = (url: URL): number => parseAmzDate(url.searchParams.get('X-Amz-Date')!)!;
const creds = (over: Partial<{ strict: boolean; nowMs: number; secret: string }> = {}) =>
  staticCredentials(
    { test: over.secret ?? 'test' },
    { strict: over.strict ?? false, nowMs: over.nowMs ?? NOW },
  );

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
}

const TRICKY_KEYS = [
  'plain.txt',
  'a=b+c d',
  'sp ace/ünï©ødé/€',
  '//double//slash',
  '/leading',
  "q?x&y#z%25!*'()~",
  'users/12345/profile.jpg',
  'tab\tnew\nline',
];

test('SDK-signed header requests verify for tricky keys, both addressing styles', async () => {
  for (const pathStyle of [true, false]) {
    const sink: Captured[] = [];
    const s3 = client(pathStyle, sink);
    for (const key of TRICKY_KEYS) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'bucket',
          Key: key,
          Body: 'hello',
          ContentType: 'text/plain',
          Metadata: { 'x-y': ' spaced   value ' },
        }),
      );
      await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: key, Range: 'bytes=0-1' }));
    }
    await s3.send(
      new ListObjectsV2Command({ Bucket: 'bucket', Prefix: 'a b+c=d&/€', StartAfter: '', MaxKeys: 5 }),
    );
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bucket', Key: 'k' }));
    s3.destroy();
    for (const c of sink) {
      const req = toAuthRequest(c);
      if (req.rawPath !== '/' && !pathStyle) assert.equal(parseS3Address(c.host, c.url).style, 'virtual');
      const r = authenticate(req, creds());
      assert.equal(r.verified, true, c.url);
      assert.equal(r.scheme, 'sigv4-header');
      assert.equal(r.accessKeyId, 'test');
      // tampering with the path, a signed header or the secret is detected
      assert.equal(
        codeOf(() => authenticate({ ...req, rawPath: req.rawPath + 'x' }, creds())),
        'SignatureDoesNotMatch',
      );
      assert.equal(
        codeOf(() =>
          authenticate(
            {
              ...req,
              headers: {
                ...req.headers,
                'x-amz-date': (req.headers['x-amz-date'] as string).replace(/\d(?=Z$)/, (d) =>
                  String((+d + 1) % 10),
                ),
              },
            },
            creds(),
          ),
        ),
        'SignatureDoesNotMatch',
      );
      assert.equal(
        codeOf(() => authenticate(req, creds({ secret: 'other' }))),
        'SignatureDoesNotMatch',
      );
    }
  }
});

test('payload modes: hex hash verified through the hook, unsigned accepted', async () => {
  const sink: Captured[] = [];
  const s3 = client(true, sink);
  await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'hello' }));
  s3.destroy();
  const r = authenticate(toAuthRequest(sink[0]!), creds());
  // The SDK signs the body hash for small in-memory bodies, or UNSIGNED-PAYLOAD over TLS only.
  assert.equal(r.payload.kind, 'sha256');
  if (r.payload.kind !== 'sha256') return;
  const ok = new PayloadSha256Verifier(r.payload.expectedHex);
  ok.update(Buffer.from('hel'));
  ok.update(Buffer.from('lo'));
  ok.finish();
  const bad = new PayloadSha256Verifier(r.payload.expectedHex);
  bad.update(Buffer.from('hellO'));
  assert.equal(
    codeOf(() => bad.finish()),
    'XAmzContentSHA256Mismatch',
  );
});

test('clock skew, unknown keys, strict mode, missing content hash', async () => {
  const sink: Captured[] = [];
  const s3 = client(true, sink);
  await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
  s3.destroy();
  const req = toAuthRequest(sink[0]!);
  assert.equal(
    codeOf(() => authenticate(req, creds({ nowMs: NOW + 16 * 60_000 }))),
    'RequestTimeTooSkewed',
  );
  assert.equal(
    codeOf(() => authenticate(req, creds({ nowMs: NOW + 14 * 60_000 }))),
    'ok',
  );
  const unknown = staticCredentials({ other: 'x' }, { strict: false, nowMs: NOW });
  assert.equal(authenticate(req, unknown).verified, false);
  assert.equal(
    codeOf(() => authenticate(req, staticCredentials({ other: 'x' }, { strict: true, nowMs: NOW }))),
    'InvalidAccessKeyId',
  );
  const noHash = { ...req, headers: { ...req.headers } };
  delete (noHash.headers as Record<string, string>)['x-amz-content-sha256'];
  assert.equal(
    codeOf(() => authenticate(noHash, creds())),
    'InvalidRequest',
  );
  assert.equal(
    codeOf(() =>
      authenticate({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'nope' } }, creds()),
    ),
    'InvalidArgument',
  );
  assert.equal(
    codeOf(() =>
      authenticate(
        { ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } },
        creds(),
      ),
    ),
    'AuthorizationHeaderMalformed',
  );
  assert.equal(
    codeOf(() => authenticate({ ...req, rawQuery: 'X-Amz-Signature=1' }, creds())),
    'InvalidArgument',
  );
  const anon = authenticate(
    { method: 'GET', rawPath: '/b/k', rawQuery: '', headers: { host: 'x' } },
    creds(),
  );
  assert.deepEqual(anon, { scheme: 'anonymous', verified: false, payload: { kind: 'unsigned' } });
});

test('SignatureDoesNotMatch carries the canonical request and string to sign', async () => {
  const sink: Captured[] = [];
  const s3 = client(true, sink);
  await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
  s3.destroy();
  try {
    authenticate(toAuthRequest(sink[0]!), creds({ secret: 'wrong' }));
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof S3Error);
    assert.match(
      String(e.fields.CanonicalRequest),
      /^GET\n\/b\/k\nx-id=GetObject\n.*\nhost:localhost:4566\n/s,
    );
    assert.match(
      String(e.fields.StringToSign),
      /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/,
    );
    assert.equal(e.fields.AWSAccessKeyId, 'test');
  }
});

test('presigned GET and PUT URLs verify, expire, and cap X-Amz-Expires', async () => {
  const virtual = client(false, []);
  for (const key of TRICKY_KEYS) {
    const url = new URL(
      await getSignedUrl(virtual, new GetObjectCommand({ Bucket: 'bucket', Key: key }), { expiresIn: 60 }),
    );
    assert.equal(url.host, 'bucket.localhost:4566');
    const req: AuthRequest = {
      method: 'GET',
      rawPath: url.pathname,
      rawQuery: url.search.slice(1),
      headers: { host: url.host },
    };
    assert.equal(authenticate(req, creds()).verified, true, key);
  }
  virtual.destroy();
  const s3 = client(true, []);
  for (const key of TRICKY_KEYS) {
    for (const cmd of [
      new GetObjectCommand({
        Bucket: 'bucket',
        Key: key,
        ResponseContentDisposition: 'attachment; filename="a b.txt"',
      }),
      new PutObjectCommand({ Bucket: 'bucket', Key: key }),
    ]) {
      const url = new URL(await getSignedUrl(s3, cmd, { expiresIn: 60 }));
      const req: AuthRequest = {
        method: cmd instanceof GetObjectCommand ? 'GET' : 'PUT',
        rawPath: url.pathname,
        rawQuery: url.search.slice(1),
        headers: { host: url.host },
      };
      const r = authenticate(req, creds());
      assert.equal(r.scheme, 'sigv4-query');
      assert.equal(r.verified, true, `${key} ${url.search}`);
      assert.equal(
        codeOf(() => authenticate(req, creds({ nowMs: signedAt(url) + 60_001 }))),
        'AccessDenied',
      );
      assert.equal(
        codeOf(() =>
          authenticate(
            { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=60', 'X-Amz-Expires=61') },
            creds(),
          ),
        ),
        'SignatureDoesNotMatch',
      );
      assert.equal(
        codeOf(() =>
          authenticate(
            { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801') },
            creds(),
          ),
        ),
        'AuthorizationQueryParametersError',
      );
    }
  }
  s3.destroy();
  try {
    const url = new URL(
      await getSignedUrl(client(true, []), new GetObjectCommand({ Bucket: 'b', Key: 'k' }), {
        expiresIn: 10,
      }),
    );
    authenticate(
      { method: 'GET', rawPath: url.pathname, rawQuery: url.search.slice(1), headers: { host: url.host } },
      creds({ nowMs: signedAt(url) + 10_001 }),
    );
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof S3Error);
    assert.equal(e.message, 'Request has expired');
    assert.equal(e.fields['X-Amz-Expires'], 10);
  }
});

test('canonical URI and query follow the SigV4 rules', () => {
  assert.equal(canonicalUri('/b/a%20b+c%2Fd~%7e!'), '/b/a%20b%2Bc/d~~%21');
  assert.equal(canonicalUri('/b//x/./y'), '/b//x/./y');
  assert.equal(canonicalQuery('b=2&a=&c&a=1&X-Amz-Signature=s', 'X-Amz-Signature'), 'a=&a=1&b=2&c=');
  assert.equal(canonicalQuery('p=a%2Bb%20c'), 'p=a%2Bb%20c');
});

test('SigV2 header and query signatures (s3cmd style)', () => {
  const sign = (sts: string): string => createHmac('sha1', 'test').update(sts).digest('base64');
  const date = new Date(NOW).toUTCString();
  const sts = `PUT\n\ntext/plain\n${date}\nx-amz-meta-a:1\n/bucket/my%20key?uploadId=u1`;
  const req: AuthRequest = {
    method: 'PUT',
    rawPath: '/bucket/my%20key',
    rawQuery: 'uploadId=u1&ignored=1',
    headers: {
      host: 'localhost',
      date,
      'content-type': 'text/plain',
      'x-amz-meta-a': '1',
      authorization: `AWS test:${sign(sts)}`,
    },
  };
  assert.equal(authenticate(req, creds()).verified, true);
  assert.equal(
    codeOf(() => authenticate({ ...req, headers: { ...req.headers, 'x-amz-meta-a': '2' } }, creds())),
    'SignatureDoesNotMatch',
  );
  // virtual-hosted: the bucket is prefixed to the resource
  const vreq: AuthRequest = {
    ...req,
    rawPath: '/my%20key',
    virtualHostBucket: 'bucket',
    headers: { ...req.headers, host: 'bucket.localhost' },
  };
  assert.equal(authenticate(vreq, creds()).verified, true);
  const expires = String(Math.floor(NOW / 1000) + 60);
  const qsts = `GET\n\n\n${expires}\n/bucket/k`;
  const qreq: AuthRequest = {
    method: 'GET',
    rawPath: '/bucket/k',
    rawQuery: `AWSAccessKeyId=test&Expires=${expires}&Signature=${encodeURIComponent(sign(qsts))}`,
    headers: { host: 'localhost' },
  };
  assert.equal(authenticate(qreq, creds()).scheme, 'sigv2-query');
  assert.equal(authenticate(qreq, creds()).verified, true);
  assert.equal(
    codeOf(() => authenticate(qreq, creds({ nowMs: NOW + 120_000 }))),
    'AccessDenied',
  );
});

// Known-answer tests: the examples of AWS's "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk" and "Query String Authentication" S3 pages.
const DOC = staticCredentials(
  { AKIAIOSFODNN7EXAMPLE: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  { strict: true, nowMs: Date.UTC(2013, 4, 24) },
);
const DOC_CRED = 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';

test('AWS documentation examples verify (GET with Range, PUT with $ in the key, ?lifecycle, ?max-keys&prefix)', () => {
  const base = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-date': '20130524T000000Z' };
  const cases: [string, string, string, Record<string, string>, string, string][] = [
    [
      'GET',
      '/test.txt',
      '',
      { range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY },
      'host;range;x-amz-content-sha256;x-amz-date',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    ],
    [
      'PUT',
      '/test$file.text',
      '',
      {
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
      },
      'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
      '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    ],
    [
      'GET',
      '/',
      'lifecycle',
      { 'x-amz-content-sha256': EMPTY },
      'host;x-amz-content-sha256;x-amz-date',
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    ],
    [
      'GET',
      '/',
      'max-keys=2&prefix=J',
      { 'x-amz-content-sha256': EMPTY },
      'host;x-amz-content-sha256;x-amz-date',
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    ],
  ];
  for (const [method, rawPath, rawQuery, extra, signed, sig] of cases) {
    const headers = {
      ...base,
      ...extra,
      authorization: `AWS4-HMAC-SHA256 Credential=${DOC_CRED},SignedHeaders=${signed},Signature=${sig}`,
    };
    const r = authenticate({ method, rawPath, rawQuery, headers }, DOC);
    assert.equal(r.verified, true, `${method} ${rawPath}?${rawQuery}`);
  }
});

test('AWS documentation presigned URL example verifies', () => {
  const rawQuery =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const r = authenticate(
    { method: 'GET', rawPath: '/test.txt', rawQuery, headers: { host: 'examplebucket.s3.amazonaws.com' } },
    DOC,
  );
  assert.equal(r.verified, true);
  assert.equal(r.scheme, 'sigv4-query');
});

test('incomplete presigned parameters are AuthorizationQueryParametersError, not anonymous', () => {
  const q = 'X-Amz-Credential=test%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z';
  assert.equal(
    codeOf(() =>
      authenticate({ method: 'GET', rawPath: '/b/k', rawQuery: q, headers: { host: 'h' } }, creds()),
    ),
    'AuthorizationQueryParametersError',
  );
});
