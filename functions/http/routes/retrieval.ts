import type { RouteAuth, RouteSpec } from '../route-spec.ts';
import {
  CreatedGrantSchema,
  CreateGrantRequestSchema,
  GrantViewSchema,
  RetrievalRequestSchema,
  RetrievalSchema,
  RevokeGrantRequestSchema,
} from '../schemas/retrieval.ts';

// Routes of the retrieval group (one Lambda function). Its handler is functions/handlers/retrieval.ts.
// Holder grants (用证授权) are recorded by the operator until the holder API exists; relying
// agencies retrieve on a grant or on a duty-based sharing agreement (依职能用证).
//
// None takes an Idempotency-Key: a grant's response carries its authorisation code and a
// retrieval's carries personal data, and an idempotency record would keep either in the clear.
// A retried retrieval is a second, separately audited use; a retried grant is a second grant
// the operator can revoke.

const OPERATOR: RouteAuth = { kind: 'agency', roles: ['operator'] };
const RELYING: RouteAuth = { kind: 'agency', roles: ['relying'] };

const REFUSALS = {
  400: { description: 'Malformed JSON, or a request that does not match its schema' },
  401: { description: 'The request signature is missing or does not verify' },
  415: { description: 'Not application/json' },
} as const;

export const retrievalRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/grants',
    group: 'retrieval',
    operationId: 'createGrant',
    summary:
      "Records a holder's grant (用证授权) to a relying agency: one license or a type, purpose, fields, expiry, uses; returns the authorisation code once",
    auth: OPERATOR,
    requestBody: CreateGrantRequestSchema,
    responses: {
      201: {
        description: 'The grant and its authorisation code, shown this once',
        schema: CreatedGrantSchema,
      },
      ...REFUSALS,
      403: { description: 'The agency lacks the operator role' },
      404: { description: 'No such license or license type' },
    },
  },
  {
    method: 'POST',
    path: '/grants/{grantId}/revoke',
    group: 'retrieval',
    operationId: 'revokeGrant',
    summary: 'Revokes a holder grant: its code retrieves nothing from now on',
    auth: OPERATOR,
    requestBody: RevokeGrantRequestSchema,
    responses: {
      200: { description: 'The revoked grant', schema: GrantViewSchema },
      ...REFUSALS,
      403: { description: 'The agency lacks the operator role' },
      404: { description: 'No such grant' },
      409: { description: 'The grant was revoked before' },
    },
  },
  {
    method: 'POST',
    path: '/retrievals',
    group: 'retrieval',
    operationId: 'retrieveLicense',
    summary:
      'Retrieves a license (调阅) by id or by holder and type, on a grant or duty basis: only the allowed disclosures, the annotated copy (加注件), a layout-document link when every field is allowed',
    auth: RELYING,
    requestBody: RetrievalRequestSchema,
    responses: {
      200: {
        description: 'The license as the basis allows it, with its annotated copy',
        schema: RetrievalSchema,
      },
      ...REFUSALS,
      403: {
        description:
          'The agency lacks the relying role, or the basis does not allow this retrieval; `code` says why (GRANT_EXPIRED, GRANT_REVOKED, GRANT_EXHAUSTED, GRANT_NOT_FOR_AGENCY, GRANT_DOES_NOT_COVER, NO_SHARING_AGREEMENT, AGREEMENT_NOT_IN_FORCE, PURPOSE_NOT_ALLOWED, …)',
      },
      404: {
        description:
          'No such license, or the holder has no license of the type (asked only once the basis allows it)',
      },
      409: {
        description:
          'The license is not valid: `code` LICENSE_REVOKED, LICENSE_SUPERSEDED, LICENSE_SUSPENDED or LICENSE_EXPIRED',
      },
      500: { description: 'The audit event (or another write) failed; nothing was handed out' },
    },
  },
];
