/**
 * Group coordinator for Kafka's classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup),
 * plus committed offsets (stored by OffsetStore) and lag. Plain TS in and out; timers run on the
 * injected Clock so tests drive rebalances with a ManualClock.
 *
 * States: Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead once deleted.
 *   - A join of a new member (or a changed one, or the leader) moves the group to
 *     PreparingRebalance. The join phase ends when every known member has rejoined (and no member
 *     with a freshly issued id is still pending), or when the largest rebalance timeout passes
 *     (members that did not rejoin are removed). From Empty, group.initial.rebalance.delay.ms
 *     (0 by default in Nimbus) delays the end, extended per join up to the rebalance timeout.
 *   - The generation then increments, the protocol is chosen by vote among those every member
 *     supports, only the leader gets the member metadata, and the group waits in
 *     CompletingRebalance for the leader's SyncGroup, whose assignments are handed back verbatim.
 *   - Session timeouts (reset by heartbeat/join/sync) remove silent members.
 *   - Static members (group.instance.id) keep their identity across restarts: a rejoin with an
 *     unknown member id replaces the old id (the old one is fenced with FENCED_INSTANCE_ID) and, in
 *     a Stable group with unchanged protocols, gets the current generation without a rebalance.
 *   - Join v4+: a first join without member id gets MEMBER_ID_REQUIRED with the id to use.
 */
import { createRequire } from 'node:module';
import type { Clock, Timer } from '../../platform/clock.js';
import { OFFSET_METADATA_BYTES_MAX, type CommittedOffset, type OffsetStore } from './offset-store.js';
import { ErrorCode } from '../error-codes.js';
import { KafkaEngineError } from './types.js';

