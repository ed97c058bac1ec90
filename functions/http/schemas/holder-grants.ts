import { z } from 'zod';
import { TypeCodeSchema, UsccSchema } from '#core/catalog/codes.ts';
import { NO_CONTROL_CHARACTERS } from '#core/control-characters.ts';
import { GrantIdSchema, GrantScopeSchema, MAX_GRANT_USES } from '#core/grants/grant.ts';
import { LicenseRefSchema, PurposeSchema } from './retrieval.ts';

// Requests and responses of the holder's grants (用证授权): the holder lets a relying agency use
// one of their licenses, or their licenses of a type, for a purpose, chosen fields, a time and a
// number of uses. The holder is the caller: no request names a holder identity.

export const HolderGrantRequestSchema = z
  .strictObject({
    scope: z
      .union([z.strictObject({ licenseId: LicenseRefSchema }), z.strictObject({ typeCode: TypeCodeSchema })])
      .describe('One of your licenses ({ licenseId }), or your licenses of a type ({ typeCode })'),
    relyingAgency: UsccSchema.describe('USCC of the relying agency you grant use to'),
    purpose: PurposeSchema.describe(
      'Purpose of use you agree to; retrievals must state this purpose. Audited with the grant and each retrieval: no citizen identity number (400 when it names one)',
    ),
    fields: z
      .array(z.string().min(1).max(32))
      .min(1)
      .max(128)
      .describe('Fields the agency may receive; each a disclosable field of the type'),
    expiresAt: z.iso.datetime({ offset: true }).describe('RFC 3339; the grant is void from this instant on'),
    maxUses: z.number().int().min(1).max(MAX_GRANT_USES).describe('Retrievals the grant allows'),
  })
  .meta({ id: 'HolderGrantRequest', description: 'A grant (用证授权) the holder gives a relying agency' });

export const GrantViewSchema = z
  .object({
    id: GrantIdSchema,
    scope: GrantScopeSchema,
    relyingAgency: z.string(),
    purpose: z.string(),
    fields: z.array(z.string()),
    expiresAt: z.string(),
    maxUses: z.number().int(),
    uses: z.number().int().describe('Retrievals counted so far'),
    status: z.enum(['active', 'revoked']),
    created: z.string(),
    revoked: z.string().optional(),
    lastUsedAt: z.string().optional(),
  })
  .meta({
    id: 'GrantView',
    description: 'A holder grant as the platform keeps it (without the holder index)',
  });

export const CreatedGrantSchema = z
  .object({
    grant: GrantViewSchema,
    code: z
      .string()
      .describe(
        'The authorisation code (授权码): shown this once, only its hash is kept; hand it to the relying agency',
      ),
  })
  .meta({ id: 'CreatedGrant' });

export const GrantListSchema = z
  .object({
    items: z.array(GrantViewSchema).describe('Newest first'),
    cursor: z.string().optional().describe('Pass as ?cursor= for the next page; absent on the last'),
    auditEventId: z.string().describe('The audit event of this read (holder.grants_listed)'),
  })
  .meta({ id: 'GrantList' });

export const RevokeGrantRequestSchema = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .regex(NO_CONTROL_CHARACTERS)
      .optional()
      .describe('Why, for the audit log: no citizen identity number (400 when it names one)'),
  })
  .meta({ id: 'RevokeGrantRequest' });
