/**
 * Wires the keyspace to R2's persistence (src/redis/persistence/): RDB snapshots with
 * copy-on-write BGSAVE, the Redis 7 multi-part AOF, and loading at start (AOF wins over dump.rdb,
 * as in Redis). The server sees it through the small PersistenceHooks interface.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../platform/logger.js';
import type { RedisConfig } from './config.js';
import { fromRdbValue, toRdbValue } from './engine/rdb-convert.js';
import { AofManager } from './persistence/aof.js';
import { AofSwitch } from './persistence/aof-switch.js';
import { readRdb } from './persistence/rdb.js';
import { Snapshots, type SnapshotSource } from './persistence/snapshot.js';
import type { RdbEntry } from './persistence/value-model.js';
import type { PersistenceHooks, RedisServer } from './server.js';
import { functionLibrarySources, restoreFunctionLibraries } from './commands/scripting.js';

function snapshotSource(server: RedisServer): SnapshotSource {
  const ks = server.keyspace;
  return {
    dbCount: ks.dbs.length,
    keys(db: number): Iterable<Buffer> {
      const d = ks.dbs[db];
      if (!d) return [];
      const dict = d.dict;
      return (function* () {
        for (const k of dict.keys()) yield Buffer.from(k, 'latin1');
      })();
    },
    read(db: number, key: Buffer): RdbEntry | null {
      const d = ks.dbs[db];
      const k = key.latin1Slice(0, key.length);
      const v = d?.dict.get(k);
      if (!d || v === undefined) return null;
      const value = toRdbValue(v);
      if (value === null) return null;
      return { db, key, value, expireAtMs: d.expires.get(k) ?? null };
    },
    sizeHint: (db: number) => ({ keys: ks.dbs[db]?.dict.size ?? 0, expires: ks.dbs[db]?.expires.size ?? 0 }),
    usedMemoryBytes: () => server.usedMemory(),
    // FUNCTION2 records: dump.rdb and an AOF base carry the function libraries, as in Redis 7.
    functions: () => functionLibrarySources(server),
  };
}

/** Installs one loaded key (RDB or AOF base). */
function installEntry(server: RedisServer, e: RdbEntry): void {
  const db = server.keyspace.dbs[e.db];
  if (!db) return;
  const key = e.key.latin1Slice(0, e.key.length);
  const value = fromRdbValue(e.value);
  if (value === null) {
    server.logger.warn({ type: e.value.type }, 'skipping a loaded key whose type this build cannot hold');
    return;
  }
  db.set(key, value);
  if (e.expireAtMs !== null) db.setExpire(key, e.expireAtMs);
}

/** Installs function libraries read from an RDB (dump.rdb or an AOF base); bad ones are logged. */
function restoreFunctions(server: RedisServer, libs: readonly Buffer[]): void {
  if (libs.length === 0) return;
  for (const err of restoreFunctionLibraries(server, libs))
    server.logger.warn({ err }, 'function library from the RDB not loaded');
}

