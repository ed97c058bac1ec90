import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '#http/openapi.ts';
import { problemTypes } from '#http/problem.ts';
import { type RouteSpec, routes } from '#http/routes.ts';

/**
 * What the machinery around a route can answer, read from its entry in the route table: the
 * agency authenticator (401, 403 for the route's roles, 503 when it cannot reach the registry or
 * the nonce table), the holder authenticator (401, 503 when the identity provider's keys cannot be
 * fetched), the platform's body limit (413), the JSON body parser (400, 415) and the idempotency
 * layer (400 for the key, 409 in flight, 422 reused, 503 when its records cannot be reached).
 */
function machineryStatuses(route: RouteSpec): number[] {
  const statuses = new Set<number>();
  const add = (...s: number[]) => {
    for (const status of s) statuses.add(status);
  };
  if (route.auth.kind === 'agency') add(401, 503, ...(route.auth.roles.length > 0 ? [403] : []));
  if (route.auth.kind === 'holder') add(401, 503);
  if (route.requestBody || route.requestMediaTypes?.length) add(413);
  if (route.requestBody) add(400, 415);
  if (route.query === undefined && !route.queryIgnored) add(400);
  if (route.idempotencyKey !== undefined) add(400, 409, 422, 503);
  return [...statuses].sort();
}

