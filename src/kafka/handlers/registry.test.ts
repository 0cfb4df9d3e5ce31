/**
 * Proves the handler registry and the lazy loading it drives: every registry line loads a handler
 * whose own key and version range match the line (the dispatcher relies on the line before the
 * module is loaded), every advertised key has a generated codec that knows those versions, and a
 * dispatcher asked to dispatch before its API is loaded refuses loudly rather than guessing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_TABLE, ApiKey } from '../protocol/api-table.generated.js';
import { parseRequestFrame } from '../protocol/frame.js';
import { encodeRequestFrame } from '../protocol/request-frame.js';
import { HandlerDispatcher } from './dispatch.js';
import type { HandlerEnv } from './handler.js';
import { HANDLER_ENTRIES } from './registry.js';

test('each registry line matches the handler module it loads and the generated schemas', async () => {
  const keys = new Set<number>();
  for (const e of HANDLER_ENTRIES) {
    assert.ok(!keys.has(e.apiKey), `api key ${e.apiKey} listed twice`);
    keys.add(e.apiKey);
    const h = await e.load();
    assert.equal(h.apiKey, e.apiKey);
    assert.deepEqual([...h.versions], [...e.versions], `versions of api key ${e.apiKey}`);
    const api = API_TABLE.get(e.apiKey);
    assert.ok(api, `no schema for api key ${e.apiKey}`);
    assert.ok(e.versions[0] >= api.minVersion && e.versions[1] <= api.maxVersion);
    const codec = await api.load();
    assert.equal(codec.apiKey, e.apiKey);
    assert.equal(codec.name, api.name);
  }
});

test('the dispatcher loads an API on its first frame and only then dispatches it', async () => {
  const env = { sasl: { enabled: false, mechanisms: [], users: {} } } as unknown as HandlerEnv;
  const d = new HandlerDispatcher(HANDLER_ENTRIES, env);
  const conn = {
    id: 1,
    remoteAddress: '',
    remotePort: 0,
    clientId: null,
    principal: null,
    sasl: null,
    closeAfterFlush: () => {},
  };
  const frame = () => parseRequestFrame(encodeRequestFrame(ApiKey.ApiVersions, 3, 1, 't', {}).subarray(4));
  assert.throws(() => d.dispatch(frame(), conn), /before prepare/);
  const ready = d.prepare(frame());
  assert.ok(ready instanceof Promise);
  assert.equal(d.prepare(frame()), ready, 'concurrent first requests share one load');
  await ready;
  assert.equal(d.prepare(frame()), null);
  const r = d.dispatch(frame(), conn);
  assert.equal(typeof r, 'function');
  // An unknown key needs no load and is refused by dispatch.
  const unknown = parseRequestFrame(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
  assert.equal(d.prepare(unknown), null);
  assert.throws(() => d.dispatch(unknown, conn), /unsupported api key/);
});
