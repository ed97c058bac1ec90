import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemResponse } from '#http/problem.ts';
import { matchRoute, type RouteGroup } from '#http/routes.ts';
import type { ApiHandler } from '../functions/handlers/observability.ts';
import { fromProxyResult, lambdaContext, readBody, toProxyEvent } from './api-gateway-event.ts';

/** API Gateway's own limit on a request payload. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** A development-only endpoint the local server answers itself, outside the API (never on AWS). */
export interface DevRoute {
  /** Path prefix, e.g. `/dev-oidc`. */
  prefix: string;
  handle(
    method: string,
    url: URL,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }>;
}

export interface LocalServerOptions {
  stage: string;
  devRoutes?: readonly DevRoute[];
  /** Loads the handler of a route group (from the sources, or from the bundles that ship). */
  loadHandler(group: RouteGroup): Promise<ApiHandler>;
  log?: (line: string) => void;
}

/** An HTTP server that plays API Gateway in front of the route groups' handlers. */
export function createLocalServer({
  stage,
  loadHandler,
  devRoutes = [],
  log = () => {},
}: LocalServerOptions): Server {
  const handlers = new Map<RouteGroup, Promise<ApiHandler>>();
  const handlerOf = (group: RouteGroup) => {
    let handler = handlers.get(group);
    if (!handler) {
      handler = loadHandler(group);
      handlers.set(group, handler);
    }
    return handler;
  };

  return createServer(async (request, response) => {
    const started = performance.now();
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
    const method = request.method ?? 'GET';
    let result = problemResponse('internal-error', 'The local server failed to handle the request.');
    try {
      const match = matchRoute(method, url.pathname);
      const body = await readBody(request, MAX_REQUEST_BYTES);
      const devRoute = devRoutes.find((d) => url.pathname.startsWith(`${d.prefix}/`));
      if (devRoute && body !== 'too-large') {
        const answer = await devRoute.handle(method, url, body);
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
        log(`${method} ${url.pathname} → ${answer.status} (development route)`);
        return;
      }
      if (!match.route) {
        result =
          match.methods.length > 0
            ? problemResponse(
                'method-not-allowed',
                `${method} is not allowed on ${url.pathname}`,
                {},
                {
                  allow: match.methods.join(', '),
                },
              )
            : problemResponse('not-found', `no route ${method} ${url.pathname}`);
      } else if (body === 'too-large') {
        result = problemResponse(
          'payload-too-large',
          `request bodies are limited to ${MAX_REQUEST_BYTES} bytes`,
        );
      } else {
        const event = toProxyEvent(
          {
            method,
            url,
            rawHeaders: request.rawHeaders,
            body,
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          },
          match.route.path,
          match.pathParameters,
          stage,
        );
        const handler = await handlerOf(match.route.group);
        result = await handler(
          event,
          lambdaContext(`elicense-${stage}-${match.route.group}`, event.requestContext.requestId),
        );
      }
    } catch (error) {
      log(
        `${method} ${url.pathname} failed in the local server: ${error instanceof Error ? error.stack : String(error)}`,
      );
    }
    const { status, headers, body } = fromProxyResult(result);
    response.writeHead(status, Object.fromEntries(headers));
    response.end(body);
    log(`${method} ${url.pathname} → ${status} (${Math.round(performance.now() - started)} ms)`);
  });
}

export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
