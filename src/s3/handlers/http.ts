/**
 * The S3 REST entry point: request ID, addressing, authentication (before any body byte is
 * read, so `Expect: 100-continue` is answered only for authenticated requests), dispatch by
 * method + bucket/key + sub-resource, CORS, and AWS's error replies (bodiless for HEAD).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../platform/logger.js';
import type { S3Engine } from '../engine/s3-engine.js';
import { S3Error } from '../protocol/errors.js';
import * as B from './bucket.js';
import type { Ctx, S3Options } from './context.js';
import { applyCors, preflight } from './cors.js';
import * as M from './multipart.js';
import * as O from './object.js';
import { serveWebsite, websiteConfig } from './website.js';
import { isPostObject, postObject } from './post-object.js';
import { authenticate, header, resolveAddress, type AuthResult } from './wire.js';

type Handler = (ctx: Ctx) => void | Promise<void>;

const CONFIG_NAMES = ['tagging', 'cors', 'policy', 'lifecycle', 'website'] as const;

function bucketHandler(ctx: Ctx): Handler | null {
  const q = ctx.query;
  switch (ctx.method) {
    case 'GET':
      if (q.has('location')) return B.getLocation;
      if (q.has('versioning')) return B.getVersioning;
      if (q.has('acl')) return B.getAcl;
      for (const c of CONFIG_NAMES) if (q.has(c)) return (x) => B.getConfig(x, c);
      if (q.has('uploads')) return M.listUploads;
      if (q.has('versions')) return B.listObjectVersions;
      if (q.get('list-type') === '2') return B.listObjectsV2;
      if (unsupportedBucketSubresource(q)) return notFoundConfig(q);
      return B.listObjectsV1;
    case 'PUT':
      if (q.has('versioning')) return B.putVersioning;
      if (q.has('acl')) return B.putAcl;
      for (const c of CONFIG_NAMES) if (q.has(c)) return (x) => B.putConfig(x, c);
      return B.createBucket;
    case 'HEAD':
      return B.headBucket;
    case 'DELETE':
      for (const c of CONFIG_NAMES) if (q.has(c)) return (x) => B.deleteConfig(x, c);
      return B.deleteBucket;
    case 'POST':
      if (q.has('delete')) return B.deleteObjects;
      if (isPostObject(ctx)) return postObject;
      return null;
    default:
      return null;
  }
}

const UNSUPPORTED_BUCKET = [
  'encryption',
  'object-lock',
  'replication',
  'ownershipControls',
  'publicAccessBlock',
  'notification',
  'logging',
  'accelerate',
  'requestPayment',
  'intelligent-tiering',
  'inventory',
  'metrics',
  'analytics',
];

function unsupportedBucketSubresource(q: URLSearchParams): boolean {
  return UNSUPPORTED_BUCKET.some((s) => q.has(s));
}

/** Configs we do not model answer like a bucket that never had one. */
function notFoundConfig(q: URLSearchParams): Handler {
  return (ctx) => {
    ctx.engine.bucket(ctx.bucket!);
    if (q.has('encryption')) throw new S3Error('ServerSideEncryptionConfigurationNotFoundError');
    if (q.has('object-lock')) throw new S3Error('ObjectLockConfigurationNotFoundError');
    if (q.has('ownershipControls')) throw new S3Error('OwnershipControlsNotFoundError');
    if (q.has('notification') || q.has('logging') || q.has('accelerate') || q.has('requestPayment')) {
      B.getVersioning(ctx);
      return;
    }
    throw new S3Error('NotImplemented', {
      message: 'This bucket configuration is not implemented by Nimbus',
    });
  };
}

