// The agency-authentication middleware on API Gateway REST proxy events: requests signed by the
// SDK pass through to the handler with the agency on requestContext.authorizer; everything else
// is answered with problem+json naming the failed check, and the handler never runs.

import { generateKeyPairSync } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { beforeEach, describe, expect, test } from 'vitest';
import type { AgencyPublicJwk } from '#core/catalog/agency.ts';
import { DEMO_REQUEST_KEYS } from '#core/catalog/demo-keys.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { lambdaContext, toProxyEvent } from '#dev/api-gateway-event.ts';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import {
  type AgencyAuthenticationOptions,
  agencyAuthentication,
  authenticatedAgency,
  signedRequestFromEvent,
} from '#http/agency-auth.ts';
import { type AgencyClient, createAgencyClient } from '../../../sdk/agency-client.ts';
import { type ApiGatewayRequest, apiGatewayEvent, MemoryKeyRegistry, MemoryNonceStore } from './fakes.ts';

const NOW = new Date('2025-03-01T08:00:00.000Z');
const ENDPOINT = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod';

let registry: MemoryKeyRegistry;
let nonces: MemoryNonceStore;
let seen: APIGatewayProxyEvent[];
let dependencyErrors: unknown[];
let refusedDemoKeys: { keyId: string; agency: string }[];

beforeEach(() => {
  registry = new MemoryKeyRegistry(DEMO_AGENCIES);
  nonces = new MemoryNonceStore(() => NOW.getTime());
  seen = [];
  dependencyErrors = [];
  refusedDemoKeys = [];
});

function handler(options: Partial<AgencyAuthenticationOptions> = {}) {
  return middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    seen.push(event);
    return { statusCode: 200, body: JSON.stringify(authenticatedAgency(event) ?? null) };
  }).use(
    agencyAuthentication({
      config: registry,
      nonces,
      now: () => NOW,
      // The demo agencies' keys sign most requests here: a stage taking demo data.
      demoData: 'allowed',
      onDependencyError: (error) => dependencyErrors.push(error),
      onDemoKeyRefused: (refused) => refusedDemoKeys.push(refused),
      ...options,
    }),
  );
}

type Handler = ReturnType<typeof handler>;

/** Header lines of a fetch call, names kept as the client wrote them. */
function headerLines(init: RequestInit | undefined): [string, string][] {
  return Object.entries((init?.headers ?? {}) as Record<string, string>);
}

/** A fetch that plays API Gateway (execute-api endpoint, stage `prod`) in front of a handler. */
function viaApiGateway(target: Handler, capture: { event?: APIGatewayProxyEvent } = {}): typeof fetch {
  return async (input, init) => {
    const headers = headerLines(init);
    const contentType = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1];
    const request: ApiGatewayRequest = {
      method: init?.method ?? 'GET',
      url: String(input),
      // API Gateway keeps the client's case; make it visibly not lower case.
      headers: headers.map(([name, value]) => [name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), value]),
      ...(init?.body ? { body: init.body as Uint8Array } : {}),
      binary: contentType === 'application/pdf',
    };
    const event = apiGatewayEvent(request);
    capture.event = structuredClone(event);
    const result = await target(event, lambdaContext('test', 'req-1'));
    return new Response(result.body, {
      status: result.statusCode,
      headers: result.headers as Record<string, string>,
    });
  };
}

function client(keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519', send: typeof fetch): AgencyClient {
  return createAgencyClient({
    endpoint: ENDPOINT,
    keyId,
    algorithm,
    privateKey: demoPrivateKey(keyId, algorithm).export({ format: 'jwk' }),
    fetch: send,
    now: () => NOW,
  });
}

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as { type: string; status: number; check: string; detail: string };
}

