// Proves the engine's data structures against simple models (fast-check): the skip list's order,
// ranks and range queries; the deque's ends and indexes; HyperLogLog accuracy and Redis's dense
// format; keyspace memory accounting returning to zero; lazy and active expiry; eviction by sampling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Deque } from './deque.js';
import { ZSet } from './zset.js';
import { hllAdd, hllCount, newDenseHll, toDense, HLL_DENSE_SIZE } from './hll.js';
import { Keyspace } from './keyspace.js';

test('zset skip list matches a sorted-array model (ranks, ranges, removals)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('add', 'rem'), fc.string({ maxLength: 3 }), fc.integer({ min: -5, max: 5 })), { maxLength: 120 }),
      (ops) => {
        const z = new ZSet();
        const model = new Map<string, number>();
        for (const [op, m, s] of ops) {
          if (op === 'add') {
            z.add(m, s);
            model.set(m, s);
          } else {
            assert.equal(z.remove(m), model.delete(m));
          }
        }
        const sorted = [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        assert.deepEqual([...z.entries()], sorted);
        sorted.forEach(([m], i) => {
          assert.equal(z.rank(m), i);
          assert.equal(z.byRank(i)?.member, m);
        });
        const r = { min: -1, max: 2, minex: true, maxex: false };
        const inRange = sorted.filter(([, s]) => s > -1 && s <= 2);
        assert.equal(z.firstInScore(r)?.member, inRange[0]?.[0]);
        assert.equal(z.lastInScore(r)?.member, inRange[inRange.length - 1]?.[0]);
        let back = 0;
        for (let n = z.tail; n; n = n.back) back++;
        assert.equal(back, sorted.length);
      },
    ),
    { numRuns: 300 },
  );
});

test('deque behaves like an array at both ends and by index', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer()), { maxLength: 300 }), (ops) => {
      const d = new Deque<number>();
      const a: number[] = [];
      for (const [op, v] of ops) {
        if (op === 0) {
          d.pushBack(v);
          a.push(v);
        } else if (op === 1) {
          d.pushFront(v);
          a.unshift(v);
        } else if (op === 2) assert.equal(d.popFront(), a.shift());
        else assert.equal(d.popBack(), a.pop());
      }
      assert.deepEqual(d.toArray(), a);
      assert.equal(d.at(a.length - 1), a[a.length - 1]);
    }),
  );
});

test('HyperLogLog: dense format size, estimate within 2% at 10k, sparse-free round trip', () => {
  const regs = newDenseHll();
  assert.equal(regs.length, HLL_DENSE_SIZE);
  for (let i = 0; i < 10000; i++) hllAdd(regs, Buffer.from(`el-${i}`));
  const n = hllCount(regs);
  assert.ok(Math.abs(n - 10000) < 200, `estimate ${n}`);
  assert.equal(hllCount(toDense(regs.latin1Slice(0, regs.length)) as Buffer), n);
  assert.equal(toDense('not an hll'), null);
  // A sparse HLL with one register set (as redis-server writes for PFADD of one element).
  const sparse = Buffer.concat([Buffer.from('HYLL\x01\0\0\0', 'latin1'), Buffer.alloc(8), Buffer.from([0x80, 0x7f, 0xfe])]);
  assert.equal(hllCount(toDense(sparse.latin1Slice(0, sparse.length)) as Buffer), 1);
});

test('memory accounting rises with data and returns to zero after deletes and flush', () => {
  const ks = new Keyspace(2);
  const db = ks.dbs[0]!;
  for (let i = 0; i < 100; i++) {
    db.set(`k${i}`, 'x'.repeat(100));
    ks.settle();
  }
  assert.ok(ks.usedBytes > 100 * 100);
  for (let i = 0; i < 50; i++) {
    db.delete(`k${i}`);
    ks.settle();
  }
  assert.ok(ks.usedBytes > 0);
  db.flush();
  ks.settle();
  assert.equal(ks.usedBytes, 0);
});

test('lazy expiry on access and active expiry by sampling', () => {
  const ks = new Keyspace(1);
  const db = ks.dbs[0]!;
  ks.nowMs = 1000;
  for (let i = 0; i < 1000; i++) {
    db.set(`k${i}`, 'v');
    db.setExpire(`k${i}`, 2000);
  }
  db.set('keep', 'v');
  ks.settle();
  ks.nowMs = 3000;
  assert.equal(db.get('k1'), undefined, 'lazily expired');
  let t = 0;
  const removed = ks.activeExpireCycle(() => t++);
  assert.ok(removed > 500, `active cycle removed ${removed}`);
  while (ks.activeExpireCycle(() => 0) > 0);
  assert.equal(db.size, 1);
  assert.equal(ks.stats.expiredKeys, 1000);
});

test('eviction frees memory by sampling under each policy, never touching persistent keys in volatile-*', () => {
  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'] as const) {
    const ks = new Keyspace(1);
    ks.setPolicy(policy);
    const db = ks.dbs[0]!;
    ks.nowMs = 1_000_000;
    for (let i = 0; i < 200; i++) {
      db.set(`p${i}`, 'x'.repeat(50));
      db.set(`v${i}`, 'x'.repeat(50));
      db.setExpire(`v${i}`, 2_000_000 + i);
    }
    ks.settle();
    const target = ks.usedBytes * 0.75;
    assert.equal(ks.evictUntil(target, () => ks.usedBytes), true, policy);
    assert.ok(ks.usedBytes <= target);
    assert.ok(ks.stats.evictedKeys > 0);
    if (policy.startsWith('volatile')) for (let i = 0; i < 200; i++) assert.ok(db.has(`p${i}`), `${policy} kept p${i}`);
  }
  const ks = new Keyspace(1);
  ks.dbs[0]!.set('a', 'b');
  ks.settle();
  assert.equal(ks.evictUntil(0, () => ks.usedBytes), false, 'noeviction never evicts');
});
