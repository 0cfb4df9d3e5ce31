/**
 * Proves the classic group protocol on a ManualClock: MEMBER_ID_REQUIRED then join, generations,
 * leader-only member metadata, assignments passed verbatim, rebalance when a member joins or
 * leaves, the join phase ending at the rebalance timeout with laggards removed, session expiry,
 * static membership (rejoin without rebalance, fencing), INCONSISTENT_GROUP_PROTOCOL, the initial
 * rebalance delay, offsets (commit rules, fetch, durability across reopen) and lag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../platform/clock.js';
import { DEFAULT_GROUP_CONFIG, GroupCoordinator, type JoinGroupRequest, type JoinGroupResult } from './group-coordinator.js';
import { OffsetStore } from './offset-store.js';
import { ErrorCode } from '../error-codes.js';

const E = ErrorCode;
const meta = (s: string) => Buffer.from(s);

function req(memberId: string, over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: meta(`md-${memberId}`) }],
    requireKnownMemberId: true,
    ...over,
  };
}

function setup(cfg = {}) {
  const clock = new ManualClock();
  const store = new OffsetStore(null);
  const gc = new GroupCoordinator(clock, store, { ...DEFAULT_GROUP_CONFIG, ...cfg });
  return { clock, store, gc };
}

/** Joins a brand-new member (MEMBER_ID_REQUIRED round trip) and returns the pending join promise. */
async function firstJoin(gc: GroupCoordinator, over: Partial<JoinGroupRequest> = {}): Promise<{ id: string; join: Promise<JoinGroupResult> }> {
  const r = await gc.joinGroup(req('', over));
  if (over.groupInstanceId) return { id: r.memberId, join: Promise.resolve(r) };
  assert.equal(r.errorCode, E.MEMBER_ID_REQUIRED);
  assert.ok(r.memberId.startsWith('c-'));
  return { id: r.memberId, join: gc.joinGroup(req(r.memberId, over)) };
}

async function stabilise(gc: GroupCoordinator, joins: JoinGroupResult[]) {
  const leader = joins.find((j) => j.members.length > 0)!;
  const assignments = leader.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`assign-${m.memberId}`) }));
  const syncs = await Promise.all(
    joins.map((j) =>
      gc.syncGroup({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: j.memberId === leader.memberId ? assignments : [] }),
    ),
  );
  return syncs;
}

test('join, sync, stable; a second member triggers a rebalance with a new generation', async () => {
  const { gc } = setup();
  const a = await firstJoin(gc);
  const ja = await a.join;
  assert.equal(ja.errorCode, E.NONE);
  assert.equal(ja.generationId, 1);
  assert.equal(ja.leader, a.id);
  assert.deepEqual(ja.members.map((m) => m.memberId), [a.id]);
  const [sa] = await stabilise(gc, [ja]);
  assert.equal(sa!.assignment.toString(), `assign-${a.id}`);
  assert.equal(gc.describeGroup('g').state, 'Stable');

  // B joins: group goes PreparingRebalance; A learns through its heartbeat and rejoins.
  const b = await firstJoin(gc);
  assert.equal(gc.describeGroup('g').state, 'PreparingRebalance');
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: 1, memberId: a.id, groupInstanceId: null }), E.REBALANCE_IN_PROGRESS);
  const ja2 = gc.joinGroup(req(a.id));
  const [ra, rb] = await Promise.all([ja2, b.join]);
  assert.equal(ra.generationId, 2);
  assert.equal(rb.generationId, 2);
  const leader = ra.members.length > 0 ? ra : rb;
  const follower = leader === ra ? rb : ra;
  assert.equal(leader.members.length, 2, 'leader sees every member with its metadata');
  assert.deepEqual(follower.members, [], 'followers get no member metadata');
  assert.equal(leader.members.find((m) => m.memberId === b.id)!.metadata.toString(), `md-${b.id}`);
  const syncs = await stabilise(gc, [ra, rb]);
  assert.equal(syncs[1]!.assignment.toString(), `assign-${b.id}`, 'assignment bytes are passed verbatim');
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: 1, memberId: a.id, groupInstanceId: null }), E.ILLEGAL_GENERATION);
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: 2, memberId: 'nobody', groupInstanceId: null }), E.UNKNOWN_MEMBER_ID);
  gc.close();
});

