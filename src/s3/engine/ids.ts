/** Version and upload IDs: random, URL-safe, opaque as S3's. */
import { randomBytes } from 'node:crypto';

/**
 * Random base64url text that starts with a letter or digit. An ID starting with '-' breaks
 * command lines: `aws s3api upload-part --upload-id -Ueov…` reads it as an option (seen in CI,
 * one upload in 32 would hit it), and S3's own IDs never start with '-' or '_'.
 */
function randomId(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('base64url');
    if (id[0] !== '-' && id[0] !== '_') return id;
  }
}

export function newVersionId(): string {
  return randomId(24);
}

export function newUploadId(): string {
  return randomId(36);
}
