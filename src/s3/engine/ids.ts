/** Version and upload IDs: random, URL-safe, opaque as S3's. */
import { randomBytes } from 'node:crypto';

export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

export function newUploadId(): string {
  return randomBytes(36).toString('base64url');
}