describe('a request signed by the SDK, through API Gateway', () => {
  test.each([
    ['demo-psb-1', 'ecdsa-p256-sha256', DEMO_USCC.publicSecurityBureau],
    ['demo-vehicle-1', 'ed25519', DEMO_USCC.vehicleAdministration],
  ] as const)(
    'with %s (%s) reaches the handler with the agency on the authorizer',
    async (keyId, algorithm, uscc) => {
      const response = await client(
        keyId,
        algorithm,
        viaApiGateway(handler({ requiredRole: 'issuer' })),
      ).request('POST', '/licenses', { json: { typeCode: '11100000D00000013G001', data: { 姓名: '张三' } } });
      expect(response.status).toBe(200);
      // The thumbprint of the key that verified, which operator audit events name beside its id.
      const keyThumbprint = jwkThumbprint(
        DEMO_AGENCIES.flatMap((a) => a.apiKeys).find((k) => k.keyId === keyId)!.publicJwk,
      );
      expect(await response.json()).toEqual({ agency: uscc, keyId, keyThumbprint, roles: ['issuer'] });
      expect(seen[0]!.requestContext.authorizer).toEqual({
        agency: uscc,
        keyId,
        keyThumbprint,
        roles: ['issuer'],
      });
    },
  );

  test('with a binary body passed base64-encoded verifies its digest over the decoded bytes', async () => {
    const capture: { event?: APIGatewayProxyEvent } = {};
    const pdf = Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0xff, 0x00, 0x80, 0x0a]);
    const response = await client(
      'demo-amr-1',
      'ecdsa-p256-sha256',
      viaApiGateway(handler(), capture),
    ).request('PUT', '/licenses/L1/document', { body: pdf, headers: { 'content-type': 'application/pdf' } });
    expect(capture.event?.isBase64Encoded).toBe(true);
    expect(response.status).toBe(200);
  });

  test('with a query of repeated, reordered, spaced, plus-signed and non-ASCII parameters verifies', async () => {
    const capture: { event?: APIGatewayProxyEvent } = {};
    const response = await client(
      'demo-hpf-1',
      'ecdsa-p256-sha256',
      viaApiGateway(handler(), capture),
    ).request('GET', '/licenses?type=b&holder=%E5%BC%A0%E4%B8%89&type=a&note=a+b%2Bc&empty=');
    expect(response.status).toBe(200);
    expect(capture.event?.multiValueQueryStringParameters).toEqual({
      empty: [''],
      holder: ['张三'],
      note: ['a b+c'],
      type: ['b', 'a'],
    });
  });

  test('is answered 401 `nonce` when the very same request arrives again', async () => {
    const capture: { event?: APIGatewayProxyEvent } = {};
    const target = handler();
    await client('demo-psb-1', 'ecdsa-p256-sha256', viaApiGateway(target, capture)).request(
      'DELETE',
      '/grants/G1',
    );
    const replay = await target(capture.event!, lambdaContext('test', 'req-2'));
    expect(replay.statusCode).toBe(401);
    expect(JSON.parse(replay.body)).toMatchObject({ check: 'nonce' });
    expect(seen).toHaveLength(1);
  });
});

