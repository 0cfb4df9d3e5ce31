// Proves a Redisson-style distributed lock works on Nimbus exactly as the handbook describes it:
// Redisson's own lock / unlock / renew Lua scripts (hash of owner → hold count, PEXPIRE lease),
// reentrancy, a watchdog that extends the lease while work runs, waiters woken by the pub/sub
// message the unlock script publishes, and mutual exclusion under many racing clients in a
// stock-decrement (재고 차감) and a first-come coupon (선착순 쿠폰) scenario: 1,000 attempts each,
// no oversell, no double issue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type RedisUnderTest } from './harness.js';
import { LOCK, UNLOCK, RENEW } from './lock-scripts.js';

type LockClient = Redis & {
  rlock(key: string, leaseMs: number, owner: string): Promise<number | null>;
  runlock(key: string, channel: string, msg: string, leaseMs: number, owner: string): Promise<number | null>;
  rrenew(key: string, leaseMs: number, owner: string): Promise<number>;
};

let r: RedisUnderTest;
const opened: Redis[] = [];

function lockClient(): LockClient {
  const c = new Redis({ port: r.port });
  c.defineCommand('rlock', { numberOfKeys: 1, lua: LOCK });
  c.defineCommand('runlock', { numberOfKeys: 2, lua: UNLOCK });
  c.defineCommand('rrenew', { numberOfKeys: 1, lua: RENEW });
  opened.push(c);
  return c as LockClient;
}

/** A Redisson-like RLock: a subscriber per lock waits for the unlock message instead of polling. */
class RLock {
  private readonly sub: Redis;
  private readonly waiters: Array<() => void> = [];
  readonly ready: Promise<unknown>;
  constructor(
    private readonly c: LockClient,
    private readonly key: string,
    readonly owner = randomUUID(),
  ) {
    this.sub = new Redis({ port: r.port });
    opened.push(this.sub);
    this.sub.on('message', () => this.waiters.splice(0).forEach((w) => w()));
    this.ready = this.sub.subscribe(this.channel);
  }
  get channel(): string {
    return `redisson_lock__channel:{${this.key}}`;
  }
  async lock(leaseMs = 30_000): Promise<void> {
    for (;;) {
      const ttl = await this.c.rlock(this.key, leaseMs, this.owner);
      if (ttl === null) return;
      // Wait for the unlock message, or the lease to run out, whichever comes first.
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, ttl));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }
  unlock(leaseMs = 30_000): Promise<number | null> {
    return this.c.runlock(this.key, this.channel, '0', leaseMs, this.owner);
  }
  renew(leaseMs: number): Promise<number> {
    return this.c.rrenew(this.key, leaseMs, this.owner);
  }
}

before(async () => {
  r = await startRedis();
});
after(async () => {
  for (const c of opened) c.disconnect();
  await r.close();
});

test('reentrant lock, unlock, and the unlock message', async () => {
  const c = lockClient();
  const a = new RLock(c, 'res');
  const b = new RLock(c, 'res');
  await Promise.all([a.ready, b.ready]);
  await a.lock();
  await a.lock(); // reentrant
  assert.equal(await c.hget('res', a.owner), '2');
  assert.ok(((await c.rlock('res', 30_000, b.owner)) as number) > 0, 'b must see a TTL');
  let bGot = false;
  const bWait = b.lock().then(() => (bGot = true));
  assert.equal(await a.unlock(), 0); // still held once
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(bGot, false);
  assert.equal(await a.unlock(), 1); // released: publishes, b wakes without polling
  await bWait;
  assert.equal(await c.hget('res', b.owner), '1');
  assert.equal(await a.unlock(), null); // not the owner
  assert.equal(await b.unlock(), 1);
});

test('watchdog extends the lease while the holder works', async () => {
  const c = lockClient();
  const holder = new RLock(c, 'wd');
  const other = new RLock(c, 'wd');
  await Promise.all([holder.ready, other.ready]);
  await holder.lock(150);
  const dog = setInterval(() => void holder.renew(150), 50);
  try {
    for (let i = 0; i < 5; i++) {
      await new Promise((res) => setTimeout(res, 60));
      assert.ok((await c.rlock('wd', 150, other.owner)) !== null, 'lease must still be held');
    }
  } finally {
    clearInterval(dog);
  }
  // without the watchdog the lease expires and the other side gets in
  await other.lock(150);
  assert.equal(await c.hget('wd', other.owner), '1');
});

async function race(
  attempts: number,
  clients: number,
  critical: (c: LockClient, attempt: number) => Promise<void>,
  key: string,
): Promise<number> {
  const cs = Array.from({ length: clients }, () => lockClient());
  const locks = cs.map((c) => new RLock(c, key));
  await Promise.all(locks.map((l) => l.ready));
  let next = 0;
  let inside = 0;
  let maxInside = 0;
  await Promise.all(
    locks.map(async (l, i) => {
      for (;;) {
        const attempt = next++;
        if (attempt >= attempts) return;
        await l.lock();
        inside++;
        maxInside = Math.max(maxInside, inside);
        await critical(cs[i] as LockClient, attempt);
        inside--;
        await l.unlock();
      }
    }),
  );
  return maxInside;
}

test('재고 차감: 1,000 purchase attempts on 100 items never oversell', async () => {
  const admin = lockClient();
  await admin.set('stock:item', '100');
  let sold = 0;
  const maxInside = await race(
    1000,
    8,
    async (c) => {
      const left = Number(await c.get('stock:item'));
      if (left > 0) {
        await c.set('stock:item', String(left - 1));
        sold++;
      }
    },
    'lock:stock',
  );
  assert.equal(maxInside, 1);
  assert.equal(sold, 100);
  assert.equal(await admin.get('stock:item'), '0');
});

test('선착순 쿠폰: 1,000 users race for 100 coupons; nobody gets two, exactly 100 issued', async () => {
  const admin = lockClient();
  await admin.set('coupon:left', '100');
  const maxInside = await race(
    1000,
    8,
    async (c, attempt) => {
      const user = `user:${attempt % 700}`; // some users try twice
      if ((await c.sismember('coupon:issued', user)) === 1) return;
      const left = Number(await c.get('coupon:left'));
      if (left <= 0) return;
      await c.sadd('coupon:issued', user);
      await c.set('coupon:left', String(left - 1));
    },
    'lock:coupon',
  );
  assert.equal(maxInside, 1);
  assert.equal(await admin.scard('coupon:issued'), 100);
  assert.equal(await admin.get('coupon:left'), '0');
});
