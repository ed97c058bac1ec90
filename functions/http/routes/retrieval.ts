import type { RouteAuth, RouteSpec } from '../route-spec.ts';
import { RetrievalRequestSchema, RetrievalSchema } from '../schemas/retrieval.ts';

// Routes of the retrieval group (one Lambda function). Its handler is functions/handlers/retrieval.ts.
// Relying agencies retrieve on a holder's grant (用证授权, which holders give through the holder
// routes, functions/http/routes/holder-grants.ts) or on a duty-based sharing agreement (依职能用证).
//
// No Idempotency-Key: a retrieval's response carries personal data, and an idempotency record
// would keep it in the clear. A retried retrieval is a second, separately audited use.

const RELYING: RouteAuth = { kind: 'agency', roles: ['relying'] };

export const retrievalRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/retrievals',
    group: 'retrieval',
    operationId: 'retrieveLicense',
    summary:
      'Retrieves a license (调阅) by id or by type (on a duty basis the holder named too; under a grant its own holder), on a grant or duty basis: only the allowed disclosures, the annotated copy (加注件), a layout-document link when every field is allowed',
    auth: RELYING,
    requestBody: RetrievalRequestSchema,
    responses: {
      200: {
        description: 'The license as the basis allows it, with its annotated copy',
        schema: RetrievalSchema,
      },
      403: {
        description:
          'The basis does not allow this retrieval; `code` says why (GRANT_EXPIRED, GRANT_REVOKED, GRANT_EXHAUSTED, GRANT_NOT_FOR_AGENCY, GRANT_DOES_NOT_COVER, NO_SHARING_AGREEMENT, AGREEMENT_NOT_IN_FORCE, PURPOSE_NOT_ALLOWED, NOTHING_DISCLOSABLE when the basis allows no field the license has that its type still lets be disclosed, …). Under a grant, a license that does not exist is GRANT_DOES_NOT_COVER too, naming no license. Every refusal under a grant (GRANT_NOT_FOUND too) is audited as a denied retrieval before it is answered, under the grant when the code names one; so is every refusal of a sharing agreement',
      },
      404: {
        description:
          'No such license, or the holder has no license of the type (asked only once the basis allows it; audited as a denied retrieval)',
      },
      409: {
        description:
          'The license is not valid: `code` LICENSE_REVOKED, LICENSE_SUPERSEDED (naming the next version only when the same holder holds it), LICENSE_SUSPENDED or LICENSE_EXPIRED; or it is valid but its first valid day is after today, China time (LICENSE_NOT_YET_VALID, members `licenseId` and `validFrom`: every verifier refuses it until then) — each audited as a denied retrieval; or it kept changing while the retrieval was prepared (CONCURRENT_MODIFICATION: retry)',
      },
      500: {
        description:
          'The audit event (or another write) failed; nothing was handed out, and a refusal whose denied event failed is not answered',
      },
    },
  },
];
