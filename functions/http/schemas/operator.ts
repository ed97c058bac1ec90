import { z } from 'zod';
import {
  AgencySchema,
  ApiKeySchema,
  apiKeyAlgorithmMismatch,
  MAX_API_KEYS,
  PublicJwkSchema,
  REQUEST_SIGNATURE_ALGORITHMS,
  SealKeyWithdrawalReasonSchema,
} from '#core/catalog/agency.ts';
import { TypeCodeSchema, UsccSchema } from '#core/catalog/codes.ts';
import { LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { SharingAgreementSchema } from '#core/catalog/sharing-agreement.ts';
import { NO_CONTROL_CHARACTERS } from '#core/control-characters.ts';
import { PageQuerySchema } from './paging.ts';

// Requests and responses of the operator route group: the catalog of agencies (with their
// request-signing keys and seal keys), license types and sharing agreements. Requests reuse the
// catalog's own schemas, strict: unknown fields are refused. A record is answered together with
// its version, which an update names in its If-Match header.

const agencyShape = AgencySchema.shape;

const CONTROL_CHARACTERS_REFUSED = 'expected text without control characters';

// Refused in the requests, not in AgencySchema, which also reads stored agencies.
const agencyName = agencyShape.name
  .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_REFUSED)
  .describe('Registered name; no control characters');

export const NewApiKeySchema = z
  .strictObject({
    keyId: ApiKeySchema.shape.keyId,
    algorithm: z.enum(REQUEST_SIGNATURE_ALGORITHMS),
    publicJwk: PublicJwkSchema,
  })
  .superRefine((key, ctx) => {
    const mismatch = apiKeyAlgorithmMismatch(key.algorithm, key.publicJwk);
    if (mismatch !== undefined) ctx.addIssue({ code: 'custom', path: ['publicJwk'], message: mismatch });
  })
  .meta({
    id: 'NewApiKey',
    description: 'A request-signing public key; active from registration. Key ids are unique platform-wide',
  });

/** Distinct values, or an issue on the array. */
function distinct(what: string) {
  return (values: readonly string[], ctx: z.RefinementCtx) => {
    if (new Set(values).size !== values.length)
      ctx.addIssue({ code: 'custom', message: `${what} must be distinct` });
  };
}

const rolesSchema = agencyShape.roles.superRefine(distinct('roles'));

export const RegisterAgencyRequestSchema = z
  .strictObject({
    uscc: agencyShape.uscc,
    name: agencyName,
    roles: rolesSchema,
    areaCode: agencyShape.areaCode,
    apiKeys: z
      .array(NewApiKeySchema)
      .max(MAX_API_KEYS)
      .default([])
      .superRefine((keys, ctx) =>
        distinct('key ids')(
          keys.map((key) => key.keyId),
          ctx,
        ),
      ),
    demo: agencyShape.demo.describe('Demo record (public demo keys); refused on a stage without demoData'),
  })
  .meta({
    id: 'RegisterAgencyRequest',
    description: 'An agency to register; an issuer gets a seal key made for it by the platform',
  });

export const UpdateAgencyRequestSchema = z
  .strictObject({
    name: agencyName,
    roles: rolesSchema,
    areaCode: agencyShape.areaCode,
    demo: agencyShape.demo.describe(
      'Demo record; absent removes the mark; refused on a stage without demoData',
    ),
  })
  .meta({
    id: 'UpdateAgencyRequest',
    description:
      'Replaces name, roles, area and demo mark; keys change through their own routes, seal keys by rotation',
  });

export const DesignateSuccessorRequestSchema = z
  .strictObject({
    successor: UsccSchema.describe(
      'USCC of the successor agency (承继机关): registered, holding the issuer role, not the agency itself',
    ),
  })
  .meta({
    id: 'DesignateSuccessorRequest',
    description:
      'The agency that takes over the functions of a dissolved or merged agency (机构撤并): it suspends, reinstates and revokes the licenses the agency issued',
  });

const version = z.number().int().min(1).describe('Version of the record; name it in If-Match to update it');
const cursor = z.string().optional().describe('Present when more items follow: pass it as ?cursor=');

