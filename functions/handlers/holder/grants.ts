import { createHolderGrant, listHolderGrants, revokeHolderGrant } from '#app/holder-grants.ts';
import type { Grant } from '#core/grants/grant.ts';
import { parseJsonBody, parseQuery } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import { HolderGrantRequestSchema, RevokeGrantRequestSchema } from '#http/schemas/holder-grants.ts';
import { PageQuerySchema } from '#http/schemas/paging.ts';
import { holderOf } from './account.ts';
import { audit, blindIndexer, config, eventIds, grants, identity, licenses, now } from './deps.ts';

const newEventId = eventIds('grant');

export const grantsRoutes: Record<string, RouteImplementation> = {
  async createHolderGrant(event) {
    const request = parseJsonBody(event, HolderGrantRequestSchema);
    const { grant, code } = await createHolderGrant(
      { account: holderOf(event).account, ...request },
      { identity, config, licenses, grants, blindIndexer: blindIndexer(), now, newEventId },
    );
    return jsonResponse(201, { grant: grantView(grant.value), code });
  },
  async listHolderGrants(event) {
    const { limit, cursor } = parseQuery(event, PageQuerySchema);
    const page = await listHolderGrants(
      {
        account: holderOf(event).account,
        page: { limit: limit ?? 50, ...(cursor === undefined ? {} : { cursor }) },
      },
      { identity, grants, audit, now, newEventId: eventIds('holder-read') },
    );
    return jsonResponse(200, {
      items: page.items.map((g) => grantView(g.value)),
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      auditEventId: page.auditEventId,
    });
  },
  async revokeHolderGrant(event) {
    const { reason } = parseJsonBody(event, RevokeGrantRequestSchema);
    const revoked = await revokeHolderGrant(
      {
        account: holderOf(event).account,
        grantId: event.pathParameters?.grantId ?? '',
        ...(reason === undefined ? {} : { reason }),
      },
      { identity, grants, now, newEventId },
    );
    return jsonResponse(200, grantView(revoked.value));
  },
};

/** A grant as the API shows it: without the holder's blind index. */
function grantView(grant: Grant): Omit<Grant, 'holderIndex'> {
  const { holderIndex: _holderIndex, ...view } = grant;
  return view;
}
