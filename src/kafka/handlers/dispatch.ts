/**
 * Request dispatch (programmer errors here throw plain Errors: node:assert costs start-up time):
 * load the API's handler and codec on its first request, decode the body with
 * the generated codec, check the version against the handler's declared range, enforce SASL, call
 * the handler, return the body writer.
 *
 * Kafka's rules followed here: an unknown api key or an unsupported version closes the connection
 * (there is no response format to answer in), except ApiVersions, which answers any version with
 * a v0 body carrying UNSUPPORTED_VERSION and the supported key list (KIP-511). With SASL on, only
 * ApiVersions, SaslHandshake and SaslAuthenticate are served before authentication.
 */
import { ErrorCode } from '../error-codes.js';
import { ApiKey, type ApiCodec } from '../protocol/api-table.generated.js';
import { KafkaProtocolError } from '../protocol/errors.js';
import { API_VERSIONS_KEY, type RequestFrame } from '../protocol/frame.js';
import type { Writer } from '../protocol/writer.js';
import { NO_RESPONSE, type ConnectionState, type Dispatcher, type DispatchResult } from '../server.js';
import { apiKeyList } from './api-versions.js';
import type { ApiHandler, HandlerEnv } from './handler.js';
import type { HandlerEntry } from './registry.js';

const PRE_AUTH_APIS: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions,
  ApiKey.SaslHandshake,
  ApiKey.SaslAuthenticate,
]);

interface LoadedApi {
  readonly handler: ApiHandler;
  readonly codec: ApiCodec;
}

export class HandlerDispatcher implements Dispatcher {
  private readonly byKey = new Map<number, HandlerEntry>();
  private readonly loaded = new Map<number, LoadedApi>();
  private readonly loading = new Map<number, Promise<void>>();

  constructor(
    entries: readonly HandlerEntry[],
    private readonly env: HandlerEnv,
  ) {
    for (const e of entries) {
      if (this.byKey.has(e.apiKey)) throw new Error(`two handlers for api key ${e.apiKey}`);
      this.byKey.set(e.apiKey, e);
    }
  }

  entries(): Iterable<HandlerEntry> {
    return this.byKey.values();
  }

  /**
   * Null when the frame can be dispatched now; otherwise a promise that settles once the API's
   * handler and codec modules are loaded (the first request for that key). Unknown keys: null,
   * and dispatch() refuses them.
   */
  prepare(frame: RequestFrame): Promise<void> | null {
    if (this.loaded.has(frame.apiKey)) return null;
    const entry = this.byKey.get(frame.apiKey);
    if (!entry || !frame.api) return null;
    let p = this.loading.get(frame.apiKey);
    if (!p) {
      p = this.load(entry, frame.api.load);
      this.loading.set(frame.apiKey, p);
      // A failed import may be retried by the next request.
      p.catch(() => this.loading.delete(entry.apiKey));
    }
    return p;
  }

  private async load(entry: HandlerEntry, loadCodec: () => Promise<ApiCodec>): Promise<void> {
    const [handler, codec] = await Promise.all([entry.load(), loadCodec()]);
    // The registry line and the handler's own declaration must agree (registry.test.ts).
    const [min, max] = handler.versions;
    if (handler.apiKey !== entry.apiKey || min !== entry.versions[0] || max !== entry.versions[1])
      throw new Error(`registry entry for api key ${entry.apiKey} does not match its handler module`);
    this.loaded.set(entry.apiKey, { handler, codec });
    this.loading.delete(entry.apiKey);
  }

  dispatch(
    frame: RequestFrame,
    conn: ConnectionState,
    afterWrite?: (release: () => void) => void,
  ): DispatchResult | Promise<DispatchResult> {
    const entry = this.byKey.get(frame.apiKey);
    if (!entry || !frame.api) throw new KafkaProtocolError(`unsupported api key ${frame.apiKey}`);
    const api = this.loaded.get(frame.apiKey);
    if (!api) throw new Error(`dispatch of api key ${frame.apiKey} before prepare() finished`);
    const v = frame.apiVersion;
    const [min, max] = entry.versions;
    if (!frame.versionKnown || v < min || v > max) {
      if (frame.apiKey === API_VERSIONS_KEY) return this.unsupportedApiVersions(api.codec);
      throw new KafkaProtocolError(`${frame.api.name} v${v} is not supported (${min}-${max})`);
    }
    if (this.env.sasl.enabled && conn.principal === null && !PRE_AUTH_APIS.has(frame.apiKey)) {
      throw new KafkaProtocolError(`${frame.api.name} before SASL authentication`);
    }
    const req = api.codec.readRequest(frame.body, v);
    const ctx = {
      env: this.env,
      conn,
      apiVersion: v,
      clientId: frame.clientId,
      ...(afterWrite ? { afterResponse: afterWrite } : {}),
    };
    const r = api.handler.handle(req, ctx);
    if (r instanceof Promise) return r.then((res) => toWriter(res, api.codec.writeResponse, v));
    return toWriter(r, api.codec.writeResponse, v);
  }

  /** KIP-511: v0 body, error 35, and our key list so the client can pick a version. */
  private unsupportedApiVersions(codec: ApiCodec): DispatchResult {
    const apiKeys = apiKeyList(this.byKey.values());
    return (w) => codec.writeResponse(w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys });
  }
}

function toWriter(
  res: unknown,
  write: (w: Writer, v: number, m: unknown) => void,
  v: number,
): DispatchResult {
  if (res === NO_RESPONSE) return NO_RESPONSE;
  return (w) => write(w, v, res);
}
