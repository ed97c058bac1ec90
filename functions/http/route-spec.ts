import type { z } from 'zod';
import type { AgencyRole } from '#core/catalog/agency.ts';

// What a route is, as data: the CDK stateless stack builds API Gateway resources and one
// function per route group from these, the local server routes requests with them, the
// router authenticates by them, and the OpenAPI description is generated from them.

/** A route group is one Lambda function with its own least-privilege role. */
export type RouteGroup = 'public' | 'status' | 'issuer' | 'retrieval' | 'operator' | 'holder';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseSpec {
  description: string;
  /** JSON body schema; omitted for bodies that are not JSON. */
  schema?: z.ZodType;
  contentType?: string;
}

/**
 * Who may call a route: anyone; an agency whose request is signed (RFC 9421) with one of its
 * active keys and that holds one of the roles; or a holder with an OIDC access token.
 */
export type RouteAuth =
  | { kind: 'none' }
  | { kind: 'agency'; roles: readonly AgencyRole[] }
  | { kind: 'holder' };

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway resource path, with `{name}` for path parameters. */
  path: string;
  group: RouteGroup;
  operationId: string;
  summary: string;
  auth: RouteAuth;
  /** JSON request body schema, for routes that take one. */
  requestBody?: z.ZodType;
  /** Media types of a raw (not JSON) request body, for routes that take the bytes themselves. */
  requestMediaTypes?: readonly string[];
  /**
   * Present on a route that runs under the idempotency layer (functions/http/idempotency.ts): the
   * description of its required Idempotency-Key header. The header and what the layer answers are
   * declared from it (common-responses.ts).
   */
  idempotencyKey?: string;
  /**
   * Query parameters: name → description. A route without it takes none: any parameter is
   * refused (router.ts) — unless `queryIgnored`.
   */
  query?: Record<string, string>;
  /**
   * The schema the route's handler parses its query with (request.ts parseQuery): the OpenAPI
   * parameters take their types, patterns, enums and bounds from it, and a test holds its names
   * to `query`'s. Required with `query`.
   */
  querySchema?: z.ZodObject;
  /**
   * A public document the CDN (`cdn`, lib/constructs/public-cdn.ts) serves from its cache, which
   * drops the query: the API ignores the query too, so the answer does not depend on whether a
   * stage has a CDN (a verifier's cache-busting `?_=…` is answered, not refused).
   */
  queryIgnored?: true;
  /** Request headers the route requires: name → description. */
  headers?: Record<string, string>;
  responses: Record<number, ResponseSpec>;
}

export const PUBLIC: RouteAuth = { kind: 'none' };
export const HOLDER: RouteAuth = { kind: 'holder' };
