// The reply shape the scripting runtime exchanges with the command layer. It is deliberately
// independent of the server's own reply writer: the command module adapts between the two.
// Error and status texts carry no leading '-' / '+'.

export interface StatusReply {
  readonly kind: 'status';
  readonly text: string;
}
export interface ErrorReply {
  readonly kind: 'error';
  readonly text: string;
}
export interface DoubleReply {
  readonly kind: 'double';
  readonly value: number;
}
export interface BoolReply {
  readonly kind: 'bool';
  readonly value: boolean;
}
export interface MapReply {
  readonly kind: 'map';
  /** Flattened key, value, key, value … */
  readonly items: ScriptReply[];
}
export interface SetReply {
  readonly kind: 'set';
  readonly items: ScriptReply[];
}
export interface BigNumberReply {
  readonly kind: 'bignum';
  readonly text: string;
}
export interface VerbatimReply {
  readonly kind: 'verbatim';
  readonly format: string;
  readonly text: Buffer;
}

/**
 * null is the nil bulk string / RESP3 null; number is an integer reply; Buffer a bulk string, and
 * so is a JS string, holding the bytes as latin1 (one char per byte, the server's own form: the
 * command layer hands them over without conversion).
 */
export type ScriptReply =
  | null
  | number
  | string
  | Buffer
  | ScriptReply[]
  | StatusReply
  | ErrorReply
  | DoubleReply
  | BoolReply
  | MapReply
  | SetReply
  | BigNumberReply
  | VerbatimReply;

export const status = (text: string): StatusReply => ({ kind: 'status', text });
export const errorReply = (text: string): ErrorReply => ({ kind: 'error', text });

export function isErrorReply(r: ScriptReply): r is ErrorReply {
  return (
    r !== null && typeof r === 'object' && !Buffer.isBuffer(r) && !Array.isArray(r) && r.kind === 'error'
  );
}

/** The same reply with every latin1-string bulk as a Buffer (for comparing with Buffer values). */
export function withBuffers(r: ScriptReply): ScriptReply {
  if (typeof r === 'string') return Buffer.from(r, 'latin1');
  if (Array.isArray(r)) return r.map(withBuffers);
  if (r !== null && typeof r === 'object' && !Buffer.isBuffer(r) && (r.kind === 'map' || r.kind === 'set'))
    return { kind: r.kind, items: r.items.map(withBuffers) };
  return r;
}
