/**
 * The latency monitor (LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR) and per-command latency
 * histograms (LATENCY HISTOGRAM), after Redis's latency.c.
 *
 * The server records an event (RedisServer.latencySample) only when `latency-monitor-threshold`
 * is above 0 and the measured time reaches it, as in Redis. Each event keeps a ring of the last
 * LATENCY_HISTORY_LEN samples, one per second at most (a second sample in the same second keeps
 * the larger value), and its all-time maximum. Events raised by Nimbus: `command` and `fast-command` (a command's own run
 * time, split by the `fast` flag as Redis does), `expire-cycle` and `eviction-cycle`.
 */

/** Samples kept per event (LATENCY_TS_LEN). */
export const LATENCY_HISTORY_LEN = 160;
/** Histogram buckets: bucket i counts calls that took less than 2^i µs (up to ~1.2 hours). */
export const LATENCY_HISTOGRAM_BUCKETS = 32;
/** Columns LATENCY GRAPH draws (the newest samples). */
const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;

interface Sample {
  timeSec: number;
  ms: number;
}

interface EventSeries {
  samples: Sample[];
  /** Where the next sample goes in `samples` (a ring once full). */
  next: number;
  maxMs: number;
}

export class LatencyMonitor {
  private readonly events = new Map<string, EventSeries>();

  addSample(event: string, nowSec: number, ms: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) this.events.set(event, (ts = { samples: [], next: 0, maxMs: 0 }));
    ms = Math.round(ms);
    if (ms > ts.maxMs) ts.maxMs = ms;
    const prev = ts.samples[(ts.next + LATENCY_HISTORY_LEN - 1) % LATENCY_HISTORY_LEN];
    if (prev !== undefined && prev.timeSec === nowSec) {
      if (ms > prev.ms) prev.ms = ms;
      return;
    }
    ts.samples[ts.next] = { timeSec: nowSec, ms };
    ts.next = (ts.next + 1) % LATENCY_HISTORY_LEN;
  }

  /** Samples of an event, oldest first. */
  history(event: string): Sample[] {
    const ts = this.events.get(event);
    if (ts === undefined) return [];
    const n = ts.samples.length;
    if (n < LATENCY_HISTORY_LEN) return ts.samples.slice(); // not wrapped yet: already in order
    const out: Sample[] = [];
    for (let i = 0; i < n; i++) out.push(ts.samples[(ts.next + i) % n] as Sample);
    return out;
  }

  /** [event, time of the newest sample, its latency, all-time max] per event. */
  latest(): Array<[string, number, number, number]> {
    const out: Array<[string, number, number, number]> = [];
    for (const [event, ts] of this.events) {
      const last = ts.samples[(ts.next + LATENCY_HISTORY_LEN - 1) % LATENCY_HISTORY_LEN];
      if (last !== undefined) out.push([event, last.timeSec, last.ms, ts.maxMs]);
    }
    return out;
  }

  /** Resets the named events (all when none are named); returns how many existed. */
  reset(events: readonly string[]): number {
    if (events.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const e of events) if (this.events.delete(e)) n++;
    return n;
  }

  /** LATENCY GRAPH: an ASCII chart of the newest samples, or null when the event has none. */
  graph(event: string, nowSec: number): string | null {
    const ts = this.events.get(event);
    const samples = this.history(event).slice(-GRAPH_COLUMNS);
    if (ts === undefined || samples.length === 0) return null;
    let hi = 0;
    let lo = Infinity;
    for (const s of samples) {
      if (s.ms > hi) hi = s.ms;
      if (s.ms < lo) lo = s.ms;
    }
    const lines = [`${event} - high ${hi} ms, low ${lo} ms (all time high ${ts.maxMs} ms)`, '-'.repeat(GRAPH_COLUMNS)];
    for (let row = GRAPH_ROWS; row >= 1; row--) {
      let line = '';
      for (const s of samples) {
        const level = hi === lo ? GRAPH_ROWS : 1 + Math.round(((s.ms - lo) / (hi - lo)) * (GRAPH_ROWS - 1));
        line += level > row ? '|' : level === row ? '#' : ' ';
      }
      lines.push(line.trimEnd());
    }
    // Under each column, how long ago the sample was, written downwards ("15s", "2m", "1h").
    const ages = samples.map((s) => formatAge(nowSec - s.timeSec));
    const depth = Math.max(...ages.map((a) => a.length));
    lines.push('');
    for (let i = 0; i < depth; i++) lines.push(ages.map((a) => a[i] ?? ' ').join('').trimEnd());
    return lines.join('\n') + '\n';
  }

  /** LATENCY DOCTOR: a short human report over every event. */
  doctor(thresholdMs: number): string {
    if (this.events.size === 0 && thresholdMs === 0)
      return 'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n';
    if (this.events.size === 0)
      return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep better.\n';
    const lines = ['Dave, I have observed latency spikes in this Redis instance. You don\'t mind talking about it, do you Dave?', ''];
    let i = 1;
    for (const [event, ts] of this.events) {
      const s = this.history(event);
      const avg = s.reduce((a, b) => a + b.ms, 0) / s.length;
      const dev = s.reduce((a, b) => a + Math.abs(b.ms - avg), 0) / s.length;
      const period = s.length > 1 ? ((s[s.length - 1] as Sample).timeSec - (s[0] as Sample).timeSec) / (s.length - 1) : 0;
      lines.push(
        `${i++}. ${event}: ${s.length} latency spikes (average ${Math.round(avg)}ms, mean deviation ${Math.round(dev)}ms, period ${period.toFixed(2)} sec). Worst all time event ${ts.maxMs}ms.`,
      );
    }
    lines.push('', 'I have a few advices for you:', '');
    if (this.events.has('command') || this.events.has('fast-command'))
      lines.push('- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.');
    if (this.events.has('expire-cycle'))
      lines.push('- Many keys expire at the same time: spread their TTLs so the active expire cycle has less to do at once.');
    if (this.events.has('eviction-cycle'))
      lines.push('- Eviction is taking long: raise maxmemory or lower the write rate, or choose a cheaper maxmemory-policy.');
    return lines.join('\n') + '\n';
  }
}

function formatAge(sec: number): string {
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m`;
  return `${Math.floor(sec / 3600)}h`;
}

/** Adds one call of `us` microseconds to a command's histogram. */
export function histogramAdd(hist: Float64Array, us: number): void {
  let i = us < 1 ? 0 : 32 - Math.clz32(us);
  if (i >= LATENCY_HISTOGRAM_BUCKETS) i = LATENCY_HISTOGRAM_BUCKETS - 1;
  hist[i] = (hist[i] as number) + 1;
}

/**
 * The histogram as LATENCY HISTOGRAM reports it: cumulative counts keyed by the bucket's upper
 * bound in µs (1, 2, 4, …), listing only buckets that add calls, as Redis does. (Redis's HDR
 * histogram has bounds of 1.024 × 2^i µs after rounding: 1, 2, 4, 8, 16, 33, 66, …)
 */
export function histogramReport(hist: Float64Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let cum = 0;
  for (let i = 0; i < hist.length; i++) {
    const n = hist[i] as number;
    if (n === 0) continue;
    cum += n;
    out.push([2 ** i, cum]);
  }
  return out;
}