describe('a rejected request', () => {
  test('unsigned: 401 problem+json naming missing-signature, and the handler never runs', async () => {
    const response = await viaApiGateway(handler())(`${ENDPOINT}/licenses`, { method: 'GET' });
    expect(response.status).toBe(401);
    expect(await problem(response)).toEqual({
      type: 'urn:elicense:problem:unauthorized',
      title: 'The request is not authenticated',
      status: 401,
      check: 'missing-signature',
      detail: 'expected Signature-Input and Signature fields with a signature labelled agency, found neither',
    });
    expect(seen).toEqual([]);
  });

  test('with its body changed on the way: 401 digest', async () => {
    const target = handler();
    const tampering: typeof fetch = (input, init) =>
      viaApiGateway(target)(input, { ...init, body: new TextEncoder().encode('{"amount":999}') });
    const response = await client('demo-psb-1', 'ecdsa-p256-sha256', tampering).request('POST', '/licenses', {
      json: { amount: 1 },
    });
    expect((await problem(response)).check).toBe('digest');
  });

  test('sent to another stage than it was signed for: 401 signature', async () => {
    const target = handler();
    const elsewhere: typeof fetch = (input, init) =>
      viaApiGateway(target)(String(input).replace('/prod/', '/prod/prod/'), init);
    const response = await client('demo-psb-1', 'ecdsa-p256-sha256', elsewhere).request('GET', '/licenses');
    expect((await problem(response)).check).toBe('signature');
  });

  test('with a revoked key: 401 signature, as any signature no active key verifies', async () => {
    registry = new MemoryKeyRegistry(
      DEMO_AGENCIES.map((a) => ({
        ...a,
        apiKeys: a.apiKeys.map((k) => ({ ...k, status: 'revoked' as const })),
      })),
    );
    const response = await client('demo-psb-1', 'ecdsa-p256-sha256', viaApiGateway(handler())).request(
      'GET',
      '/x',
    );
    expect(await problem(response)).toMatchObject({ status: 401, check: 'signature' });
  });

  test('from an agency without the route role: 403 forbidden naming role', async () => {
    const response = await client(
      'demo-hpf-1',
      'ecdsa-p256-sha256',
      viaApiGateway(handler({ requiredRole: 'issuer' })),
    ).request('POST', '/licenses', { json: {} });
    expect(response.status).toBe(403);
    expect(await problem(response)).toEqual({
      type: 'urn:elicense:problem:forbidden',
      title: 'The caller may not do this',
      status: 403,
      check: 'role',
      detail: 'this route needs an agency with the role issuer; the agency has relying',
    });
    expect(seen).toEqual([]);
  });

  test('the required role may depend on the event', async () => {
    const target = handler({
      requiredRole: (event) => (event.httpMethod === 'GET' ? 'relying' : ['issuer', 'operator']),
    });
    const relying = client('demo-hpf-1', 'ecdsa-p256-sha256', viaApiGateway(target));
    expect((await relying.request('GET', '/licenses/L1')).status).toBe(200);
    expect((await relying.request('POST', '/licenses', { json: {} })).status).toBe(403);
    const operator = client('demo-operator-1', 'ed25519', viaApiGateway(target));
    expect((await operator.request('POST', '/licenses', { json: {} })).status).toBe(200);
  });

  test('when the nonce table fails: 503 dependency-unavailable, and the failure is reported', async () => {
    nonces.failure = new Error('ProvisionedThroughputExceededException');
    const response = await client('demo-psb-1', 'ecdsa-p256-sha256', viaApiGateway(handler())).request(
      'GET',
      '/x',
    );
    expect(response.status).toBe(503);
    expect((await problem(response)).type).toBe('urn:elicense:problem:dependency-unavailable');
    expect(dependencyErrors).toHaveLength(1);
    expect((dependencyErrors[0] as Error).cause).toBe(nonces.failure);
  });
});

describe('on a stage that refuses demo data', () => {
  const NOT_VERIFIED = {
    type: 'urn:elicense:problem:unauthorized',
    title: 'The request is not authenticated',
    status: 401,
    check: 'signature',
    detail:
      'the signature does not verify with an active request-signing key named by keyid, over the signature base rebuilt from the request',
  };

  test.each(DEMO_REQUEST_KEYS.map((k) => [k.keyId, k.algorithm] as const))(
    'a demo key on record (%s) is 401 signature as any key that does not verify, and the refusal is reported',
    async (keyId, algorithm) => {
      const response = await client(
        keyId,
        algorithm,
        viaApiGateway(handler({ demoData: 'refused' })),
      ).request('GET', '/licenses');
      expect(await problem(response)).toEqual(NOT_VERIFIED);
      expect(seen).toEqual([]);
      expect(nonces.claims).toEqual([]);
      const agency = DEMO_AGENCIES.find((a) => a.apiKeys.some((k) => k.keyId === keyId))!.uscc;
      expect(refusedDemoKeys).toEqual([{ keyId, agency }]);
    },
  );

  test('a demo public key on record under another key id, in a real agency, is refused too', async () => {
    const { demo: _, ...psb } = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;
    const copied = { ...psb.apiKeys[0]!, keyId: 'psb-2025-1' };
    registry.put({ agency: { ...psb, apiKeys: [copied] }, key: copied, agencyVersion: 1 });
    const forger = createAgencyClient({
      endpoint: ENDPOINT,
      keyId: 'psb-2025-1',
      algorithm: 'ecdsa-p256-sha256',
      privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256').export({ format: 'jwk' }),
      fetch: viaApiGateway(handler({ demoData: 'refused' })),
      now: () => NOW,
    });
    expect(await problem(await forger.request('GET', '/licenses'))).toEqual(NOT_VERIFIED);
    expect(seen).toEqual([]);
    expect(refusedDemoKeys).toEqual([{ keyId: 'psb-2025-1', agency: psb.uscc }]);
  });

  test('a key of its own is accepted, and nothing is reported', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const { demo: _, ...psb } = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;
    const own = {
      keyId: 'psb-2025-2',
      algorithm: 'ed25519' as const,
      publicJwk: publicKey.export({ format: 'jwk' }) as AgencyPublicJwk,
      status: 'active' as const,
      created: NOW.toISOString(),
    };
    registry.put({ agency: { ...psb, apiKeys: [own] }, key: own, agencyVersion: 1 });
    const agency = createAgencyClient({
      endpoint: ENDPOINT,
      keyId: 'psb-2025-2',
      algorithm: 'ed25519',
      privateKey: privateKey.export({ format: 'jwk' }),
      fetch: viaApiGateway(handler({ demoData: 'refused' })),
      now: () => NOW,
    });
    const response = await agency.request('GET', '/licenses');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      agency: psb.uscc,
      keyId: 'psb-2025-2',
      keyThumbprint: jwkThumbprint(own.publicJwk),
      roles: ['issuer'],
    });
    expect(refusedDemoKeys).toEqual([]);
  });

  test('while a stage that takes demo data accepts every demo key', async () => {
    for (const { keyId, algorithm } of DEMO_REQUEST_KEYS) {
      const response = await client(
        keyId,
        algorithm,
        viaApiGateway(handler({ demoData: 'allowed' })),
      ).request('GET', '/licenses');
      expect(response.status).toBe(200);
    }
    expect(refusedDemoKeys).toEqual([]);
  });
});

