/**
 * The data dir: one folder per service, and a lock file (`nimbus.lock`, holding the owner's PID) so
 * that two hosts never share one. A lock whose PID is no longer alive is stale and taken over.
 * `--ephemeral` uses a fresh temp folder, removed when the host stops.
 */
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataDirLockedError, NimbusError } from './errors.js';

export const LOCK_FILE = 'nimbus.lock';

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDir {
  private locked = false;

  private constructor(
    readonly path: string,
    readonly ephemeral: boolean,
  ) {}

  /** Creates (if needed) and locks the data dir. Throws DataDirLockedError naming the holder's PID. */
  static open(opts: { dataDir: string; ephemeral: boolean; cwd?: string }): DataDir {
    const path = opts.ephemeral
      ? mkdtempSync(join(tmpdir(), 'nimbus-'))
      : resolve(opts.cwd ?? process.cwd(), opts.dataDir);
    try {
      mkdirSync(path, { recursive: true });
    } catch (err) {
      throw new NimbusError('EDATADIR', `cannot create data dir ${path}: ${(err as Error).message}`);
    }
    const dir = new DataDir(path, opts.ephemeral);
    dir.lock();
    return dir;
  }

  /** The folder of one service, created on demand. */
  serviceDir(name: string): string {
    const p = join(this.path, name);
    mkdirSync(p, { recursive: true });
    return p;
  }

  /** Releases the lock; removes the whole folder when ephemeral. Safe to call twice. */
  close(): void {
    if (this.locked) {
      try {
        const pid = Number(readFileSync(join(this.path, LOCK_FILE), 'utf8').trim());
        if (pid === process.pid) unlinkSync(join(this.path, LOCK_FILE));
      } catch {
        // already gone
      }
      this.locked = false;
    }
    if (this.ephemeral) rmSync(this.path, { recursive: true, force: true });
  }

  private lock(): void {
    const file = join(this.path, LOCK_FILE);
    // Two tries: the second after removing a stale lock left by a dead process.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new NimbusError('EDATADIR', `cannot lock data dir ${this.path}: ${(err as Error).message}`);
      }
      let holder = NaN;
      try {
        holder = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // unreadable lock: treat as stale
      }
      if (pidAlive(holder)) throw new DataDirLockedError(this.path, holder);
      try {
        unlinkSync(file);
      } catch {
        // someone else removed it first
      }
    }
    throw new NimbusError('EDATADIR', `cannot lock data dir ${this.path}: lock file keeps reappearing`);
  }
}
