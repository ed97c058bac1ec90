import type { z } from 'zod';
import {
  HealthSchema,
  JwksSchema,
  LicenseTypeListSchema,
  VerifyRequestSchema,
  VerifyResultSchema,
} from './schemas.ts';

// The API's routes as data: the CDK stateless stack builds API Gateway resources and one
// function per route group from this table, the local server routes requests with it, and
// the OpenAPI description is generated from it. Implementations live in the handlers.

export type RouteGroup = 'public';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseSpec {
  description: string;
  /** JSON body schema; omitted for bodies that are not JSON. */
  schema?: z.ZodType;
  contentType?: string;
}

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway resource path, with `{name}` for path parameters. */
  path: string;
  group: RouteGroup;
  operationId: string;
  summary: string;
  /** Who may call it: nobody needs to sign public routes. */
  auth: 'none';
  /** JSON request body schema, for routes that take one. */
  requestBody?: z.ZodType;
  /** Query parameters: name → description. */
  query?: Record<string, string>;
  responses: Record<number, ResponseSpec>;
}

export const routes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    group: 'public',
    operationId: 'getHealth',
    summary: "Reports each dependency's reachability",
    auth: 'none',
    responses: {
      200: { description: 'Every dependency is reachable', schema: HealthSchema },
      503: { description: 'At least one dependency is unreachable', schema: HealthSchema },
    },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    group: 'public',
    operationId: 'getOpenApi',
    summary: 'This API described as OpenAPI 3.1',
    auth: 'none',
    responses: { 200: { description: 'The OpenAPI document', contentType: 'application/json' } },
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    group: 'public',
    operationId: 'getJwks',
    summary: "Issuing agencies' seal keys and the platform key, for offline verification",
    auth: 'none',
    responses: { 200: { description: 'The JWKS', schema: JwksSchema } },
  },
  {
    method: 'GET',
    path: '/license-types',
    group: 'public',
    operationId: 'listLicenseTypes',
    summary: 'The catalog of license types with their field schemas',
    auth: 'none',
    query: { limit: 'page size, 1–100 (default 100)', cursor: 'the cursor of the previous page' },
    responses: { 200: { description: 'One page of license types', schema: LicenseTypeListSchema } },
  },
  {
    method: 'GET',
    path: '/license-types/{code}',
    group: 'public',
    operationId: 'getLicenseType',
    summary: 'One license type by its GB/T 36904 type code',
    auth: 'none',
    responses: {
      200: { description: 'The license type', schema: LicenseTypeListSchema.shape.items.element },
      404: { description: 'No such type' },
    },
  },
  {
    method: 'POST',
    path: '/verify',
    group: 'public',
    operationId: 'verifyLicense',
    summary:
      'Verifies a license or presentation: signature, issuer, type, validity, disclosures, status, key binding',
    auth: 'none',
    requestBody: VerifyRequestSchema,
    responses: {
      200: { description: 'The outcome of every check (valid or not)', schema: VerifyResultSchema },
      400: { description: 'Malformed JSON or a request that does not match the schema' },
      415: { description: 'Not application/json' },
    },
  },
];

/**
 * Media types API Gateway passes to functions base64-encoded (layout documents, images);
 * everything else arrives as text. The local server follows the same list.
 */
export const binaryMediaTypes: readonly string[] = [
  'application/pdf',
  'application/ofd',
  'application/octet-stream',
  'image/*',
];

export const routeGroups: readonly RouteGroup[] = [...new Set(routes.map((r) => r.group))];

/** The handler module of a route group, relative to the repository root. */
export function handlerEntry(group: RouteGroup): string {
  return `functions/handlers/${group}.ts`;
}

export interface RouteMatch {
  route: RouteSpec;
  pathParameters: Record<string, string>;
}

/** Finds the route for a concrete path; `methods` lists what the path allows when the method does not match. */
export function matchRoute(
  method: string,
  path: string,
  table: readonly RouteSpec[] = routes,
): RouteMatch | { route: undefined; methods: HttpMethod[] } {
  const methods: HttpMethod[] = [];
  for (const route of table) {
    const pathParameters = matchPath(route.path, path);
    if (!pathParameters) continue;
    if (route.method === method) return { route, pathParameters };
    methods.push(route.method);
  }
  return { route: undefined, methods };
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (h === '') return undefined;
      params[w.slice(1, -1)] = decodeURIComponent(h);
    } else if (w !== h) {
      return undefined;
    }
  }
  return params;
}
