/**
 * Every built-in command family. Helpers adding a family (scripting, streams, ACL) export a
 * CommandModule and add it here; see types.ts for the handler contract.
 */
import { aclCommands } from './acl.js';
import { bitCommands } from './bits.js';
import { commandCommands } from './command-info.js';
import { connectionCommands } from './connection.js';
import { hashCommands } from './hashes.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { keyCommands } from './keys.js';
import { keyExtraCommands } from './keys-extra.js';
import { listCommands } from './lists.js';
import { pubsubCommands } from './pubsub.js';
import { scriptingCommands } from './scripting.js';
import { blockingCommands } from './streams-blocking.js';
import { streamCommands } from './streams.js';
import type { CommandRegistry } from './registry.js';
import { serverCommands } from './server-admin.js';
import { setCommands } from './sets.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';
import { zsetCommands } from './zsets.js';

export function registerAllCommands(r: CommandRegistry): void {
  for (const m of [
    connectionCommands,
    serverCommands,
    commandCommands,
    keyCommands,
    keyExtraCommands,
    bitCommands,
    stringCommands,
    listCommands,
    hashCommands,
    setCommands,
    zsetCommands,
    hyperloglogCommands,
    pubsubCommands,
    transactionCommands,
    // Issue 4 (helper R3): scripting/functions, streams, blocking commands, ACL.
    scriptingCommands,
    streamCommands,
    blockingCommands,
    aclCommands,
  ])
    r.register(m);
}
