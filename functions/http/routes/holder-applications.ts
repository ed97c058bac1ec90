import { HOLDER, type RouteSpec } from '../route-spec.ts';
import {
  ApplicationListSchema,
  ApplicationReadSchema,
  ApplicationSchema,
  ApplyRequestSchema,
  HolderApplicationListQuery,
  HolderApplicationListQuerySchema,
  RespondRequestSchema,
  WithdrawRequestSchema,
} from '../schemas/applications.ts';

// The holder's license applications (申请): apply in one's own proofed identity, follow the
// review with its whole history, answer a request for information, withdraw before a license.
// Another holder's application reads as not found.

const NOT_PROOFED = {
  403: {
    description:
      'The account is not proofed (identity-not-proofed), or the data names another holder than the applicant',
  },
} as const;

const ON_AN_APPLICATION = {
  404: { description: 'No such application of yours' },
} as const;

const WRITE_REFUSALS = {
  400: { description: 'Data refused field by field' },
  413: {
    description:
      'ATTACHMENTS_TOO_LARGE: an attachment larger than 2 MiB, or those of one request together over 4 MiB',
  },
  415: { description: 'An attachment that is not PDF, OFD, JPEG or PNG' },
} as const;

export const holderApplicationsRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/holder/applications',
    group: 'holder',
    operationId: 'applyForLicense',
    summary:
      'Applies for a license of a type, in your proofed identity, with data checked field by field and attachments. With an optional Idempotency-Key, a retry of the same request answers with the application the first one made (the same key with another request → 422)',
    auth: HOLDER,
    requestBody: ApplyRequestSchema,
    responses: {
      201: { description: 'Submitted; the agency reviews it', schema: ApplicationSchema },
      ...WRITE_REFUSALS,
      422: { description: 'The Idempotency-Key was used with another application request' },
      ...NOT_PROOFED,
    },
  },
  {
    method: 'GET',
    path: '/holder/applications',
    group: 'holder',
    operationId: 'listHolderApplications',
    summary: 'Your applications, newest first; audited (application.listed) before it answers',
    auth: HOLDER,
    querySchema: HolderApplicationListQuerySchema,
    query: HolderApplicationListQuery,
    responses: {
      200: { description: 'A page of your applications', schema: ApplicationListSchema },
      400: {
        description:
          'A limit out of range, a cursor of another listing, or any other query parameter (there is no state filter here)',
      },
    },
  },
  {
    method: 'GET',
    path: '/holder/applications/{id}',
    group: 'holder',
    operationId: 'getHolderApplication',
    summary:
      'One of your applications with its data, attachments and every step of its review; audited (application.viewed) before it answers',
    auth: HOLDER,
    responses: {
      200: { description: 'The application', schema: ApplicationReadSchema },
      ...ON_AN_APPLICATION,
    },
  },
  {
    method: 'POST',
    path: '/holder/applications/{id}/respond',
    group: 'holder',
    operationId: 'respondToApplication',
    summary: 'Answers the agency’s request for information: a note, corrected data, more attachments',
    auth: HOLDER,
    requestBody: RespondRequestSchema,
    responses: {
      200: { description: 'Submitted again', schema: ApplicationSchema },
      ...WRITE_REFUSALS,
      ...ON_AN_APPLICATION,
      // No identity-not-proofed here: only a proofed account can apply, so only one owns an
      // application, and a binding is never removed.
      403: { description: 'The corrected data names another holder than the applicant' },
      409: {
        description:
          'No information was asked for (the application is not info-requested), or it changed meanwhile',
      },
    },
  },
  {
    method: 'POST',
    path: '/holder/applications/{id}/withdraw',
    group: 'holder',
    operationId: 'withdrawApplication',
    summary:
      'Withdraws an application while no license was issued for it (one left approving by a failed approval too)',
    auth: HOLDER,
    requestBody: WithdrawRequestSchema,
    responses: {
      200: { description: 'Withdrawn', schema: ApplicationSchema },
      ...ON_AN_APPLICATION,
      409: {
        description:
          'Approved, rejected or withdrawn already; or APPROVAL_LICENSE_ISSUED: approving, and the license of its approval was written',
      },
    },
  },
];
