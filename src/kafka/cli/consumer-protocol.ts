/**
 * The "consumer" embedded protocol carried opaquely in JoinGroup/SyncGroup (version 0 layouts,
 * which every broker and client accepts):
 *   Subscription => version:int16 topics:[string] userData:bytes
 *   Assignment   => version:int16 [topic:string partitions:[int32]] userData:bytes
 * (string = int16 length + UTF-8; arrays = int32 count; bytes = int32 length, -1 null), plus the
 * range assignor the console consumer uses when it leads a group.
 */
export const CONSUMER_ITEMS_MAX = 100_000;

export function encodeSubscription(topics: readonly string[]): Buffer {
  const parts: Buffer[] = [u16(0), i32(topics.length)];
  for (const t of topics) parts.push(str(t));
  parts.push(i32(-1));
  return Buffer.concat(parts);
}

export function decodeSubscription(b: Buffer): string[] {
  const out: string[] = [];
  let p = 2;
  if (b.length < 6) return out;
  const n = b.readInt32BE(p);
  p += 4;
  for (let i = 0; i < n && i < CONSUMER_ITEMS_MAX && p + 2 <= b.length; i++) {
    const len = b.readInt16BE(p);
    p += 2;
    if (len < 0 || p + len > b.length) break;
    out.push(b.toString('utf8', p, p + len));
    p += len;
  }
  return out;
}

export function encodeAssignment(a: ReadonlyMap<string, readonly number[]>): Buffer {
  const parts: Buffer[] = [u16(0), i32(a.size)];
  for (const [t, ps] of a) {
    parts.push(str(t), i32(ps.length));
    for (const p of ps) parts.push(i32(p));
  }
  parts.push(i32(-1));
  return Buffer.concat(parts);
}

export function decodeAssignment(b: Buffer): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (b.length < 6) return out;
  let p = 2;
  const n = b.readInt32BE(p);
  p += 4;
  for (let i = 0; i < n && i < CONSUMER_ITEMS_MAX && p + 2 <= b.length; i++) {
    const len = b.readInt16BE(p);
    p += 2;
    if (len < 0 || p + len + 4 > b.length) break;
    const topic = b.toString('utf8', p, p + len);
    p += len;
    const k = b.readInt32BE(p);
    p += 4;
    const ps: number[] = [];
    for (let j = 0; j < k && j < CONSUMER_ITEMS_MAX && p + 4 <= b.length; j++, p += 4) ps.push(b.readInt32BE(p));
    out.set(topic, ps);
  }
  return out;
}

/**
 * Kafka's RangeAssignor: per topic, members subscribed to it sorted by member id; each gets
 * floor(P/M) consecutive partitions and the first P%M members one more.
 */
export function rangeAssign(
  members: readonly { memberId: string; topics: readonly string[] }[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  for (const m of members) out.set(m.memberId, new Map());
  for (const [topic, count] of partitionsPerTopic) {
    const subs = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    const per = Math.floor(count / Math.max(1, subs.length));
    const extra = count % Math.max(1, subs.length);
    let next = 0;
    subs.forEach((id, i) => {
      const n = per + (i < extra ? 1 : 0);
      out.get(id)!.set(topic, Array.from({ length: n }, (_, k) => next + k));
      next += n;
    });
  }
  return out;
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(n);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}
function str(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  return Buffer.concat([u16(body.length), body]);
}
