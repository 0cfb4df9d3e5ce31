/**
 * Request dispatch: decode the body with the generated codec, check the version against the
 * handler's declared range, enforce SASL, call the handler, return the body writer.
 *
 * Kafka's rules followed here: an unknown api key or an unsupported version closes the connection
 * (there is no response format to answer in), except ApiVersions, which answers any version with
 * a v0 body carrying UNSUPPORTED_VERSION and the supported key list (KIP-511). With SASL on, only
 * ApiVersions, SaslHandshake and SaslAuthenticate are served before authentication.
 */
import { ErrorCode } from '../error-codes.js';
import { KafkaProtocolError } from '../protocol/errors.js';
import { API_VERSIONS_KEY, type RequestFrame } from '../protocol/frame.js';
import { ApiKey, writeApiVersionsResponse } from '../protocol/messages.generated.js';
import { NO_RESPONSE, type ConnectionState, type Dispatcher, type DispatchResult } from '../server.js';
import { apiKeyList } from './api-versions.js';
import type { ApiHandler, HandlerEnv } from './handler.js';

const PRE_AUTH_APIS: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions,
  ApiKey.SaslHandshake,
  ApiKey.SaslAuthenticate,
]);

export class HandlerDispatcher implements Dispatcher {
  private readonly byKey = new Map<number, ApiHandler>();

  constructor(
    handlers: readonly ApiHandler[],
    private readonly env: HandlerEnv,
  ) {
    for (const h of handlers) {
      if (this.byKey.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
      this.byKey.set(h.apiKey, h);
    }
  }

  handlers(): Iterable<ApiHandler> {
    return this.byKey.values();
  }

  dispatch(frame: RequestFrame, conn: ConnectionState): DispatchResult | Promise<DispatchResult> {
    const h = this.byKey.get(frame.apiKey);
    const codec = frame.codec;
    if (!h || !codec) throw new KafkaProtocolError(`unsupported api key ${frame.apiKey}`);
    const v = frame.apiVersion;
    if (!frame.versionKnown || v < h.versions[0] || v > h.versions[1]) {
      if (frame.apiKey === API_VERSIONS_KEY) return this.unsupportedApiVersions();
      throw new KafkaProtocolError(
        `${codec.name} v${v} is not supported (${h.versions[0]}-${h.versions[1]})`,
      );
    }
    if (this.env.sasl.enabled && conn.principal === null && !PRE_AUTH_APIS.has(frame.apiKey)) {
      throw new KafkaProtocolError(`${codec.name} before SASL authentication`);
    }
    const req = codec.readRequest(frame.body, v);
    const ctx = { env: this.env, conn, apiVersion: v, clientId: frame.clientId };
    const r = h.handle(req, ctx);
    if (r instanceof Promise) return r.then((res) => toWriter(res, codec.writeResponse, v));
    return toWriter(r, codec.writeResponse, v);
  }

  /** KIP-511: v0 body, error 35, and our key list so the client can pick a version. */
  private unsupportedApiVersions(): DispatchResult {
    const apiKeys = apiKeyList(this.byKey.values());
    return (w) => writeApiVersionsResponse(w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys });
  }
}

function toWriter(
  res: unknown,
  write: (w: import('../protocol/writer.js').Writer, v: number, m: unknown) => void,
  v: number,
): DispatchResult {
  if (res === NO_RESPONSE) return NO_RESPONSE;
  return (w) => write(w, v, res);
}
