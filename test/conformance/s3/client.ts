// The AWS SDK client the S3 conformance tests point at a Nimbus gateway: path-style addressing,
// us-east-1 and the default test/test keys, with per-test overrides.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export function s3TestClient(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...extra,
  });
}
