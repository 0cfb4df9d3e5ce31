/**
 * Presigned POST (browser form upload): the form's policy and signature are checked by
 * ../protocol/post-policy, the file part streams straight into a blob, and the reply follows
 * success_action_redirect / success_action_status as S3 does (204 by default).
 */
import { staticCredentials } from '../protocol/auth.js';
import { S3Error } from '../protocol/errors.js';
import { readPostForm } from '../protocol/form-data.js';
import { checkPostContentLength, verifyPostPolicy } from '../protocol/post-policy.js';
import { XmlWriter } from '../protocol/xml.js';
import { validateKey } from '../engine/keys.js';
import { type Ctx, requireBucket, sendEmpty, sendXml } from './context.js';
import { STORAGE_CLASSES, validateTags } from './object-headers.js';
import { header } from './wire.js';

const FORM_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'expires'];

export function isPostObject(ctx: Ctx): boolean {
  return (
    ctx.method === 'POST' &&
    ctx.key === null &&
    /^\s*multipart\/form-data/i.test(header(ctx.req, 'content-type') ?? '')
  );
}

export async function postObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx);
  ctx.engine.bucket(bucket);
  ctx.continueBody();
  const form = await readPostForm(ctx.req, header(ctx.req, 'content-type'));
  const creds = staticCredentials(
    { [ctx.opts.accessKeyId]: ctx.opts.secretAccessKey },
    { strict: ctx.opts.strictAuth, nowMs: ctx.opts.clock.now() },
  );
  const r = verifyPostPolicy(form.fields, form.file.filename, bucket, creds);
  validateKey(r.key);
  const headers: Record<string, string> = {};
  for (const h of FORM_HEADERS) {
    const v = form.fields.get(h);
    if (v !== undefined) headers[h] = v;
  }
  if (!headers['content-type']) headers['content-type'] = form.file.contentType ?? 'binary/octet-stream';
  for (const [k, v] of form.fields) if (k.startsWith('x-amz-meta-')) headers[k] = v;
  const sc = form.fields.get('x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(sc))
    throw new S3Error('InvalidStorageClass', { fields: { StorageClassRequested: sc } });
  const tagging = form.fields.get('tagging');
  const tags = tagging
    ? validateTags(
        [...tagging.matchAll(/<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>/g)].map(
          (m) => [m[1]!, m[2]!] as [string, string],
        ),
      )
    : [];
  const v = await ctx.engine.putObject({
    bucket,
    key: r.key,
    headers,
    tags,
    storageClass: sc,
    body: form.file.data,
    verify: (w) => {
      checkPostContentLength(r, w.size);
      return null;
    },
  });
  const redirect = form.fields.get('success_action_redirect') ?? form.fields.get('redirect');
  if (redirect) {
    const u = new URL(redirect);
    u.searchParams.set('bucket', bucket);
    u.searchParams.set('key', r.key);
    u.searchParams.set('etag', v.etag);
    ctx.res.writeHead(303, { location: u.toString(), etag: v.etag, 'content-length': 0 });
    ctx.res.end();
    return;
  }
  const status = form.fields.get('success_action_status');
  const location = `${header(ctx.req, 'host') ? `http://${header(ctx.req, 'host')}` : ''}/${bucket}/${encodeURIComponent(r.key)}`;
  if (status === '201') {
    const w = new XmlWriter('PostResponse', '')
      .leaf('Location', location)
      .leaf('Bucket', bucket)
      .leaf('Key', r.key)
      .leaf('ETag', v.etag);
    sendXml(ctx, 201, w.toString(), { etag: v.etag, location });
    return;
  }
  sendEmpty(ctx, status === '200' ? 200 : 204, { etag: v.etag, location });
}
