import type { APIGatewayProxyEvent } from 'aws-lambda';
import { maskHolderCode } from '#core/holders/identity.ts';
import { type AuthenticatedHolder, authenticatedHolder } from '#http/holder-auth.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import type { HolderBinding } from '#ports/holder-identity.ts';
import { identity } from './deps.ts';

/** The holder the router authenticated; a holder route that runs without one is a wiring bug. */
export function holderOf(event: APIGatewayProxyEvent): AuthenticatedHolder {
  const holder = authenticatedHolder(event);
  if (!holder) throw new Error('a holder route ran without an authenticated holder');
  return holder;
}

export const accountRoutes: Record<string, RouteImplementation> = {
  async getHolderAccount(event) {
    const { account } = holderOf(event);
    const binding = await identity.bindingOf(account);
    return jsonResponse(200, { account, ...(binding ? { identity: bindingView(binding) } : {}) });
  },
};

/** The binding as its own holder sees it: the code masked, so the answer carries no full ID number. */
export function bindingView(binding: HolderBinding) {
  return {
    codeType: binding.codeType,
    code: maskHolderCode(binding.code),
    assurance: binding.assurance,
    proofingId: binding.proofingId,
    boundAt: binding.boundAt,
  };
}
