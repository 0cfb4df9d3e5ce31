/**
 * Node's `stream_wrap` binding, which the socket reader and writer use to skip the stream layer.
 * `process.binding` is deprecated in documentation only (DEP0111) and still ships in Node 20 and
 * 24; every caller keeps a public-API fallback for when it is missing or changes shape.
 */

export interface StreamWrapBinding {
  WriteWrap?: unknown;
  streamBaseState?: unknown;
  kLastWriteWasAsync?: unknown;
  kReadBytesOrError?: unknown;
}

/** The binding, or null when this Node does not expose it. */
export function streamWrapBinding(): StreamWrapBinding | null {
  try {
    return (process as unknown as { binding(name: string): StreamWrapBinding }).binding('stream_wrap');
  } catch {
    return null;
  }
}

/** One slot of Node's per-operation result array (`streamBaseState[<index name>]`), or null. */
export function streamBaseSlot(
  b: StreamWrapBinding | null,
  indexName: 'kLastWriteWasAsync' | 'kReadBytesOrError',
): { state: Int32Array; index: number } | null {
  const st = b?.streamBaseState;
  const idx = b?.[indexName];
  return st instanceof Int32Array && typeof idx === 'number' && idx < st.length ? { state: st, index: idx } : null;
}
