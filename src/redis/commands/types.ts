/**
 * The command plug-in interface.
 *
 * A command family is one module in src/redis/commands/ exporting a `CommandModule`: handlers keyed
 * by lower-case command name; a subcommand is keyed "container|sub" (e.g. "config|get",
 * "client|list"). The registry (registry.ts) joins them with the generated spec table, which gives
 * arity, flags and key positions, so a handler never checks arity itself.
 *
 * A handler receives the calling client as its context:
 *   c.argv    the request, argv[0] is the command name; every element is a *binary string*
 *             (latin1: one char per byte). Buffer.from(s, 'latin1') gives the bytes back.
 *   c.db      the client's selected Database (engine/keyspace.ts)
 *   c.server  the RedisServer (keyspace, config, stats, pub/sub, persistence hooks)
 *   c.reply   the reply writer (protocol/reply.ts `Reply`): c.reply.bulk(s), c.reply.error(msg) ...
 * Handlers run atomically (synchronously) and must reply exactly once (one top-level reply).
 * Writes go through the Database write protocol (getWrite/modified, set, delete) so WATCH, AOF,
 * BGSAVE copy-on-write and memory accounting see them. A handler whose effect must be logged to
 * the AOF differently from its argv (relative TTLs, random picks) sets `c.propagate(...)`.
 *
 * Running a command programmatically (Lua redis.call, AOF loading): take `server.fakeClient()`,
 * point `client.db` at the database, optionally replace `client.reply` with another `Reply`
 * implementation that collects values, and call `server.execute(client, argv)`; it applies the
 * same checks (arity, MULTI, OOM) and bookkeeping (stats, AOF propagation) as a socket request.
 * Pub/sub confirmations and pushes are written to `client.out` (the connection's own writer).
 */
import type { Client } from '../client.js';

export type CommandHandler = (c: Client) => void;
export type CommandModule = Readonly<Record<string, CommandHandler>>;