export const AgencyRecordSchema = z
  .object({ version, agency: AgencySchema })
  .meta({ id: 'AgencyRecord', description: 'A registered agency with its version' });

const UsageKeySchema = z
  .object({
    id: z.string().describe('The API key’s id at API Gateway (recorded in the audit log)'),
    value: z
      .string()
      .describe('Send it as x-api-key with every signed request; shown this once, never again'),
  })
  .meta({
    id: 'UsageKey',
    description: 'An agency’s key on the stage’s usage plan (per-agency throttle and quota)',
  });

export const RegisteredAgencySchema = AgencyRecordSchema.extend({
  usageKey: UsageKeySchema.optional().describe('Where the stage meters agencies by a usage plan'),
}).meta({ id: 'RegisteredAgency', description: 'A newly registered agency with its version and usage key' });

export const IssuedUsageKeySchema = z
  .object({
    agency: z.string(),
    usageKey: UsageKeySchema,
    replaced: z.array(z.string()).describe('Ids of the keys it replaced, no longer accepted'),
  })
  .meta({ id: 'IssuedUsageKey' });

/** The id of the audit event a read was recorded as, before it was answered. */
const auditEventId = (action: string) =>
  z.string().describe(`The audit event of this read (${action}), written before the answer`);

export const AgencyReadSchema = AgencyRecordSchema.extend({
  auditEventId: auditEventId('agency.read'),
}).meta({ id: 'AgencyRead', description: 'A registered agency with its version, as the operator read it' });

export const AgencyListSchema = z
  .object({ items: z.array(AgencyRecordSchema), cursor, auditEventId: auditEventId('agency.listed') })
  .meta({ id: 'AgencyList' });

export const LicenseTypeRecordSchema = z
  .object({ version, licenseType: LicenseTypeSchema })
  .meta({ id: 'LicenseTypeRecord', description: 'A registered license type with its version' });

export const SharingAgreementRecordSchema = z
  .object({ version, agreement: SharingAgreementSchema })
  .meta({ id: 'SharingAgreementRecord', description: 'A registered sharing agreement with its version' });

export const SharingAgreementListSchema = z
  .object({
    items: z.array(SharingAgreementRecordSchema),
    cursor,
    auditEventId: auditEventId('sharing_agreement.listed'),
  })
  .meta({ id: 'SharingAgreementList' });

/**
 * The query of GET /sharing-agreements: a page and its filters. Each filter becomes part of a
 * storage key, so a value that is not a USCC or a type code is refused (400) rather than sent to
 * the store; and, strict like every listing, a misspelt filter (?relyingagency=) is refused
 * rather than ignored — ignored, it answered every agreement.
 */
export const SharingAgreementListQuerySchema = PageQuerySchema.extend({
  relyingAgency: UsccSchema.optional(),
  typeCode: TypeCodeSchema.optional(),
});

export const UnblockIdentityProofingRequestSchema = z
  .strictObject({
    identity: z.strictObject({
      codeType: z.enum(['111', '001']).describe('111 citizen identity number, 001 USCC'),
      code: z.string().min(1).max(64),
    }),
    reason: z
      .string()
      .trim()
      .min(1, 'expected why the identity is unblocked')
      .max(1000)
      .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_REFUSED)
      .describe(
        'e.g. where and how the holder proved their identity in person; audited for good: neither the code unblocked nor any citizen identity number (400 when it names one), nor a control character',
      ),
  })
  .meta({ id: 'UnblockIdentityProofingRequest' });

export const UnblockedIdentityProofingSchema = z
  .object({ cleared: z.number().int().describe('Failed claims forgotten') })
  .meta({ id: 'UnblockedIdentityProofing' });

export const WithdrawSealKeyRequestSchema = z
  .strictObject({
    // The control-character check on the request only: the stored record's schema keeps reading
    // a reason stored before it.
    reason: SealKeyWithdrawalReasonSchema.regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_REFUSED).describe(
      'Why the key is withdrawn, e.g. the incident in which it was found compromised; kept for good in the agency record and the audit log: no citizen identity number (400 when it names one), nor a control character',
    ),
  })
  .meta({ id: 'WithdrawSealKeyRequest' });
