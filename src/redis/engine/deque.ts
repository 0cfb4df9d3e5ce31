/**
 * A growable ring buffer: O(1) push/pop at both ends and O(1) index, for Redis lists.
 * Capacity is a power of two so the index wraps with a mask.
 */
const MIN_CAPACITY = 8;

export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private len = 0;
  private mask: number;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.items = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }

  static from<T>(values: Iterable<T>): Deque<T> {
    const d = new Deque<T>();
    for (const v of values) d.pushBack(v);
    return d;
  }

  get length(): number {
    return this.len;
  }

  private grow(): void {
    const old = this.items;
    const cap = old.length * 2;
    const next = new Array<T | undefined>(cap);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = cap - 1;
  }

  private shrinkIfSparse(): void {
    // Give memory back after a big list drains (keeps at least 4× headroom to avoid thrashing).
    if (this.items.length > 1024 && this.len * 8 < this.items.length) {
      const arr = this.toArray();
      let cap = MIN_CAPACITY;
      while (cap < this.len * 2) cap *= 2;
      this.items = new Array<T | undefined>(cap);
      this.mask = cap - 1;
      this.head = 0;
      for (let i = 0; i < arr.length; i++) this.items[i] = arr[i];
    }
  }

  pushBack(v: T): void {
    if (this.len === this.items.length) this.grow();
    this.items[(this.head + this.len) & this.mask] = v;
    this.len++;
  }

  pushFront(v: T): void {
    if (this.len === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = v;
    this.len++;
  }

  popFront(): T | undefined {
    if (this.len === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.shrinkIfSparse();
    return v;
  }

  popBack(): T | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & this.mask;
    const v = this.items[i];
    this.items[i] = undefined;
    this.len--;
    this.shrinkIfSparse();
    return v;
  }

  /** Element at index (0-based from the head); undefined out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.items[(this.head + i) & this.mask];
  }

  setAt(i: number, v: T): void {
    this.items[(this.head + i) & this.mask] = v;
  }

  /** Elements [start, end] inclusive, already clamped by the caller. */
  slice(start: number, end: number): T[] {
    const out: T[] = [];
    for (let i = start; i <= end; i++) out.push(this.items[(this.head + i) & this.mask] as T);
    return out;
  }

  toArray(): T[] {
    return this.len === 0 ? [] : this.slice(0, this.len - 1);
  }

  /** Replaces the whole content (used by LREM/LINSERT/LTRIM, which are O(N) in Redis too). */
  replaceAll(values: T[]): void {
    let cap = MIN_CAPACITY;
    while (cap < values.length) cap *= 2;
    this.items = new Array<T | undefined>(cap);
    this.mask = cap - 1;
    this.head = 0;
    this.len = values.length;
    for (let i = 0; i < values.length; i++) this.items[i] = values[i];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.len; i++) yield this.items[(this.head + i) & this.mask] as T;
  }
}