function objectHandler(ctx: Ctx): Handler | null {
  const q = ctx.query;
  switch (ctx.method) {
    case 'GET':
      if (q.has('attributes')) {
        return () => {
          throw new S3Error('NotImplemented', {
            message: 'GetObjectAttributes is not implemented by Nimbus',
          });
        };
      }
      if (q.has('uploadId')) return M.listParts;
      if (q.has('tagging')) return O.getObjectTagging;
      if (q.has('acl')) return B.getAcl;
      return O.getObject;
    case 'HEAD':
      return O.getObject;
    case 'PUT':
      if (q.has('uploadId') && q.has('partNumber')) {
        return header(ctx.req, 'x-amz-copy-source') !== undefined ? M.uploadPartCopy : M.uploadPart;
      }
      if (q.has('tagging')) return O.putObjectTagging;
      if (q.has('acl')) return B.putAcl;
      if (header(ctx.req, 'x-amz-copy-source') !== undefined) return O.copyObject;
      return O.putObject;
    case 'DELETE':
      if (q.has('uploadId')) return M.abortUpload;
      if (q.has('tagging')) return O.deleteObjectTagging;
      return O.deleteObject;
    case 'POST':
      if (q.has('uploads')) return M.createUpload;
      if (q.has('uploadId')) return M.completeUpload;
      return null;
    default:
      return null;
  }
}

function pickHandler(ctx: Ctx): Handler {
  let h: Handler | null;
  if (ctx.method === 'OPTIONS') h = preflight;
  else if (ctx.bucket === null) h = ctx.method === 'GET' ? B.listBuckets : null;
  else if (ctx.key === null) h = bucketHandler(ctx);
  else h = objectHandler(ctx);
  if (!h)
    throw new S3Error('MethodNotAllowed', {
      fields: { Method: ctx.method, ResourceType: ctx.key === null ? 'BUCKET' : 'OBJECT' },
    });
  return h;
}

/** Request IDs: a random per-process prefix and a counter (unique, and no CSPRNG call per request). */
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestSeq = 0;

export function newRequestId(): string {
  requestSeq = (requestSeq + 1) >>> 0;
  return REQUEST_ID_PREFIX + requestSeq.toString(16).toUpperCase().padStart(8, '0');
}

export interface S3HttpHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createS3Handler(engine: S3Engine, opts: S3Options, logger: Logger): S3HttpHandler {
  return async (req, res) => {
    const requestId = newRequestId();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', Buffer.from(requestId).toString('base64'));
    res.setHeader('server', 'Nimbus');
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1));
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const addr = resolveAddress(req);
      // Preflights carry the presigned URL of the request they announce, signed for another method:
      // S3 answers them from the CORS rules without authentication.
      const auth: AuthResult =
        method === 'OPTIONS'
          ? { accessKeyId: null, payload: 'unsigned' }
          : authenticate(req, addr, opts, opts.clock.now());
      const ctx: Ctx = {
        req,
        res,
        requestId,
        method,
        bucket: addr.bucket,
        key: addr.key,
        query,
        engine,
        opts,
        auth,
        continueBody: () => continueOnce(req, res),
      };
      applyCors(ctx);
      const site = websiteConfig(ctx, addr.website);
      if (site) await serveWebsite(ctx, site);
      else await pickHandler(ctx)(ctx);
    } catch (err) {
      sendError(req, res, method, requestId, url, err, logger);
    }
  };
}

/** Sends `100 Continue` once, only if the client asked and Node has not already sent it. */
function continueOnce(req: IncomingMessage, res: ServerResponse): void {
  const r = res as ServerResponse & { _sent100?: boolean };
  if (r._sent100 || res.headersSent) return;
  if (!/100-continue/i.test(header(req, 'expect') ?? '')) return;
  res.writeContinue();
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  requestId: string,
  url: string,
  err: unknown,
  logger: Logger,
): void {
  let e: S3Error;
  if (err instanceof S3Error) e = err;
  else {
    logger.error({ err }, 's3 internal error');
    e = new S3Error('InternalError');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const resource = decodeSafe(url.split('?')[0] ?? '/');
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  // An error sent before the body was read: the rest of the body is not wanted; close after.
  if (!req.complete) res.setHeader('connection', 'close');
  if (method === 'HEAD') {
    res.writeHead(e.status, { 'content-length': 0 });
    res.end();
    return;
  }
  const body = Buffer.from(e.toXml(requestId, Buffer.from(requestId).toString('base64'), resource), 'utf8');
  res.writeHead(e.status, { 'content-type': 'application/xml', 'content-length': body.length });
  res.end(body);
  if (!req.complete) req.resume();
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
