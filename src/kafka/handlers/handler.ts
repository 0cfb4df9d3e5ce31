/**
 * What a handler is: one Kafka API, the version range it supports (declared in one line in its
 * file), and a function from the decoded request to the response. ApiVersions is derived from the
 * registry of these (registry.ts); the dispatcher (dispatch.ts) decodes, checks and encodes.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Init } from '../protocol/types.js';
import type { ConnectionState } from '../server.js';
import { NO_RESPONSE } from '../server.js';
import type { BrokerApi } from './broker-api.js';

export { NO_RESPONSE };

export interface SaslConfig {
  enabled: boolean;
  mechanisms: readonly string[];
  /** user → password, for PLAIN and SCRAM. */
  users: Readonly<Record<string, string>>;
}

export interface HandlerEnv {
  readonly broker: BrokerApi;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly nodeId: number;
  readonly advertisedHost: () => string;
  readonly advertisedPort: () => number;
  readonly autoCreateTopics: boolean;
  readonly sasl: SaslConfig;
}

export interface RequestContext {
  readonly env: HandlerEnv;
  readonly conn: ConnectionState;
  readonly apiVersion: number;
  readonly clientId: string | null;
  /**
   * Runs `release` once the response has been written to the socket (not at all if the connection
   * dies first). Fetch returns pooled read buffers this way. Absent outside the socket loop.
   */
  readonly afterResponse?: (release: () => void) => void;
}

export type HandlerResult<Res> = Init<Res> | typeof NO_RESPONSE;

export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  readonly versions: readonly [min: number, max: number];
  handle(req: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

export function defineHandler<Req, Res>(
  apiKey: number,
  versions: readonly [number, number],
  handle: (req: Req, ctx: RequestContext) => HandlerResult<Res> | Promise<HandlerResult<Res>>,
): ApiHandler<Req, Res> {
  return { apiKey, versions, handle };
}
