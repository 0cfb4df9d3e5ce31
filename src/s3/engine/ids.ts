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

/** Random per-process part of inline body IDs (48 bits, hex). */
const INLINE_TAG = randomBytes(6).toString('hex');
/** Per-process counter of inline body IDs. */
let inlineSeq = 0;

/**
 * IDs of inline bodies (rows of the index's inline_blobs table), ascending: time, then a
 * per-process counter, then a random per-process tag. Ascending keys land on the last page of
 * the table's key index, shared by a whole group commit, where random ones dirtied a random page
 * per PUT (one more WAL page to write per PUT; ~20 % of the index's CPU per small PUT in a
 * micro-benchmark). The tag keeps IDs unique across processes (a restart within the same
 * millisecond, a clock stepped back); the counter within one.
 */
export function newInlineId(nowMs: number): string {
  inlineSeq++;
  const t = Math.max(0, Math.floor(nowMs)).toString(36).padStart(9, '0');
  return `${t}${inlineSeq.toString(36).padStart(7, '0')}${INLINE_TAG}`;
}
