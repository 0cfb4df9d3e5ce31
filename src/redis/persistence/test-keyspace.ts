/**
 * Test support: a minimal Map-backed keyspace standing in for the engine's, implementing
 * SnapshotSource and calling the copy-on-write hooks the way the engine must. Also applies the few
 * logged commands the AOF tests replay (SET, DEL, RPUSH). Not used by the server.
 */
import type { Snapshots, SnapshotSource } from './snapshot.js';
import type { RdbEntry, RdbValue } from './value-model.js';

export class MapKeyspace implements SnapshotSource {
  readonly dbs: Array<Map<string, { value: RdbValue; expireAtMs: number | null }>>;
  snaps: Snapshots;
  constructor(
    readonly dbCount: number,
    makeSnaps: (ks: MapKeyspace) => Snapshots,
  ) {
    this.dbs = Array.from({ length: dbCount }, () => new Map());
    this.snaps = makeSnaps(this);
  }
  *keys(db: number): Iterable<Buffer> {
    for (const k of (this.dbs[db] as Map<string, unknown>).keys()) yield Buffer.from(k, 'latin1');
  }
  read(db: number, key: Buffer): RdbEntry | null {
    const v = this.dbs[db]?.get(key.toString('latin1'));
    return v ? { db, key, value: v.value, expireAtMs: v.expireAtMs } : null;
  }
  sizeHint(db: number): { keys: number; expires: number } {
    return { keys: this.dbs[db]?.size ?? 0, expires: 0 };
  }
  set(db: number, key: string, value: string): void {
    this.snaps.beforeKeyChange(db, Buffer.from(key, 'latin1'));
    this.dbs[db]?.set(key, { value: { type: 'string', value: Buffer.from(value) }, expireAtMs: null });
  }
  del(db: number, key: string): void {
    this.snaps.beforeKeyChange(db, Buffer.from(key, 'latin1'));
    this.dbs[db]?.delete(key);
  }
  flush(db: number): void {
    this.snaps.beforeFlush(db);
    this.dbs[db]?.clear();
  }
  /** Applies a replayed command (only what the tests log). */
  apply(db: number, argv: Buffer[]): void {
    const [cmd, key, ...rest] = argv.map((a) => a.toString('latin1'));
    if (cmd === undefined || key === undefined) throw new Error('empty command');
    switch (cmd.toLowerCase()) {
      case 'set':
        this.set(db, key, rest[0] ?? '');
        break;
      case 'del':
        this.del(db, key);
        break;
      case 'rpush': {
        this.snaps.beforeKeyChange(db, Buffer.from(key, 'latin1'));
        const cur = this.dbs[db]?.get(key);
        const items = cur?.value.type === 'list' ? cur.value.items : [];
        items.push(...rest.map((r) => Buffer.from(r, 'latin1')));
        this.dbs[db]?.set(key, { value: { type: 'list', items }, expireAtMs: null });
        break;
      }
      case 'pexpireat': {
        this.snaps.beforeKeyChange(db, Buffer.from(key, 'latin1'));
        const cur = this.dbs[db]?.get(key);
        if (cur) cur.expireAtMs = Number(rest[0]);
        break;
      }
      default:
        throw new Error(`test keyspace cannot apply ${cmd}`);
    }
  }
  load(e: RdbEntry): void {
    this.dbs[e.db]?.set(e.key.toString('latin1'), { value: e.value, expireAtMs: e.expireAtMs });
  }
  dump(): Map<string, string> {
    const out = new Map<string, string>();
    this.dbs.forEach((m, db) => {
      for (const [k, v] of m) {
        if (v.value.type === 'string') out.set(`${db}:${k}`, v.value.value.toString());
        if (v.value.type === 'list') out.set(`${db}:${k}`, v.value.items.map(String).join(','));
      }
    });
    return out;
  }
}
