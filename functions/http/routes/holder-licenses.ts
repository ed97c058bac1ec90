import { HOLDER, type RouteSpec } from '../route-spec.ts';
import { HolderLicenseDetailSchema, HolderLicenseListSchema } from '../schemas/holder-licenses.ts';

// The holder's licenses (我的证照). Implementations: functions/handlers/holder/licenses.ts.

export const NOT_PROOFED = {
  403: { description: 'The account is not bound to a proofed identity yet (identity-not-proofed)' },
} as const;

export const holderLicensesRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/holder/licenses',
    group: 'holder',
    operationId: 'listHolderLicenses',
    summary: 'Every version of every license issued to you, with its status today',
    auth: HOLDER,
    responses: {
      200: { description: 'Your licenses, newest first', schema: HolderLicenseListSchema },
      ...NOT_PROOFED,
    },
  },
  {
    method: 'GET',
    path: '/holder/licenses/{licenseId}',
    group: 'holder',
    operationId: 'getHolderLicense',
    summary:
      'One of your licenses (identifier, or license key for the current version): its data, credential and layout document link',
    auth: HOLDER,
    responses: {
      200: { description: 'The license', schema: HolderLicenseDetailSchema },
      400: { description: 'Not a GB/T 36904 identifier or license key' },
      ...NOT_PROOFED,
      404: { description: 'No such license of yours (another holder’s license reads the same)' },
    },
  },
];
