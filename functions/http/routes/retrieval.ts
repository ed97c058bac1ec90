import type { RouteSpec } from '../route-spec.ts';

// Routes of the retrieval group (one Lambda function). Its handler is functions/handlers/retrieval.ts.
export const retrievalRoutes: readonly RouteSpec[] = [];
