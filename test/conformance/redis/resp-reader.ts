/** A tiny RESP2/RESP3 reply splitter for tests: returns each complete reply's raw text. */
export class RespReplyReader {
  private buf = '';

  feed(d: Buffer): void {
    this.buf += d.toString('latin1');
  }

  /** The next complete reply as raw text, or null. Iterative: a stack of pending element counts. */
  next(): string | null {
    let pos = 0;
    const pending: number[] = [];
    for (;;) {
      const nl = this.buf.indexOf('\r\n', pos);
      if (nl === -1) return null;
      const type = this.buf[pos];
      const head = this.buf.slice(pos + 1, nl);
      pos = nl + 2;
      let children = 0;
      if (type === '$' || type === '=' || type === '!') {
        const n = Number(head);
        if (n >= 0) {
          if (this.buf.length < pos + n + 2) return null;
          pos += n + 2;
        }
      } else if (type === '*' || type === '~' || type === '>') children = Math.max(0, Number(head));
      else if (type === '%' || type === '|') children = Math.max(0, Number(head)) * 2;
      if (children > 0) {
        pending.push(children);
        continue;
      }
      while (pending.length > 0) {
        const top = (pending[pending.length - 1] as number) - 1;
        if (top > 0) {
          pending[pending.length - 1] = top;
          break;
        }
        pending.pop();
      }
      if (pending.length === 0) {
        const out = this.buf.slice(0, pos);
        this.buf = this.buf.slice(pos);
        return out;
      }
    }
  }
}
