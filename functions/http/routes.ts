import type { z } from 'zod';
import { HealthSchema } from './schemas.ts';

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
