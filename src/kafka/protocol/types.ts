/**
 * Small shared types for the Kafka protocol layer.
 *
 * `Init<T>` is what the generated writers accept: every field optional at every level, a missing
 * field being written as its schema default, so handlers only spell out what they mean.
 */
export type Init<T> = T extends Buffer | string | number | bigint | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? Init<U>[]
    : { [K in keyof T]?: Init<T[K]> };

/** Shared empty buffer for default `bytes`/`records` values; never written to. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
/** The all-zero UUID Kafka uses as "no topic id". */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
