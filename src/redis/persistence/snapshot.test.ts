/**
 * Proves: a background save is a point-in-time snapshot even while keys are set, deleted, created
 * and databases flushed between its slices; it runs in many slices (the loop keeps turning); SAVE
 * writes the same data synchronously; abort leaves no temp file behind.
 * The source here is a minimal Map-backed keyspace standing in for the engine's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRdb } from './rdb.js';
import { removeStaleTempFiles, Snapshots, SnapshotAbortedError } from './snapshot.js';
import { MapKeyspace } from './test-keyspace.js';

function fileContents(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readRdb(readFileSync(path)).entries) {
    const id = `${e.db}:${e.key.toString('latin1')}`;
    assert.ok(!out.has(id), `duplicate key ${id} in snapshot`);
    if (e.value.type === 'string') out.set(id, e.value.value.toString());
  }
  return out;
}

function populated(n: number): MapKeyspace {
  const ks = new MapKeyspace(4, (k) => new Snapshots(k));
  for (let i = 0; i < n; i++) ks.set(i % 3, `k${i}`, `v${i}`.padEnd(200, '.'));
  return ks;
}

test('BGSAVE is a point-in-time snapshot under concurrent writes, deletes, creates and FLUSHDB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-snap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ks = populated(60_000);
  const expected = ks.dump();
  const bg = ks.snaps.startBackground(join(dir, 'dump.rdb'));
  let turns = 0;
  const gapsMs: number[] = [];
  let last = performance.now();
  let i = 0;
  const mutate = (): void => {
    const now = performance.now();
    gapsMs.push(now - last);
    last = now;
    turns++;
    for (let j = 0; j < 50; j++, i++) {
      ks.set(i % 3, `k${(i * 7919) % 60_000}`, 'CHANGED'); // overwrite (maybe not yet written)
      ks.del(i % 3, `k${(i * 104_729) % 60_000}`); // delete
      ks.set(i % 3, `new${i}`, 'NEW'); // create: must not appear
    }
    if (turns === 5) {
      ks.flush(1); // drains db 1 synchronously: the one blocking case, excluded from the gap
      last = performance.now();
    }
    if (ks.snaps.inProgress) setImmediate(mutate);
  };
  setImmediate(mutate);
  const res = await bg.done;
  assert.ok(turns > 10, `save ran in ${turns} turns; it should take many slices`);
  // Median, not max: on a shared CI machine any single turn can be descheduled.
  const median = gapsMs.sort((x, y) => x - y)[Math.floor(gapsMs.length / 2)] as number;
  assert.ok(median < 25, `median event-loop turn ${median.toFixed(1)} ms during the save`);
  assert.equal(res.keys, expected.size);
  assert.deepEqual(fileContents(join(dir, 'dump.rdb')), expected);
  assert.deepEqual(readdirSync(dir), ['dump.rdb']);
});

test('SAVE writes the current dataset synchronously', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-snap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ks = populated(1000);
  ks.del(0, 'k0');
  const res = ks.snaps.saveSync(join(dir, 'dump.rdb'));
  assert.equal(res.keys, 999);
  assert.deepEqual(fileContents(join(dir, 'dump.rdb')), ks.dump());
});

test('abort stops the save and removes the temp file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-snap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ks = populated(50_000);
  const bg = ks.snaps.startBackground(join(dir, 'dump.rdb'));
  await new Promise((r) => setImmediate(r));
  bg.abort();
  await assert.rejects(bg.done, SnapshotAbortedError);
  assert.equal(ks.snaps.inProgress, false);
  assert.deepEqual(readdirSync(dir), []);
});

test('removeStaleTempFiles deletes only our crash leftovers', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-snap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['temp-123-4-dump.rdb', 'dump.rdb', 'temp-notours.rdb']) writeFileSync(join(dir, f), 'x');
  assert.deepEqual(removeStaleTempFiles(dir), ['temp-123-4-dump.rdb']);
  assert.deepEqual(readdirSync(dir).sort(), ['dump.rdb', 'temp-notours.rdb']);
});
