/**
 * Sorted set: a member → score map plus a skip list with spans (Redis's zskiplist), so rank,
 * range-by-rank, range-by-score and range-by-lex are O(log N). Members are binary strings;
 * JS string comparison on latin1 strings equals memcmp.
 */
const MAX_LEVEL = 32;
const P = 0.25;

export class ZNode {
  back: ZNode | null = null;
  readonly next: (ZNode | null)[];
  readonly span: number[];
  constructor(
    public score: number,
    public member: string,
    level: number,
  ) {
    this.next = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

function randomLevel(): number {
  let l = 1;
  while (l < MAX_LEVEL && Math.random() < P) l++;
  return l;
}

/** A score bound: value plus exclusivity (`(1.5`). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}
/** A lex bound: `-`/`+` are -inf/+inf, else `[x` (inclusive) / `(x` (exclusive). */
export interface LexRange {
  min: string;
  max: string;
  minex: boolean;
  maxex: boolean;
  minInf: -1 | 0 | 1;
  maxInf: -1 | 0 | 1;
}

function less(aScore: number, aMember: string, b: ZNode): boolean {
  return b.score < aScore || (b.score === aScore && b.member < aMember);
}

export function scoreGteMin(s: number, r: ScoreRange): boolean {
  return r.minex ? s > r.min : s >= r.min;
}
export function scoreLteMax(s: number, r: ScoreRange): boolean {
  return r.maxex ? s < r.max : s <= r.max;
}
export function lexGteMin(m: string, r: LexRange): boolean {
  if (r.minInf === -1) return true;
  if (r.minInf === 1) return false;
  return r.minex ? m > r.min : m >= r.min;
}
export function lexLteMax(m: string, r: LexRange): boolean {
  if (r.maxInf === 1) return true;
  if (r.maxInf === -1) return false;
  return r.maxex ? m < r.max : m <= r.max;
}

export class ZSet {
  readonly dict = new Map<string, number>();
  private readonly header = new ZNode(0, '', MAX_LEVEL);
  tail: ZNode | null = null;
  private level = 1;
  /** Approximate payload bytes for memory accounting. */
  bytes = 0;

  get size(): number {
    return this.dict.size;
  }

  first(): ZNode | null {
    return this.header.next[0] ?? null;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Adds or updates; returns true when the member is new. */
  add(member: string, score: number): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) {
      this.insertNode(score, member);
      this.dict.set(member, score);
      this.bytes += member.length + 64;
      return true;
    }
    if (cur !== score) {
      this.deleteNode(cur, member);
      this.insertNode(score, member);
      this.dict.set(member, score);
    }
    return false;
  }

  remove(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    this.deleteNode(cur, member);
    this.dict.delete(member);
    this.bytes -= member.length + 64;
    return true;
  }

  private insertNode(score: number, member: string): ZNode {
    const update = new Array<ZNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL).fill(0);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : (rank[i + 1] as number);
      let n = x.next[i];
      while (n && less(score, member, n)) {
        rank[i] = (rank[i] as number) + (x.span[i] as number);
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.dict.size;
      }
      this.level = level;
    }
    const node = new ZNode(score, member, level);
    for (let i = 0; i < level; i++) {
      const u = update[i] as ZNode;
      node.next[i] = u.next[i] ?? null;
      u.next[i] = node;
      const r0 = rank[0] as number;
      const ri = rank[i] as number;
      node.span[i] = (u.span[i] as number) - (r0 - ri);
      u.span[i] = r0 - ri + 1;
    }
    for (let i = level; i < this.level; i++) (update[i] as ZNode).span[i] = ((update[i] as ZNode).span[i] as number) + 1;
    node.back = update[0] === this.header ? null : (update[0] as ZNode);
    if (node.next[0]) (node.next[0] as ZNode).back = node;
    else this.tail = node;
    return node;
  }

  private deleteNode(score: number, member: string): void {
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && less(score, member, n)) {
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const node = x.next[0];
    if (!node || node.score !== score || node.member !== member) throw new Error('zset: node not found');
    for (let i = 0; i < this.level; i++) {
      const u = update[i] as ZNode;
      if (u.next[i] === node) {
        u.span[i] = (u.span[i] as number) + (node.span[i] as number) - 1;
        u.next[i] = node.next[i] ?? null;
      } else {
        u.span[i] = (u.span[i] as number) - 1;
      }
    }
    if (node.next[0]) (node.next[0] as ZNode).back = node.back;
    else this.tail = node.back;
    while (this.level > 1 && this.header.next[this.level - 1] === null) this.level--;
  }

  /** 0-based rank of a member, or -1. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    let r = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && (n.score < score || (n.score === score && n.member <= member))) {
        r += x.span[i] as number;
        x = n;
        n = x.next[i];
      }
      if (x !== this.header && x.member === member) return r - 1;
    }
    return -1;
  }

  /** Node at 0-based rank, or null. */
  byRank(rank0: number): ZNode | null {
    if (rank0 < 0 || rank0 >= this.dict.size) return null;
    const target = rank0 + 1;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && traversed + (x.span[i] as number) <= target) {
        traversed += x.span[i] as number;
        x = n;
        n = x.next[i];
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** First node with score in range, or null. */
  firstInScore(r: ScoreRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && !scoreGteMin(n.score, r)) {
        x = n;
        n = x.next[i];
      }
    }
    const n = x.next[0] ?? null;
    return n && scoreLteMax(n.score, r) ? n : null;
  }

  lastInScore(r: ScoreRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && scoreLteMax(n.score, r)) {
        x = n;
        n = x.next[i];
      }
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  firstInLex(r: LexRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && !lexGteMin(n.member, r)) {
        x = n;
        n = x.next[i];
      }
    }
    const n = x.next[0] ?? null;
    return n && lexLteMax(n.member, r) ? n : null;
  }

  lastInLex(r: LexRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && lexLteMax(n.member, r)) {
        x = n;
        n = x.next[i];
      }
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /** Rank (0-based) of a node obtained from this set. */
  rankOfNode(node: ZNode): number {
    return this.rank(node.member);
  }

  *entries(): IterableIterator<[string, number]> {
    for (let n = this.header.next[0] ?? null; n; n = n.next[0] ?? null) yield [n.member, n.score];
  }
}
