import { HOLDER, type RouteSpec } from '../route-spec.ts';
import { HolderAccountSchema } from '../schemas/holder.ts';

// Routes of the holder group (one Lambda function, functions/handlers/holder.ts): citizens and
// companies, authenticated by an OIDC access token (a Cognito user pool on AWS, the development
// issuer of `npm start` locally). Every holder route answers only about the caller's own
// account, licenses, grants and applications; another holder's reads as not found. What the
// token check (and, on a route with a body, the body parser) answers is declared from the route
// (common-responses.ts); the descriptions in these files are each route's own reasons.

export const holderAccountRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/holder/me',
    group: 'holder',
    operationId: 'getHolderAccount',
    summary:
      'The holder account the access token names and its proofed identity (code masked); audited (holder.account_read) before it answers',
    auth: HOLDER,
    responses: {
      200: { description: 'The account', schema: HolderAccountSchema },
    },
  },
];
