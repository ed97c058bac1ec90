import { HOLDER, type RouteSpec } from '../route-spec.ts';
import { AccessHistorySchema, HistoryQuerySchema } from '../schemas/holder-history.ts';
import { NOT_PROOFED } from './holder-licenses.ts';

// The access history of the holder's licenses (用证记录). Implementation: functions/handlers/holder/history.ts.

export const holderHistoryRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/holder/access-history',
    group: 'holder',
    operationId: 'readAccessHistory',
    summary:
      'Who used your licenses — retrievals (agency, grant or duty basis, purpose, case number), verifications, grants, presentations, status changes — newest first; audited (holder.access_history_read) before it answers',
    auth: HOLDER,
    querySchema: HistoryQuerySchema,
    query: {
      licenseId:
        'Only this license (identifier or license key; every version of it that was yours), with the refused uses of your grants covering it: of that license, or of its type while you held it',
      limit: 'Entries per page, 1–100 (default 50)',
      cursor: 'The cursor of the previous page',
    },
    responses: {
      200: { description: 'A page of the history', schema: AccessHistorySchema },
      400: {
        description:
          'A limit out of range, a malformed license id, a cursor of another history, or any other query parameter',
      },
      ...NOT_PROOFED,
      404: { description: 'No such license of yours' },
    },
  },
];