test('leave triggers a rebalance; the join phase ends at the rebalance timeout, dropping laggards', async () => {
  const { gc, clock } = setup();
  const a = await firstJoin(gc);
  const ja = await a.join;
  await stabilise(gc, [ja]);
  const b = await firstJoin(gc, { clientId: 'c' });
  const [ra, rb] = await Promise.all([gc.joinGroup(req(a.id)), b.join]);
  await stabilise(gc, [ra, rb]);
  // B leaves: A must rejoin and becomes the only member.
  const left = gc.leaveGroup('g', [{ memberId: b.id, groupInstanceId: null }]);
  assert.deepEqual(left.members.map((m) => m.errorCode), [E.NONE]);
  assert.equal(gc.describeGroup('g').state, 'PreparingRebalance');
  const r3 = await gc.joinGroup(req(a.id));
  assert.equal(r3.generationId, 3);
  await stabilise(gc, [r3]);
  // C joins but A never rejoins: after the rebalance timeout A is dropped and C alone proceeds.
  const c = await firstJoin(gc);
  let settled = false;
  void c.join.then(() => (settled = true));
  clock.advance(9_000); // below A's session timeout; A's heartbeats would say REBALANCE_IN_PROGRESS
  await Promise.resolve();
  assert.equal(settled, false);
  clock.advance(30_000);
  const rc = await c.join;
  assert.equal(rc.errorCode, E.NONE);
  assert.deepEqual(rc.members.map((m) => m.memberId), [c.id]);
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: rc.generationId, memberId: a.id, groupInstanceId: null }), E.UNKNOWN_MEMBER_ID);
  gc.close();
});

test('session timeout expires a silent member; the group empties', async () => {
  const { gc, clock } = setup();
  const a = await firstJoin(gc);
  const ja = await a.join;
  await stabilise(gc, [ja]);
  clock.advance(5_000);
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: 1, memberId: a.id, groupInstanceId: null }), E.NONE);
  clock.advance(9_999);
  assert.equal(gc.describeGroup('g').state, 'Stable');
  clock.advance(2);
  assert.equal(gc.describeGroup('g').state, 'Empty');
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: 1, memberId: a.id, groupInstanceId: null }), E.UNKNOWN_MEMBER_ID);
  gc.close();
});

test('static membership: restart rejoins without a rebalance; the old id is fenced', async () => {
  const { gc, clock } = setup();
  // B (dynamic) first, so it leads; then the static member i1 joins.
  const b = await firstJoin(gc);
  await stabilise(gc, [await b.join]);
  const [r1, rb] = await Promise.all([gc.joinGroup(req('', { groupInstanceId: 'i1' })), gc.joinGroup(req(b.id))]);
  const s1 = r1;
  assert.equal(r1.errorCode, E.NONE, 'static members skip MEMBER_ID_REQUIRED');
  assert.equal(rb.leader, b.id);
  await stabilise(gc, [r1, rb]);
  const gen = r1.generationId;
  // i1 restarts: new member id, same instance id, within the session timeout.
  clock.advance(5000);
  const again = await gc.joinGroup(req('', { groupInstanceId: 'i1' }));
  assert.equal(again.errorCode, E.NONE);
  assert.equal(again.generationId, gen, 'no new generation');
  assert.notEqual(again.memberId, s1.memberId);
  assert.equal(gc.describeGroup('g').state, 'Stable');
  const sync = await gc.syncGroup({ groupId: 'g', generationId: gen, memberId: again.memberId, groupInstanceId: 'i1', protocolType: null, protocolName: null, assignments: [] });
  assert.equal(sync.assignment.toString(), `assign-${s1.memberId}`, 'keeps its assignment');
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: gen, memberId: s1.memberId, groupInstanceId: 'i1' }), E.FENCED_INSTANCE_ID);
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: gen, memberId: again.memberId, groupInstanceId: 'i1' }), E.NONE);
  gc.close();
});

