/**
 * Helpers for tests that compare Nimbus with Debian's redis-server over raw sockets: starting the
 * real server on a random port, and a raw RESP connection that records every frame it receives.
 */
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { findTool } from '../../helpers/tools.js';
import { RespReplyReader } from './resp-reader.js';
import { startRedis, type RedisUnderTest } from './harness.js';

/** How long a test waits for one reply before failing. */
const REPLY_TIMEOUT_MS = 3000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RealRedis {
  readonly port: number;
  stop(): void;
}

/** Starts redis-server without persistence (plus `extraArgs`); null when it is not installed. */
export async function startRealRedis(extraArgs: readonly string[] = []): Promise<RealRedis | null> {
  const bin = findTool('redis-server');
  if (!bin) return null;
  const port = 20000 + Math.floor(Math.random() * 30000);
  const proc: ChildProcess = spawn(bin, ['--port', String(port), '--save', '', '--appendonly', 'no', ...extraArgs], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const c = await RawConn.open(port).catch(() => null);
    if (c !== null) {
      c.close();
      break;
    }
  }
  return { port, stop: () => proc.kill('SIGKILL') };
}

export interface BothServers {
  nimbus: RedisUnderTest;
  /** null when redis-server is not installed. */
  real: RealRedis | null;
}

/** Registers before/after hooks starting Nimbus and redis-server for a test file's tests. */
export function useBothServers(realArgs: readonly string[] = []): BothServers {
  const s = { real: null } as unknown as BothServers;
  before(async () => {
    s.nimbus = await startRedis();
    s.real = await startRealRedis(realArgs);
  });
  after(async () => {
    s.real?.stop();
    await s.nimbus.close();
  });
  return s;
}

export function encode(argv: readonly string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return s;
}

/** Out-of-band frames: RESP3 pushes, or RESP2 Pub/Sub messages. */
export function isPush(raw: string): boolean {
  return (
    raw.startsWith('>') ||
    raw.startsWith('*3\r\n$7\r\nmessage\r\n') ||
    raw.startsWith('*4\r\n$8\r\npmessage\r\n')
  );
}

/** The strings of a flat array or push of bulk strings and integers (a Pub/Sub message). */
export function flatStrings(raw: string): string[] {
  const out: string[] = [];
  const lines = raw.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.startsWith('$')) out.push(lines[++i] as string);
    else if (l.startsWith(':')) out.push(l.slice(1));
  }
  return out;
}

/** A raw connection: `log` keeps every frame received; `next()` and `call()` consume them in order. */
export class RawConn {
  readonly log: string[] = [];
  private readonly reader = new RespReplyReader();
  private readonly unread: string[] = [];

  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.reader.feed(d);
      for (let r = this.reader.next(); r !== null; r = this.reader.next()) {
        this.log.push(r);
        this.unread.push(r);
      }
    });
  }

  static async open(port: number): Promise<RawConn> {
    const s = createConnection(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      s.on('connect', () => resolve());
      s.on('error', reject);
    });
    return new RawConn(s);
  }

  send(...argv: string[]): void {
    this.sock.write(encode(argv), 'latin1');
  }

  /** The next frame of any kind. */
  async next(): Promise<string> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (this.unread.length === 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for a frame');
      await sleep(2);
    }
    return this.unread.shift() as string;
  }

  /** Sends a command and returns its reply, passing over pushes (they stay in `log`). */
  async call(...argv: string[]): Promise<string> {
    this.send(...argv);
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    for (;;) {
      const i = this.unread.findIndex((f) => !isPush(f));
      if (i >= 0) return this.unread.splice(0, i + 1)[i] as string;
      if (Date.now() > deadline) throw new Error(`no reply to ${argv.join(' ')}`);
      await sleep(2);
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
