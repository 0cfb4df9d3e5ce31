/**
 * Proves the aws-chunked decoder: the AWS documentation's signed example (seed + chunk signatures)
 * verifies; the AWS SDK's own trailer encoder's output decodes byte-exact with its CRC32; any
 * split of the input decodes the same; tampering and truncation fail with S3 errors, never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { HttpResponse } from '@smithy/core/protocols';
import {
  AwsChunkedDecoder,
  CHUNK_HEADER_BYTES_MAX,
  awsChunkedOptions,
  decodeAwsChunked,
  storedContentEncoding,
  type AwsChunkedOptions,
} from './aws-chunked.js';
import { authenticate, staticCredentials } from './auth.js';
import { checksumBase64 } from './checksums.js';
import { S3Error } from './errors.js';
import { EMPTY_SHA256_HEX, hmacHex, sha256Hex, signingKey, type ChunkSigningContext } from './sigv4.js';

async function decode(
  parts: Buffer[],
  opts: AwsChunkedOptions,
): Promise<{ data: Buffer; dec: AwsChunkedDecoder }> {
  const dec = new AwsChunkedDecoder(opts);
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), dec, async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return { data: Buffer.concat(out), dec };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
}

// AWS documentation example "Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks" (66,560 bytes of 'a' in chunks of 64 KiB and 1 KiB).
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DOC_SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
function docBody(): Buffer {
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${DOC_SIGS[0]}\r\n`),
    Buffer.alloc(65536, 'a'),
    Buffer.from(`\r\n400;chunk-signature=${DOC_SIGS[1]}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from(`\r\n0;chunk-signature=${DOC_SIGS[2]}\r\n\r\n`),
  ]);
}

test('AWS documentation streaming example: seed signature and chunk chain verify', async () => {
  const nowMs = Date.UTC(2013, 4, 24);
  const headers = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
  };
  const r = authenticate(
    { method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', headers },
    staticCredentials({ AKIAIOSFODNN7EXAMPLE: DOC_SECRET }, { strict: true, nowMs }),
  );
  assert.equal(r.verified, true);
  assert.deepEqual(r.payload, { kind: 'aws-chunked', signed: true, trailer: false });
  assert.ok(r.chunkSigning);
  const body = docBody();
  assert.equal(body.length, 66824);
  const { data } = await decode([body], {
    signing: r.chunkSigning,
    trailer: false,
    decodedContentLength: 66560,
  });
  assert.deepEqual(data, Buffer.alloc(66560, 'a'));
  // one flipped data byte breaks its chunk's signature
  const bad = Buffer.from(body);
  bad[100] = 0x62;
  assert.equal(
    await codeOf(decode([bad], { signing: r.chunkSigning, trailer: false })),
    'SignatureDoesNotMatch',
  );
  assert.equal(
    await codeOf(decode([body], { signing: r.chunkSigning, trailer: false, decodedContentLength: 66561 })),
    'IncompleteBody',
  );
  assert.equal(
    await codeOf(decode([body.subarray(0, body.length - 2)], { signing: r.chunkSigning, trailer: false })),
    'ok',
  ); // missing final CRLF tolerated
  assert.equal(
    await codeOf(decode([body.subarray(0, 60000)], { signing: r.chunkSigning, trailer: false })),
    'IncompleteBody',
  );
});

test('the AWS SDK aws-chunked trailer upload (STREAMING-UNSIGNED-PAYLOAD-TRAILER) decodes byte-exact', async () => {
  const data = Buffer.alloc(200_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  let captured: { headers: Record<string, string>; body: unknown } | undefined;
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://localhost:4566',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: {
      handle: async (req: { headers: Record<string, string>; body: unknown }) => {
        captured = {
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v])),
          body: req.body,
        };
        const chunks: Buffer[] = [];
        for await (const c of req.body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(c));
        captured.body = Buffer.concat(chunks);
        return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([]) }) };
      },
    } as never,
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: 'b',
      Key: 'k',
      Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]),
      ContentLength: data.length,
    }),
  );
  s3.destroy();
  assert.ok(captured);
  assert.equal(captured.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  assert.equal(captured.headers['content-encoding'], 'aws-chunked');
  const trailerName = captured.headers['x-amz-trailer']!;
  const { data: out, dec } = await decode([captured.body as Buffer], {
    trailer: true,
    declaredTrailer: trailerName,
    decodedContentLength: Number(captured.headers['x-amz-decoded-content-length']),
  });
  assert.deepEqual(out, data);
  assert.equal(dec.checksum?.algorithm, 'CRC32');
  assert.equal(dec.checksum?.base64, checksumBase64('CRC32', data));
  assert.equal(dec.trailers.get(trailerName), checksumBase64('CRC32', data));
  // a wrong trailer checksum is BadDigest
  const wrong = Buffer.from(
    (captured.body as Buffer).toString('latin1').replace(/(x-amz-checksum-crc32:)[^\r]+/, '$1AAAAAA=='),
    'latin1',
  );
  assert.equal(await codeOf(decode([wrong], { trailer: true, declaredTrailer: trailerName })), 'BadDigest');
});

/** A signed-with-trailer encoder written from the SigV4 streaming specification. */
function encodeSignedTrailer(
  data: Buffer,
  chunkSize: number,
  ctx: ChunkSigningContext,
  trailer: [string, string],
): Buffer {
  const parts: Buffer[] = [];
  let prev = ctx.seedSignature;
  const sign = (hash: string): string => {
    prev = hmacHex(
      ctx.signingKey,
      `AWS4-HMAC-SHA256-PAYLOAD\n${ctx.amzDate}\n${ctx.scope}\n${prev}\n${EMPTY_SHA256_HEX}\n${hash}`,
    );
    return prev;
  };
  for (let o = 0; o < data.length; o += chunkSize) {
    const c = data.subarray(o, o + chunkSize);
    parts.push(
      Buffer.from(`${c.length.toString(16)};chunk-signature=${sign(sha256Hex(c))}\r\n`),
      c,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`0;chunk-signature=${sign(EMPTY_SHA256_HEX)}\r\n`));
  const line = `${trailer[0]}:${trailer[1]}\n`;
  const tsig = hmacHex(
    ctx.signingKey,
    `AWS4-HMAC-SHA256-TRAILER\n${ctx.amzDate}\n${ctx.scope}\n${prev}\n${sha256Hex(line)}`,
  );
  parts.push(Buffer.from(`${trailer[0]}:${trailer[1]}\r\nx-amz-trailer-signature:${tsig}\r\n\r\n`));
  return Buffer.concat(parts);
}

