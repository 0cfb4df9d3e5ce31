/** Proves our CRC32/CRC32C/CRC64NVME match the AWS SDK's implementations, and the S3 derivations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Crc32, Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { S3Error } from './errors.js';
import {
  BodyDigests,
  checksumBase64,
  combineCrc,
  compositeChecksum,
  createChecksum,
  declaredChecksum,
  multipartEtag,
  validateChecksumValue,
  verifyContentMd5,
  type ChecksumAlgorithm,
} from './checksums.js';

async function sdkB64(alg: 'CRC32' | 'CRC32C' | 'CRC64NVME', chunks: Uint8Array[]): Promise<string> {
  const h = alg === 'CRC32' ? new Crc32() : alg === 'CRC32C' ? new Crc32cJs() : new Crc64NvmeJs();
  for (const c of chunks) h.update(c);
  return Buffer.from(await h.digest()).toString('base64');
}

test('check values for "123456789"', () => {
  const d = Buffer.from('123456789');
  const hex = (alg: ChecksumAlgorithm): string => {
    const h = createChecksum(alg);
    h.update(d);
    return h.digest().toString('hex');
  };
  assert.equal(hex('CRC32'), 'cbf43926');
  assert.equal(hex('CRC32C'), 'e3069283');
  assert.equal(hex('CRC64NVME'), 'ae8b14860a799888');
  assert.equal(checksumBase64('CRC32', new Uint8Array()), 'AAAAAA==');
});

test('CRCs equal the AWS SDK on random chunked input', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }),
      fc.constantFrom('CRC32', 'CRC32C', 'CRC64NVME'),
      async (chunks, alg) => {
        const ours = createChecksum(alg);
        for (const c of chunks) ours.update(c);
        assert.equal(ours.digest().toString('base64'), await sdkB64(alg, chunks));
      },
    ),
    { numRuns: 300 },
  );
});

test('combineCrc gives the CRC of the concatenation', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom<ChecksumAlgorithm>('CRC32', 'CRC32C', 'CRC64NVME'),
      (a, b, alg) => {
        const raw = (d: Uint8Array): Buffer => {
          const h = createChecksum(alg);
          h.update(d);
          return h.digest();
        };
        assert.deepEqual(combineCrc(alg, raw(a), raw(b), b.length), raw(Buffer.concat([a, b])));
      },
    ),
    { numRuns: 200 },
  );
});

test('composite checksum and multipart ETag', () => {
  const parts = [Buffer.from('a'.repeat(10)), Buffer.from('b')];
  const md5s = parts.map((p) => createHash('md5').update(p).digest('hex'));
  const expectedEtag =
    createHash('md5')
      .update(Buffer.concat(md5s.map((h) => Buffer.from(h, 'hex'))))
      .digest('hex') + '-2';
  assert.equal(multipartEtag(md5s), expectedEtag);
  const crcs = parts.map((p) => checksumBase64('CRC32', p));
  const raw = Buffer.concat(crcs.map((c) => Buffer.from(c, 'base64')));
  assert.equal(compositeChecksum('CRC32', crcs), `${checksumBase64('CRC32', raw)}-2`);
});

test('Content-MD5: InvalidDigest for malformed, BadDigest for mismatch', () => {
  const md5 = createHash('md5').update('hello').digest();
  verifyContentMd5(md5.toString('base64'), md5);
  const codeOf = (fn: () => void): string => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof S3Error);
      return e.code;
    }
  };
  assert.equal(
    codeOf(() => verifyContentMd5('not-base64!', md5)),
    'InvalidDigest',
  );
  assert.equal(
    codeOf(() => verifyContentMd5(Buffer.alloc(15).toString('base64'), md5)),
    'InvalidDigest',
  );
  assert.equal(
    codeOf(() => verifyContentMd5(Buffer.alloc(16).toString('base64'), md5)),
    'BadDigest',
  );
  assert.equal(
    codeOf(() => validateChecksumValue('CRC32', 'AAAAAA==')),
    'ok',
  );
  assert.equal(
    codeOf(() => validateChecksumValue('CRC32', 'AAAAAAAA')),
    'InvalidRequest',
  );
  assert.equal(
    codeOf(() => validateChecksumValue('SHA256', 'AAAAAA==')),
    'InvalidRequest',
  );
});

test('BodyDigests computes MD5, SHA-256 and a checksum in one pass', () => {
  const d = new BodyDigests({ sha256: true, checksum: 'SHA256' });
  d.update(Buffer.from('ab'));
  d.update(Buffer.from('c'));
  const r = d.finish();
  assert.equal(r.md5.toString('hex'), createHash('md5').update('abc').digest('hex'));
  assert.equal(r.sha256?.toString('hex'), createHash('sha256').update('abc').digest('hex'));
  assert.equal(r.checksum?.base64, createHash('sha256').update('abc').digest('base64'));
  assert.equal(r.bytes, 3);
});

test('unaligned views and odd lengths give the same CRC as the SDK', async () => {
  const big = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff));
  await fc.assert(
    fc.asyncProperty(
      fc.nat(16),
      fc.nat(900),
      fc.nat(7),
      fc.constantFrom('CRC32C', 'CRC64NVME'),
      async (offset, len, split, alg) => {
        const view = new Uint8Array(big.buffer, big.byteOffset + offset, len);
        const ours = createChecksum(alg);
        ours.update(view.subarray(0, Math.min(split, len)));
        ours.update(view.subarray(Math.min(split, len)));
        assert.equal(ours.digest().toString('base64'), await sdkB64(alg, [Uint8Array.from(view)]));
      },
    ),
    { numRuns: 300 },
  );
});

test('declaredChecksum: header, presigned query, trailer, and the errors S3 gives', () => {
  const codeOf = (fn: () => unknown): string => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof S3Error);
      return e.code;
    }
  };
  assert.deepEqual(declaredChecksum({ 'x-amz-checksum-crc32': 'AAAAAA==' }), {
    algorithm: 'CRC32',
    base64: 'AAAAAA==',
    source: 'header',
  });
  assert.deepEqual(
    declaredChecksum(
      {},
      new URLSearchParams('x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32'),
    ),
    { algorithm: 'CRC32', base64: 'AAAAAA==', source: 'query' },
  );
  assert.deepEqual(declaredChecksum({ 'x-amz-trailer': 'x-amz-checksum-crc64nvme' }), {
    algorithm: 'CRC64NVME',
    source: 'trailer',
  });
  assert.equal(declaredChecksum({}), undefined);
  assert.equal(
    codeOf(() =>
      declaredChecksum({
        'x-amz-checksum-crc32': 'AAAAAA==',
        'x-amz-checksum-sha1': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      }),
    ),
    'InvalidRequest',
  );
  assert.equal(
    codeOf(() => declaredChecksum({ 'x-amz-checksum-sha256': 'AAAAAA==' })),
    'InvalidRequest',
  );
  assert.equal(
    codeOf(() => declaredChecksum({ 'x-amz-trailer': 'x-amz-meta-foo' })),
    'InvalidRequest',
  );
});
