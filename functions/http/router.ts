import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AgencyAuthenticator } from './agency-auth.ts';
import { asProblem } from './domain-problems.ts';
import type { HolderAuthenticator } from './holder-auth.ts';
import { problemResponse, toProblemResponse } from './problem.ts';
import { parseQuery } from './request.ts';
import { type RouteGroup, type RouteSpec, routes } from './routes.ts';
import { NoQuerySchema } from './schemas/paging.ts';

export type RouteImplementation = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface RouterOptions {
  /** Called with anything a route throws that is not already a problem. */
  onUnexpectedError?: (error: unknown, route: RouteSpec) => void;
  /**
   * Authenticates a request to a route whose `auth` is `agency`: undefined to go on, or the
   * problem to answer with. Required when the group has such routes.
   */
  authenticate?: AgencyAuthenticator;
  /** Authenticates a request to a route whose `auth` is `holder`; required when the group has such routes. */
  authenticateHolder?: HolderAuthenticator;
}

/**
 * Dispatches an API Gateway proxy event of one route group to its implementation by
 * `operationId`. Fails at load time when the group has a route without an implementation.
 */
export function createRouter(
  group: RouteGroup,
  implementations: Record<string, RouteImplementation>,
  { onUnexpectedError, authenticate, authenticateHolder }: RouterOptions = {},
  table: readonly RouteSpec[] = routes.filter((r) => r.group === group),
): RouteImplementation {
  const missing = table.filter((r) => !implementations[r.operationId]).map((r) => r.operationId);
  if (missing.length > 0)
    throw new Error(`route group ${group} has no implementation for ${missing.join(', ')}`);
  if (!authenticate && table.some((r) => r.auth.kind === 'agency')) {
    throw new Error(`route group ${group} has agency routes but no authenticator`);
  }
  if (!authenticateHolder && table.some((r) => r.auth.kind === 'holder')) {
    throw new Error(`route group ${group} has holder routes but no holder authenticator`);
  }

  return async (event, context) => {
    const sameResource = table.filter((r) => r.path === event.resource);
    const route = sameResource.find((r) => r.method === event.httpMethod);
    if (!route) {
      if (sameResource.length === 0)
        return problemResponse('not-found', `no route ${event.resource} in ${group}`);
      return problemResponse(
        'method-not-allowed',
        `${event.httpMethod} is not allowed on ${event.resource}`,
        {},
        {
          allow: sameResource.map((r) => r.method).join(', '),
        },
      );
    }
    try {
      if (route.auth.kind === 'agency') {
        const refused = await authenticate!(event, route.auth.roles);
        if (refused) return refused;
      } else if (route.auth.kind === 'holder') {
        const refused = await authenticateHolder!(event);
        if (refused) return refused;
      }
      // A route that declares no query takes none: a parameter it would ignore (a misspelt
      // filter, a `?version=` meant to pick one) is refused rather than silently dropped.
      if (route.query === undefined && !route.queryIgnored) parseQuery(event, NoQuerySchema);
      return await implementations[route.operationId]!(event, context);
    } catch (error) {
      const response = toProblemResponse(asProblem(error), context.awsRequestId);
      if (response.statusCode >= 500) onUnexpectedError?.(error, route);
      return response;
    }
  };
}
