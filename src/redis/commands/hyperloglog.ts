/** PFADD PFCOUNT PFMERGE on Redis-format HyperLogLog strings (engine/hll.ts). */
import type { Client } from '../client.js';
import { hllAdd, hllCount, hllMergeInto, newDenseHll, toDense } from '../engine/hll.js';
import { getStr, WRONG } from './helpers.js';
import type { CommandModule } from './types.js';
import { notify, NOTIFY_STRING } from '../notify.js';

const E_INVALID_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

/** Reads a key as HLL registers: null when missing, WRONG after replying. */
function readHll(c: Client, key: string): Buffer | null | typeof WRONG {
  const s = getStr(c, key);
  if (s === WRONG) return WRONG;
  if (s === undefined) return null;
  const d = toDense(s);
  if (d === null) {
    c.reply.error(E_INVALID_HLL);
    return WRONG;
  }
  return d;
}

function pfadd(c: Client): void {
  const key = c.argv[1] as string;
  const cur = readHll(c, key);
  if (cur === WRONG) return;
  const regs = cur ?? newDenseHll();
  let changed = cur === null;
  for (let i = 2; i < c.argv.length; i++) if (hllAdd(regs, Buffer.from(c.argv[i] as string, 'latin1'))) changed = true;
  if (changed) {
    c.db.set(key, regs.latin1Slice(0, regs.length), true);
    notify(c, NOTIFY_STRING, 'pfadd', key);
  }
  c.reply.int(changed ? 1 : 0);
}

function pfcount(c: Client): void {
  if (c.argv.length === 2) {
    const regs = readHll(c, c.argv[1] as string);
    if (regs === WRONG) return;
    return c.reply.int(regs === null ? 0 : hllCount(regs));
  }
  const acc = newDenseHll();
  for (let i = 1; i < c.argv.length; i++) {
    const regs = readHll(c, c.argv[i] as string);
    if (regs === WRONG) return;
    if (regs) hllMergeInto(acc, regs);
  }
  c.reply.int(hllCount(acc));
}

function pfmerge(c: Client): void {
  const dst = c.argv[1] as string;
  const acc = newDenseHll();
  for (let i = 1; i < c.argv.length; i++) {
    const regs = readHll(c, c.argv[i] as string);
    if (regs === WRONG) return;
    if (regs) hllMergeInto(acc, regs);
  }
  c.db.set(dst, acc.latin1Slice(0, acc.length), true);
  notify(c, NOTIFY_STRING, 'pfadd', dst);
  c.reply.ok();
}

export const hyperloglogCommands: CommandModule = { pfadd, pfcount, pfmerge };
