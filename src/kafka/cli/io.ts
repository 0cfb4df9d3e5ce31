/**
 * What every `nimbus kafka` command gets: streams (so tests run commands in-process with buffers)
 * and an abort signal (Ctrl-C). Commands resolve with the process exit code.
 */
import type { Readable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  signal?: AbortSignal;
}

/** Kafka's tools print operating errors like this and exit 1. */
export function fail(io: CliIo, context: string, e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`Error while executing ${context} : ${msg}\n`);
  return 1;
}

/** Left-aligned columns, like Kafka's `%-Ns` tables. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 1)))
      .join(' ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
