import { DynamoPresentationStore } from '#adapters/aws/presentation-store.ts';
import { createPresentation, resolvePresentation } from '#app/holder-presentations.ts';
import { isPresentationRefShape } from '#core/presentations/presentation-ref.ts';
import { header, parseJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import { PresentationRequestSchema } from '#http/schemas/holder-presentations.ts';
import { PresentationUnavailable } from '#ports/presentation-store.ts';
import { documents } from '../aws-clients.ts';
import { environment, table } from '../environment.ts';
import { holderOf } from './account.ts';
import { audit, cipher, eventIds, holdersTable, identity, licenses, now, seals } from './deps.ts';

const presentations = new DynamoPresentationStore(documents, {
  table: holdersTable,
  auditTable: table('audit'),
});
const newEventId = eventIds('presentation');

export const presentationsRoutes: Record<string, RouteImplementation> = {
  async createPresentation(event) {
    const request = parseJsonBody(event, PresentationRequestSchema);
    const created = await createPresentation(
      { account: holderOf(event).account, ...request },
      {
        identity,
        licenses,
        cipher,
        presentations,
        seals,
        audit,
        publicBaseUrl: environment.publicBaseUrl,
        now,
        newEventId,
      },
    );
    return jsonResponse(201, created);
  },
  async resolvePresentation(event) {
    const reference = event.pathParameters?.reference ?? '';
    // Nothing of another shape was ever handed out: no read for it.
    if (!isPresentationRefShape(reference)) throw new PresentationUnavailable('not-found');
    const sourceIp = event.requestContext.identity?.sourceIp;
    const userAgent = event.requestContext.identity?.userAgent ?? header(event, 'user-agent');
    const resolved = await resolvePresentation(
      {
        reference,
        verifier: {
          ...(sourceIp ? { sourceIp } : {}),
          ...(userAgent ? { userAgent } : {}),
        },
      },
      { presentations, seals, cipher, now, newEventId },
    );
    return jsonResponse(200, resolved);
  },
};
