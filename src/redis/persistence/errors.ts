/**
 * Typed operating errors of the persistence layer. A corrupt or hostile file gives one of these,
 * never a RangeError or a crash: loaders are fuzzed against that promise.
 */
import { NimbusError } from '../../platform/errors.js';

/** An RDB file or DUMP payload that is malformed, truncated, or uses a type we cannot read. */
export class RdbFormatError extends NimbusError {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super('ERDBFORMAT', `bad RDB data: ${reason} (at byte ${offset})`);
    this.name = 'RdbFormatError';
  }
}

/** An AOF directory, manifest or command log that cannot be loaded. */
export class AofFormatError extends NimbusError {
  constructor(
    readonly reason: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super('EAOFFORMAT', `bad AOF ${file}: ${reason} (at byte ${offset})`);
    this.name = 'AofFormatError';
  }
}
