/**
 * Time for services. Services never call Date.now() or setInterval directly: periodic work (expiry
 * cycles, retention, health checks) runs on ticks of this clock, so tests can drive time with a
 * ManualClock instead of sleeping.
 */
import { performance } from 'node:perf_hooks';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds (fractional), for measuring durations. */
  monotonicMs(): number;
  /** Calls fn every intervalMs until cancelled. Never keeps the process alive by itself. */
  every(intervalMs: number, fn: () => void): Timer;
  /** Calls fn once after delayMs unless cancelled. Never keeps the process alive by itself. */
  after(delayMs: number, fn: () => void): Timer;
}

/** perf_hooks' object: the global `performance` is a lazy accessor, a getter call on every read. */
const monotonic = performance.now.bind(performance);

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  monotonicMs(): number {
    return monotonic();
  }
  every(intervalMs: number, fn: () => void): Timer {
    const h = setInterval(fn, Math.max(1, intervalMs));
    h.unref();
    return { cancel: () => clearInterval(h) };
  }
  after(delayMs: number, fn: () => void): Timer {
    const h = setTimeout(fn, Math.max(0, delayMs));
    h.unref();
    return { cancel: () => clearTimeout(h) };
  }
}

interface ManualTimer {
  due: number;
  intervalMs: number | null;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in order. */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }
  now(): number {
    return this.current;
  }
  monotonicMs(): number {
    return this.current;
  }
  every(intervalMs: number, fn: () => void): Timer {
    return this.add({ due: this.current + intervalMs, intervalMs, fn, cancelled: false });
  }
  after(delayMs: number, fn: () => void): Timer {
    return this.add({ due: this.current + delayMs, intervalMs: null, fn, cancelled: false });
  }
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => !t.cancelled && t.due <= target)
        .sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.current = next.due;
      if (next.intervalMs === null) next.cancelled = true;
      else next.due += Math.max(1, next.intervalMs);
      next.fn();
    }
    this.current = target;
  }
  private add(t: ManualTimer): Timer {
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }
}
