import type { APIGatewayProxyEvent } from 'aws-lambda';
import { readHolderAccount } from '#app/holder-account.ts';
import { maskHolderCode } from '#core/holders/identity.ts';
import { type AuthenticatedHolder, authenticatedHolder } from '#http/holder-auth.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import type { HolderBinding } from '#ports/holder-identity.ts';
import { audit, eventIds, identity, now } from './deps.ts';

/** What the account's own reads (this one and its proofings) need: each is audited. */
export const accountReadDeps = { identity, audit, now, newEventId: eventIds('holder-read') };

/** The holder the router authenticated; a holder route that runs without one is a wiring bug. */
export function holderOf(event: APIGatewayProxyEvent): AuthenticatedHolder {
  const holder = authenticatedHolder(event);
  if (!holder) throw new Error('a holder route ran without an authenticated holder');
  return holder;
}

export const accountRoutes: Record<string, RouteImplementation> = {
  async getHolderAccount(event) {
    const { account } = holderOf(event);
    const { binding, auditEventId } = await readHolderAccount({ account }, accountReadDeps);
    return jsonResponse(200, {
      account,
      ...(binding ? { identity: bindingView(binding) } : {}),
      auditEventId,
    });
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
