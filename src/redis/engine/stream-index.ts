/**
 * An ordered map from StreamId to V, stored as a list of sorted chunks (a B-tree of height two).
 *
 * Why this shape: stream entries arrive in increasing ID order, so the hot path is an append to
 * the last chunk (O(1)); lookups and range starts are a binary search over chunk boundaries then
 * inside one chunk (O(log n)), and a range then walks forward (O(log n + k)). Deletions splice
 * inside one chunk of at most CHUNK_MAX entries; emptied chunks are dropped. Trimming from the
 * head removes whole chunks, which is what Redis's "~" (approximate) trimming relies on.
 * The PEL of a consumer group uses the same structure.
 */
import { compareIds, type StreamId } from './stream-id.js';

/** Entries per chunk; matches Redis's stream-node-max-entries default (100). */
export const CHUNK_MAX = 100;

interface Chunk<V> {
  ids: StreamId[];
  vals: V[];
}

export class IdMap<V> {
  private chunks: Chunk<V>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Number of chunks (used by approximate trimming and memory estimates). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  first(): [StreamId, V] | undefined {
    const c = this.chunks[0];
    return c ? [c.ids[0] as StreamId, c.vals[0] as V] : undefined;
  }

  last(): [StreamId, V] | undefined {
    const c = this.chunks[this.chunks.length - 1];
    if (!c) return undefined;
    const i = c.ids.length - 1;
    return [c.ids[i] as StreamId, c.vals[i] as V];
  }

  /** Index of the first chunk whose last ID is >= id (chunks.length when none). */
  private chunkFor(id: StreamId): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid] as Chunk<V>;
      if (compareIds(c.ids[c.ids.length - 1] as StreamId, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first id in the chunk that is >= id. */
  private static lowerBound(ids: StreamId[], id: StreamId): number {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(ids[mid] as StreamId, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: StreamId): V | undefined {
    const ci = this.chunkFor(id);
    const c = this.chunks[ci];
    if (!c) return undefined;
    const i = IdMap.lowerBound(c.ids, id);
    const found = c.ids[i];
    return found && compareIds(found, id) === 0 ? c.vals[i] : undefined;
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /** Inserts or replaces. Appending past the last ID is the O(1) fast path. */
  set(id: StreamId, v: V): void {
    const lastChunk = this.chunks[this.chunks.length - 1];
    if (!lastChunk || compareIds(lastChunk.ids[lastChunk.ids.length - 1] as StreamId, id) < 0) {
      this.append(id, v);
      return;
    }
    const ci = this.chunkFor(id);
    const c = this.chunks[ci] as Chunk<V>;
    const i = IdMap.lowerBound(c.ids, id);
    if (i < c.ids.length && compareIds(c.ids[i] as StreamId, id) === 0) {
      c.vals[i] = v;
      return;
    }
    c.ids.splice(i, 0, id);
    c.vals.splice(i, 0, v);
    this.count++;
    if (c.ids.length > CHUNK_MAX * 2) this.split(ci);
  }

  private append(id: StreamId, v: V): void {
    let c = this.chunks[this.chunks.length - 1];
    if (!c || c.ids.length >= CHUNK_MAX) {
      c = { ids: [], vals: [] };
      this.chunks.push(c);
    }
    c.ids.push(id);
    c.vals.push(v);
    this.count++;
  }

  private split(ci: number): void {
    const c = this.chunks[ci] as Chunk<V>;
    const half = c.ids.length >>> 1;
    const right: Chunk<V> = { ids: c.ids.splice(half), vals: c.vals.splice(half) };
    this.chunks.splice(ci + 1, 0, right);
  }

  delete(id: StreamId): boolean {
    const ci = this.chunkFor(id);
    const c = this.chunks[ci];
    if (!c) return false;
    const i = IdMap.lowerBound(c.ids, id);
    if (i >= c.ids.length || compareIds(c.ids[i] as StreamId, id) !== 0) return false;
    c.ids.splice(i, 1);
    c.vals.splice(i, 1);
    this.count--;
    if (c.ids.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** Removes up to `n` entries from the head; `wholeChunksOnly` keeps a partly-qualifying chunk. */
  trimHead(n: number, wholeChunksOnly: boolean, onRemove?: (id: StreamId) => void): number {
    let removed = 0;
    while (removed < n && this.chunks.length > 0) {
      const c = this.chunks[0] as Chunk<V>;
      const left = n - removed;
      if (c.ids.length <= left) {
        if (onRemove) for (const id of c.ids) onRemove(id);
        removed += c.ids.length;
        this.chunks.shift();
        continue;
      }
      if (wholeChunksOnly) break;
      if (onRemove) for (let k = 0; k < left; k++) onRemove(c.ids[k] as StreamId);
      c.ids.splice(0, left);
      c.vals.splice(0, left);
      removed += left;
    }
    this.count -= removed;
    return removed;
  }

  /** Entries at the head with ID < `min` (what MINID trimming would remove, counted exactly). */
  countBelow(min: StreamId): number {
    const ci = this.chunkFor(min);
    let n = 0;
    for (let k = 0; k < ci && k < this.chunks.length; k++) n += (this.chunks[k] as Chunk<V>).ids.length;
    const c = this.chunks[ci];
    if (c) n += IdMap.lowerBound(c.ids, min);
    return n;
  }

  /** Size of the first chunk (what an approximate trim may drop at once). */
  headChunkSize(): number {
    return this.chunks[0]?.ids.length ?? 0;
  }

  /** Ascending iteration over [start, end]. */
  *range(start: StreamId, end: StreamId): Generator<[StreamId, V]> {
    let ci = this.chunkFor(start);
    let c = this.chunks[ci];
    if (!c) return;
    let i = IdMap.lowerBound(c.ids, start);
    while (c) {
      for (; i < c.ids.length; i++) {
        const id = c.ids[i] as StreamId;
        if (compareIds(id, end) > 0) return;
        yield [id, c.vals[i] as V];
      }
      c = this.chunks[++ci];
      i = 0;
    }
  }

  /** Descending iteration over [start, end] (end >= start), from end down. */
  *rangeRev(start: StreamId, end: StreamId): Generator<[StreamId, V]> {
    let ci = this.chunkFor(end);
    if (ci >= this.chunks.length) ci = this.chunks.length - 1;
    let c = this.chunks[ci];
    if (!c) return;
    let i = IdMap.lowerBound(c.ids, end);
    if (i >= c.ids.length || compareIds(c.ids[i] as StreamId, end) > 0) i--;
    while (c) {
      for (; i >= 0; i--) {
        const id = c.ids[i] as StreamId;
        if (compareIds(id, start) < 0) return;
        yield [id, c.vals[i] as V];
      }
      c = this.chunks[--ci];
      i = c ? c.ids.length - 1 : -1;
    }
  }
}
