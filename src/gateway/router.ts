/**
 * Routes one HTTP request to the highest-priority matching gateway route. Shared by the gateway
 * service and by `startStandalone({ serveGateway: true })` in tests, so both dispatch the same way.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { GatewayRoute } from '../platform/service.js';

export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => void;

export class GatewayRouter {
  private readonly routes: GatewayRoute[] = [];

  add(route: GatewayRoute): void {
    this.routes.push(route);
    this.routes.sort((a, b) => b.priority - a.priority);
  }

  find(req: IncomingMessage): GatewayRoute | undefined {
    for (const r of this.routes) {
      try {
        if (r.matches(req)) return r;
      } catch {
        // a route whose matcher throws simply does not match
      }
    }
    return undefined;
  }

  /** Dispatches; a handler that throws or rejects answers 500 instead of crashing the host. */
  dispatch(req: IncomingMessage, res: ServerResponse, fallback: FallbackHandler): void {
    const route = this.find(req);
    if (!route) {
      fallback(req, res);
      return;
    }
    const fail = (err: unknown): void => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end(`internal error in ${route.service}: ${err instanceof Error ? err.message : String(err)}\n`);
      } else res.destroy();
    };
    try {
      const r = route.handle(req, res);
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(fail);
    } catch (err) {
      fail(err);
    }
  }
}

/**
 * Wires `router` to an HTTP server for both plain requests and `Expect: 100-continue` ones. Routes
 * that declare `handlesContinue` (S3 authenticates first) decide on the 100 themselves; for the
 * rest the server continues at once. `intercept` may answer a request first (the admin API).
 */
export function serveRouter(
  server: Server,
  router: GatewayRouter,
  intercept: (req: IncomingMessage, res: ServerResponse) => boolean = () => false,
): void {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!intercept(req, res)) router.dispatch(req, res, notFound);
  };
  server.on('request', onRequest);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!router.find(req)?.handlesContinue) res.writeContinue();
    onRequest(req, res);
  });
}

export function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: 'no service handles this request' }) + '\n');
}