const CTX: ChunkSigningContext = {
  signingKey: signingKey('test', '20250101', 'us-east-1', 's3'),
  seedSignature: 'a'.repeat(64),
  amzDate: '20250101T000000Z',
  scope: '20250101/us-east-1/s3/aws4_request',
};

test('signed chunks with a signed trailer: verify, any input split, tampering detected', async () => {
  const data = Buffer.from(Array.from({ length: 30_000 }, (_, i) => i % 251));
  const crc = checksumBase64('CRC32C', data);
  const body = encodeSignedTrailer(data, 8192, CTX, ['x-amz-checksum-crc32c', crc]);
  const opts = {
    signing: CTX,
    trailer: true,
    declaredTrailer: 'x-amz-checksum-crc32c',
    decodedContentLength: data.length,
  };
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(body.length), { maxLength: 8 }), async (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const parts: Buffer[] = [];
      let last = 0;
      for (const p of points) {
        parts.push(body.subarray(last, p));
        last = p;
      }
      parts.push(body.subarray(last));
      const { data: out, dec } = await decode(parts, opts);
      assert.deepEqual(out, data);
      assert.equal(dec.checksum?.base64, crc);
    }),
    { numRuns: 60 },
  );
  const badTrailer = Buffer.from(
    body
      .toString('latin1')
      .replace(
        /x-amz-trailer-signature:(.)/,
        (_m, c: string) => `x-amz-trailer-signature:${c === 'a' ? 'b' : 'a'}`,
      ),
    'latin1',
  );
  assert.equal(await codeOf(decode([badTrailer], opts)), 'SignatureDoesNotMatch');
  const small = encodeSignedTrailer(data, 4096, CTX, ['x-amz-checksum-crc32c', crc]);
  assert.equal(await codeOf(decode([small], opts)), 'InvalidChunkSizeError');
});

test('limits: chunk header at max and max+1', async () => {
  const pad = (n: number): string => '0'.repeat(n);
  // the line limit counts the bytes before LF (the CR included)
  const ok = `5;${'x'.repeat(CHUNK_HEADER_BYTES_MAX - 3)}\r\nhello\r\n0\r\n\r\n`;
  assert.equal(await codeOf(decode([Buffer.from(ok)], { trailer: false })), 'ok');
  const tooLong = `5;${'x'.repeat(CHUNK_HEADER_BYTES_MAX - 2)}\r\nhello\r\n0\r\n\r\n`;
  assert.equal(await codeOf(decode([Buffer.from(tooLong)], { trailer: false })), 'InvalidRequest');
  assert.equal(
    await codeOf(decode([Buffer.from(`${pad(13)}5\r\nhello\r\n0\r\n\r\n`)], { trailer: false })),
    'InvalidRequest',
  );
});

