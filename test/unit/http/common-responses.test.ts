// What a route answers because of who may call it, shown on every route of the table: each agency
// and holder route, through the router and the real authenticators (the registry, nonce table and
// identity provider as in-memory stand-ins that can be told to fail), answers 401, 403 and 503 as
// problem+json before its implementation runs — and the OpenAPI document declares each for it.
// (The idempotency layer's 400, 409, 422 and 503: test/unit/http/idempotency.test.ts; the body
// limit's 413: test/e2e/agency-auth.test.ts; the body parser's 400: test/unit/http/request.test.ts,
// its 415: test/e2e/public-routes.test.ts and issuer-lifecycle.test.ts.)

import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '#dev/api-gateway-event.ts';
import { DEMO_AGENCIES, demoPrivateKey } from '#dev/demo/catalog.ts';
import { agencyAuthenticator } from '#http/agency-auth.ts';
import { holderAuthenticator } from '#http/holder-auth.ts';
import { buildOpenApi } from '#http/openapi.ts';
import { createRouter } from '#http/router.ts';
import { type RouteGroup, type RouteSpec, routes } from '#http/routes.ts';
import { createAgencyClient } from '../../../sdk/agency-client.ts';
import { apiGatewayEvent, MemoryKeyRegistry, MemoryNonceStore } from '../http-signatures/fakes.ts';

const NOW = new Date('2025-03-01T08:00:00.000Z');
const ENDPOINT = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod';
const document = buildOpenApi() as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
};

/** The statuses the OpenAPI document declares for a route, as problem documents. */
function declaredProblems(route: RouteSpec): string[] {
  const { responses } = document.paths[route.path]![route.method.toLowerCase()]!;
  return Object.keys(responses).filter(
    (s) => responses[s]!.content?.['application/problem+json'] !== undefined,
  );
}

/** A concrete path for a route's template: each parameter a plausible value. */
const concretePath = (route: RouteSpec) => route.path.replace(/\{[^}]+\}/g, 'x1');

/** The router of a route's group, every implementation failing the test if it runs. */
function routerFor(
  group: RouteGroup,
  authenticators: Parameters<typeof createRouter>[2],
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const implementations = Object.fromEntries(
    routes
      .filter((r) => r.group === group)
      .map((r) => [
        r.operationId,
        async (): Promise<APIGatewayProxyResult> => {
          throw new Error(`${r.operationId} ran although its caller was refused`);
        },
      ]),
  );
  const router = createRouter(group, implementations, authenticators);
  return (event) => router(event, lambdaContext('test', 'req-1'));
}

/** Sends `route` through its group's router as API Gateway would: the resource is the template. */
function viaApiGateway(
  route: RouteSpec,
  router: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
): typeof fetch {
  return async (input, init) => {
    const event = apiGatewayEvent({
      method: init?.method ?? 'GET',
      url: String(input),
      headers: Object.entries((init?.headers ?? {}) as Record<string, string>),
      ...(init?.body ? { body: init.body as Uint8Array } : {}),
    });
    event.resource = route.path;
    const result = await router(event);
    return new Response(result.body, {
      status: result.statusCode,
      headers: result.headers as Record<string, string>,
    });
  };
}

const demoKeys = DEMO_AGENCIES.flatMap((agency) =>
  agency.apiKeys.map((key) => ({ roles: agency.roles, keyId: key.keyId, algorithm: key.algorithm })),
);

