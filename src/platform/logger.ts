/**
 * Structured logs with pino. JSON lines when stdout is not a terminal (or NIMBUS_LOG_FORMAT=json);
 * a compact human format in a terminal. Every line carries the service that wrote it.
 *
 * pino itself (about 25 CommonJS files, 50 ms of start-up on Node 20) is loaded when a logger first
 * has a line to write at its level, or is used in any way other than level checks and child():
 * a silent or quiet logger never loads it. Until then createLogger returns a stand-in with pino's
 * semantics for levels (a child without its own level follows its parent's, as pino's prototype
 * chain does); on first real use it creates the same pino logger it always did and forwards to it.
 */
import { createRequire } from 'node:module';
import type { Logger as PinoLogger, DestinationStream, pino as PinoFactory } from 'pino';

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

/** pino's level numbers; a line is written when its level is at or above the logger's. */
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

function loadPino(): typeof PinoFactory {
  return (createRequire(import.meta.url)('pino') as { pino: typeof PinoFactory }).pino;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  return lazyLogger(
    () => createPinoLogger(opts),
    () => level,
    level,
  );
}

/**
 * A Logger that creates its pino logger (`make`) on first real use. `ownLevel` is a level set on
 * it (a root's is its configured level); without one it follows `parentLevel`.
 */
function lazyLogger(make: () => Logger, parentLevel: () => string, ownLevel: string | null): Logger {
  let real: Logger | null = null;
  let own = ownLevel;
  const materialize = (): Logger => {
    if (real === null) {
      real = make();
      if (own !== null && real.level !== own) real.level = own;
    }
    return real;
  };
  const effective = (): string => (real !== null ? real.level : (own ?? parentLevel()));
  const methods = new Map<string | symbol, unknown>();
  for (const name of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
    methods.set(name, (...args: unknown[]): void => {
      if (real === null && (LEVEL_VALUES[name] ?? 0) < (LEVEL_VALUES[effective()] ?? 0)) return;
      (materialize() as unknown as Record<string, (...a: unknown[]) => void>)[name]!(...args);
    });
  }
  methods.set('child', (bindings: Record<string, unknown>, options?: Record<string, unknown>): Logger => {
    if (real !== null) return real.child(bindings, options);
    const level = typeof options?.level === 'string' ? options.level : null;
    return lazyLogger(() => materialize().child(bindings, options), effective, level);
  });
  methods.set('isLevelEnabled', (l: string): boolean =>
    real !== null
      ? real.isLevelEnabled(l)
      : (LEVEL_VALUES[l] ?? Infinity) >= (LEVEL_VALUES[effective()] ?? 0),
  );
  return new Proxy({} as Logger, {
    get(_target, prop) {
      if (prop === 'level') return effective();
      const m = methods.get(prop);
      if (m !== undefined) return m;
      const r = materialize();
      const v: unknown = Reflect.get(r, prop, r);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    set(_target, prop, value) {
      if (prop === 'level' && real === null) {
        if (LEVEL_VALUES[value as string] === undefined) materialize().level = value as string;
        else own = value as string;
        return true;
      }
      return Reflect.set(materialize(), prop, value);
    },
    has(_target, prop) {
      return Reflect.has(materialize(), prop);
    },
  });
}

function createPinoLogger(opts: LoggerOptions): Logger {
  const pino = loadPino();
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
