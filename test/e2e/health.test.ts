import { describe, expect, inject, it } from 'vitest';

const base = inject('platformUrl');

describe('GET /health through the local API Gateway', () => {
  it('reports every dependency reachable', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['dynamodb', 's3']);
    expect(Object.values(body.checks).map((c) => c.status)).toEqual(['up', 'up']);
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const response = await fetch(`${base}/no-such-route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:not-found', status: 404 });
  });

  it('answers a wrong method with 405 and the allowed methods', async () => {
    const response = await fetch(`${base}/health`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:method-not-allowed' });
  });
});

describe('GET /openapi.json', () => {
  it('describes the served routes as OpenAPI 3.1 with problem+json errors', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/health');
    expect(document.paths['/health']?.get?.responses).toHaveProperty('503');
    expect(document.components.schemas).toHaveProperty('Problem');
    expect(document.components.schemas).toHaveProperty('Health');
  });
});