/** node:crypto is loaded when the first member id is drawn, not at broker start (about 10 ms). */
const requireBuiltin = createRequire(import.meta.url);
function randomUUID(): string {
  return (requireBuiltin('node:crypto') as typeof import('node:crypto')).randomUUID();
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Members per group; a join beyond it gets GROUP_MAX_SIZE_REACHED (81), like group.max.size. */
export const GROUP_MEMBERS_MAX = 1000;
/** Groups held by the coordinator (each holds timers and member metadata). */
export const GROUPS_MAX = 10_000;
/** Protocols one member may offer. */
export const MEMBER_PROTOCOLS_MAX = 32;
/** Bytes of one protocol's metadata or one assignment. */
export const MEMBER_METADATA_BYTES_MAX = 1024 * 1024;
export const GROUP_MAX_SIZE_REACHED = 81;

export interface GroupCoordinatorConfig {
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupInitialRebalanceDelayMs: number;
  /** offsets.retention.minutes in ms: offsets of Empty groups older than this are dropped. */
  offsetsRetentionMs: number;
}

export const DEFAULT_GROUP_CONFIG: GroupCoordinatorConfig = {
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 0,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
};

export interface JoinGroupRequest {
  groupId: string;
  /** '' on the first join. */
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** v0 has none: pass sessionTimeoutMs. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  /** True for JoinGroup v4+ (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Metadata of the chosen protocol (empty unless Stable, as Kafka does). */
  metadata: Buffer;
  assignment: Buffer;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: DescribedMember[];
}

export interface CommitOffsetsRequest {
  groupId: string;
  /** -1 for commits outside a generation (admin tools, manual assignment). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
}

export interface PartitionError {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface LagRow {
  topic: string;
  partition: number;
  currentOffset: number;
  logEndOffset: number;
  lag: number;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  joinWaiter: ((r: JoinGroupResult) => void) | null;
  syncWaiter: ((r: SyncGroupResult) => void) | null;
  sessionTimer: Timer | null;
}

interface Group {
  groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  /** group.instance.id → memberId */
  staticMembers: Map<string, string>;
  /** Ids handed out with MEMBER_ID_REQUIRED, awaiting the rejoin; value = expiry timer. */
  pendingMembers: Map<string, Timer>;
  joinTimer: Timer | null;
  /** True while the first join of an Empty group waits out group.initial.rebalance.delay.ms. */
  initialDelay: boolean;
  /** Rebalance-timeout budget left for extending the initial delay. */
  initialDelayRemainingMs: number;
  joinedAtDelayCheck: number;
}

const EMPTY_BUF: Buffer = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly clock: Clock,
    private readonly store: OffsetStore,
    private readonly config: GroupCoordinatorConfig = DEFAULT_GROUP_CONFIG,
    /** Tells whether a topic partition exists, for OffsetCommit validation. */
    private readonly partitionExists: (topic: string, partition: number) => boolean = () => true,
  ) {}

  // ---- JoinGroup ---------------------------------------------------------------------------

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinGroupResult> =>
      Promise.resolve(joinError(errorCode, memberId));
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (
      req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
      req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (req.protocols.length === 0 || req.protocols.length > MEMBER_PROTOCOLS_MAX || req.protocolType === '') {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (req.protocols.some((p) => p.metadata.length > MEMBER_METADATA_BYTES_MAX)) return fail(ErrorCode.INVALID_REQUEST);
    let g = this.groups.get(req.groupId);
    if (!g) {
      if (req.memberId !== '') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      if (this.groups.size >= GROUPS_MAX) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      g = this.newGroup(req.groupId);
    }
    if (g.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!this.protocolsCompatible(g, req)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (req.memberId === '') return this.joinUnknownMember(g, req);
    return this.joinKnownMember(g, req);
  }

  private newGroup(groupId: string): Group {
    const g: Group = {
      groupId,
      state: 'Empty',
      generationId: 0,
      protocolType: null,
      protocolName: null,
      leaderId: null,
      members: new Map(),
      staticMembers: new Map(),
      pendingMembers: new Map(),
      joinTimer: null,
      initialDelay: false,
      initialDelayRemainingMs: 0,
      joinedAtDelayCheck: 0,
    };
    this.groups.set(groupId, g);
    return g;
  }

  /** A member may join when the group is empty or shares protocol type and one protocol with all. */
  private protocolsCompatible(g: Group, req: JoinGroupRequest): boolean {
    if (g.members.size === 0) return true;
    if (g.protocolType !== null && g.protocolType !== req.protocolType) return false;
    const others = [...g.members.values()].filter((m) => m.memberId !== req.memberId);
    if (others.length === 0) return true;
    return req.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private joinUnknownMember(g: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const newId = `${req.clientId || 'member'}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldId = g.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined && g.members.has(oldId)) return this.replaceStaticMember(g, req, oldId, newId);
      return this.addMemberAndRebalance(g, req, newId);
    }
    if (req.requireKnownMemberId) {
      // KIP-394: hand out the id; the member must rejoin with it within the session timeout.
      if (g.members.size + g.pendingMembers.size >= GROUP_MEMBERS_MAX) return Promise.resolve(joinError(GROUP_MAX_SIZE_REACHED, ''));
      const timer = this.clock.after(req.sessionTimeoutMs, () => {
        g.pendingMembers.delete(newId);
        if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
      });
      g.pendingMembers.set(newId, timer);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newId));
    }
    return this.addMemberAndRebalance(g, req, newId);
  }

  private joinKnownMember(g: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const pending = g.pendingMembers.get(req.memberId);
    if (pending) {
      pending.cancel();
      g.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(g, req, req.memberId);
    }
    if (this.fenced(g, req.memberId, req.groupInstanceId)) {
      return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId));
    }
    const m = g.members.get(req.memberId);
    if (!m) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    const changed = !sameProtocols(m.protocols, req.protocols);
    this.updateMember(m, req);
    switch (g.state) {
      case 'PreparingRebalance':
        return this.awaitJoin(g, m);
      case 'CompletingRebalance':
        if (!changed) return Promise.resolve(this.joinResponse(g, m));
        return this.rebalanceWith(g, m);
      case 'Stable':
        if (!changed && g.leaderId !== m.memberId) return Promise.resolve(this.joinResponse(g, m));
        return this.rebalanceWith(g, m);
      default:
        return this.rebalanceWith(g, m);
    }
  }

  private replaceStaticMember(g: Group, req: JoinGroupRequest, oldId: string, newId: string): Promise<JoinGroupResult> {
    const old = g.members.get(oldId)!;
    // The old incarnation's pending calls are answered as fenced.
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    old.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.joinWaiter = old.syncWaiter = null;
    old.sessionTimer?.cancel();
    g.members.delete(oldId);
    const changed = !sameProtocols(old.protocols, req.protocols);
    const m: Member = { ...old, memberId: newId, joinWaiter: null, syncWaiter: null, sessionTimer: null };
    this.updateMember(m, req);
    g.members.set(newId, m);
    g.staticMembers.set(req.groupInstanceId!, newId);
    if (g.leaderId === oldId) g.leaderId = newId;
    if (g.state === 'Stable' && !changed && g.leaderId !== newId) {
      this.resetSession(g, m);
      return Promise.resolve(this.joinResponse(g, m));
    }
    return this.rebalanceWith(g, m);
  }

  private addMemberAndRebalance(g: Group, req: JoinGroupRequest, memberId: string): Promise<JoinGroupResult> {
    if (g.members.size >= GROUP_MEMBERS_MAX) return Promise.resolve(joinError(GROUP_MAX_SIZE_REACHED, memberId));
    const m: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY_BUF,
      joinWaiter: null,
      syncWaiter: null,
      sessionTimer: null,
    };
    g.members.set(memberId, m);
    if (req.groupInstanceId !== null) g.staticMembers.set(req.groupInstanceId, memberId);
    if (g.protocolType === null) g.protocolType = req.protocolType;
    return this.rebalanceWith(g, m);
  }

  private updateMember(m: Member, req: JoinGroupRequest): void {
    m.protocols = req.protocols;
    m.protocolType = req.protocolType;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
  }

  private rebalanceWith(g: Group, m: Member): Promise<JoinGroupResult> {
    const p = this.awaitJoin(g, m, false);
    if (g.state !== 'PreparingRebalance') this.prepareRebalance(g);
    else this.tryCompleteJoin(g);
    return p;
  }

  private awaitJoin(g: Group, m: Member, tryComplete = true): Promise<JoinGroupResult> {
    // A previous join of the same member still waiting is superseded.
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.sessionTimer?.cancel();
    m.sessionTimer = null;
    const p = new Promise<JoinGroupResult>((resolve) => {
      m.joinWaiter = resolve;
    });
    if (tryComplete) this.tryCompleteJoin(g);
    return p;
  }

  private prepareRebalance(g: Group): void {
    if (g.state === 'CompletingRebalance') {
      for (const m of g.members.values()) {
        m.assignment = EMPTY_BUF;
        m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.syncWaiter = null;
      }
    }
    const wasEmpty = g.state === 'Empty';
    g.state = 'PreparingRebalance';
    g.joinTimer?.cancel();
    const delay = this.config.groupInitialRebalanceDelayMs;
    if (wasEmpty && delay > 0) {
      g.initialDelay = true;
      g.initialDelayRemainingMs = Math.max(0, this.maxRebalanceTimeout(g) - delay);
      g.joinedAtDelayCheck = this.joinedCount(g);
      g.joinTimer = this.clock.after(delay, () => this.initialDelayExpired(g, delay));
      return;
    }
    g.initialDelay = false;
    g.joinTimer = this.clock.after(this.maxRebalanceTimeout(g), () => this.completeJoin(g));
    this.tryCompleteJoin(g);
  }

  /** Kafka's InitialDelayedJoin: keep waiting while members keep arriving, within the rebalance timeout. */
  private initialDelayExpired(g: Group, delay: number): void {
    g.joinTimer = null;
    if (g.state !== 'PreparingRebalance') return;
    const joined = this.joinedCount(g);
    if (joined > g.joinedAtDelayCheck && g.initialDelayRemainingMs > 0) {
      const next = Math.min(delay, g.initialDelayRemainingMs);
      g.initialDelayRemainingMs -= next;
      g.joinedAtDelayCheck = joined;
      g.joinTimer = this.clock.after(next, () => this.initialDelayExpired(g, delay));
      return;
    }
    g.initialDelay = false;
    this.completeJoin(g);
  }

  private joinedCount(g: Group): number {
    let n = 0;
    for (const m of g.members.values()) if (m.joinWaiter) n++;
    return n;
  }

  private maxRebalanceTimeout(g: Group): number {
    let t = 0;
    for (const m of g.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  private tryCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance' || g.initialDelay) return;
    if (g.pendingMembers.size > 0) return;
    for (const m of g.members.values()) if (!m.joinWaiter) return;
    this.completeJoin(g);
  }

  /** End of the join phase: drop laggards, next generation, answer every waiting join. */
  private completeJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    g.joinTimer?.cancel();
    g.joinTimer = null;
    g.initialDelay = false;
    for (const m of [...g.members.values()]) {
      if (!m.joinWaiter) this.removeMember(g, m);
    }
    g.generationId++;
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.protocolName = null;
      g.protocolType = null;
      g.leaderId = null;
      return;
    }
    g.protocolName = this.selectProtocol(g);
    if (g.leaderId === null || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value as string;
    g.state = 'CompletingRebalance';
    for (const m of g.members.values()) {
      const waiter = m.joinWaiter!;
      m.joinWaiter = null;
      this.resetSession(g, m);
      waiter(this.joinResponse(g, m));
    }
  }

  private selectProtocol(g: Group): string {
    const members = [...g.members.values()];
    const candidates = members[0]!.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  private joinResponse(g: Group, m: Member): JoinGroupResult {
    const isLeader = g.leaderId === m.memberId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId: m.memberId,
      members: isLeader
        ? [...g.members.values()].map((x) => ({
            memberId: x.memberId,
            groupInstanceId: x.groupInstanceId,
            metadata: x.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY_BUF,
          }))
        : [],
    };
  }

  // ---- SyncGroup / Heartbeat / LeaveGroup -------------------------------------------------

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const g = this.groups.get(req.groupId);
    const err = (c: number) => Promise.resolve(syncError(c));
    if (!g || g.state === 'Dead') return err(g ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_MEMBER_ID);
    if (this.fenced(g, req.memberId, req.groupInstanceId)) return err(ErrorCode.FENCED_INSTANCE_ID);
    const m = g.members.get(req.memberId);
    if (!m) return err(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== g.generationId) return err(ErrorCode.ILLEGAL_GENERATION);
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
      return err(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (req.assignments.some((a) => a.assignment.length > MEMBER_METADATA_BYTES_MAX)) return err(ErrorCode.INVALID_REQUEST);
    this.resetSession(g, m);
    switch (g.state) {
      case 'PreparingRebalance':
        return err(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return Promise.resolve(this.syncResponse(g, m));
      case 'CompletingRebalance': {
        m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const p = new Promise<SyncGroupResult>((resolve) => {
          m.syncWaiter = resolve;
        });
        if (g.leaderId === m.memberId) this.completeSync(g, req.assignments);
        return p;
      }
      default:
        return err(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private completeSync(g: Group, assignments: { memberId: string; assignment: Buffer }[]): void {
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of g.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY_BUF;
    g.state = 'Stable';
    for (const m of g.members.values()) {
      const w = m.syncWaiter;
      m.syncWaiter = null;
      w?.(this.syncResponse(g, m));
    }
  }

  private syncResponse(g: Group, m: Member): SyncGroupResult {
    return { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment };
  }

  heartbeat(req: HeartbeatRequest): number {
    const g = this.groups.get(req.groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.fenced(g, req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const m = g.members.get(req.memberId);
    if (!m || g.state === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'PreparingRebalance') {
      // A member inside a join keeps no session timer; the join phase deadline governs it.
      if (!m.joinWaiter) this.resetSession(g, m);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    this.resetSession(g, m);
    return ErrorCode.NONE;
  }

  leaveGroup(groupId: string, members: { memberId: string; groupInstanceId: string | null }[]): LeaveGroupResult {
    const g = this.groups.get(groupId);
    if (!g || g.state === 'Dead') {
      const code = g ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_MEMBER_ID;
      return { errorCode: g ? code : ErrorCode.NONE, members: members.map((x) => ({ ...x, errorCode: code })) };
    }
    const out: LeaveGroupResult['members'] = [];
    for (const x of members) {
      const id = x.groupInstanceId !== null ? g.staticMembers.get(x.groupInstanceId) : x.memberId;
      if (id !== undefined && x.groupInstanceId !== null && x.memberId !== '' && x.memberId !== id) {
        out.push({ ...x, errorCode: ErrorCode.FENCED_INSTANCE_ID });
        continue;
      }
      const pending = id !== undefined ? g.pendingMembers.get(id) : undefined;
      if (pending) {
        pending.cancel();
        g.pendingMembers.delete(id!);
        out.push({ ...x, errorCode: ErrorCode.NONE });
        continue;
      }
      const m = id !== undefined ? g.members.get(id) : undefined;
      if (!m) {
        out.push({ ...x, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
        continue;
      }
      this.removeMemberAndUpdate(g, m);
      out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.NONE });
    }
    if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private fenced(g: Group, memberId: string, instanceId: string | null): boolean {
    if (instanceId === null) return false;
    const current = g.staticMembers.get(instanceId);
    return current !== undefined && current !== memberId;
  }

  private resetSession(g: Group, m: Member): void {
    m.sessionTimer?.cancel();
    m.sessionTimer = this.clock.after(m.sessionTimeoutMs, () => {
      m.sessionTimer = null;
      if (g.members.get(m.memberId) === m) this.removeMemberAndUpdate(g, m);
    });
  }

  private removeMember(g: Group, m: Member): void {
    m.sessionTimer?.cancel();
    m.sessionTimer = null;
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    m.joinWaiter = m.syncWaiter = null;
    g.members.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) {
      g.staticMembers.delete(m.groupInstanceId);
    }
    if (g.leaderId === m.memberId) g.leaderId = null;
  }

  private removeMemberAndUpdate(g: Group, m: Member): void {
    this.removeMember(g, m);
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.prepareRebalance(g);
    else if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
  }

  // ---- describe / list / delete -----------------------------------------------------------

  describeGroup(groupId: string): DescribedGroup {
    const g = this.groups.get(groupId);
    if (!g) {
      const known = this.store.hasGroup(groupId);
      return { groupId, errorCode: ErrorCode.NONE, state: known ? 'Empty' : 'Dead', protocolType: known ? 'consumer' : '', protocolName: '', members: [] };
    }
    const stable = g.state === 'Stable';
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: g.state,
      protocolType: g.protocolType ?? (this.store.hasGroup(groupId) ? 'consumer' : ''),
      protocolName: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY_BUF) : EMPTY_BUF,
        assignment: stable ? m.assignment : EMPTY_BUF,
      })),
    };
  }

  /** Every group with members or committed offsets. statesFilter (ListGroups v4+) matches case-insensitively. */
  listGroups(statesFilter: readonly string[] = []): { groupId: string; protocolType: string; state: GroupState }[] {
    const ids = new Set([...this.groups.keys(), ...this.store.groupIds()]);
    const want = new Set(statesFilter.map((s) => s.toLowerCase()));
    const out: { groupId: string; protocolType: string; state: GroupState }[] = [];
    for (const id of [...ids].sort()) {
      const d = this.describeGroup(id);
      if (d.state === 'Dead') continue;
      if (want.size > 0 && !want.has(d.state.toLowerCase())) continue;
      out.push({ groupId: id, protocolType: d.protocolType, state: d.state });
    }
    return out;
  }

  async deleteGroup(groupId: string): Promise<number> {
    const g = this.groups.get(groupId);
    if (!g && !this.store.hasGroup(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g && g.state !== 'Empty' && g.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP;
    if (g) {
      g.state = 'Dead';
      for (const t of g.pendingMembers.values()) t.cancel();
      this.groups.delete(groupId);
    }
    await this.store.deleteGroup(groupId);
    return ErrorCode.NONE;
  }

  // ---- offsets ----------------------------------------------------------------------------

  async commitOffsets(req: CommitOffsetsRequest): Promise<PartitionError[]> {
    const all = (code: number): PartitionError[] => req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: code }));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const code = this.commitAllowed(req);
    if (code !== ErrorCode.NONE) return all(code);
    const now = this.clock.now();
    const accepted: { topic: string; partition: number; value: CommittedOffset }[] = [];
    const out: PartitionError[] = [];
    for (const o of req.offsets) {
      let errorCode: number = ErrorCode.NONE;
      if (o.metadata !== null && Buffer.byteLength(o.metadata) > OFFSET_METADATA_BYTES_MAX) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      else if (!this.partitionExists(o.topic, o.partition)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else accepted.push({ topic: o.topic, partition: o.partition, value: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now } });
      out.push({ topic: o.topic, partition: o.partition, errorCode });
    }
    try {
      await this.store.commit(req.groupId, accepted);
    } catch {
      return all(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    return out;
  }

  private commitAllowed(req: CommitOffsetsRequest): number {
    const g = this.groups.get(req.groupId);
    if (req.generationId < 0 && req.memberId === '') {
      // Commits outside the group protocol (admin tools, assign()) only while nobody is a member.
      if (!g || g.state === 'Empty' || g.state === 'Dead') return ErrorCode.NONE;
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (this.fenced(g, req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!g.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.resetSession(g, g.members.get(req.memberId)!);
    return ErrorCode.NONE;
  }

  /** OffsetFetch: the given partitions, or every committed one when partitions is null. */
  fetchOffsets(groupId: string, partitions: { topic: string; partition: number }[] | null): FetchedOffset[] {
    const list = partitions ?? this.store.list(groupId).map((x) => ({ topic: x.topic, partition: x.partition }));
    return list.map(({ topic, partition }) => {
      const c = this.store.get(groupId, topic, partition);
      return {
        topic,
        partition,
        offset: c ? c.offset : -1,
        leaderEpoch: c ? c.leaderEpoch : -1,
        metadata: c ? c.metadata : '',
        errorCode: ErrorCode.NONE,
      };
    });
  }

  /** OffsetDelete: refused per partition while a live consumer group subscribes to the topic. */
  async deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[]): Promise<{ errorCode: number; partitions: PartitionError[] }> {
    const g = this.groups.get(groupId);
    if (!g && !this.store.hasGroup(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    const subscribed = g && g.state !== 'Empty' ? this.subscribedTopics(g) : new Set<string>();
    const out: PartitionError[] = [];
    const del: { topic: string; partition: number }[] = [];
    for (const p of partitions) {
      if (subscribed.has(p.topic)) out.push({ ...p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
      else {
        del.push(p);
        out.push({ ...p, errorCode: ErrorCode.NONE });
      }
    }
    await this.store.deleteOffsets(groupId, del);
    return { errorCode: ErrorCode.NONE, partitions: out };
  }

  /** Topics in the members' consumer-protocol subscriptions (int16 version, [string topic]). */
  private subscribedTopics(g: Group): Set<string> {
    const out = new Set<string>();
    if (g.protocolType !== 'consumer') return out;
    for (const m of g.members.values()) {
      const md = m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata;
      if (md) for (const t of parseSubscriptionTopics(md)) out.add(t);
    }
    return out;
  }

  /** Lag per committed partition = log end offset − committed offset (and owner from assignments). */
  lag(groupId: string, logEndOffset: (topic: string, partition: number) => number | null): LagRow[] {
    const owners = this.partitionOwners(groupId);
    return this.store
      .list(groupId)
      .map(({ topic, partition, committed }) => {
        const leo = logEndOffset(topic, partition) ?? -1;
        const owner = owners.get(`${topic}\u0000${partition}`) ?? null;
        return {
          topic,
          partition,
          currentOffset: committed.offset,
          logEndOffset: leo,
          lag: leo < 0 ? 0 : Math.max(0, leo - committed.offset),
          memberId: owner?.memberId ?? null,
          clientId: owner?.clientId ?? null,
          host: owner?.clientHost ?? null,
        };
      })
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  private partitionOwners(groupId: string): Map<string, Member> {
    const out = new Map<string, Member>();
    const g = this.groups.get(groupId);
    if (!g || g.state !== 'Stable' || g.protocolType !== 'consumer') return out;
    for (const m of g.members.values()) {
      for (const [t, parts] of parseAssignment(m.assignment)) for (const p of parts) out.set(`${t}\u0000${p}`, m);
    }
    return out;
  }

  /** Drops offsets of Empty groups older than offsets.retention (on clock ticks). */
  async expireOffsets(nowMs: number): Promise<number> {
    let n = 0;
    for (const id of this.store.groupIds()) {
      const g = this.groups.get(id);
      if (g && g.state !== 'Empty') continue;
      const old = this.store.list(id).filter((x) => nowMs - x.committed.commitTimestampMs > this.config.offsetsRetentionMs);
      if (old.length === 0) continue;
      n += old.length;
      await this.store.deleteOffsets(id, old);
      if (g && g.members.size === 0 && !this.store.hasGroup(id)) this.groups.delete(id);
    }
    return n;
  }

  groupState(groupId: string): GroupState {
    return this.describeGroup(groupId).state;
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const g of this.groups.values()) {
      g.joinTimer?.cancel();
      for (const t of g.pendingMembers.values()) t.cancel();
      for (const m of g.members.values()) {
        m.sessionTimer?.cancel();
        m.joinWaiter?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.syncWaiter?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        m.joinWaiter = m.syncWaiter = null;
      }
    }
  }
}

function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUF };
}

function sameProtocols(a: { name: string; metadata: Buffer }[], b: { name: string; metadata: Buffer }[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

/** Strings read from consumer-protocol blobs; a bound so bad metadata cannot make us loop long. */
const CONSUMER_PROTOCOL_ITEMS_MAX = 100_000;

/** ConsumerProtocolSubscription: version int16, topics [int16-length string]. Bad bytes → []. */
export function parseSubscriptionTopics(b: Buffer): string[] {
  try {
    let p = 2;
    const n = b.readInt32BE(p);
    p += 4;
    const out: string[] = [];
    for (let i = 0; i < n && i < CONSUMER_PROTOCOL_ITEMS_MAX; i++) {
      const len = b.readInt16BE(p);
      p += 2;
      if (len < 0 || p + len > b.length) return out;
      out.push(b.toString('utf8', p, p + len));
      p += len;
    }
    return out;
  } catch {
    return [];
  }
}

/** ConsumerProtocolAssignment: version int16, [topic string, [partition int32]]. Bad bytes → []. */
export function parseAssignment(b: Buffer): [string, number[]][] {
  const out: [string, number[]][] = [];
  try {
    let p = 2;
    const n = b.readInt32BE(p);
    p += 4;
    for (let i = 0; i < n && i < CONSUMER_PROTOCOL_ITEMS_MAX; i++) {
      const len = b.readInt16BE(p);
      p += 2;
      if (len < 0 || p + len > b.length) return out;
      const topic = b.toString('utf8', p, p + len);
      p += len;
      const k = b.readInt32BE(p);
      p += 4;
      const parts: number[] = [];
      for (let j = 0; j < k && j < CONSUMER_PROTOCOL_ITEMS_MAX; j++) {
        parts.push(b.readInt32BE(p));
        p += 4;
      }
      out.push([topic, parts]);
    }
  } catch {
    // Truncated: what was read so far.
  }
  return out;
}

export { KafkaEngineError };
