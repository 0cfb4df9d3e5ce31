/**
 * Stream IDs: "<ms>-<seq>", ordered by ms then seq.
 *
 * Redis's parts are unsigned 64-bit. Here both parts are JS numbers limited to 2^53-1
 * (STREAM_ID_PART_MAX): every millisecond timestamp fits with room to spare, and IDs above that
 * (only seen in artificial tests) are rejected as invalid instead of silently losing precision.
 * "+" maps to MAX_ID, the largest representable ID.
 */

export interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

export const STREAM_ID_PART_MAX = Number.MAX_SAFE_INTEGER;
export const MIN_ID: StreamId = Object.freeze({ ms: 0, seq: 0 });
export const MAX_ID: StreamId = Object.freeze({ ms: STREAM_ID_PART_MAX, seq: STREAM_ID_PART_MAX });

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function idEquals(a: StreamId, b: StreamId): boolean {
  return a.ms === b.ms && a.seq === b.seq;
}

export function isZeroId(a: StreamId): boolean {
  return a.ms === 0 && a.seq === 0;
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** The ID right after `id`, or null when `id` is the largest. */
export function incrId(id: StreamId): StreamId | null {
  if (id.seq < STREAM_ID_PART_MAX) return { ms: id.ms, seq: id.seq + 1 };
  if (id.ms < STREAM_ID_PART_MAX) return { ms: id.ms + 1, seq: 0 };
  return null;
}

/** The ID right before `id`, or null when `id` is 0-0. */
export function decrId(id: StreamId): StreamId | null {
  if (id.seq > 0) return { ms: id.ms, seq: id.seq - 1 };
  if (id.ms > 0) return { ms: id.ms - 1, seq: STREAM_ID_PART_MAX };
  return null;
}

const DIGITS = /^[0-9]{1,16}$/;

function parsePart(s: string): number | null {
  if (!DIGITS.test(s)) return null;
  const n = Number(s);
  return n <= STREAM_ID_PART_MAX ? n : null;
}

/**
 * Parses an explicit ID. A bare "<ms>" takes `missingSeq` as its sequence (0 for range starts,
 * max for range ends). "-" and "+" are accepted when `allowSpecial`.
 */
export function parseId(s: string, missingSeq = 0, allowSpecial = false): StreamId | null {
  if (allowSpecial) {
    if (s === '-') return MIN_ID;
    if (s === '+') return MAX_ID;
  }
  const dash = s.indexOf('-');
  if (dash === -1) {
    const ms = parsePart(s);
    return ms === null ? null : { ms, seq: missingSeq };
  }
  const ms = parsePart(s.slice(0, dash));
  const seq = parsePart(s.slice(dash + 1));
  if (ms === null || seq === null) return null;
  return { ms, seq };
}

/** An XADD ID argument: "*", "<ms>-*" or an explicit ID. */
export type XaddIdSpec =
  | { readonly kind: 'auto' }
  | { readonly kind: 'autoSeq'; readonly ms: number }
  | { readonly kind: 'explicit'; readonly id: StreamId };

export function parseXaddId(s: string): XaddIdSpec | null {
  if (s === '*') return { kind: 'auto' };
  if (s.endsWith('-*')) {
    const ms = parsePart(s.slice(0, -2));
    return ms === null ? null : { kind: 'autoSeq', ms };
  }
  const id = parseId(s, 0);
  return id ? { kind: 'explicit', id } : null;
}
