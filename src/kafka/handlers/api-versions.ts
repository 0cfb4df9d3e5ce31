/**
 * ApiVersions (18). The key list is derived from the handler registry: every API is advertised
 * from version 0 (librdkafka disables features when v0 is missing) up to its handler's maximum.
 * An unsupported version is answered by the dispatcher with a v0 body, error 35 and the list.
 */
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages.generated.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type { Init } from '../protocol/types.js';
import { defineHandler, type ApiHandler } from './handler.js';

export const API_VERSIONS_VERSIONS = [0, 4] as const;

/** What ApiVersions needs of a handler: its key and range (registry entries have both). */
export interface ServedApi {
  readonly apiKey: number;
  readonly versions: readonly [number, number];
}

export function apiKeyList(
  handlers: Iterable<ServedApi>,
): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...handlers]
    .map((h) => ({ apiKey: h.apiKey, minVersion: 0, maxVersion: h.versions[1] }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

export function makeApiVersionsHandler(
  registry: () => Iterable<ServedApi>,
): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return defineHandler<ApiVersionsRequest, ApiVersionsResponse>(
    ApiKey.ApiVersions,
    API_VERSIONS_VERSIONS,
    (): Init<ApiVersionsResponse> => ({
      errorCode: 0,
      apiKeys: apiKeyList(registry()),
      throttleTimeMs: 0,
    }),
  );
}
