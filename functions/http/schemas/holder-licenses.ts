import { z } from 'zod';
import { SealWithdrawnSchema } from '../schemas.ts';

// Responses of the holder's licenses (我的证照): every version with today's status, and one
// license with its data, credential and layout document link.

export const HolderLicenseVersionSchema = z
  .object({
    licenseId: z.string().describe('GB/T 36904 identifier of this version'),
    licenseKey: z.string().describe('The identifier without version and check: the same for every version'),
    licenseVersion: z.string(),
    typeCode: z.string(),
    typeName: z.object({ zh: z.string(), en: z.string() }).optional(),
    issuerCode: z.string(),
    status: z
      .enum(['valid', 'suspended', 'revoked', 'superseded', 'expired'])
      .describe('Today: stored, or expired by its validity end'),
    notYetValid: z
      .literal(true)
      .optional()
      .describe(
        'On a valid version whose first valid day (validity.from, China time) is after today: every verifier refuses it until then, and presenting or retrieving it is refused (409 LICENSE_NOT_YET_VALID)',
      ),
    issuedAt: z.string(),
    validity: z.object({ from: z.string(), until: z.string() }),
    supersededBy: z
      .string()
      .optional()
      .describe('On a superseded version: the version that replaced it, when that version is yours too'),
    current: z.boolean().describe('True for the highest version of the license'),
    former: z
      .boolean()
      .describe(
        'True when the license was re-issued to another holder: this version was yours, the license no longer is — it cannot be granted or presented',
      ),
    hasDocument: z.boolean().describe('Whether a layout document (PDF/OFD) is attached'),
    sealWithdrawn: SealWithdrawnSchema.optional().describe(
      'On a valid or suspended version only: its seal key is withdrawn, so it fails verification and cannot be presented until its issuer re-issues it',
    ),
  })
  .meta({ id: 'HolderLicenseVersion', description: 'One version of a license, as its holder sees it' });

export const HolderLicenseListSchema = z
  .object({
    licenses: z.array(HolderLicenseVersionSchema).describe('Newest first'),
    auditEventId: z.string(),
  })
  .meta({ id: 'HolderLicenseList' });

export const HolderLicenseDetailSchema = z
  .object({
    license: HolderLicenseVersionSchema,
    fields: z.record(z.string(), z.unknown()).describe('Every field of the license'),
    credential: z
      .string()
      .describe('The whole SD-JWT VC (`<issuer-jwt>~<every disclosure>~`): your own copy, for a wallet'),
    keyBound: z.boolean().describe('True when the credential names your device key (cnf)'),
    document: z
      .object({
        url: z.string().describe('GET the layout document here, without further headers'),
        expiresAt: z.string(),
        sha256: z.string(),
        mediaType: z.string(),
      })
      .optional(),
    auditEventId: z.string(),
  })
  .meta({ id: 'HolderLicenseDetail' });
