/**
 * One connected client: its socket, parser, reply writer and per-connection state (selected db,
 * auth, MULTI queue, WATCH set, subscriptions, CLIENT settings). It is also the context every
 * command handler receives (see commands/types.ts).
 */
import type { Socket } from 'node:net';
import type { Database } from './engine/keyspace.js';
import { RespParser } from './protocol/resp-parser.js';
import { RespReply, type Reply } from './protocol/reply.js';
import type { RegisteredCommand } from './commands/registry.js';
import type { RedisServer } from './server.js';
import type { SocketWriter } from './socket-writer.js';

export interface QueuedCommand {
  cmd: RegisteredCommand;
  argv: string[];
}

export class Client {
  argv: string[] = [];
  db: Database;
  reply: Reply;
  /** The concrete writer this connection flushes (c.reply may be swapped by scripting). */
  readonly out: RespReply;
  readonly parser: RespParser;
  name = '';
  libName = '';
  libVer = '';
  user = 'default';
  authenticated: boolean;
  /** MULTI state: null when not in a transaction. */
  multi: QueuedCommand[] | null = null;
  multiError = false;
  /** Set when a watched key changed: EXEC fails. */
  dirtyCas = false;
  readonly watched = new Set<string>();
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  readonly createdMs: number;
  lastInteractionMs: number;
  lastCommand = 'NULL';
  /** Replies to this client are OFF (CLIENT REPLY OFF) or skip the next one. */
  replyMode: 'on' | 'off' | 'skip' = 'on';
  noEvict = false;
  noTouch = false;
  monitor = false;
  closing = false;
  closeAfterReply = false;
  /** Requests held back while the server is paused (CLIENT PAUSE). */
  held: string[][] = [];
  /** When the output buffer first went over the soft limit (0 = not over). */
  softLimitSinceMs = 0;
  /** What to append to the AOF instead of argv (set by handlers that rewrite, e.g. SET EX). */
  propagated: string[][] | null = null;
  /** Writes this client's replies (null for fake clients). */
  writer: SocketWriter | null = null;
  /** In the server's list of clients to flush this turn. */
  flushQueued = false;
  /** Pending ordered writes while replies wait for an AOF fsync (appendfsync always). */
  writeChain: Promise<void> | null = null;
  /** Fake clients (Lua, AOF loading) have no socket. */
  readonly socket: Socket | null;

  constructor(
    readonly id: number,
    readonly server: RedisServer,
    socket: Socket | null,
    nowMs: number,
  ) {
    this.socket = socket;
    this.db = server.keyspace.dbs[0] as Database;
    this.out = new RespReply(2);
    this.reply = this.out;
    this.parser = new RespParser({ protoMaxBulkLenBytes: server.settings.protoMaxBulkLenBytes });
    this.authenticated = !server.authRequired();
    this.createdMs = nowMs;
    this.lastInteractionMs = nowMs;
  }

  get resp(): 2 | 3 {
    return this.out.resp;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  /** In RESP2 a subscribed client may only run (P|S)SUBSCRIBE, UNSUBSCRIBE, PING, QUIT, RESET. */
  get inPubSubContext(): boolean {
    return this.out.resp === 2 && this.subscriptionCount > 0;
  }

  /** Replaces what the AOF logs for the current command; may be called several times to log several. */
  propagate(argv: string[]): void {
    if (this.propagated === null) this.propagated = [];
    this.propagated.push(argv);
  }

  /** Marks the current command as not to be propagated even though it changed data. */
  propagateNothing(): void {
    this.propagated = [];
  }

  remoteAddress(): string {
    const s = this.socket;
    if (!s) return '';
    const host = s.remoteAddress ?? '?';
    return `${host.includes(':') && !host.startsWith('::ffff:') ? `[${host}]` : host.replace('::ffff:', '')}:${s.remotePort ?? 0}`;
  }

  localAddress(): string {
    const s = this.socket;
    if (!s) return '';
    const host = (s.localAddress ?? '?').replace('::ffff:', '');
    return `${host}:${s.localPort ?? 0}`;
  }
}
