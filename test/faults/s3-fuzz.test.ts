/**
 * Hostile requests against the whole S3 request path (addressing, auth, sub-resource dispatch,
 * header parsers, XML bodies, aws-chunked framing, form uploads): random methods, paths, query
 * sub-resources, headers and bodies never produce an internal error (500) and never take the
 * server down. Every reply is a protocol answer with a request ID.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { startStandalone, type StandaloneService } from '../../src/platform/testing.js';
import { s3Service, type S3Config } from '../../src/s3/index.js';

let svc: StandaloneService<S3Config>;
let port: number;

before(async () => {
  svc = await startStandalone(s3Service, { serveGateway: true });
  port = Number(new URL(svc.gatewayUrl!).port);
  for (const b of ['fuzz', 'fuzz-v']) await send('PUT', `/${b}`, {}, Buffer.alloc(0));
  await send('PUT', '/fuzz/obj', {}, Buffer.from('hello world'));
  await send(
    'PUT',
    '/fuzz-v?versioning',
    {},
    Buffer.from('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>'),
  );
});

after(async () => {
  await svc.close();
});

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; requestId: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            requestId: res.headers['x-amz-request-id'] as string | undefined,
            text: Buffer.concat(parts).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const SUBRESOURCES = [
  '',
  'uploads',
  'uploadId=x',
  'partNumber=1&uploadId=x',
  'tagging',
  'versioning',
  'cors',
  'policy',
  'lifecycle',
  'website',
  'acl',
  'delete',
  'versions',
  'list-type=2',
  'location',
  'versionId=null',
  'max-keys=-1',
  'encoding-type=zip',
  'continuation-token=%%',
  'partNumber=99999',
  'X-Amz-Credential=a',
  'response-content-type=x',
];
const HEADER_ARB = fc.dictionary(
  fc.constantFrom(
    'range',
    'if-match',
    'if-none-match',
    'if-modified-since',
    'x-amz-content-sha256',
    'content-encoding',
    'x-amz-decoded-content-length',
    'x-amz-trailer',
    'x-amz-copy-source',
    'x-amz-copy-source-range',
    'x-amz-checksum-crc32',
    'x-amz-checksum-algorithm',
    'content-md5',
    'x-amz-tagging',
    'x-amz-storage-class',
    'x-amz-metadata-directive',
    'authorization',
    'content-type',
    'x-amz-meta-a',
  ),
  fc.oneof(
    fc.constantFrom(
      'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'aws-chunked',
      'bytes=0-3',
      'bytes=-1',
      '*',
      'fuzz/obj',
      '/fuzz/obj?versionId=zz',
      'x-amz-checksum-crc32',
      'CRC32',
      'multipart/form-data; boundary=b',
      'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
      'AWS test:abc',
      'GLACIER',
      'REPLACE',
      '12',
    ),
    fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  ),
  { maxKeys: 5 },
);
const BODY_ARB = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc
    .constantFrom(
      '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
      'zz\r\n',
      '<Delete><Object><Key>a</Key></Object></Delete>',
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>',
      '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>',
      '--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--b--\r\n',
      '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>',
      '{"not":"policy"',
    )
    .map((s) => Buffer.from(s)),
);

it('random requests never cause an internal error', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS'),
      fc.constantFrom(
        '/',
        '/fuzz',
        '/fuzz/obj',
        '/fuzz-v/k',
        '/fuzz//x',
        '/nobucket/k',
        '/fuzz/%E2%82',
        '/fuzz/a%2Fb',
        '/UPPER/x',
        '/fuzz/' + 'k'.repeat(1100),
      ),
      fc.constantFrom(...SUBRESOURCES),
      HEADER_ARB,
      BODY_ARB,
      async (method, path, sub, headers, body) => {
        const r = await send(
          method,
          sub ? `${path}?${sub}` : path,
          headers,
          method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : body,
        );
        assert.ok(r.status >= 100 && r.status < 600);
        assert.notEqual(r.status, 500, `${method} ${path}?${sub} ${JSON.stringify(headers)} → ${r.text}`);
        assert.ok(r.requestId, 'x-amz-request-id on every reply');
      },
    ),
    { numRuns: 400 },
  );
  // Still serving after the barrage (the fuzz may have deleted anything in its own buckets).
  assert.equal((await send('PUT', '/after-fuzz', {}, Buffer.alloc(0))).status, 200);
  assert.equal((await send('PUT', '/after-fuzz/k', {}, Buffer.from('ok'))).status, 200);
  const r = await send('GET', '/after-fuzz/k', {}, Buffer.alloc(0));
  assert.equal(r.text, 'ok');
});
