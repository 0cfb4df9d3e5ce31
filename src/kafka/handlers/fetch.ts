/**
 * Fetch (1), with a real long poll: when fewer than minBytes are available the request parks on
 * the partitions' wake-ups (broker.watch, fired by produce) and a maxWaitMs timer, never polling.
 *
 * - Whole batches from the one containing fetchOffset; the first non-empty partition may exceed
 *   maxBytes (at least one batch), later partitions only get what is left of the budget.
 * - Fetch sessions are declined: the response carries sessionId 0, so clients send full fetches.
 *   An incremental fetch for a session we never gave out gets FETCH_SESSION_ID_NOT_FOUND.
 * - v13+ names topics by id.
 */
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type ReadPartitionResult,
  type TopicPartitionRef,
} from '../engine/types.js';
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { FetchRequest, FetchResponse } from '../protocol/messages.generated.js';
import type { Init } from '../protocol/types.js';
import { EMPTY_BUFFER } from '../protocol/types.js';
import { defineHandler, type RequestContext } from './handler.js';
import { big, errorCodeOf, toNum, uuidFromBytes, uuidToBytes } from './util.js';

/** Longest a Fetch may park, whatever the client asks (bounds timers held for dead connections). */
export const FETCH_MAX_WAIT_MS_MAX = 60_000;
/** Response budget when the request predates maxBytes (v0-2). */
const FETCH_MAX_BYTES_DEFAULT = 52_428_800;
const TOPIC_ID_VERSION = 13;

interface Wanted {
  topic: string;
  topicId: string;
  known: boolean;
  parts: { partition: number; offset: number; maxBytes: number }[];
}

function resolveTopics(req: FetchRequest, ctx: RequestContext): Wanted[] {
  const byId = ctx.apiVersion >= TOPIC_ID_VERSION;
  return req.topics.map((t) => {
    const info = byId ? ctx.env.broker.topicById(uuidToBytes(t.topicId)) : ctx.env.broker.topic(t.topic);
    return {
      topic: info?.name ?? t.topic,
      topicId: byId ? t.topicId : uuidFromBytes(info?.topicId),
      known: info !== undefined,
      parts: t.partitions.map((p) => ({
        partition: p.partition,
        offset: toNum(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
      })),
    };
  });
}

type PartOut = Init<FetchResponse>['responses'] extends (infer T)[] | undefined ? T : never;

interface Collected {
  topics: PartOut[];
  bytes: number;
  error: boolean;
  /** Pooled read buffers the response refers to: returned once it is written (or discarded). */
  releases: (() => void)[];
}

/** Hands the collected reads' buffers back to the pool once the response is written. */
function releaseAfterResponse(c: Collected, ctx: RequestContext): PartOut[] {
  if (ctx.afterResponse) for (const r of c.releases) ctx.afterResponse(r);
  return c.topics;
}

/** For a collect whose records are not sent (a long poll that read too little). */
function releaseNow(c: Collected): void {
  for (const r of c.releases) r();
}

/** Reads every wanted partition within the byte budget; returns the response topics and bytes. */
function collect(wanted: Wanted[], maxBytes: number, ctx: RequestContext): Collected {
  const { broker } = ctx.env;
  const unknownCode =
    ctx.apiVersion >= TOPIC_ID_VERSION ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  let bytes = 0;
  let error = false;
  const releases: (() => void)[] = [];
  const topics = wanted.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.parts.map((p) => {
      let r: ReadPartitionResult;
      if (!t.known)
        r = {
          errorCode: unknownCode,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          records: EMPTY_BUFFER,
        };
      else {
        const budget = bytes === 0 ? p.maxBytes : Math.min(p.maxBytes, maxBytes - bytes);
        try {
          r =
            budget > 0
              ? broker.read(t.topic, p.partition, p.offset, budget)
              : emptyRead(ctx, t.topic, p.partition);
          // Only the first non-empty partition may exceed the budget (KIP-74); the log returns
          // at least one batch, so drop an oversized one from later partitions.
          if (bytes > 0 && r.records.length > budget) {
            r.release?.();
            r = { ...r, records: EMPTY_BUFFER, release: null };
          }
          if (r.release) releases.push(r.release);
        } catch (e) {
          r = {
            errorCode: errorCodeOf(e),
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            records: EMPTY_BUFFER,
          };
        }
      }
      bytes += r.records.length;
      if (r.errorCode !== 0) error = true;
      return {
        partitionIndex: p.partition,
        errorCode: r.errorCode,
        highWatermark: big(r.highWatermark),
        lastStableOffset: big(r.lastStableOffset),
        logStartOffset: big(r.logStartOffset),
        abortedTransactions: ctx.apiVersion >= 4 ? [] : null,
        preferredReadReplica: -1,
        records: r.records,
      };
    }),
  }));
  return { topics, bytes, error, releases };
}

/** Offsets and watermarks without data, for partitions past the response budget. */
function emptyRead(ctx: RequestContext, topic: string, partition: number): ReadPartitionResult {
  const latest = ctx.env.broker.listOffsets(topic, partition, LATEST_TIMESTAMP);
  const earliest = ctx.env.broker.listOffsets(topic, partition, EARLIEST_TIMESTAMP);
  return {
    errorCode: latest.errorCode,
    highWatermark: latest.offset,
    lastStableOffset: latest.offset,
    logStartOffset: earliest.offset,
    records: EMPTY_BUFFER,
  };
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>(ApiKey.Fetch, [0, 16], (req, ctx) => {
  if (ctx.apiVersion >= 7 && req.sessionId !== 0) {
    return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const maxBytes = ctx.apiVersion >= 3 ? req.maxBytes : FETCH_MAX_BYTES_DEFAULT;
  const wanted = resolveTopics(req, ctx);
  const reply = (topics: PartOut[]): Init<FetchResponse> => ({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: topics,
  });
  const first = collect(wanted, maxBytes, ctx);
  const waitMs = Math.min(Math.max(req.maxWaitMs, 0), FETCH_MAX_WAIT_MS_MAX);
  if (first.bytes >= req.minBytes || first.error || waitMs === 0) {
    return reply(releaseAfterResponse(first, ctx));
  }
  releaseNow(first);
  return longPoll(wanted, maxBytes, req.minBytes, waitMs, ctx).then(reply);
});

/**
 * Parks until minBytes are readable, an error shows up, or waitMs passes. Each wait subscribes
 * synchronously right after a read found too little, so no produce can slip in between.
 */
async function longPoll(
  wanted: Wanted[],
  maxBytes: number,
  minBytes: number,
  waitMs: number,
  ctx: RequestContext,
): Promise<PartOut[]> {
  const refs: TopicPartitionRef[] = wanted
    .filter((t) => t.known)
    .flatMap((t) => t.parts.map((p) => ({ topic: t.topic, partition: p.partition })));
  const { clock, broker } = ctx.env;
  const deadline = clock.monotonicMs() + waitMs;
  for (;;) {
    const remaining = deadline - clock.monotonicMs();
    if (remaining <= 0) break;
    const w = broker.waitForData(refs, remaining);
    const r = await w.promise;
    w.cancel();
    if (r === 'timeout') break;
    const now = collect(wanted, maxBytes, ctx);
    if (now.bytes >= minBytes || now.error) return releaseAfterResponse(now, ctx);
    releaseNow(now);
  }
  return releaseAfterResponse(collect(wanted, maxBytes, ctx), ctx);
}
