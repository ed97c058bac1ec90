import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { problemResponse, toProblemResponse } from './problem.ts';
import { type RouteGroup, type RouteSpec, routes } from './routes.ts';

export type RouteImplementation = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface RouterOptions {
  /** Called with anything a route throws that is not already a problem. */
  onUnexpectedError?: (error: unknown, route: RouteSpec) => void;
}

/**
 * Dispatches an API Gateway proxy event of one route group to its implementation by
 * `operationId`. Fails at load time when the group has a route without an implementation.
 */
export function createRouter(
  group: RouteGroup,
  implementations: Record<string, RouteImplementation>,
  { onUnexpectedError }: RouterOptions = {},
): RouteImplementation {
  const table = routes.filter((r) => r.group === group);
  const missing = table.filter((r) => !implementations[r.operationId]).map((r) => r.operationId);
  if (missing.length > 0)
    throw new Error(`route group ${group} has no implementation for ${missing.join(', ')}`);

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
      return await implementations[route.operationId]!(event, context);
    } catch (error) {
      const response = toProblemResponse(error, context.awsRequestId);
      if (response.statusCode >= 500) onUnexpectedError?.(error, route);
      return response;
    }
  };
}
