/**
 * The gateway: one HTTP listener (default 4566) for AWS-style APIs and Nimbus's own admin API under
 * /_nimbus/. Services register routes through the context's gateway registry; the admin API reads
 * the host through the small AdminApi interface the host passes in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod/v3';
import type { ServiceDefinition } from '../platform/service.js';
import { GatewayRouter, serveRouter } from './router.js';

export const gatewayConfigSchema = z.object({
  port: z.number().int().min(0).max(65535).default(4566),
  /** Open connections at most; more are refused by the kernel backlog, never by a crash. */
  maxConnections: z.number().int().min(1).max(100_000).default(4096),
  /** Whole-request time limit; S3 uploads of large objects need a generous one. 0 = none. */
  requestTimeoutMs: z.number().int().min(0).default(0),
  headersTimeoutMs: z.number().int().min(1000).default(60_000),
  keepAliveTimeoutMs: z.number().int().min(0).default(5_000),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export interface AdminApi {
  health(): { status: 'ok' | 'degraded' | 'failed'; services: Record<string, unknown> };
  metrics(): string;
  info(): Record<string, unknown>;
}

/** Header byte limits are Node's (16 KiB by default); AWS allows 8 KiB of headers, so this is generous. */
const ADMIN_PREFIX = '/_nimbus/';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handleAdmin(admin: AdminApi, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'method not allowed' }) + '\n');
    return;
  }
  switch (path) {
    case '/_nimbus/health': {
      const h = admin.health();
      sendJson(res, h.status === 'failed' ? 503 : 200, h);
      return;
    }
    case '/_nimbus/metrics': {
      const text = admin.metrics();
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    case '/_nimbus/info':
      sendJson(res, 200, admin.info());
      return;
    default:
      sendJson(res, 404, {
        error: `unknown admin path ${path}`,
        paths: ['/_nimbus/health', '/_nimbus/metrics', '/_nimbus/info'],
      });
  }
}

export function gatewayService(router: GatewayRouter, admin: AdminApi): ServiceDefinition<GatewayConfig> {
  return {
    name: 'gateway',
    description: 'HTTP gateway for AWS-style APIs (S3 ...) and the /_nimbus admin API',
    configSchema: gatewayConfigSchema,
    portKey: 'port',
    scheme: 'http',
    create(ctx) {
      let server: Server | null = null;
      let url: string | null = null;
      const requests = ctx.metrics.counter('requests_total', 'HTTP requests received by the gateway');
      const intercept = (req: IncomingMessage, res: ServerResponse): boolean => {
        requests.inc();
        if (!(req.url ?? '').startsWith(ADMIN_PREFIX)) return false;
        handleAdmin(admin, req, res);
        return true;
      };
      return {
        async start() {
          server = createServer({
            requestTimeout: ctx.config.requestTimeoutMs,
            headersTimeout: ctx.config.headersTimeoutMs,
            keepAliveTimeout: ctx.config.keepAliveTimeoutMs,
          });
          server.maxConnections = ctx.config.maxConnections;
          serveRouter(server, router, intercept);
          server.on('clientError', (_err, socket) => {
            if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
            else socket.destroy();
          });
          const port = await ctx.listen(server, ctx.config.port);
          const host = ctx.bindHost.includes(':') ? `[${ctx.bindHost}]` : ctx.bindHost;
          url = `http://${host}:${port}`;
        },
        async stop() {
          const s = server;
          server = null;
          if (!s) return;
          await new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          });
        },
        health() {
          return server ? { state: 'ready' } : { state: 'stopped' };
        },
        endpoints(): Record<string, string> {
          return url ? { gateway: url } : {};
        },
      };
    },
  };
}

/** The registry handed to services: routes go into the router; the base URL is known once listening. */
export function gatewayRegistry(router: GatewayRouter, baseUrl: () => string | null) {
  return { register: (route: Parameters<GatewayRouter['add']>[0]) => router.add(route), baseUrl };
}