test('INCONSISTENT_GROUP_PROTOCOL when protocols do not overlap; protocol chosen by vote', async () => {
  const { gc } = setup();
  const a = await firstJoin(gc, { protocols: [{ name: 'roundrobin', metadata: meta('x') }, { name: 'range', metadata: meta('y') }] });
  const ja = await a.join;
  assert.equal(ja.protocolName, 'roundrobin');
  await stabilise(gc, [ja]).catch(() => undefined);
  const bad = await gc.joinGroup(req('', { protocols: [{ name: 'sticky', metadata: meta('z') }] }));
  assert.equal(bad.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  const badType = await gc.joinGroup(req('', { protocolType: 'connect' }));
  assert.equal(badType.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await gc.joinGroup(req('', { sessionTimeoutMs: 10 }))).errorCode, E.INVALID_SESSION_TIMEOUT);
  assert.equal((await gc.joinGroup(req('', { groupId: '' }))).errorCode, E.INVALID_GROUP_ID);
  assert.equal((await gc.joinGroup(req('ghost'))).errorCode, E.UNKNOWN_MEMBER_ID);
  gc.close();
});

test('group.initial.rebalance.delay.ms gathers members joining an empty group', async () => {
  const { gc, clock } = setup({ groupInitialRebalanceDelayMs: 3000 });
  const a = await firstJoin(gc);
  let done = false;
  void a.join.then(() => (done = true));
  clock.advance(2000);
  const b = await firstJoin(gc);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1000); // first delay ends; B arrived meanwhile, so it is extended once
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(3000);
  const [ra, rb] = await Promise.all([a.join, b.join]);
  assert.equal(ra.generationId, 1);
  assert.equal(rb.generationId, 1);
  assert.equal((ra.members.length || rb.members.length), 2);
  gc.close();
});

test('offset commits: generation rules, fetch, lag, durability across reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-k2-offsets-'));
  const clock = new ManualClock();
  const store = new OffsetStore(dir);
  store.open();
  const gc = new GroupCoordinator(clock, store, DEFAULT_GROUP_CONFIG, (t) => t !== 'missing');
  const admin = await gc.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: 'm' }, { topic: 'missing', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
  assert.deepEqual(admin.map((x) => x.errorCode), [E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION]);
  const tooBig = await gc.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 1, offset: 1, leaderEpoch: -1, metadata: 'x'.repeat(4097) }] });
  assert.equal(tooBig[0]!.errorCode, E.OFFSET_METADATA_TOO_LARGE);
  const a = await firstJoin(gc);
  const ja = await a.join;
  const wrongGen = await gc.commitOffsets({ groupId: 'g', generationId: 7, memberId: a.id, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 6, leaderEpoch: -1, metadata: null }] });
  assert.equal(wrongGen[0]!.errorCode, E.REBALANCE_IN_PROGRESS, 'CompletingRebalance refuses commits');
  await stabilise(gc, [ja]);
  assert.equal((await gc.commitOffsets({ groupId: 'g', generationId: 7, memberId: a.id, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 6, leaderEpoch: -1, metadata: null }] }))[0]!.errorCode, E.ILLEGAL_GENERATION);
  assert.equal((await gc.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 6, leaderEpoch: -1, metadata: null }] }))[0]!.errorCode, E.UNKNOWN_MEMBER_ID);
  assert.equal((await gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.id, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 8, leaderEpoch: 3, metadata: 'meta' }] }))[0]!.errorCode, E.NONE);
  assert.deepEqual(gc.fetchOffsets('g', [{ topic: 't', partition: 0 }, { topic: 't', partition: 9 }]).map((x) => [x.offset, x.metadata]), [[8, 'meta'], [-1, '']]);
  assert.deepEqual(gc.lag('g', () => 20).map((r) => [r.currentOffset, r.logEndOffset, r.lag]), [[8, 20, 12]]);
  assert.equal(await gc.deleteGroup('g'), E.NON_EMPTY_GROUP);
  gc.close();
  await store.close();
  const again = new OffsetStore(dir);
  again.open();
  assert.deepEqual(again.get('g', 't', 0), { offset: 8, leaderEpoch: 3, metadata: 'meta', commitTimestampMs: clock.now() });
  const gc2 = new GroupCoordinator(clock, again);
  assert.deepEqual(gc2.listGroups().map((g) => [g.groupId, g.state]), [['g', 'Empty']]);
  assert.equal(await gc2.deleteGroup('g'), E.NONE);
  assert.equal(again.get('g', 't', 0), undefined);
  await again.close();
  const third = new OffsetStore(dir);
  third.open();
  assert.equal(third.hasGroup('g'), false);
  await third.close();
  rmSync(dir, { recursive: true, force: true });
});
