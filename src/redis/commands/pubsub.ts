/** Pub/Sub commands. Replies to (un)subscribe are push messages, one per channel. */
import type { Client } from '../client.js';
import { globMatch } from './args.js';
import type { CommandModule } from './types.js';

type Kind = 'subscribe' | 'ssubscribe' | 'psubscribe';

function confirm(c: Client, kind: string, name: string | null): void {
  c.out.push(3);
  c.out.bulk(kind);
  if (name === null) c.out.nullBulk();
  else c.out.bulk(name);
  // Shard (un)subscriptions count shard channels; the others count channels plus patterns.
  const shard = kind === 'ssubscribe' || kind === 'sunsubscribe';
  c.out.int(shard ? c.shardChannels.size : c.channels.size + c.patterns.size);
}

function subscribeGeneric(c: Client, kind: Kind): void {
  const ps = c.server.pubsub;
  for (let i = 1; i < c.argv.length; i++) {
    const name = c.argv[i] as string;
    if (kind === 'psubscribe') ps.psubscribe(c, name);
    else ps.subscribe(c, kind === 'subscribe' ? 'channel' : 'shard', name);
    confirm(c, kind, name);
  }
}

function unsubscribeGeneric(c: Client, kind: 'unsubscribe' | 'sunsubscribe' | 'punsubscribe'): void {
  const ps = c.server.pubsub;
  const own = kind === 'unsubscribe' ? c.channels : kind === 'sunsubscribe' ? c.shardChannels : c.patterns;
  const names = c.argv.length > 1 ? c.argv.slice(1) : [...own];
  if (names.length === 0) return confirm(c, kind, null);
  for (const name of names) {
    if (kind === 'punsubscribe') ps.punsubscribe(c, name);
    else ps.unsubscribe(c, kind === 'unsubscribe' ? 'channel' : 'shard', name);
    confirm(c, kind, name);
  }
}

function publish(c: Client): void {
  const n = c.server.pubsub.publish(c.argv[1] as string, c.argv[2] as string);
  c.server.stats.pubsubMessages++;
  c.reply.int(n);
}

function channelsGeneric(c: Client, map: Map<string, Set<Client>>): void {
  const pattern = c.argv[2];
  const out: string[] = [];
  for (const ch of map.keys()) if (pattern === undefined || globMatch(pattern, ch)) out.push(ch);
  c.reply.bulks(out);
}

function numsub(c: Client, map: Map<string, Set<Client>>): void {
  const names = c.argv.slice(2);
  c.reply.map(names.length);
  for (const n of names) {
    c.reply.bulk(n);
    c.reply.int(map.get(n)?.size ?? 0);
  }
}

export const pubsubCommands: CommandModule = {
  subscribe: (c) => subscribeGeneric(c, 'subscribe'),
  ssubscribe: (c) => subscribeGeneric(c, 'ssubscribe'),
  psubscribe: (c) => subscribeGeneric(c, 'psubscribe'),
  unsubscribe: (c) => unsubscribeGeneric(c, 'unsubscribe'),
  sunsubscribe: (c) => unsubscribeGeneric(c, 'sunsubscribe'),
  punsubscribe: (c) => unsubscribeGeneric(c, 'punsubscribe'),
  publish,
  spublish: (c) => {
    const n = c.server.pubsub.spublish(c.argv[1] as string, c.argv[2] as string);
    c.server.stats.pubsubMessages++;
    c.reply.int(n);
  },
  'pubsub|channels': (c) => channelsGeneric(c, c.server.pubsub.channels),
  'pubsub|shardchannels': (c) => channelsGeneric(c, c.server.pubsub.shardChannels),
  'pubsub|numsub': (c) => numsub(c, c.server.pubsub.channels),
  'pubsub|shardnumsub': (c) => numsub(c, c.server.pubsub.shardChannels),
  'pubsub|numpat': (c) => c.reply.int(c.server.pubsub.patterns.size),
  'pubsub|help': (c) => c.reply.bulks(['PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'CHANNELS', 'NUMPAT', 'NUMSUB', 'SHARDCHANNELS', 'SHARDNUMSUB', 'HELP']),
};

