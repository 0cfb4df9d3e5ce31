/**
 * Static website hosting: anonymous GET/HEAD on a bucket with a website configuration serve the
 * index document for "directory" paths and the error document (with status 404) for missing keys,
 * as S3's website endpoint does. Authenticated requests keep REST semantics.
 */
import type { WebsiteConfiguration } from '../protocol/bodies.js';
import { S3Error } from '../protocol/errors.js';
import type { Ctx } from './context.js';
import { serveVersion } from './object.js';

export function websiteConfig(ctx: Ctx, websiteHost: boolean): WebsiteConfiguration | null {
  // Website semantics on s3-website hosts, and for anonymous browser GETs on the REST host.
  if (!ctx.bucket || (ctx.auth.accessKeyId !== null && !websiteHost)) return null;
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return null;
  if (ctx.query.size > 0) return null;
  if (!ctx.engine.index.getBucket(ctx.bucket)) return null;
  const raw = ctx.engine.index.getConfig(ctx.bucket, 'website.json');
  return raw === null ? null : (JSON.parse(raw) as WebsiteConfiguration);
}

export async function serveWebsite(ctx: Ctx, cfg: WebsiteConfiguration): Promise<void> {
  const bucket = ctx.bucket!;
  if (cfg.redirectAllRequestsTo) {
    const proto = cfg.redirectAllRequestsTo.protocol ?? 'http';
    ctx.res.writeHead(301, {
      location: `${proto}://${cfg.redirectAllRequestsTo.hostName}/${ctx.key ?? ''}`,
      'content-length': 0,
    });
    ctx.res.end();
    return;
  }
  const suffix = cfg.indexDocumentSuffix ?? 'index.html';
  let key = ctx.key ?? suffix;
  if (key.endsWith('/')) key += suffix;
  const found = ctx.engine.index.latest(bucket, key);
  if (found && !found.deleteMarker) {
    await serveVersion(ctx, bucket, found, 200);
    return;
  }
  // "photos" with "photos/index.html" present redirects to the directory, as S3 does.
  const dir = ctx.engine.index.latest(bucket, `${key}/${suffix}`);
  if (ctx.key && dir && !dir.deleteMarker) {
    ctx.res.writeHead(302, { location: `/${ctx.key}/`, 'content-length': 0 });
    ctx.res.end();
    return;
  }
  const errKey = cfg.errorDocumentKey;
  const errDoc = errKey ? ctx.engine.index.latest(bucket, errKey) : null;
  if (errDoc && !errDoc.deleteMarker) {
    await serveVersion(ctx, bucket, errDoc, 404);
    return;
  }
  throw new S3Error('NoSuchKey', { fields: { Key: key } });
}
