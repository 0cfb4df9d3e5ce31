// Proves the data dir lock: a second host is refused with the holder's PID, a stale lock (dead PID)
// is taken over, and --ephemeral folders disappear on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDir, LOCK_FILE } from './data-dir.js';
import { DataDirLockedError } from './errors.js';

test('a locked data dir refuses a second opener and names the PID', () => {
  const path = mkdtempSync(join(tmpdir(), 'nimbus-dd-'));
  const first = DataDir.open({ dataDir: path, ephemeral: false });
  assert.equal(readFileSync(join(path, LOCK_FILE), 'utf8').trim(), String(process.pid));
  assert.throws(
    () => DataDir.open({ dataDir: path, ephemeral: false }),
    (err: unknown) =>
      err instanceof DataDirLockedError &&
      err.pid === process.pid &&
      err.message.includes(`pid ${process.pid}`),
  );
  first.close();
  assert.equal(existsSync(join(path, LOCK_FILE)), false);
  DataDir.open({ dataDir: path, ephemeral: false }).close();
});

test('a stale lock from a dead process is taken over', () => {
  const path = mkdtempSync(join(tmpdir(), 'nimbus-dd-'));
  writeFileSync(join(path, LOCK_FILE), '999999999\n');
  const dir = DataDir.open({ dataDir: path, ephemeral: false });
  assert.equal(readFileSync(join(path, LOCK_FILE), 'utf8').trim(), String(process.pid));
  dir.close();
});

test('ephemeral dirs get per-service folders and vanish on close', () => {
  const dir = DataDir.open({ dataDir: 'ignored', ephemeral: true });
  const svc = dir.serviceDir('redis');
  assert.ok(existsSync(svc));
  dir.close();
  assert.equal(existsSync(dir.path), false);
});