describe('the OpenAPI description', () => {
  const document = buildOpenApi() as {
    paths: Record<string, Record<string, { operationId: string; requestBody?: unknown }>>;
    info: { description: string };
  };

  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the route table, with its request body', () => {
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
      if (route.requestBody) expect(operation?.requestBody, route.operationId).toBeDefined();
    }
  });

  it('says who may call each route: the agency signature, the holder token, or anyone', () => {
    const expected = {
      agency: [{ agencySignature: [] }],
      holder: [{ holderAccessToken: [] }],
      none: undefined,
    };
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()] as { security?: unknown };
      expect(operation?.security, route.operationId).toEqual(expected[route.auth.kind]);
    }
    const schemes = (document as unknown as { components: { securitySchemes: Record<string, unknown> } })
      .components.securitySchemes;
    expect(Object.keys(schemes).sort()).toEqual(['agencySignature', 'agencyUsageKey', 'holderAccessToken']);
  });

  it('names the headers a route requires, such as Idempotency-Key on issuing', () => {
    const issue = document.paths['/licenses']?.post as unknown as {
      parameters: { name: string; in: string; required: boolean }[];
    };
    expect(issue.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
    );
  });

  it('describes an error answer as the problem document it is', () => {
    const operation = document.paths['/licenses/{id}/revoke']?.post as unknown as {
      responses: Record<string, { content: Record<string, unknown> }>;
    };
    expect(Object.keys(operation.responses['409']!.content)).toEqual(['application/problem+json']);
    expect(Object.keys(operation.responses['200']!.content)).toEqual(['application/json']);
    const health = document.paths['/health']?.get as unknown as typeof operation;
    // An error answer with a schema of its own keeps it (the health report's 503).
    expect(Object.keys(health.responses['503']!.content)).toEqual(['application/json']);
  });

  it('declares on every route each status its authenticator, body parser and idempotency layer can answer, as a problem', () => {
    const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()] as unknown as {
        responses: Record<string, { description: string; content: unknown }>;
      };
      for (const status of machineryStatuses(route)) {
        const answer = operation.responses[String(status)];
        expect(answer, `${route.operationId} declares ${status}`).toBeDefined();
        expect(answer?.content, `${route.operationId} ${status}`).toEqual(problem);
      }
    }
  });

  it('keeps a route’s own reason for a status beside those of the machinery', () => {
    const revoke = routes.find((r) => r.operationId === 'revokeLicense')!;
    const operation = document.paths['/licenses/{id}/revoke']?.post as unknown as {
      responses: Record<string, { description: string }>;
    };
    expect(operation.responses['409']!.description).toContain(revoke.responses[409]!.description);
    expect(operation.responses['409']!.description).toMatch(/Idempotency-Key is still being processed/);
    expect(operation.responses['503']!.description).toMatch(/idempotency records could not be reached/);
    expect(operation.responses['503']!.description).toMatch(/could not be authenticated now/);
  });

  it('declares an Idempotency-Key only for the routes under the idempotency layer, in the form it takes', () => {
    for (const route of routes) {
      expect(Object.keys(route.headers ?? {}), route.operationId).not.toContain('Idempotency-Key');
      const operation = document.paths[route.path]?.[route.method.toLowerCase()] as unknown as {
        parameters: { name: string; schema: { pattern?: string } }[];
      };
      const key = operation.parameters.find((p) => p.name === 'Idempotency-Key');
      expect(key !== undefined, route.operationId).toBe(route.idempotencyKey !== undefined);
      if (key) expect(key.schema.pattern).toBe('^[!-~]{1,255}$');
    }
    const underLayer = routes.filter((r) => r.idempotencyKey !== undefined).map((r) => r.operationId);
    // The issuer group's POSTs that change something: every one that calls `idempotent` in
    // functions/handlers/issuer.ts and issuer/applications.ts.
    expect(underLayer.sort()).toEqual(
      [
        'issueLicense',
        'issueLicenseBatch',
        'suspendLicense',
        'reinstateLicense',
        'revokeLicense',
        'reissueLicense',
        'attachLicenseDocument',
        'completeLicenseDocumentUpload',
        'requestApplicationInformation',
        'approveApplication',
        'rejectApplication',
      ].sort(),
    );
  });

  it('describes the raw body of a route that takes the document itself', () => {
    const attach = document.paths['/licenses/{id}/document']?.post as unknown as {
      requestBody: { content: Record<string, unknown> };
    };
    expect(Object.keys(attach.requestBody.content).sort()).toEqual(['application/ofd', 'application/pdf']);
  });

  it('says a demo record or demo request key is refused on any stage without demoData, not in prod alone', () => {
    const text = JSON.stringify(document);
    expect(text).not.toMatch(/in the prod stage|by a prod stage/);
    const refusal = (path: string, method: string) =>
      (document.paths[path]![method] as unknown as { responses: Record<string, { description: string }> })
        .responses['400']!.description;
    for (const [path, method] of [
      ['/agencies', 'post'],
      ['/agencies/{uscc}/api-keys', 'post'],
    ] as const) {
      expect(refusal(path, method)).toMatch(/DEMO_KEY_REFUSED/);
      expect(refusal(path, method)).toMatch(/without demoData/);
    }
    expect(refusal('/license-types', 'post')).toMatch(
      /demo on a stage without demoData \(code DEMO_RECORD_REFUSED\)/,
    );
    const schemas = (
      document as unknown as {
        components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
      }
    ).components.schemas;
    for (const name of ['RegisterAgencyRequest', 'UpdateAgencyRequest'])
      expect(schemas[name]!.properties.demo!.description).toMatch(/stage without demoData/);
  });

  it('documents every problem type', () => {
    for (const name of Object.keys(problemTypes)) expect(document.info.description).toContain(name);
  });

  it('gives each query parameter the form its handler parses: the names of its schema, their patterns, enums and bounds', () => {
    for (const route of routes.filter((r) => r.query !== undefined)) {
      // Documented and parsed names agree: a parameter documented but refused, or taken but undocumented, fails.
      expect(Object.keys(route.querySchema?.shape ?? {}).sort(), route.operationId).toEqual(
        Object.keys(route.query!).sort(),
      );
    }
    const parameters = (path: string) =>
      Object.fromEntries(
        (
          (
            document.paths[path]!.get as unknown as {
              parameters: { name: string; in: string; schema: unknown }[];
            }
          ).parameters ?? []
        )
          .filter((p) => p.in === 'query')
          .map((p) => [p.name, p.schema]),
      );
    const queue = parameters('/applications');
    expect(queue.state).toEqual({
      type: 'string',
      enum: ['submitted', 'info-requested', 'approving', 'approved', 'rejected', 'withdrawn'],
    });
    expect(queue.limit).toEqual({ type: 'string', pattern: '^(?:[1-9][0-9]?|100)$' });
    expect(queue.cursor).toEqual({ type: 'string', minLength: 1, maxLength: 4096 });
    expect(parameters('/holder/access-history').licenseId).toEqual({
      type: 'string',
      minLength: 16,
      maxLength: 160,
    });
  });
});
