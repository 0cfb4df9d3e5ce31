/** MULTI EXEC DISCARD WATCH UNWATCH (multi.c). Queueing itself happens in RedisServer.execute. */
import type { Client } from '../client.js';
import type { CommandModule } from './types.js';

function multi(c: Client): void {
  if (c.multi !== null) return c.reply.error('ERR MULTI calls can not be nested');
  c.multi = [];
  c.multiError = false;
  c.reply.ok();
}

function exec(c: Client): void {
  if (c.multi !== null) c.server.checkWatchedExpired(c);
  c.server.exec(c);
}

function discard(c: Client): void {
  if (c.multi === null) return c.reply.error('ERR DISCARD without MULTI');
  c.multi = null;
  c.multiError = false;
  c.server.unwatchAll(c);
  c.reply.ok();
}

function watch(c: Client): void {
  if (c.multi !== null) return c.reply.error('ERR WATCH inside MULTI is not allowed');
  for (let i = 1; i < c.argv.length; i++) c.server.watch(c, c.argv[i] as string);
  c.reply.ok();
}

function unwatch(c: Client): void {
  c.server.unwatchAll(c);
  c.reply.ok();
}

export const transactionCommands: CommandModule = { multi, exec, discard, watch, unwatch };
