/**
 * Proves presigned POST handling: forms encoded by undici's FormData (what fetch and browsers
 * send) stream through the multipart reader byte-exact under any chunking; policies signed by
 * @smithy/signature-v4 verify; conditions, expiry and extra fields fail with AWS's messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/core/serde';
import { staticCredentials } from './auth.js';
import { S3Error } from './errors.js';
import { readPostForm, scanMultipart, POST_PRE_DATA_BYTES_MAX } from './form-data.js';
import { checkPostContentLength, verifyPostPolicy } from './post-policy.js';
import { toAmzDate } from './sigv4.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const creds = staticCredentials({ test: 'test' }, { strict: false, nowMs: NOW });

async function encodeForm(
  fields: [string, string][],
  file: Buffer,
  filename = 'photo.jpg',
): Promise<{ body: Buffer; contentType: string }> {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  fd.append('file', new Blob([file], { type: 'image/jpeg' }), filename);
  const req = new Request('http://localhost/b', { method: 'POST', body: fd });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}

async function* chunks(body: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let last = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    yield body.subarray(last, c);
    last = c;
  }
  yield body.subarray(last);
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

async function signedFields(
  conditions: unknown[],
  key = 'uploads/${filename}',
  expiration = new Date(NOW + 60_000).toISOString(),
): Promise<[string, string][]> {
  const date = toAmzDate(NOW);
  const credential = `test/${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration,
      conditions: [
        ...conditions,
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': credential },
        { 'x-amz-date': date },
      ],
    }),
  ).toString('base64');
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signature = await signer.sign(policy, { signingDate: new Date(NOW) });
  return [
    ['key', key],
    ['Content-Type', 'image/jpeg'],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', credential],
    ['X-Amz-Date', date],
    ['Policy', policy],
    ['X-Amz-Signature', signature],
  ];
}

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof S3Error) return `${e.code}: ${e.message}`;
    throw e;
  }
}

test('a fetch-encoded form streams byte-exact under arbitrary chunking', async () => {
  const file = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7) & 0xff));
  const { body, contentType } = await encodeForm(
    [
      ['key', 'a/${filename}'],
      ['x-amz-meta-who', 'me\r\n--not-a-boundary'],
    ],
    file,
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(body.length), { maxLength: 10 }), async (cuts) => {
      const form = await readPostForm(chunks(body, cuts), contentType);
      assert.equal(form.fields.get('key'), 'a/${filename}');
      assert.equal(form.fields.get('x-amz-meta-who'), 'me\r\n--not-a-boundary');
      assert.equal(form.file.filename, 'photo.jpg');
      assert.equal(form.file.contentType, 'image/jpeg');
      assert.deepEqual(await collect(form.file.data), file);
    }),
    { numRuns: 80 },
  );
});

test('SigV4 POST policy verifies; conditions, expiry, extra fields and tampering are refused', async () => {
  const conditions = [
    { bucket: 'photos' },
    ['starts-with', '$key', 'uploads/'],
    ['starts-with', '$Content-Type', 'image/'],
    ['content-length-range', 1, 1000],
  ];
  const fields = new Map((await signedFields(conditions)).map(([k, v]) => [k.toLowerCase(), v]));
  const r = verifyPostPolicy(fields, 'cat.jpg', 'photos', creds);
  assert.deepEqual(r, {
    scheme: 'sigv4-post',
    accessKeyId: 'test',
    verified: true,
    key: 'uploads/cat.jpg',
    contentLengthRange: { min: 1, max: 1000 },
  });
  assert.equal(
    code(() => checkPostContentLength(r, 1000)),
    'ok',
  );
  assert.match(
    code(() => checkPostContentLength(r, 1001)),
    /^EntityTooLarge/,
  );
  assert.match(
    code(() => checkPostContentLength(r, 0)),
    /^EntityTooSmall/,
  );
  assert.equal(
    code(() => verifyPostPolicy(fields, 'x', 'other', creds)),
    'AccessDenied: Invalid according to Policy: Policy Condition failed: {"bucket":"photos"}',
  );
  assert.match(
    code(() => verifyPostPolicy(new Map([...fields, ['key', 'elsewhere/x']]), 'x', 'photos', creds)),
    /Policy Condition failed: \["starts-with", "\$key", "uploads\/"\]/,
  );
  assert.match(
    code(() => verifyPostPolicy(new Map([...fields, ['x-amz-meta-extra', '1']]), 'x', 'photos', creds)),
    /Extra input fields: x-amz-meta-extra/,
  );
  assert.equal(
    code(() => verifyPostPolicy(new Map([...fields, ['x-ignore-me', '1']]), 'x', 'photos', creds)),
    'ok',
  );
  assert.match(
    code(() =>
      verifyPostPolicy(
        fields,
        'x',
        'photos',
        staticCredentials({ test: 'test' }, { strict: false, nowMs: NOW + 61_000 }),
      ),
    ),
    /Policy expired/,
  );
  assert.match(
    code(() =>
      verifyPostPolicy(new Map([...fields, ['x-amz-signature', '0'.repeat(64)]]), 'x', 'photos', creds),
    ),
    /^SignatureDoesNotMatch/,
  );
  assert.match(
    code(() => verifyPostPolicy(new Map([...fields, ['policy', 'bm90IGpzb24=']]), 'x', 'photos', creds)),
    /^InvalidPolicyDocument/,
  );
  const noKey = new Map(fields);
  noKey.delete('key');
  assert.match(
    code(() => verifyPostPolicy(noKey, 'x', 'photos', creds)),
    /^InvalidArgument/,
  );
  assert.equal(verifyPostPolicy(new Map([['key', 'k']]), 'f', 'photos', creds).scheme, 'anonymous');
});

test('SigV2 POST signature', () => {
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(NOW + 60_000).toISOString(),
      conditions: [{ bucket: 'b' }, ['eq', '$key', 'k']],
    }),
  ).toString('base64');
  const signature = createHmac('sha1', 'test').update(policy).digest('base64');
  const fields = new Map([
    ['key', 'k'],
    ['awsaccesskeyid', 'test'],
    ['policy', policy],
    ['signature', signature],
  ]);
  assert.equal(verifyPostPolicy(fields, 'f', 'b', creds).verified, true);
  assert.match(
    code(() =>
      verifyPostPolicy(new Map([...fields, ['signature', 'x' + signature.slice(1)]]), 'f', 'b', creds),
    ),
    /^SignatureDoesNotMatch/,
  );
});

test('form limits and errors', async () => {
  const file = Buffer.from('x');
  const big = await encodeForm([['x-amz-meta-a', 'v'.repeat(POST_PRE_DATA_BYTES_MAX + 1)]], file);
  await assert.rejects(
    readPostForm(chunks(big.body, []), big.contentType),
    (e: unknown) => e instanceof S3Error && e.code === 'MaxPostPreDataLengthExceededError',
  );
  const ok = await encodeForm([['x-amz-meta-a', 'v'.repeat(POST_PRE_DATA_BYTES_MAX)]], file);
  const form = await readPostForm(chunks(ok.body, []), ok.contentType);
  assert.deepEqual(await collect(form.file.data), file);
  await assert.rejects(
    readPostForm(chunks(Buffer.from('x'), []), 'text/plain'),
    (e: unknown) => e instanceof S3Error && e.code === 'RequestIsNotMultiPartContent',
  );
  const noFile = Buffer.from('--B\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--B--\r\n');
  await assert.rejects(
    readPostForm(chunks(noFile, []), 'multipart/form-data; boundary=B'),
    (e: unknown) => e instanceof S3Error && e.code === 'IncorrectNumberOfFilesInPostRequest',
  );
  const truncated = ok.body.subarray(0, ok.body.length - 10);
  const f2 = await readPostForm(chunks(truncated, []), ok.contentType);
  await assert.rejects(
    collect(f2.file.data),
    (e: unknown) => e instanceof S3Error && e.code === 'MalformedPOSTRequest',
  );
});

test('fuzz: the multipart scanner only fails with S3Errors', async () => {
  const pieces = fc.constantFrom(
    '--B',
    '\r\n',
    '--',
    'Content-Disposition: form-data; name="a"',
    'filename="f"',
    'x',
    ':',
    '\r\n\r\n',
    '--B--',
  );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.array(pieces, { maxLength: 30 }).map((a) => Buffer.from(a.join(''))),
        fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
      ),
      fc.array(fc.nat(200), { maxLength: 4 }),
      async (body, cuts) => {
        try {
          for await (const ev of scanMultipart(
            chunks(
              body,
              cuts.filter((c) => c <= body.length),
            ),
            'B',
          ))
            assert.ok(ev.type);
        } catch (e) {
          if (!(e instanceof S3Error)) throw e;
        }
      },
    ),
    { numRuns: 1500 },
  );
});
