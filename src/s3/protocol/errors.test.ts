/** Proves the error catalogue renders AWS's exact error body and statuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Error, S3_ERRORS, isS3Error, s3ErrorXml } from './errors.js';

test('NoSuchKey renders Code, Message, Key, Resource, RequestId in AWS order', () => {
  const err = new S3Error('NoSuchKey', { resource: '/b/a&b', fields: { Key: 'a&b' } });
  assert.equal(err.status, 404);
  assert.equal(
    err.toXml('REQ1', 'HOST1'),
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>' +
      '<Key>a&amp;b</Key><Resource>/b/a&amp;b</Resource><RequestId>REQ1</RequestId><HostId>HOST1</HostId></Error>',
  );
  assert.ok(isS3Error(err));
  assert.ok(!isS3Error(new Error('x')));
});

test('SignatureDoesNotMatch carries StringToSign and CanonicalRequest with newlines escaped', () => {
  const xml = s3ErrorXml(
    'SignatureDoesNotMatch',
    S3_ERRORS.SignatureDoesNotMatch.message,
    { AWSAccessKeyId: 'test', StringToSign: 'a\nb', CanonicalRequest: 'PUT\n/' },
    'R',
  );
  assert.match(
    xml,
    /<AWSAccessKeyId>test<\/AWSAccessKeyId><StringToSign>a&#xA;b<\/StringToSign><CanonicalRequest>PUT&#xA;\/<\/CanonicalRequest><RequestId>R<\/RequestId><\/Error>$/,
  );
});

test('message and status overrides', () => {
  const err = new S3Error('AccessDenied', { message: 'Request has expired' });
  assert.equal(err.message, 'Request has expired');
  assert.equal(err.status, 403);
  assert.equal(new S3Error('InvalidRange').status, 416);
  assert.equal(new S3Error('MissingContentLength').status, 411);
  assert.equal(new S3Error('PreconditionFailed').status, 412);
  assert.equal(new S3Error('MethodNotAllowed').status, 405);
});
