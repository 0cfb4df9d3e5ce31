/**
 * Request/response framing.
 *
 * Grammar:
 *   Frame          => size:int32 payload[size]
 *   RequestHeader  => api_key:int16 api_version:int16 correlation_id:int32        (v0)
 *                     + client_id:nullable string (always INT16-prefixed)         (v1)
 *                     + tagged fields                                             (v2, flexible APIs)
 *   ResponseHeader => correlation_id:int32 (v0) + tagged fields (v1, flexible APIs), except that
 *                     ApiVersions responses always use v0 so old clients can read them.
 */
import { API_TABLE, type ApiInfo } from './api-table.generated.js';
import { KafkaProtocolError } from './errors.js';
import { readRequestHeader, writeResponseHeader } from './messages/header.generated.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;
const REQUEST_HEADER_MIN_BYTES = 8;

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const codec = API_TABLE.get(apiKey);
  if (codec && codec.flexibleMin >= 0 && apiVersion >= codec.flexibleMin) return 2;
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  const codec = API_TABLE.get(apiKey);
  return codec && codec.flexibleMin >= 0 && apiVersion >= codec.flexibleMin ? 1 : 0;
}

export interface RequestFrame {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The API's versions and codec loader, or undefined for an unknown api key. */
  api: ApiInfo | undefined;
  /** True when the schemas know this version; otherwise `body` was not positioned past the header. */
  versionKnown: boolean;
  /** Positioned at the start of the request body. */
  body: Reader;
}

/**
 * Parses the header of one request payload (the bytes after the size prefix). For an unknown api
 * key or version only the fixed prefix is trusted: the reply needs no more than the correlation id.
 */
export function parseRequestFrame(payload: Buffer): RequestFrame {
  if (payload.length < REQUEST_HEADER_MIN_BYTES)
    throw new KafkaProtocolError(`request of ${payload.length} bytes has no header`);
  const apiKey = payload.readInt16BE(0);
  const apiVersion = payload.readInt16BE(2);
  const correlationId = payload.readInt32BE(4);
  const api = API_TABLE.get(apiKey);
  const versionKnown = api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
  const r = new Reader(payload);
  let clientId: string | null;
  if (versionKnown) {
    clientId = readRequestHeader(r, requestHeaderVersion(apiKey, apiVersion)).clientId;
  } else {
    // Best effort client id (v1 layout) for logs; failures do not matter here.
    r.pos = REQUEST_HEADER_MIN_BYTES;
    try {
      clientId = r.nullableString();
    } catch {
      clientId = null;
    }
  }
  return { apiKey, apiVersion, correlationId, clientId, api, versionKnown, body: r };
}

/**
 * Encodes a full response frame (size prefix, header, body) as a list of buffers for a corked
 * socket write. `writeBody` writes the body with the given writer.
 */
export function encodeResponseFrame(
  apiKey: number,
  headerVersion: number,
  correlationId: number,
  writeBody: (w: Writer) => void,
): Buffer[] {
  const w = new Writer();
  w.int32(0); // size placeholder, patched below
  writeResponseHeader(w, headerVersion, { correlationId });
  writeBody(w);
  const parts = w.finish();
  parts[0]!.writeInt32BE(w.length - 4, 0);
  return parts;
}
