// The local server (`npm start`'s API Gateway) over a raw socket: a request it cannot make
// sense of is answered with problem+json and the process keeps serving — nothing thrown in its
// request listener may escape as an unhandled rejection, which would end `npm start`.

import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createLocalServer, listen, MAX_REQUEST_BYTES } from '#dev/server.ts';

let server: Server;
let port: number;
const logged: string[] = [];
const escaped: unknown[] = [];
let handlerResult: () => APIGatewayProxyResult = () => ({ statusCode: 200, body: 'ok' });

const onUnhandled = (reason: unknown) => escaped.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = createLocalServer({
    stage: 'local',
    loadHandler: async () => async () => handlerResult(),
    log: (line) => logged.push(line),
  });
  port = await listen(server, 0);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

afterEach(() => {
  handlerResult = () => ({ statusCode: 200, body: 'ok' });
  logged.length = 0;
});

/**
 * Sends the request bytes as given and reads the whole answer (HTTP/1.0: the body unchunked,
 * the connection closed after it). No answer within seconds is status 0, not a hung test.
 */
function rawRequest(text: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.setTimeout(5_000, () => socket.destroy());
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const at = data.indexOf('\r\n\r\n');
      const head = at < 0 ? data : data.slice(0, at);
      const rest = at < 0 ? '' : data.slice(at + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const chunked = /\r\ntransfer-encoding: chunked/i.test(head);
      resolve({ status, headers: head.toLowerCase(), body: chunked ? unchunk(rest) : rest });
    });
  });
}

/** The body of an HTTP/1.1 chunked answer (an answer to HTTP/1.1 without Content-Length). */
function unchunk(text: string): string {
  let body = '';
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, end), 16);
    if (!(size > 0)) return body;
    // Sizes count bytes, the text is decoded: the answers read this way are ASCII, so the two agree.
    body += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
}

const get = (path: string, host: string) => rawRequest(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`);

// A public route, so the fake handler answers without authentication.
const ROUTE = '/license-types';

describe('the local server', () => {
  test('answers a well-formed request through the route group’s handler (the control case)', async () => {
    expect(await get(ROUTE, `127.0.0.1:${port}`)).toMatchObject({ status: 200, body: 'ok' });
  });

  test.each(['a b', 'exa mple.com:99999', '[::1', 'host:port', 'a/b', 'user@host'])(
    'answers a Host header %j that names no authority with 400 problem+json, and keeps serving',
    async (host) => {
      const answer = await get(ROUTE, host);
      expect(answer.status).toBe(400);
      expect(answer.headers).toContain('content-type: application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:elicense:problem:bad-request' });
      expect(escaped).toEqual([]);
      expect((await get(ROUTE, `127.0.0.1:${port}`)).status).toBe(200);
    },
  );

  test('answers a handler result it cannot send (a header value with a line break) with 500 problem+json, and logs it', async () => {
    handlerResult = () => ({ statusCode: 200, headers: { 'x-broken': 'a\nb' }, body: 'ok' });
    const answer = await get(ROUTE, `127.0.0.1:${port}`);
    expect(answer.status).toBe(500);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:elicense:problem:internal-error' });
    expect(escaped).toEqual([]);
    expect(logged.some((line) => line.includes('failed in the local server'))).toBe(true);
    handlerResult = () => ({ statusCode: 200, body: 'ok' });
    expect((await get(ROUTE, `127.0.0.1:${port}`)).status).toBe(200);
  });

  // What Node's HTTP parser refuses before any request exists (its clientError): each answered
  // as the platform answers everything, problem+json, instead of a bare 400 with no body.
  test.each([
    [
      'raw UTF-8 in the path',
      Buffer.from(`GET /h\u00e9llo HTTP/1.1\r\nHost: a\r\n\r\n`, 'utf8'),
      400,
      'bad-request',
    ],
    [
      'a control byte in a header value',
      'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u0001b\r\n\r\n',
      400,
      'bad-request',
    ],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /verify HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'bad-request',
    ],
    ['a lower-case method', 'get / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'bad-request'],
    ['a path without its leading /', 'GET health HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'bad-request'],
    [
      'headers over 16 KB',
      `GET / HTTP/1.1\r\nHost: a\r\nX-A: ${'a'.repeat(17_000)}\r\n\r\n`,
      431,
      'request-header-fields-too-large',
    ],
    ['an HTTP/1.1 request without Host', 'GET /health HTTP/1.1\r\n\r\n', 400, 'bad-request'],
  ] as const)('answers %s with problem+json, and keeps serving', async (_, bytes, status, type) => {
    const answer = await rawRequest(bytes);
    expect(answer.status).toBe(status);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ type: `urn:elicense:problem:${type}`, status });
    expect(escaped).toEqual([]);
    expect((await get(ROUTE, `127.0.0.1:${port}`)).status).toBe(200);
  });

  test('answers a body over the limit 413 and closes the connection: the rest of the body is left unread', async () => {
    const size = MAX_REQUEST_BYTES + 1;
    const head = `POST /verify HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
    const answer = await rawRequest(Buffer.concat([Buffer.from(head), Buffer.alloc(size, 0x20)]));
    expect(answer.status).toBe(413);
    expect(answer.headers).toContain('connection: close');
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:elicense:problem:payload-too-large' });
    expect((await get(ROUTE, `127.0.0.1:${port}`)).status).toBe(200);
  });

  test('reads a path that starts with // as a path, not as a host', async () => {
    const answer = await get(`/${ROUTE}`, `127.0.0.1:${port}`);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ detail: `no route GET /${ROUTE}` });
  });

  test('takes a request whose client closed before its body ended as the client’s doing: no stack, no 500', async () => {
    await new Promise<void>((done) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(
          'POST /verify HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pre',
        );
      });
      socket.on('error', () => {});
      socket.on('close', () => done());
      socket.resume();
    });
    await vi.waitFor(() => expect(logged.some((line) => line.startsWith('POST /verify'))).toBe(true));
    expect(logged).toEqual([
      expect.stringMatching(/^POST \/verify → the client closed the connection before its request ended/),
    ]);
    expect(logged.join('\n')).not.toMatch(/aborted|500|\n\s+at /);
    expect(escaped).toEqual([]);
  });

  test('answers a handler result with a status no response can have with 500 problem+json', async () => {
    handlerResult = () => ({ statusCode: 42, body: '' });
    const answer = await get(ROUTE, `127.0.0.1:${port}`);
    expect(answer.status).toBe(500);
    expect(escaped).toEqual([]);
  });
});
