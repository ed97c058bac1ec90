import type { RouteAuth, RouteSpec } from '../route-spec.ts';
import {
  AgencyApplicationListQuery,
  ApplicationListQuerySchema,
  ApplicationListSchema,
  ApplicationReadSchema,
  ApplicationSchema,
  ApprovedApplicationSchema,
  ApproveRequestSchema,
  RejectRequestSchema,
  RequestInformationSchema,
} from '../schemas/applications.ts';

// The issuing agency's review of license applications (审核 → 颁发), in the issuer group: its
// queue per state, one application (an audited read of the applicant's data), a request for more
// information, approval — the license is issued as by POST /licenses — and rejection with a
// reason. An agency sees only applications addressed to it for types it may issue; any other is
// 404. POSTs run under the idempotency layer, as every issuer POST that changes something does;
// the record keeps the step's outcome only, and a repeat reads the application again. What the
// signature check, the body parser and that layer answer is declared from the route
// (common-responses.ts); the descriptions here are each route's own reasons.

const ISSUER: RouteAuth = { kind: 'agency', roles: ['issuer'] };
const IDEMPOTENT =
  'Unique per operation; a retry with the same key and body does not repeat the step: it answers with the application read again (as GET /applications/{id}, with fresh attachment links) and, for an approval, the same license';

// Approve and reject take an optional If-Match: the application's version as the reviewer read it
// (`version`, and the ETag of GET /applications/{id}). Changed since — another officer asked for
// information and the holder answered with new data, say — the decision is 409 and nothing is
// recorded: no one decides on data they did not see. Without it, as before.
const IF_MATCH =
  'With an If-Match naming the application’s version as read (the ETag of GET /applications/{id}, e.g. "3"), refused 409 if it changed since';
const STALE = 'or changed since the version in If-Match: read it again (nothing recorded)';

const ON_AN_APPLICATION = {
  404: { description: 'No such application addressed to this agency for a type it may issue' },
  409: { description: 'Not allowed from the application’s state, or changed meanwhile; read and retry' },
} as const;

export const issuerApplicationsRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/applications',
    group: 'issuer',
    operationId: 'listApplications',
    summary:
      'Applications addressed to the calling agency in one state, least recently changed first; audited (application.listed) before it answers',
    auth: ISSUER,
    querySchema: ApplicationListQuerySchema,
    query: AgencyApplicationListQuery,
    responses: {
      200: {
        description: 'A page of applications (state and times, no applicant data)',
        schema: ApplicationListSchema,
      },
      400: { description: 'An unknown state, a limit out of range or a cursor of another listing' },
    },
  },
  {
    method: 'GET',
    path: '/applications/{id}',
    group: 'issuer',
    operationId: 'getApplication',
    summary:
      'One application with the applicant’s data, attachment links and history; audited (application.viewed) before it answers',
    auth: ISSUER,
    responses: {
      200: {
        description:
          'The application; its version in ETag, which an approval or rejection may name in If-Match',
        schema: ApplicationReadSchema,
      },
      404: ON_AN_APPLICATION[404],
    },
  },
  {
    method: 'POST',
    path: '/applications/{id}/request-info',
    group: 'issuer',
    operationId: 'requestApplicationInformation',
    summary: 'Asks the applicant for more information or corrections (补正); the note says what',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: RequestInformationSchema,
    responses: {
      200: { description: 'Waiting for the applicant', schema: ApplicationSchema },
      ...ON_AN_APPLICATION,
    },
  },
  {
    method: 'POST',
    path: '/applications/{id}/approve',
    group: 'issuer',
    operationId: 'approveApplication',
    summary: `Approves: records the decision (approving), issues the license with the applied data (corrected as given) to the applicant, and records its id (approved); never issues twice. An application left approving by a failure is finished by approving it again (under If-Match, the approving version; or the version read before its decision — with that decision’s very terms when it changed the data). ${IF_MATCH}`,
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: ApproveRequestSchema,
    responses: {
      200: { description: 'Approved; the license is issued', schema: ApprovedApplicationSchema },
      ...ON_AN_APPLICATION,
      409: {
        description: `Not allowed from the application’s state, or changed meanwhile, ${STALE}; or APPROVAL_ALREADY_DECIDED: a decision was recorded already (an earlier attempt’s or a rival’s) and this approval brings data, validity or a note other than that decision’s — nothing of it is recorded; approve again without them to finish it — or, under If-Match of the version before a decision that changed the data (another officer’s corrections, never seen), without those very terms: read it again (data and applied both shown) and approve with If-Match of the approving version; or DEVICE_KEY_CHANGED_MEANWHILE: the holder revoked the device key the license was being bound to, and again the one read after it — nothing was issued, the application stays approving: approve again`,
      },
      400: {
        description:
          'The data as corrected does not satisfy the type, field by field; or an If-Match that names no version',
      },
    },
  },
  {
    method: 'POST',
    path: '/applications/{id}/reject',
    group: 'issuer',
    operationId: 'rejectApplication',
    summary: `Rejects the application (不予许可) with a reason the applicant reads — one left approving by a failed approval too, while its license was not written. ${IF_MATCH}`,
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: RejectRequestSchema,
    responses: {
      200: { description: 'Rejected', schema: ApplicationSchema },
      ...ON_AN_APPLICATION,
      409: {
        description: `Approved, rejected or withdrawn already, or changed meanwhile, ${STALE}; or APPROVAL_LICENSE_ISSUED: approving, and the license of its approval was written — approve again to record it`,
      },
      400: { description: 'An If-Match that names no version' },
    },
  },
];
