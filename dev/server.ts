import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ProblemType, problemResponse } from '#http/problem.ts';
import { matchRoute, type RouteGroup } from '#http/routes.ts';
import type { ApiHandler } from '../functions/handlers/observability.ts';
import { fromProxyResult, lambdaContext, readBody, toProxyEvent } from './api-gateway-event.ts';
import { StartRefused } from './start-refused.ts';

/**
 * API Gateway's own limit on a request payload. Lambda on AWS takes a request of only about 6 MB,
 * so a body between the two passes here and is refused there (see the README).
 */
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

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = request.method ?? 'GET';
    if (request.headers.host === undefined && request.httpVersion === '1.1') {
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400 (Node's own check,
      // turned off in createServer below, answers it with no body). The connection closes after.
      response.shouldKeepAlive = false;
      send(response, problemResponse('bad-request', 'an HTTP/1.1 request must carry a Host header'));
      log(`${method} ${request.url} → 400 (no Host header)`);
      return;
    }
    const url = requestUrl(request);
    if (url === undefined) {
      // RFC 9112 §3.2: a request whose Host is no valid authority is answered 400.
      send(
        response,
        problemResponse('bad-request', `the Host header must be host[:port], found ${request.headers.host}`),
      );
      log(`${method} ${request.url} → 400 (bad Host header)`);
      return;
    }
    let result = problemResponse('internal-error', 'The local server failed to handle the request.');
    try {
      const match = matchRoute(method, url.pathname);
      const body = await readBody(request, MAX_REQUEST_BYTES);
      // The rest of a body too large is left unread: the connection cannot carry another request.
      if (body === 'too-large') response.shouldKeepAlive = false;
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
      if (clientWentAway(request)) {
        // The client closed the connection before its request ended (a body short of its
        // Content-Length, say): nobody is left to answer, and it is no fault of the platform.
        response.destroy();
        log(
          `${method} ${url.pathname} → the client closed the connection before its request ended (${Math.round(performance.now() - started)} ms)`,
        );
        return;
      }
      log(`${method} ${url.pathname} failed in the local server: ${stackOf(error)}`);
    }
    // Sending throws too, for a result no response can carry (a status out of range, a header
    // value with a line break): left to the last resort below, which answers 500.
    const status = send(response, result);
    log(`${method} ${url.pathname} → ${status} (${Math.round(performance.now() - started)} ms)`);
  };

  // Node checks Host itself with a bare 400; serve() answers it as a problem instead.
  const server = createServer({ requireHostHeader: false }, (request, response) => {
    // The last resort: anything thrown above would otherwise be an unhandled rejection, which
    // ends the process — one bad request would stop `npm start`.
    serve(request, response).catch((error: unknown) => {
      log(`${request.method} ${request.url} failed in the local server: ${stackOf(error)}`);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      try {
        // Drop what a half-applied writeHead left behind; the answer is the problem alone.
        for (const name of response.getHeaderNames()) response.removeHeader(name);
        send(response, problemResponse('internal-error', 'The local server failed to handle the request.'));
      } catch {
        response.destroy();
      }
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    answerClientError(error, socket, log);
  });
  return server;
}

/**
 * What Node's HTTP parser refuses before there is a request to route: API Gateway answers such
 * bytes on AWS, and here they are answered as everything else is, problem+json with a detail
 * saying what was wrong — not Node's default bare 400 with no body.
 */
const PARSER_REFUSALS: Record<string, { type: ProblemType; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    type: 'request-header-fields-too-large',
    detail: 'the request line and headers exceed 16 KB together',
  },
  HPE_INVALID_METHOD: {
    type: 'bad-request',
    detail: 'the method is not one HTTP defines; methods are case-sensitive (GET, not get)',
  },
  HPE_INVALID_URL: {
    type: 'bad-request',
    detail: 'the request target must be a path starting with / in ASCII (percent-encode anything else)',
  },
  HPE_INVALID_HEADER_TOKEN: {
    type: 'bad-request',
    detail: 'a header name or value holds a character HTTP does not allow (a control character, say)',
  },
  HPE_INVALID_TRANSFER_ENCODING: {
    type: 'bad-request',
    detail: 'a request may carry Content-Length or Transfer-Encoding, not both, and only chunked coding',
  },
  HPE_UNEXPECTED_CONTENT_LENGTH: {
    type: 'bad-request',
    detail: 'a request may carry Content-Length or Transfer-Encoding, not both',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { type: 'request-timeout', detail: 'the request did not arrive in time' },
};

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, log: (line: string) => void): void {
  // A connection that broke, or ended part way through a request (HPE_INVALID_EOF_STATE), has
  // nobody left to read an answer.
  if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
    socket.destroy();
    return;
  }
  // A malformed request pipelined behind one whose answer is already being written: an answer
  // written now would land inside that one, so the connection is closed instead (as Node's own
  // handler does). `_httpMessage` is the response in flight on the socket, Node-internal.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const refusal = PARSER_REFUSALS[error.code ?? ''] ?? {
    type: 'bad-request' as const,
    detail: `the request is not well-formed HTTP/1.1 (${error.code ?? error.message})`,
  };
  const { statusCode, body } = problemResponse(refusal.type, refusal.detail);
  const head = [
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}`,
    'content-type: application/problem+json',
    'cache-control: no-store',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  log(`(unparsed request) → ${statusCode} (${error.code ?? error.message})`);
}

/** Whether the request failed because its client closed the connection before it ended. */
function clientWentAway(request: IncomingMessage): boolean {
  return !request.complete && (request.destroyed || request.socket.destroyed);
}

/** The URL the request addressed, or undefined when its Host header names no authority. */
function requestUrl(request: IncomingMessage): URL | undefined {
  const host = request.headers.host ?? 'localhost';
  // Userinfo, a path, query or fragment in Host would be taken as part of the URL, not refused.
  if (host === '' || /[/?#@\\]/.test(host)) return undefined;
  const target = request.url ?? '/';
  try {
    // A path is appended to the origin, not resolved against it: resolved, `//health` would
    // read as a URL naming the host `health` (and the path /).
    return target.startsWith('/') ? new URL(`http://${host}${target}`) : new URL(target, `http://${host}`);
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, result: APIGatewayProxyResult): number {
  const { status, headers, body } = fromProxyResult(result);
  response.writeHead(status, Object.fromEntries(headers));
  response.end(body);
  return status;
}

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

export async function listen(server: NetServer, port: number, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortTaken(port) : error);
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The API's port is held by another process: `npm start` says so in one line and exits 2. */
export class PortTaken extends StartRefused {
  /** `dataDir`: a data folder whose licenses name this port, so that another port is no way out. */
  constructor(port: number, dataDir?: string) {
    super(
      dataDir === undefined
        ? `port ${port} is taken (another npm start?): start with --port 8080, or --port 0 for a free one`
        : `port ${port} is taken (another npm start?), and ${dataDir}'s licenses name it: stop what holds it, or start another --data-dir`,
    );
    this.name = 'PortTaken';
  }
}

/**
 * Refuses a taken port before the emulators start and the demo is seeded, rather than after
 * (`listen` still refuses it, should another process take it meanwhile). 0 is never taken.
 */
export async function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await listen(probe, port, host);
  await new Promise<void>((closed) => probe.close(() => closed()));
}
