/**
 * kill -9 during log compaction. A child process opens a partition log of ~30 sealed segments
 * and runs one cleaner pass; the parent kills it with SIGKILL at a random moment of that pass
 * (timed from a calibration run), then reopens the log and checks that every segment is either
 * its old or its new version: every record read is one that was written, at its original offset,
 * the latest value of every key is there, nothing was truncated, and a further pass completes.
 *
 * The same file is the child: with NIMBUS_COMPACTION_CHILD set it cleans and reports instead of
 * defining tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../../src/platform/clock.js';
import { compress, decompress } from '../../../src/kafka/protocol/compression/index.js';
import { decodeRecordSet, encodeBatch } from '../../../src/kafka/protocol/records.js';
import { splitBatches } from '../../../src/kafka/storage/batch.js';
import { FileLog } from '../../../src/kafka/storage/file-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/kafka/storage/log.js';
import type { CompactionConfig } from '../../../src/kafka/storage/segment-cleaner.js';

const CHILD_ENV = 'NIMBUS_COMPACTION_CHILD';
const KEYS = 200;
const VERSIONS = 15;
const RECORDS_PER_BATCH = 10;
const VALUE_BYTES = 1000;
const ROUNDS = 3;
const CFG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 100_000, retentionMs: -1 };
const COMPACT: CompactionConfig = {
  deleteRetentionMs: 0,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
};
const codecs = { compress, decompress };

function openLog(dir: string, warnings: string[] = []): FileLog {
  return FileLog.open({
    dir,
    topic: 't',
    partition: 0,
    config: CFG,
    clock: new ManualClock(),
    onWarning: (m) => warnings.push(m),
  });
}

if (process.env[CHILD_ENV]) {
  const log = openLog(process.env[CHILD_ENV]);
  process.stdout.write('START\n');
  const t0 = performance.now();
  log.compact(Date.now(), COMPACT, codecs);
  process.stdout.write(`DONE ${Math.round(performance.now() - t0)}\n`);
  await log.close();
} else {
  defineTests();
}

function value(key: number, version: number): string {
  return `k${key}-v${version}-`.padEnd(VALUE_BYTES, 'x');
}

/** Writes the history (every key in every version, gzip every other batch); returns offset → "key=value". */
async function populate(dir: string): Promise<Map<number, string>> {
  const log = openLog(dir);
  const written = new Map<number, string>();
  let n = 0;
  for (let v = 0; v < VERSIONS; v++) {
    for (let k = 0; k < KEYS; k += RECORDS_PER_BATCH) {
      const recs = [];
      for (let i = k; i < k + RECORDS_PER_BATCH; i++)
        recs.push({ key: `k${i}`, value: value(i, v), timestamp: 1_000 });
      const b = encodeBatch(recs, { compression: n++ % 2 });
      const r = await log.append(b, splitBatches(b), 0);
      recs.forEach((rec, i) => written.set(r.baseOffset + i, `${rec.key}=${rec.value}`));
    }
  }
  await log.close();
  return written;
}

function readAll(log: FileLog): Map<number, string> {
  const out = new Map<number, string>();
  let offset = 0;
  while (offset < log.highWatermark()) {
    const r = log.read(offset, 1 << 20);
    if (r.records.length === 0) break;
    for (const b of decodeRecordSet(r.records)) {
      for (const rec of b.records)
        out.set(rec.offset, `${rec.key?.toString() ?? ''}=${rec.value?.toString() ?? '~'}`);
      offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

/** Runs the child on `dir`; kills it `killAfterMs` after it starts cleaning (null: let it finish). */
function runChild(
  dir: string,
  killAfterMs: number | null,
): Promise<{ killed: boolean; cleanMs: number | null }> {
  const loader = process.execArgv.filter(
    (a, i, all) =>
      /^--(import|require|loader)/.test(a) || /^--(import|require|loader)$/.test(all[i - 1] ?? ''),
  );
  const proc = spawn(process.execPath, [...loader, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_ENV]: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let killed = false;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAfterMs !== null && out.startsWith('START') && !killed) {
        killed = true;
        setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(guard);
      const m = /DONE (\d+)/.exec(out);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${err}`));
      else resolve({ killed: signal === 'SIGKILL', cleanMs: m ? Number(m[1]) : null });
    });
  });
}

function defineTests(): void {
  test('kill -9 during a cleaner pass leaves every segment old or new, never torn', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'nimbus-k2-clean-kill-'));
    try {
      const pristine = join(root, 'pristine');
      const written = await populate(pristine);
      const latest = new Map<string, number>();
      for (const [offset, kv] of written) latest.set(kv.slice(0, kv.indexOf('=')), offset);
      // Calibrate: how long one whole pass takes here.
      const calib = join(root, 'calib');
      cpSync(pristine, calib, { recursive: true });
      const c = await runChild(calib, null);
      assert.ok(c.cleanMs !== null, 'the calibration pass finished');
      let killedMidway = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const dir = join(root, `r${round}`);
        cpSync(pristine, dir, { recursive: true });
        const r = await runChild(dir, Math.floor(((round + 0.5) / ROUNDS) * c.cleanMs!));
        if (r.killed && r.cleanMs === null) killedMidway++;
        const warnings: string[] = [];
        const log = openLog(dir, warnings);
        try {
          assert.ok(!readdirSync(dir).some((n) => n.endsWith('.cleaned')), 'temp copies swept');
          assert.equal(log.recovery.truncatedBytes, 0);
          assert.deepEqual(warnings, []);
          const seen = readAll(log);
          for (const [offset, kv] of seen)
            assert.equal(kv, written.get(offset), `offset ${offset} holds what was written there`);
          for (const offset of latest.values())
            assert.ok(seen.has(offset), `latest offset ${offset} survives`);
          log.compact(Date.now(), COMPACT, codecs);
          const after = readAll(log);
          // The last segment is active (never cleaned); every earlier key keeps one record.
          assert.ok(after.size <= KEYS * 2, `${after.size} records after a full pass`);
        } finally {
          await log.close();
        }
      }
      t.diagnostic(`pass ${c.cleanMs} ms, ${killedMidway} of ${ROUNDS} kills mid-pass`);
      assert.ok(killedMidway >= 1, `at least one kill landed mid-pass (pass takes ${c.cleanMs} ms)`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
