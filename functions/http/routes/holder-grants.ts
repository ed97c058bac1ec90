import { HOLDER, type RouteSpec } from '../route-spec.ts';
import {
  CreatedGrantSchema,
  GrantListSchema,
  GrantViewSchema,
  HolderGrantRequestSchema,
  RevokeGrantRequestSchema,
} from '../schemas/holder-grants.ts';
import { PageQuerySchema } from '../schemas/paging.ts';
import { NOT_PROOFED } from './holder-licenses.ts';

// The holder's grants (用证授权). Implementations: functions/handlers/holder/grants.ts. No
// Idempotency-Key: the answer carries the authorisation code, which an idempotency record would
// keep in the clear; a retried grant is a second grant the holder can revoke.

const BODY_REFUSALS = {
  400: { description: 'Terms the catalog refuses' },
} as const;

export const holderGrantsRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/holder/grants',
    group: 'holder',
    operationId: 'createHolderGrant',
    summary:
      'Grants a relying agency use of one of your licenses, or your licenses of a type: purpose, fields, expiry, uses; returns the authorisation code once',
    auth: HOLDER,
    requestBody: HolderGrantRequestSchema,
    responses: {
      201: {
        description: 'The grant and its authorisation code, shown this once',
        schema: CreatedGrantSchema,
      },
      ...BODY_REFUSALS,
      ...NOT_PROOFED,
      404: { description: 'No such license of yours, or no such license type' },
    },
  },
  {
    method: 'GET',
    path: '/holder/grants',
    group: 'holder',
    operationId: 'listHolderGrants',
    summary: 'Your grants, newest first; audited (holder.grants_listed) before it answers',
    auth: HOLDER,
    querySchema: PageQuerySchema,
    query: { limit: 'Grants per page, 1–100 (default 50)', cursor: 'The cursor of the previous page' },
    responses: {
      200: { description: 'A page of your grants', schema: GrantListSchema },
      400: { description: 'A limit out of range, a cursor of another listing, or any other query parameter' },
      ...NOT_PROOFED,
    },
  },
  {
    method: 'POST',
    path: '/holder/grants/{grantId}/revoke',
    group: 'holder',
    operationId: 'revokeHolderGrant',
    summary: 'Revokes one of your grants: its code retrieves nothing from now on',
    auth: HOLDER,
    requestBody: RevokeGrantRequestSchema,
    responses: {
      200: { description: 'The revoked grant', schema: GrantViewSchema },
      ...BODY_REFUSALS,
      ...NOT_PROOFED,
      404: { description: 'No such grant of yours' },
      409: {
        description:
          'The grant was revoked before (GRANT_ALREADY_REVOKED); a grant in use is revoked all the same',
      },
    },
  },
];
