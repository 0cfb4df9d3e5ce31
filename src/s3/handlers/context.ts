/**
 * Per-request state shared by the S3 handlers, and the small reply helpers they use.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../platform/clock.js';
import type { S3Engine } from '../engine/s3-engine.js';
import { S3Error } from '../protocol/errors.js';
import type { AuthResult, Credentials } from './wire.js';

export interface S3Options extends Credentials {
  clock: Clock;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  method: string;
  bucket: string | null;
  key: string | null;
  query: URLSearchParams;
  engine: S3Engine;
  opts: S3Options;
  auth: AuthResult;
  /** Tells the client to send the body (Expect: 100-continue), once auth and prechecks passed. */
  continueBody(): void;
}

/** Largest XML or JSON request body we buffer (configs, DeleteObjects, Complete), bytes. */
export const SMALL_BODY_BYTES_MAX = 8 * 1024 * 1024;

/** Sends an XML reply; `headers` is the caller's fresh object, completed here rather than copied. */
export function sendXml(
  ctx: Ctx,
  status: number,
  xml: string,
  headers: Record<string, string | number> = {},
): void {
  const body = Buffer.from(xml, 'utf8');
  headers['content-type'] = 'application/xml';
  headers['content-length'] = body.length;
  ctx.res.writeHead(status, headers);
  ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
}

/** Sends a bodiless reply; `headers` is the caller's fresh object, completed here rather than copied. */
export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string | number> = {}): void {
  headers['content-length'] = 0;
  ctx.res.writeHead(status, headers);
  ctx.res.end();
}

/** Reads a bounded request body into memory (XML/JSON documents only, never object data). */
export async function readSmallBody(
  ctx: Ctx,
  src: AsyncIterable<Buffer>,
  maxBytes = SMALL_BODY_BYTES_MAX,
): Promise<Buffer> {
  ctx.continueBody();
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of src) {
    n += c.length;
    if (n > maxBytes) throw new S3Error('MaxMessageLengthExceeded');
    parts.push(c);
  }
  return Buffer.concat(parts);
}

export function requireBucket(ctx: Ctx): string {
  if (ctx.bucket === null) throw new S3Error('MethodNotAllowed');
  return ctx.bucket;
}

export function requireKey(ctx: Ctx): string {
  if (ctx.key === null) throw new S3Error('MethodNotAllowed');
  return ctx.key;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** The last second httpDate formatted, and its text: objects written together share a second. */
let httpDateSec = Number.NaN;
let httpDateText = '';

/** RFC 7231 date (Last-Modified); whole seconds, so one formatting serves a second's objects. */
export function httpDate(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== httpDateSec) {
    httpDateText = new Date(sec * 1000).toUTCString();
    httpDateSec = sec;
  }
  return httpDateText;
}
