/**
 * Pub/Sub routing: channel → subscribers, pattern → subscribers, shard channel → subscribers.
 * Messages are written as push replies (RESP3 `>`; RESP2 arrays), so a RESP3 client can keep
 * running normal commands on the same connection.
 */
import type { Client } from './client.js';
import { globMatch } from './commands/args.js';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  subscribe(c: Client, kind: 'channel' | 'shard', channel: string): boolean {
    const own = kind === 'channel' ? c.channels : c.shardChannels;
    if (own.has(channel)) return false;
    own.add(channel);
    const map = kind === 'channel' ? this.channels : this.shardChannels;
    let set = map.get(channel);
    if (!set) map.set(channel, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: Client, kind: 'channel' | 'shard', channel: string): boolean {
    const own = kind === 'channel' ? c.channels : c.shardChannels;
    if (!own.delete(channel)) return false;
    const map = kind === 'channel' ? this.channels : this.shardChannels;
    const set = map.get(channel);
    if (set) {
      set.delete(c);
      if (set.size === 0) map.delete(channel);
    }
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    let set = this.patterns.get(pattern);
    if (!set) this.patterns.set(pattern, (set = new Set()));
    set.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    const set = this.patterns.get(pattern);
    if (set) {
      set.delete(c);
      if (set.size === 0) this.patterns.delete(pattern);
    }
    return true;
  }

  /** Delivers a message; returns the number of receivers (PUBLISH's reply). */
  publish(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.out.push(3);
        c.out.bulk('message');
        c.out.bulk(channel);
        c.out.bulk(message);
        n++;
      }
    }
    for (const [pattern, set] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const c of set) {
        c.out.push(4);
        c.out.bulk('pmessage');
        c.out.bulk(pattern);
        c.out.bulk(channel);
        c.out.bulk(message);
        n++;
      }
    }
    return n;
  }

  spublish(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    if (!subs) return 0;
    for (const c of subs) {
      c.out.push(3);
      c.out.bulk('smessage');
      c.out.bulk(channel);
      c.out.bulk(message);
    }
    return subs.size;
  }

  removeClient(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, 'channel', ch);
    for (const ch of [...c.shardChannels]) this.unsubscribe(c, 'shard', ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
  }
}