export async function attachPersistence(server: RedisServer, config: RedisConfig, dir: string, logger: Logger): Promise<void> {
  const snaps = new Snapshots(snapshotSource(server));
  const ks = server.keyspace;
  ks.onBeforeKeyChange((db, key) => {
    if (snaps.inProgress) snaps.beforeKeyChange(db, Buffer.from(key, 'latin1'));
  });
  ks.beforeFlushHooks.push((db) => snaps.beforeFlush(db));
  const rdbPath = join(dir, config.dbfilename);
  let lastSaveMs = server.clock.now();
  let lastBgsaveOk = true;
  let bg: { done: Promise<unknown> } | null = null;
  const aofSwitch = new AofSwitch({
    create: (fsync) =>
      new AofManager({ dir, dirName: config.appenddirname, fileName: config.appendfilename, fsync, clock: server.clock }),
    snapshots: snaps,
    clock: server.clock,
    logger,
    fsync: config.appendfsync,
  });
  const aof = config.appendonly ? aofSwitch.create() : null;

  server.loading = true;
  ks.expiryPaused = true;
  try {
    const loader = server.fakeClient();
    let loadedFromAof = false;
    if (aof?.hasManifest()) {
      const report = aof.load({
        entry: (e) => installEntry(server, e),
        functionLibrary: (code) => restoreFunctions(server, [code]),
        command: (db, argv) => {
          loader.db = ks.dbs[db] ?? loader.db;
          server.execute(loader, argv.map((a) => a.latin1Slice(0, a.length)));
          ks.settle();
          loader.out.take();
        },
      });
      if (report.truncatedBytes > 0)
        logger.warn({ file: report.truncatedFile, bytes: report.truncatedBytes }, '!!! Warning: short read while loading the AOF file !!! AOF was truncated');
      loadedFromAof = report.existed;
      if (report.existed) logger.info({ keys: ks.totalKeys(), commands: report.commands }, 'DB loaded from append only file');
    }
    if (!loadedFromAof && existsSync(rdbPath)) {
      const img = readRdb(readFileSync(rdbPath));
      for (const e of img.entries) installEntry(server, e);
      restoreFunctions(server, img.functions);
      ks.settle();
      logger.info({ keys: img.entries.length }, 'DB loaded from disk');
    }
    ks.settle();
    if (aof && !loadedFromAof) {
      // As Redis does when AOF is first enabled: the AOF starts from a base holding the dataset
      // (the manifest appears only once the base is complete).
      aof.adopt();
      await aof.rewrite(snaps);
    }
    aofSwitch.aof = aof;
  } finally {
    server.loading = false;
    ks.expiryPaused = false;
  }
  server.markSaved();

  const saveSync = (): void => {
    snaps.saveSync(rdbPath);
    lastSaveMs = server.clock.now();
    lastBgsaveOk = true;
    server.markSaved();
  };

  const hooks: PersistenceHooks = {
    setAppendonly: (on) => aofSwitch.setAppendonly(on),
    setAppendfsync: (policy) => aofSwitch.setFsync(policy),
    feedAof(db, argv) {
      aofSwitch.aof?.append(db, argv.map((a) => Buffer.from(a, 'latin1')));
    },
    save() {
      if (snaps.inProgress) throw new Error('Background save already in progress');
      saveSync();
    },
    bgsave() {
      if (bg !== null || snaps.inProgress) return 'ERR Background save already in progress';
      const dirtyAtStart = ks.dirty;
      const run = snaps.startBackground(rdbPath);
      bg = run;
      run.done.then(
        () => {
          lastSaveMs = server.clock.now();
          lastBgsaveOk = true;
          server.markSaved(dirtyAtStart);
          logger.info('Background saving terminated with success');
        },
        (err: unknown) => {
          lastBgsaveOk = false;
          logger.error({ err }, 'Background saving error');
        },
      ).finally(() => {
        bg = null;
      });
      return null;
    },
    bgrewriteaof: () => aofSwitch.bgrewriteaof(),
    lastSaveSec: () => Math.floor(lastSaveMs / 1000),
    info: () => ({
      rdb_bgsave_in_progress: bg !== null ? 1 : 0,
      rdb_last_bgsave_status: lastBgsaveOk ? 'ok' : 'err',
      ...aofSwitch.info(),
    }),
    async flushOnStop() {
      if (bg) await bg.done.catch(() => undefined);
      if (server.settings.saveRules.length > 0 && server.changesSinceSave() > 0) {
        try {
          saveSync();
        } catch (err) {
          logger.error({ err }, 'error saving the DB on shutdown');
        }
      }
      await aofSwitch.close();
    },
    durable: () => aofSwitch.aof?.durable() ?? null,
  };
  server.persistence = hooks;
  server.persistenceParams = (name) =>
    name === 'appendonly' ? (aofSwitch.aof ? 'yes' : 'no') : name === 'appendfsync' ? aofSwitch.fsync : undefined;
}
