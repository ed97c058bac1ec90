import type { RouteSpec } from '../route-spec.ts';

// Routes of the operator group (one Lambda function). Its handler is functions/handlers/operator.ts.
export const operatorRoutes: readonly RouteSpec[] = [];
