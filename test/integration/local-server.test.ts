// The local server (`npm start`'s API Gateway) over a raw socket: a request it cannot make
// sense of is answered with problem+json and the process keeps serving — nothing thrown in its
// request listener may escape as an unhandled rejection, which would end `npm start`.

import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLocalServer, listen } from '#dev/server.ts';

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
function rawRequest(text: string): Promise<{ status: number; headers: string; body: string }> {
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
      const [head = '', body = ''] = data.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head.toLowerCase(), body });
    });
  });
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

  test('answers a handler result with a status no response can have with 500 problem+json', async () => {
    handlerResult = () => ({ statusCode: 42, body: '' });
    const answer = await get(ROUTE, `127.0.0.1:${port}`);
    expect(answer.status).toBe(500);
    expect(escaped).toEqual([]);
  });
});
