/**
 * Typings for Buffer's latin1Slice/latin1Write. They are long-standing methods on
 * Buffer.prototype in every Node version we support (20, 22, 24) but missing from @types/node.
 * They skip the encoding dispatch of toString('latin1')/write(..., 'latin1'), which matters on the
 * request parsing hot path.
 */
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}

/** Fails fast at startup if a future Node drops the methods. */
export function assertLatin1Methods(): void {
  const b = Buffer.from('ab', 'latin1');
  if (typeof b.latin1Slice !== 'function' || typeof b.latin1Write !== 'function')
    throw new Error('this Node version lacks Buffer#latin1Slice/latin1Write');
}