async function send(route: RouteSpec, router: Parameters<typeof viaApiGateway>[1], keyId: string) {
  const key = demoKeys.find((k) => k.keyId === keyId)!;
  const client = createAgencyClient({
    endpoint: ENDPOINT,
    keyId,
    algorithm: key.algorithm,
    privateKey: demoPrivateKey(keyId, key.algorithm).export({ format: 'jwk' }),
    fetch: viaApiGateway(route, router),
    now: () => NOW,
  });
  const response = await client.request(route.method, concretePath(route), {
    ...(route.requestBody ? { json: {} } : {}),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

const agencyRoutes = routes.filter((r) => r.auth.kind === 'agency');
const holderRoutes = routes.filter((r) => r.auth.kind === 'holder');

describe('what every agency route answers for its caller, as declared', () => {
  it.each(agencyRoutes.map((r) => [r.operationId, r] as const))(
    '%s: 401 unsigned, 403 without its role, 503 when the registry or the nonce table cannot be reached',
    async (_, route) => {
      if (route.auth.kind !== 'agency') throw new Error('an agency route');
      const roles = route.auth.roles;
      const registry = new MemoryKeyRegistry(DEMO_AGENCIES);
      const nonces = new MemoryNonceStore(() => NOW.getTime());
      const authenticate = agencyAuthenticator({
        config: registry,
        nonces,
        now: () => NOW,
        demoData: 'allowed',
        onDependencyError: () => {},
      });
      const router = routerFor(route.group, { authenticate });
      const declared = declaredProblems(route);

      const unsigned = await viaApiGateway(route, router)(`${ENDPOINT}${concretePath(route)}`, {
        method: route.method,
      });
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toMatchObject({ type: 'urn:elicense:problem:unauthorized' });
      expect(declared).toContain('401');

      const outsider = demoKeys.find((k) => !k.roles.some((role) => roles.includes(role)))!;
      expect(await send(route, router, outsider.keyId)).toMatchObject({
        status: 403,
        type: 'application/problem+json',
        body: { type: 'urn:elicense:problem:forbidden', check: 'role' },
      });
      expect(declared).toContain('403');

      const member = demoKeys.find((k) => k.roles.some((role) => roles.includes(role)))!;
      registry.failure = new Error('ProvisionedThroughputExceededException');
      const registryDown = await send(route, router, member.keyId);
      registry.failure = undefined;
      nonces.failure = new Error('ResourceNotFoundException');
      const noncesDown = await send(route, router, member.keyId);
      for (const answer of [registryDown, noncesDown]) {
        expect(answer).toMatchObject({
          status: 503,
          type: 'application/problem+json',
          body: { type: 'urn:elicense:problem:dependency-unavailable' },
        });
      }
      expect(declared).toContain('503');
    },
  );
});

describe('what every holder route answers for its caller, as declared', () => {
  const issuer = 'https://idp.example/pool';
  // A well-formed access token: its keys are looked up, so an unreachable key set is met.
  let token: string;
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('ES256');
    token = await new SignJWT({ token_use: 'access', client_id: 'app', sub: 'account-1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setIssuedAt(NOW)
      .setExpirationTime(new Date(NOW.getTime() + 3_600_000))
      .sign(privateKey);
  });

  it.each(holderRoutes.map((r) => [r.operationId, r] as const))(
    '%s: 401 without a token, 400 for two Authorization lines, 503 when the identity provider’s keys cannot be fetched',
    async (_, route) => {
      const router = routerFor(route.group, {
        authenticateHolder: holderAuthenticator({
          issuer,
          audience: 'app',
          keys: async () => {
            throw new TypeError('fetch failed');
          },
          onDependencyError: () => {},
          now: () => NOW,
        }),
      });
      const send = viaApiGateway(route, router);
      const url = `${ENDPOINT}${concretePath(route)}`;
      const declared = declaredProblems(route);

      const anonymous = await send(url, { method: route.method });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
      expect(declared).toContain('401');

      const twice = apiGatewayEvent({
        method: route.method,
        url,
        headers: [
          ['Authorization', `Bearer ${token}`],
          ['Authorization', `Bearer ${token}`],
        ],
      });
      twice.resource = route.path;
      const repeated = await router(twice);
      expect(repeated.statusCode).toBe(400);
      expect(JSON.parse(repeated.body)).toMatchObject({ code: 'REPEATED_HEADER' });
      expect(declared).toContain('400');

      const unreachable = await send(url, {
        method: route.method,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(unreachable.status).toBe(503);
      expect(await unreachable.json()).toMatchObject({ type: 'urn:elicense:problem:dependency-unavailable' });
      expect(declared).toContain('503');
    },
  );
});
