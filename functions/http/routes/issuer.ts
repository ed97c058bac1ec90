import type { RouteSpec } from '../route-spec.ts';

// Routes of the issuer group (one Lambda function). Its handler is functions/handlers/issuer.ts.
export const issuerRoutes: readonly RouteSpec[] = [];
