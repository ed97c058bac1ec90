import { HOLDER, PUBLIC, type RouteSpec } from '../route-spec.ts';
import {
  CreatedPresentationSchema,
  PresentationRequestSchema,
  ResolvedPresentationSchema,
} from '../schemas/holder-presentations.ts';
import { NOT_PROOFED } from './holder-licenses.ts';

// Presentations (亮证 / 出示码). Implementations: functions/handlers/holder/presentations.ts.
// The resolver is in the holder group although anyone may call it: a waiting presentation is
// sealed with the field cipher, and only the holder function may open sealed fields — the
// public group holds no decrypt permission.

export const holderPresentationsRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/holder/presentations',
    group: 'holder',
    operationId: 'createPresentation',
    summary:
      'Shows one of your licenses with only the fields you choose: a 5-minute reference for a QR code, or the compact SD-JWT for your app to key-bind',
    auth: HOLDER,
    requestBody: PresentationRequestSchema,
    responses: {
      201: { description: 'The presentation payload', schema: CreatedPresentationSchema },
      400: { description: 'A field the license lacks' },
      ...NOT_PROOFED,
      404: { description: 'No such license of yours' },
      409: {
        description:
          'The license is not valid today (revoked, superseded, suspended or expired: code LICENSE_NOT_PRESENTABLE); or it is valid but its first valid day is after today, China time (code LICENSE_NOT_YET_VALID, members `licenseId` and `validFrom`): every verifier refuses it until then; or its seal key is withdrawn (code LICENSE_SEAL_WITHDRAWN): every verifier would reject it until its issuer re-issues it',
      },
    },
  },
  {
    method: 'GET',
    path: '/presentations/{reference}',
    group: 'holder',
    operationId: 'resolvePresentation',
    summary:
      'Resolves a presentation reference (出示码) for a verifier, once or as often as the holder allowed, within 5 minutes; audited',
    auth: PUBLIC,
    responses: {
      200: { description: 'The compact SD-JWT presentation', schema: ResolvedPresentationSchema },
      404: {
        description:
          'No presentation has this reference, or it has expired or been used up: `code` PRESENTATION_NOT_FOUND, PRESENTATION_EXPIRED or PRESENTATION_USED_UP',
      },
    },
  },
];
