import { readAccessHistory } from '#app/access-history.ts';
import { parseQuery } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import { HistoryQuerySchema } from '#http/schemas/holder-history.ts';
import { holderOf } from './account.ts';
import { audit, auditLog, eventIds, grants, identity, licenses, now } from './deps.ts';

export const historyRoutes: Record<string, RouteImplementation> = {
  async readAccessHistory(event) {
    const { licenseId, limit, cursor } = parseQuery(event, HistoryQuerySchema);
    const history = await readAccessHistory(
      {
        account: holderOf(event).account,
        ...(licenseId === undefined ? {} : { licenseId }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      },
      { identity, licenses, grants, auditLog, audit, now, newEventId: eventIds('holder-read') },
    );
    return jsonResponse(200, history);
  },
};
