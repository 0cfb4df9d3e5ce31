/** Proves the typed body decoders accept what SDKs send and reject bad shapes with AWS's codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { S3Error } from './errors.js';
import {
  parseCompleteMultipartUpload,
  parseCorsConfiguration,
  parseCreateBucketConfiguration,
  parseDelete,
  parseLifecycleConfiguration,
  parseTagging,
  parseVersioningConfiguration,
  parseWebsiteConfiguration,
} from './bodies.js';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return 'ok';
}

test('CompleteMultipartUpload: parts, quoted ETags, checksums, order', () => {
  const body = `<CompleteMultipartUpload ${NS}><Part><ETag>"abc"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><ETag>&quot;def&quot;</ETag><PartNumber>3</PartNumber></Part></CompleteMultipartUpload>`;
  assert.deepEqual(parseCompleteMultipartUpload(body).parts, [
    { partNumber: 1, etag: 'abc', checksums: { CRC32: 'AAAAAA==' } },
    { partNumber: 3, etag: 'def', checksums: {} },
  ]);
  const part = (n: number): string => `<Part><ETag>e</ETag><PartNumber>${n}</PartNumber></Part>`;
  assert.equal(
    code(() =>
      parseCompleteMultipartUpload(`<CompleteMultipartUpload>${part(2)}${part(1)}</CompleteMultipartUpload>`),
    ),
    'InvalidPartOrder',
  );
  assert.equal(
    code(() =>
      parseCompleteMultipartUpload(`<CompleteMultipartUpload>${part(1)}${part(1)}</CompleteMultipartUpload>`),
    ),
    'InvalidPartOrder',
  );
  assert.equal(
    code(() => parseCompleteMultipartUpload(`<CompleteMultipartUpload></CompleteMultipartUpload>`)),
    'MalformedXML',
  );
  assert.equal(
    code(() =>
      parseCompleteMultipartUpload(`<CompleteMultipartUpload>${part(10001)}</CompleteMultipartUpload>`),
    ),
    'InvalidArgument',
  );
  assert.equal(
    code(() => parseCompleteMultipartUpload(`<Other>${part(1)}</Other>`)),
    'MalformedXML',
  );
  assert.equal(
    code(() =>
      parseCompleteMultipartUpload(
        `<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>`,
      ),
    ),
    'MalformedXML',
  );
  // 10,000 parts fit within the named byte limit
  const many = Array.from(
    { length: 10_000 },
    (_, i) =>
      `<Part><ETag>"0123456789abcdef0123456789abcdef"</ETag><PartNumber>${i + 1}</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>`,
  ).join('\n');
  assert.equal(
    parseCompleteMultipartUpload(`<CompleteMultipartUpload ${NS}>${many}</CompleteMultipartUpload>`).parts
      .length,
    10_000,
  );
});

test('Delete: keys verbatim, version ids, quiet, 1000 max', () => {
  const r = parseDelete(
    `<Delete ${NS}><Object><Key> sp ace/</Key></Object><Object><Key>k</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>`,
  );
  assert.deepEqual(r, { objects: [{ key: ' sp ace/' }, { key: 'k', versionId: 'v1' }], quiet: true });
  const objs = (n: number): string => '<Object><Key>k</Key></Object>'.repeat(n);
  assert.equal(parseDelete(`<Delete>${objs(1000)}</Delete>`).objects.length, 1000);
  assert.equal(
    code(() => parseDelete(`<Delete>${objs(1001)}</Delete>`)),
    'MalformedXML',
  );
  assert.equal(
    code(() => parseDelete(`<Delete><Object></Object></Delete>`)),
    'MalformedXML',
  );
  assert.equal(
    code(() => parseDelete(`<Delete>${objs(1)}<Quiet>yes</Quiet></Delete>`)),
    'MalformedXML',
  );
});

test('CreateBucketConfiguration: empty body and location', () => {
  assert.deepEqual(parseCreateBucketConfiguration(''), {});
  assert.deepEqual(parseCreateBucketConfiguration(new Uint8Array()), {});
  assert.deepEqual(
    parseCreateBucketConfiguration(
      `<CreateBucketConfiguration ${NS}><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
    ),
    { locationConstraint: 'eu-west-1' },
  );
});

test('Tagging: limits and duplicates', () => {
  const tag = (k: string, v = 'v'): string => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`;
  assert.deepEqual(parseTagging(`<Tagging><TagSet>${tag('a')}${tag('b', '')}</TagSet></Tagging>`), [
    { key: 'a', value: 'v' },
    { key: 'b', value: '' },
  ]);
  assert.equal(
    code(() => parseTagging(`<Tagging><TagSet>${tag('a')}${tag('a')}</TagSet></Tagging>`)),
    'InvalidTag',
  );
  assert.equal(
    code(() => parseTagging(`<Tagging><TagSet>${tag('k'.repeat(129))}</TagSet></Tagging>`)),
    'InvalidTag',
  );
  assert.equal(
    code(() => parseTagging(`<Tagging><TagSet>${tag('k'.repeat(128), 'v'.repeat(257))}</TagSet></Tagging>`)),
    'InvalidTag',
  );
  const ten = Array.from({ length: 10 }, (_, i) => tag(`k${i}`)).join('');
  assert.equal(parseTagging(`<Tagging><TagSet>${ten}</TagSet></Tagging>`).length, 10);
  assert.equal(
    code(() => parseTagging(`<Tagging><TagSet>${ten}${tag('x')}</TagSet></Tagging>`)),
    'BadRequest',
  );
  assert.equal(parseTagging(`<Tagging><TagSet>${ten}${tag('x')}</TagSet></Tagging>`, 50).length, 11);
});

test('VersioningConfiguration', () => {
  assert.deepEqual(
    parseVersioningConfiguration(
      `<VersioningConfiguration ${NS}><Status>Enabled</Status></VersioningConfiguration>`,
    ),
    { status: 'Enabled' },
  );
  assert.equal(
    code(() =>
      parseVersioningConfiguration(`<VersioningConfiguration><Status>On</Status></VersioningConfiguration>`),
    ),
    'MalformedXML',
  );
});

test('CORSConfiguration', () => {
  const rules = parseCorsConfiguration(
    `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
  );
  assert.deepEqual(rules, [
    {
      allowedMethods: ['PUT', 'GET'],
      allowedOrigins: ['*'],
      allowedHeaders: ['*'],
      exposeHeaders: ['ETag'],
      maxAgeSeconds: 3000,
    },
  ]);
  assert.equal(
    code(() =>
      parseCorsConfiguration(
        `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>`,
      ),
    ),
    'InvalidRequest',
  );
});

test('LifecycleConfiguration: filter forms', () => {
  const rules = parseLifecycleConfiguration(
    `<LifecycleConfiguration><Rule><ID>r1</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>` +
      `<Rule><Filter><And><Prefix>a/</Prefix><Tag><Key>t</Key><Value>v</Value></Tag></And></Filter><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`,
  );
  assert.deepEqual(rules[0], {
    id: 'r1',
    status: 'Enabled',
    filter: { prefix: 'logs/', tags: [] },
    transitions: [],
    expiration: { days: 3 },
  });
  assert.deepEqual(rules[1], {
    status: 'Disabled',
    filter: { prefix: 'a/', tags: [{ key: 't', value: 'v' }] },
    transitions: [],
    abortIncompleteMultipartUploadDays: 2,
  });
  assert.equal(
    code(() =>
      parseLifecycleConfiguration(
        `<LifecycleConfiguration><Rule><Status>Maybe</Status></Rule></LifecycleConfiguration>`,
      ),
    ),
    'MalformedXML',
  );
  assert.equal(
    code(() =>
      parseLifecycleConfiguration(
        `<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>`,
      ),
    ),
    'InvalidArgument',
  );
});

test('WebsiteConfiguration', () => {
  assert.deepEqual(
    parseWebsiteConfiguration(
      `<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>err.html</Key></ErrorDocument></WebsiteConfiguration>`,
    ),
    { routingRules: [], indexDocumentSuffix: 'index.html', errorDocumentKey: 'err.html' },
  );
  assert.equal(
    code(() => parseWebsiteConfiguration(`<WebsiteConfiguration></WebsiteConfiguration>`)),
    'InvalidArgument',
  );
});

test('fuzz: every decoder throws only S3Errors on arbitrary input', () => {
  const decoders = [
    parseCompleteMultipartUpload,
    parseDelete,
    parseCreateBucketConfiguration,
    parseTagging,
    parseVersioningConfiguration,
    parseCorsConfiguration,
    parseLifecycleConfiguration,
    parseWebsiteConfiguration,
  ];
  const tags = [
    'CompleteMultipartUpload',
    'Part',
    'PartNumber',
    'ETag',
    'Delete',
    'Object',
    'Key',
    'Tagging',
    'TagSet',
    'Tag',
    'Value',
    'Status',
    'CORSConfiguration',
    'CORSRule',
    'AllowedMethod',
    'AllowedOrigin',
    'LifecycleConfiguration',
    'Rule',
    'Filter',
    'And',
    'Expiration',
    'Days',
    'WebsiteConfiguration',
    'IndexDocument',
    'Suffix',
    'RoutingRules',
    'RoutingRule',
    'Redirect',
  ];
  const piece = fc.oneof(
    fc.constantFrom(...tags).map((t) => `<${t}>`),
    fc.constantFrom(...tags).map((t) => `</${t}>`),
    fc.constantFrom('1', 'x', 'Enabled', 'GET', '-5', '&amp;', ' '),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), fc.nat(decoders.length - 1), (ps, i) => {
      try {
        decoders[i]!(ps.join(''));
      } catch (e) {
        if (!(e instanceof S3Error)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
});
