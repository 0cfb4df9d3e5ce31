/**
 * Client side of the framing: encodes a request frame (size prefix, header v1/v2, body). Apart
 * from frame.ts because it needs every API's codec (messages.generated.ts), which the broker
 * never loads all at once.
 */
import { requestHeaderVersion } from './frame.js';
import { API_CODECS } from './messages.generated.js';
import { Writer } from './writer.js';

export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer {
  const codec = API_CODECS.get(apiKey);
  if (!codec) throw new TypeError(`unknown api key ${apiKey}`);
  const w = new Writer();
  w.int32(0);
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(correlationId);
  w.nullableString(clientId);
  if (requestHeaderVersion(apiKey, apiVersion) >= 2) w.uvarint(0);
  codec.writeRequest(w, apiVersion, body);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}
