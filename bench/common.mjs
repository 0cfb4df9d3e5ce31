// Helpers every benchmark uses: medians and a process's CPU time.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The median of a list of numbers (the mean of the two middle ones for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const CLOCK_TICKS_PER_S = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout.trim()) || 100;
})();

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux); null
 * elsewhere. On a shared machine CPU time per operation is steadier than operations per second.
 */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}
