// Header, query and path-parameter names are the caller's choice, and some of them —
// `constructor`, `__proto__` — name members every plain object inherits. Looked up in a plain
// object they would resolve to those built-ins; each must read as the caller's own field, or as
// absent, and a request naming one must be answered like any other: here, 401 problem+json.

import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { beforeEach, describe, expect, test } from 'vitest';
import { toProxyEvent } from '#dev/api-gateway-event.ts';
import { DEMO_AGENCIES } from '#dev/demo/catalog.ts';
import { agencyAuthenticator, signedRequestFromEvent } from '#http/agency-auth.ts';
import { lowerCaseHeaders } from '#http/request.ts';
import type { RouteSpec } from '#http/route-spec.ts';
import { createRouter } from '#http/router.ts';
import { MemoryKeyRegistry, MemoryNonceStore } from '../http-signatures/fakes.ts';

const NOW = new Date('2025-03-01T08:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;

let nonces: MemoryNonceStore;
beforeEach(() => {
  nonces = new MemoryNonceStore(() => NOW.getTime());
});

const authenticate = () =>
  agencyAuthenticator({
    config: new MemoryKeyRegistry(DEMO_AGENCIES),
    nonces,
    now: () => NOW,
    demoData: 'allowed',
  });

/**
 * An API Gateway event as Lambda hands it to the function: parsed from JSON, so a header named
 * `__proto__` is an own member of the map, as any other name is.
 */
function lambdaEvent(headerLines: [string, string][]): APIGatewayProxyEvent {
  const headers = headerLines.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`);
  const multi = headerLines.map(([name, value]) => `${JSON.stringify(name)}:[${JSON.stringify(value)}]`);
  return JSON.parse(`{
    "resource": "/licenses", "path": "/licenses", "httpMethod": "POST",
    "headers": {${headers.join(',')}}, "multiValueHeaders": {${multi.join(',')}},
    "queryStringParameters": null, "multiValueQueryStringParameters": null,
    "pathParameters": null, "body": null, "isBase64Encoded": false,
    "requestContext": { "path": "/licenses", "domainName": "api.example", "authorizer": null }
  }`) as APIGatewayProxyEvent;
}

const unsignedInput = (component: string) =>
  `agency=("@method" "@target-uri" "${component}");created=${NOW_S};nonce="aaaaaaaaaaaaaaaaaaaa";keyid="x"`;

describe('reading header fields from the event', () => {
  test.each(['Constructor', 'constructor', '__proto__', 'hasOwnProperty'])(
    'a header named %s is the caller’s field, and nothing else is made up',
    (name) => {
      const fields = lowerCaseHeaders(
        lambdaEvent([
          ['Host', 'api.example'],
          [name, 'x'],
        ]),
      );
      expect(Object.keys(fields).sort()).toEqual(['host', name.toLowerCase()].sort());
      expect(fields[name.toLowerCase()]).toEqual(['x']);
      expect(signedRequestFromEvent(lambdaEvent([[name, 'x']])).targetUri).toBe(
        'http://api.example/licenses',
      );
    },
  );

  test('a field the request lacks is absent even when its name is one every object inherits', () => {
    const fields = lowerCaseHeaders(lambdaEvent([['Host', 'api.example']]));
    expect(fields.constructor).toBeUndefined();
    expect(Reflect.get(fields, '__proto__')).toBeUndefined();
  });
});

describe('a request naming inherited members', () => {
  test.each(['constructor', '__proto__'])(
    'covering an absent field %s without a valid signature: 401 components',
    async (component) => {
      const answer = await authenticate()(
        lambdaEvent([
          ['Host', 'api.example'],
          ['Signature-Input', unsignedInput(component)],
          ['Signature', 'agency=:AAAA:'],
        ]),
        ['issuer'],
      );
      expect(answer?.statusCode).toBe(401);
      expect(answer?.headers?.['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer!.body)).toMatchObject({
        check: 'components',
        detail: `covered component "${component}" is not a field of the message`,
      });
    },
  );

  test.each(['Constructor', '__proto__'])(
    'with a header named %s and no signature: 401 missing-signature',
    async (name) => {
      const answer = await authenticate()(lambdaEvent([[name, 'x']]), []);
      expect(answer?.statusCode).toBe(401);
      expect(JSON.parse(answer!.body)).toMatchObject({ check: 'missing-signature' });
    },
  );

  test('through the router: 401, and nothing reported as a route failure', async () => {
    const table: RouteSpec[] = [
      {
        method: 'POST',
        path: '/licenses',
        group: 'issuer',
        operationId: 'issue',
        summary: '',
        auth: { kind: 'agency', roles: ['issuer'] },
        responses: {},
      },
    ];
    const failures: unknown[] = [];
    let ran = false;
    const router = createRouter(
      'issuer',
      {
        issue: async () => {
          ran = true;
          return { statusCode: 201, body: '' };
        },
      },
      { authenticate: authenticate(), onUnexpectedError: (error) => failures.push(error) },
      table,
    );
    const answer = await router(
      lambdaEvent([
        ['Host', 'api.example'],
        ['Signature-Input', unsignedInput('constructor')],
        ['Signature', 'agency=:AAAA:'],
      ]),
      { awsRequestId: 'r-1' } as Context,
    );
    expect(answer.statusCode).toBe(401);
    expect(failures).toEqual([]);
    expect(ran).toBe(false);
  });
});

describe('the local API Gateway', () => {
  test('builds header and query maps whose every name is an own member, as Lambda’s JSON parse does', () => {
    const event = toProxyEvent(
      {
        method: 'GET',
        url: new URL('http://127.0.0.1:3000/licenses?__proto__=1&constructor=2&constructor=3'),
        rawHeaders: ['Host', '127.0.0.1:3000', '__proto__', 'a', 'Constructor', 'b', 'Constructor', 'c'],
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      },
      '/licenses',
      {},
      'local',
    );
    expect(Object.getPrototypeOf(event.headers)).toBe(Object.prototype);
    expect(Object.entries(event.headers)).toEqual([
      ['Host', '127.0.0.1:3000'],
      ['__proto__', 'a'],
      ['Constructor', 'c'],
    ]);
    expect(Object.entries(event.multiValueHeaders)).toEqual([
      ['Host', ['127.0.0.1:3000']],
      ['__proto__', ['a']],
      ['Constructor', ['b', 'c']],
    ]);
    expect(Object.entries(event.queryStringParameters!)).toEqual([
      ['__proto__', '1'],
      ['constructor', '3'],
    ]);
    expect(Object.entries(event.multiValueQueryStringParameters!)).toEqual([
      ['__proto__', ['1']],
      ['constructor', ['2', '3']],
    ]);
    // What a round trip through JSON (Lambda's delivery) gives back is the very same event.
    expect(JSON.parse(JSON.stringify(event.headers))).toEqual(event.headers);
  });
});
