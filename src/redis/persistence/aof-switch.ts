/**
 * The AOF as a runtime setting, as in Redis 7 (config.c updateAppendonly, aof.c startAppendOnly /
 * stopAppendOnly): `appendonly yes` on a running server adopts the AOF directory and starts the
 * first rewrite (writes made meanwhile collect in a temp incr file, see AofManager.adopt); a
 * failed first rewrite is retried until it succeeds or AOF is turned off again. `appendonly no`
 * flushes and closes the files and leaves them on disk. `appendfsync` switches at once.
 * BGREWRITEAOF works with AOF off too (a base-only manifest); turning AOF on meanwhile stops that
 * rewrite and starts the first one, as Redis does.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { AofManager, AppendFsync } from './aof.js';
import { SnapshotAbortedError, type Snapshots } from './snapshot.js';

/** A failed rewrite that turns AOF on is retried after this long (Redis retries from its cron). */
export const AOF_FIRST_REWRITE_RETRY_MS = 1000;

export interface AofSwitchOptions {
  /** A manager over the service's AOF directory with the given fsync policy (not yet opened). */
  create(fsync: AppendFsync): AofManager;
  snapshots: Snapshots;
  clock: Pick<Clock, 'after'>;
  logger: Logger;
  fsync: AppendFsync;
}

export class AofSwitch {
  /** The live AOF (null when appendonly is no). */
  aof: AofManager | null = null;
  private fsyncPolicy: AppendFsync;
  /** BGREWRITEAOF while appendonly is no. */
  private offline: AofManager | null = null;
  /** The rewrite that turns AOF on (Redis's AOF_WAIT_REWRITE), awaited by a shutdown. */
  private firstRewrite: Promise<unknown> | null = null;
  private rewrites = 0;
  private lastRewriteOk = true;

  constructor(private readonly opts: AofSwitchOptions) {
    this.fsyncPolicy = opts.fsync;
  }

  get fsync(): AppendFsync {
    return this.fsyncPolicy;
  }

  get rewriting(): boolean {
    return (this.aof?.rewriting ?? false) || this.offline !== null;
  }

  /** A fresh manager with the current policy (the caller loads or adopts it). */
  create(): AofManager {
    return this.opts.create(this.fsyncPolicy);
  }

  setFsync(policy: AppendFsync): void {
    this.fsyncPolicy = policy;
    this.aof?.setFsync(policy);
  }

  /** CONFIG SET appendonly: an error text (Redis's wording), or null. */
  setAppendonly(on: boolean): string | null {
    if (on && this.aof === null) return this.turnOn();
    if (!on && this.aof !== null) this.turnOff();
    return null;
  }

  private turnOn(): string | null {
    if (this.offline) {
      this.opts.logger.info(
        'AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.',
      );
      this.stopOffline();
    }
    const m = this.create();
    try {
      m.adopt();
    } catch (err) {
      this.opts.logger.error(
        { err },
        "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation",
      );
      return 'Unable to turn on AOF. Check server logs.';
    }
    this.aof = m;
    this.startRewrite(m);
    return null;
  }

  private turnOff(): void {
    const m = this.aof as AofManager;
    this.aof = null;
    try {
      m.close();
    } catch (err) {
      this.opts.logger.error({ err }, 'error flushing the AOF while turning it off');
    }
  }

  /** BGREWRITEAOF: an error reply, or null when started. */
  bgrewriteaof(): string | null {
    if (this.rewriting) return 'ERR Background append only file rewriting already in progress';
    if (this.aof) {
      this.startRewrite(this.aof);
      return null;
    }
    const m = this.create();
    try {
      m.adopt({ offline: true });
    } catch (err) {
      this.opts.logger.error({ err }, 'Can not rewrite the AOF');
      return 'ERR Background append only file rewriting failed to start (check the server log)';
    }
    this.offline = m;
    void this.track(m, m.rewrite(this.opts.snapshots)).finally(() => {
      if (this.offline === m) this.offline = null;
      m.close();
    });
    return null;
  }

  /** Runs a rewrite of m; the first one (turning AOF on) is retried until it succeeds or AOF is off. */
  startRewrite(m: AofManager): Promise<unknown> {
    const first = m.waitingForFirstRewrite;
    const run = this.track(m, m.rewrite(this.opts.snapshots)).then((ok) => {
      if (ok || !first || this.aof !== m) return;
      this.opts.clock.after(AOF_FIRST_REWRITE_RETRY_MS, () => {
        if (this.aof === m && !m.rewriting) void this.startRewrite(m);
      });
    });
    if (first) {
      this.firstRewrite = run;
      void run.finally(() => {
        if (this.firstRewrite === run) this.firstRewrite = null;
      });
    }
    return run;
  }

  /** Logs and counts a rewrite; resolves true on success, false on failure or cancellation. */
  private async track(m: AofManager, run: Promise<{ keys: number; durationMs: number }>): Promise<boolean> {
    try {
      const r = await run;
      this.rewrites++;
      this.lastRewriteOk = true;
      this.opts.logger.info(
        { keys: r.keys, ms: r.durationMs },
        'Background AOF rewrite finished successfully',
      );
      return true;
    } catch (err) {
      if (err instanceof SnapshotAbortedError || (this.aof !== m && this.offline !== m)) return false;
      this.lastRewriteOk = false;
      this.opts.logger.error({ err }, 'Background AOF rewrite failed');
      return false;
    }
  }

  private stopOffline(): void {
    const m = this.offline;
    this.offline = null;
    m?.close();
  }

  info(): Record<string, string | number> {
    const st = this.aof?.stats();
    return {
      aof_enabled: this.aof ? 1 : 0,
      aof_rewrite_in_progress: this.rewriting ? 1 : 0,
      aof_last_bgrewrite_status: this.lastRewriteOk ? 'ok' : 'err',
      aof_rewrites: this.rewrites,
      aof_last_write_status: this.aof?.lastWriteError ? 'err' : 'ok',
      ...(st
        ? {
            aof_current_size: st.currentBytes,
            aof_base_size: st.baseBytes,
            aof_buffer_length: st.bufferedBytes,
          }
        : {}),
    };
  }

  /** Shutdown: lets a first rewrite finish (Redis refuses to exit meanwhile), then closes. */
  async close(): Promise<void> {
    this.stopOffline();
    if (this.firstRewrite) await this.firstRewrite;
    const m = this.aof;
    this.aof = null;
    m?.close();
  }
}
