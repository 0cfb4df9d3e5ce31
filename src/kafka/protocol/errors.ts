/**
 * Typed errors of the Kafka protocol layer. Anything a decoder throws on bad input is a
 * KafkaProtocolError (stable `code` EKAFKAPROTO); the server turns it into a closed connection or
 * an error response, never a crash. Kafka error codes the handlers use live in error-codes.ts.
 */
import { ErrorCode } from '../error-codes.js';

export class KafkaProtocolError extends Error {
  readonly code = 'EKAFKAPROTO';
  constructor(
    message: string,
    /** The Kafka error code a response would carry (CORRUPT_MESSAGE or INVALID_REQUEST). */
    readonly kafkaCode: number = ErrorCode.INVALID_REQUEST,
  ) {
    super(message);
    this.name = 'KafkaProtocolError';
  }
}
