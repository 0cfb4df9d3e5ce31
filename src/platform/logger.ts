/**
 * Structured logs with pino. JSON lines when stdout is not a terminal (or NIMBUS_LOG_FORMAT=json);
 * a compact human format in a terminal. Every line carries the service that wrote it.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'json' | 'pretty';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg']);

/** A synchronous stream that turns pino's JSON lines into `HH:MM:SS.mmm LEVEL [service] msg k=v`. */
function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  const colour = Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR;
  const paint = (code: number, s: string): string => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    write(line: string): void {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const level = typeof rec.level === 'number' ? rec.level : 30;
      const time = new Date(typeof rec.time === 'number' ? rec.time : Date.now()).toISOString().slice(11, 23);
      const name = LEVEL_NAMES[level] ?? String(level);
      const lvl = level >= 50 ? paint(31, name) : level >= 40 ? paint(33, name) : paint(36, name);
      const svc = typeof rec.service === 'string' ? paint(35, `[${rec.service}]`) + ' ' : '';
      const extras = Object.entries(rec)
        .filter(([k]) => !OMIT.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(
        `${paint(90, time)} ${lvl} ${svc}${String(rec.msg ?? '')}${extras ? ' ' + paint(90, extras) : ''}\n`,
      );
    },
  };
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; stderr by default so that `--json` output on stdout stays one clean line. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.destination ?? process.stderr;
  const format: LogFormat =
    opts.format ??
    (process.env.NIMBUS_LOG_FORMAT === 'json' || !(out as NodeJS.WriteStream).isTTY ? 'json' : 'pretty');
  const level = opts.level ?? 'info';
  // No base fields: callers bind `service` with child loggers (the host binds 'host' for its own
  // lines), so a key never appears twice on one line.
  const base = null;
  if (format === 'pretty') return pino({ level, base }, prettyStream(out));
  const dest: DestinationStream =
    out === process.stderr
      ? pino.destination({ dest: 2, sync: true })
      : (out as unknown as DestinationStream);
  return pino({ level, base }, dest);
}
