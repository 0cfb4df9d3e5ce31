/**
 * CORS: OPTIONS preflight answered from the bucket's CORS rules (so browsers can PUT to presigned
 * URLs), and Access-Control-* headers added to actual requests that carry an Origin.
 */
import type { CorsRule } from '../protocol/bodies.js';
import { S3Error } from '../protocol/errors.js';
import type { Ctx } from './context.js';
import { header } from './wire.js';

function rules(ctx: Ctx, bucket: string): CorsRule[] | null {
  const raw = ctx.engine.index.getConfig(bucket, 'cors.json');
  return raw === null ? null : (JSON.parse(raw) as CorsRule[]);
}

/** `*` wildcards as S3 allows them (at most one per origin/header pattern). */
function wildcard(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const i = pattern.indexOf('*');
  if (i < 0) return pattern.toLowerCase() === value.toLowerCase();
  const pre = pattern.slice(0, i).toLowerCase();
  const post = pattern.slice(i + 1).toLowerCase();
  const v = value.toLowerCase();
  return v.length >= pre.length + post.length && v.startsWith(pre) && v.endsWith(post);
}

function matchRule(rs: CorsRule[], origin: string, method: string, reqHeaders: string[]): CorsRule | null {
  for (const r of rs) {
    if (!r.allowedOrigins.some((o) => wildcard(o, origin))) continue;
    if (!r.allowedMethods.includes(method)) continue;
    if (!reqHeaders.every((h) => r.allowedHeaders.some((p) => wildcard(p, h)))) continue;
    return r;
  }
  return null;
}

function allowHeaders(r: CorsRule, origin: string, method: string): Record<string, string> {
  const h: Record<string, string> = {
    'access-control-allow-origin': r.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': r.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!r.allowedOrigins.includes('*')) h['access-control-allow-credentials'] = 'true';
  if (r.exposeHeaders.length > 0) h['access-control-expose-headers'] = r.exposeHeaders.join(', ');
  if (r.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(r.maxAgeSeconds);
  void method;
  return h;
}

export function preflight(ctx: Ctx): void {
  const bucket = ctx.bucket;
  const origin = header(ctx.req, 'origin');
  const method = header(ctx.req, 'access-control-request-method');
  if (!bucket || !origin || !method) {
    throw new S3Error('BadRequest', { message: 'Insufficient information. Origin request header needed.' });
  }
  ctx.engine.bucket(bucket);
  const reqHeaders = (header(ctx.req, 'access-control-request-headers') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const rs = rules(ctx, bucket);
  const r = rs ? matchRule(rs, origin, method, reqHeaders) : null;
  if (!r) throw new S3Error('AccessForbidden', { fields: { Method: method, ResourceType: 'OBJECT' } });
  const h = allowHeaders(r, origin, method);
  if (reqHeaders.length > 0) h['access-control-allow-headers'] = reqHeaders.join(', ');
  ctx.res.writeHead(200, { ...h, 'content-length': 0 });
  ctx.res.end();
}

/** Adds CORS headers to an actual (non-preflight) response when a rule matches. */
export function applyCors(ctx: Ctx): void {
  const origin = header(ctx.req, 'origin');
  if (!origin || !ctx.bucket) return;
  let rs: CorsRule[] | null;
  try {
    rs = rules(ctx, ctx.bucket);
  } catch {
    return;
  }
  if (!rs) return;
  const method = ctx.method === 'HEAD' ? 'HEAD' : ctx.method;
  const r = matchRule(rs, origin, method, []);
  if (!r) return;
  for (const [k, v] of Object.entries(allowHeaders(r, origin, method))) ctx.res.setHeader(k, v);
}