test('fuzz: arbitrary and mutated bodies only ever fail with S3Errors', async () => {
  const data = Buffer.from('hello world, this is aws-chunked');
  const valid = encodeSignedTrailer(data, 10, { ...CTX }, [
    'x-amz-checksum-crc32',
    checksumBase64('CRC32', data),
  ]);
  const unsigned = Buffer.from(
    `5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${checksumBase64('CRC32', Buffer.from('hello'))}\r\n\r\n`,
  );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        fc
          .tuple(fc.constantFrom(valid, unsigned), fc.nat(), fc.integer({ min: 0, max: 255 }))
          .map(([b, i, v]) => {
            const c = Buffer.from(b);
            c[i % c.length] = v;
            return c;
          }),
        fc.tuple(fc.constantFrom(valid, unsigned), fc.nat()).map(([b, n]) => b.subarray(0, n % b.length)),
      ),
      fc.boolean(),
      async (body, signed) => {
        const opts: AwsChunkedOptions = signed
          ? { signing: CTX, trailer: true, declaredTrailer: 'x-amz-checksum-crc32' }
          : { trailer: true, declaredTrailer: 'x-amz-checksum-crc32', decodedContentLength: 5 };
        const code = await codeOf(decode([body], opts));
        assert.equal(typeof code, 'string');
      },
    ),
    { numRuns: 1500 },
  );
});

test('async-iterable form with options derived from authenticate()', async () => {
  const data = Buffer.from('x'.repeat(20_000));
  const crc = checksumBase64('CRC32', data);
  const body = encodeSignedTrailer(data, 9000, CTX, ['x-amz-checksum-crc32', crc]);
  const auth = {
    scheme: 'sigv4-header' as const,
    verified: true,
    payload: { kind: 'aws-chunked' as const, signed: true, trailer: true },
    chunkSigning: CTX,
  };
  const headers = {
    'x-amz-decoded-content-length': String(data.length),
    'x-amz-trailer': 'x-amz-checksum-crc32',
  };
  const opts = awsChunkedOptions(auth, headers)!;
  assert.equal(opts.signing, CTX);
  const d = decodeAwsChunked(Readable.from([body.subarray(0, 5000), body.subarray(5000)]), opts);
  const out: Buffer[] = [];
  for await (const c of d.chunks) out.push(c);
  assert.deepEqual(Buffer.concat(out), data);
  assert.equal(d.trailers.get('x-amz-checksum-crc32'), crc);
  assert.equal(d.parser.checksum?.base64, crc);
  assert.equal(
    awsChunkedOptions({ scheme: 'anonymous', verified: false, payload: { kind: 'unsigned' } }, {}),
    undefined,
  );
  assert.throws(
    () => awsChunkedOptions(auth, {}),
    (e: unknown) => e instanceof S3Error && e.code === 'MissingContentLength',
  );
  assert.equal(storedContentEncoding('aws-chunked'), undefined);
  assert.equal(storedContentEncoding('gzip, aws-chunked'), 'gzip');
  // truncated input throws from the iteration
  const d2 = decodeAwsChunked(Readable.from([body.subarray(0, 10_000)]), opts);
  await assert.rejects(
    async () => {
      for await (const _ of d2.chunks) void _;
    },
    (e: unknown) => e instanceof S3Error && e.code === 'IncompleteBody',
  );
});

test('a declared trailer must arrive and be well formed even when the caller verifies the value', async () => {
  const noTrailer = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
  const opts: AwsChunkedOptions = {
    trailer: true,
    declaredTrailer: 'x-amz-checksum-crc32',
    verifyTrailerChecksum: false,
  };
  assert.equal(await codeOf(decode([noTrailer], opts)), 'InvalidRequest');
  const malformed = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:nope\r\n\r\n');
  assert.equal(await codeOf(decode([malformed], opts)), 'InvalidRequest');
  const wrongButUnverified = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n');
  const { dec } = await decode([wrongButUnverified], opts);
  assert.equal(dec.trailers.get('x-amz-checksum-crc32'), 'AAAAAA==');
  assert.equal(dec.checksum, undefined);
});
