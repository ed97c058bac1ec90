import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type AuthenticatedHolder, authenticatedHolder } from '#http/holder-auth.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';

/** The holder the router authenticated; a holder route that runs without one is a wiring bug. */
export function holderOf(event: APIGatewayProxyEvent): AuthenticatedHolder {
  const holder = authenticatedHolder(event);
  if (!holder) throw new Error('a holder route ran without an authenticated holder');
  return holder;
}

export const accountRoutes: Record<string, RouteImplementation> = {
  async getHolderAccount(event) {
    return jsonResponse(200, { account: holderOf(event).account });
  },
};
