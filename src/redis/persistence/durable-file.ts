/**
 * Crash-safe file replacement: write to a temp file in the same directory, fsync it, rename over
 * the target, fsync the directory (so the rename itself survives power loss).
 *
 * API: fsyncDirSync(dir), fsyncDir(dir), replaceFileSync(tmp, target), replaceFile(tmp, target)
 */
import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Renames an already-fsynced temp file over target and makes the rename durable. */
export function replaceFileSync(tmp: string, target: string): void {
  renameSync(tmp, target);
  fsyncDirSync(dirname(target));
}

export async function replaceFile(tmp: string, target: string): Promise<void> {
  await rename(tmp, target);
  await fsyncDir(dirname(target));
}