describe('reading the request from the event', () => {
  test('header names in any case, and a name repeated across lines, are read lower-cased and combined', async () => {
    const capture: { event?: APIGatewayProxyEvent } = {};
    await client('demo-psb-1', 'ecdsa-p256-sha256', viaApiGateway(handler(), capture)).request('GET', '/x');
    const event = capture.event!;
    const input = event.headers['Signature-Input']!;
    // An intermediary adds its own signature on a second line, in upper case.
    event.multiValueHeaders = {
      ...event.multiValueHeaders,
      'Signature-Input': [input],
      'SIGNATURE-INPUT': ['proxy=("@method");created=1'],
    };
    nonces = new MemoryNonceStore(() => NOW.getTime());
    const request = signedRequestFromEvent(event);
    expect(request.headers['signature-input']).toEqual([input, 'proxy=("@method");created=1']);
    const result = await handler()(event, lambdaContext('test', 'req-3'));
    expect(result.statusCode).toBe(200);
  });

  test('the target URI is https, the Host, the stage-prefixed path and the canonical query', async () => {
    const capture: { event?: APIGatewayProxyEvent } = {};
    await client('demo-psb-1', 'ecdsa-p256-sha256', viaApiGateway(handler(), capture)).request(
      'GET',
      '/licenses?b=2&a=x%20y',
    );
    expect(signedRequestFromEvent(capture.event!).targetUri).toBe(`${ENDPOINT}/licenses?a=x%20y&b=2`);
  });

  test('pathSource path reads event.path, which lacks the stage the client addressed', async () => {
    const capture: { event?: APIGatewayProxyEvent } = {};
    await client('demo-psb-1', 'ecdsa-p256-sha256', viaApiGateway(handler(), capture)).request(
      'GET',
      '/licenses',
    );
    expect(signedRequestFromEvent(capture.event!, { pathSource: 'path' }).targetUri).toBe(
      ENDPOINT.replace('/prod', '/licenses'),
    );
  });

  test('on the local platform (plain http, no X-Forwarded-Proto, no stage) with the default reading', async () => {
    const statuses: number[] = [];
    const viaLocalServer: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const rawHeaders = [...headerLines(init).flat(), 'Host', url.host];
      const body = Buffer.from((init?.body as Uint8Array | undefined) ?? []);
      const event = toProxyEvent(
        { method: init?.method ?? 'GET', url, rawHeaders, body, sourceIp: '127.0.0.1' },
        url.pathname,
        {},
        'local',
      );
      expect(signedRequestFromEvent(event).targetUri).toBe('http://127.0.0.1:3000/licenses');
      const result = await handler()(event, lambdaContext('t', 'r1'));
      statuses.push(result.statusCode);
      return new Response(result.body, { status: result.statusCode });
    };
    const local = createAgencyClient({
      endpoint: 'http://127.0.0.1:3000',
      keyId: 'demo-vehicle-1',
      algorithm: 'ed25519',
      privateKey: demoPrivateKey('demo-vehicle-1', 'ed25519'),
      fetch: viaLocalServer,
      now: () => NOW,
    });
    await local.request('POST', '/licenses', { json: { a: 1 } });
    expect(statuses).toEqual([200]);
  });
});
