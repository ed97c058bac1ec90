import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '#http/openapi.ts';
import { problemTypes } from '#http/problem.ts';
import { routes } from '#http/routes.ts';

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

  it('documents every problem type', () => {
    for (const name of Object.keys(problemTypes)) expect(document.info.description).toContain(name);
  });
});
