import { z } from 'zod';
import { TypeCodeSchema } from '#core/catalog/codes.ts';
import { chinaCalendarDate, parseCitizenId } from '#core/identifiers/citizen-id.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import { SealWithdrawnSchema } from '../schemas.ts';

// Requests and responses of the retrieval group: retrieval on a holder grant (用证授权) or on
// duty-based access (依职能用证), with its annotated copy (加注件). Grants themselves are the
// holder's (schemas/holder-grants.ts). Request objects are strict:
// an unknown field is a 400, never silently dropped.

import { NO_CONTROL_CHARACTERS } from '#core/control-characters.ts';

/** A license named by its GB/T 36904 identifier (that version) or its license key (the current version). */
export const LicenseRefSchema = z
  .string()
  .min(16)
  .max(160)
  .describe(
    'GB/T 36904 license identifier (that version), or the license key — the identifier without version and check character — for the current version',
  );

export const HolderIdentitySchema = z
  .strictObject({
    codeType: z
      .string()
      .regex(/^\d{3}$/, 'holder code type is 3 digits')
      .describe(
        '持证主体代码类型: 111 citizen identity number, 001 unified social credit code, others as data',
      ),
    code: z.string().min(1).max(64).regex(NO_CONTROL_CHARACTERS).describe('持证主体代码'),
  })
  .superRefine((holder, ctx) => {
    // The two code types the platform knows carry check characters: a typo is a 400, not an empty lookup.
    const check =
      holder.codeType === '111'
        ? parseCitizenId(holder.code, { today: chinaCalendarDate(new Date()) })
        : holder.codeType === '001'
          ? parseUscc(holder.code)
          : undefined;
    if (check !== undefined && !check.valid)
      ctx.addIssue({ code: 'custom', path: ['code'], message: check.reason });
  })
  .meta({ id: 'HolderIdentity', description: 'A holder (持证主体) by code type and code' });

export const PurposeSchema = z.string().trim().min(1).max(1000).regex(NO_CONTROL_CHARACTERS);

export const DutyBasisSchema = z
  .strictObject({
    serviceItemCode: z
      .string()
      .regex(/^[0-9A-Z]{4,64}$/, 'service item code is 4–64 digits and upper-case letters')
      .describe(
        '事项编码 of the government service item the retrieval serves; a code none of the agency’s agreements names is audited with the refusal: no citizen identity number, nor on a lookup by holder that holder’s code (400 when it holds one)',
      ),
    caseNumber: z
      .string()
      .trim()
      .min(1, 'a duty-based retrieval names its case number')
      .max(64)
      .regex(NO_CONTROL_CHARACTERS)
      .describe(
        '办件编号 of the case being handled; audited: no citizen identity number, nor on a lookup by holder that holder’s code (400 when it names one)',
      ),
    operatorId: z
      .string()
      .trim()
      .min(1, 'a duty-based retrieval names its operator')
      .max(64)
      .regex(NO_CONTROL_CHARACTERS)
      .describe(
        "The agency's staff member handling the case; audited: a staff reference, not a citizen identity number nor, on a lookup by holder, that holder's code (400 when it is one)",
      ),
  })
  .meta({ id: 'DutyBasis', description: 'Duty-based access (依职能用证) under a sharing agreement' });

export const RetrievalRequestSchema = z
  .strictObject({
    licenseId: LicenseRefSchema.optional(),
    holder: HolderIdentitySchema.optional().describe(
      'On a duty basis, with typeCode: the holder whose license of the type is wanted. Not under a grant (400): the grant names its holder, and a holder compared with it would tell a guessed identity number from a wrong one',
    ),
    typeCode: TypeCodeSchema.optional().describe(
      'The license type wanted: with holder on a duty basis, alone under a grant (the grant’s holder’s license of the type)',
    ),
    basis: z
      .union([
        z.strictObject({
          grant: z.strictObject({
            code: z.string().min(1).max(128).describe('The authorisation code the holder handed over'),
          }),
        }),
        z.strictObject({ duty: DutyBasisSchema }),
      ])
      .describe(
        'What allows the retrieval: { grant: { code } } or { duty: { serviceItemCode, caseNumber, operatorId } }',
      ),
    purpose: PurposeSchema.optional().describe(
      "Purpose of use: the grant's purpose, or one of the agreement's — with several agreements in force for the type and service item, the one allowing this purpose is used; defaults to the grant's, or the only purpose the agreements in force allow (400 naming them when they allow several)",
    ),
  })
  .superRefine((request, ctx) => {
    const byId = request.licenseId !== undefined;
    const byType = request.holder !== undefined || request.typeCode !== undefined;
    const underGrant = 'grant' in request.basis;
    if (byId === byType) {
      ctx.addIssue({
        code: 'custom',
        message: underGrant
          ? 'name the license either by licenseId, or by typeCode (the grant names its holder) — exactly one of the two'
          : 'name the license either by licenseId, or by holder and typeCode — exactly one of the two',
      });
    } else if (underGrant && request.holder !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['holder'],
        message:
          'a retrieval under a grant names no holder — the grant names its own: name the license by licenseId, or by typeCode alone',
      });
    } else if (byType && request.typeCode === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['typeCode'],
        message: 'a retrieval by holder names the typeCode too',
      });
    } else if (byType && !underGrant && request.holder === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['holder'],
        message:
          'a duty-based retrieval by type names the holder too (under a grant, the grant names its holder)',
      });
    }
  })
  .meta({
    id: 'RetrievalRequest',
    description:
      'Retrieve a license (调阅) by id, or by type: on a duty basis the holder named by identity, under a grant the grant’s own holder',
  });

export const RetrievalSchema = z
  .object({
    licenseId: z.string().describe('Identifier of the version retrieved'),
    licenseVersion: z.string(),
    typeCode: z.string(),
    presentation: z
      .string()
      .describe('The SD-JWT VC with only the disclosures the basis allows: <issuer-jwt>~<disclosure>~…~'),
    disclosed: z.array(z.string()).describe('Names of the disclosed fields'),
    annotation: z
      .string()
      .describe(
        'The annotated copy (加注件): a JWT (typ elicense-annotation+jwt) signed with the platform key in /.well-known/jwks.json, naming requester, basis, purpose, case number, time, expiry, license id and version, and the sha-256 of the presentation; and seal_withdrawn {kid, since?} when the license’s seal key is withdrawn (as sealWithdrawn here), a claim verifiers that ignore it still pass',
      ),
    usableUntil: z.string().describe('Until when the copy may be used (the annotation’s exp), RFC 3339'),
    document: z
      .object({
        url: z.string().describe('GET the layout document here, without further headers'),
        expiresAt: z.string(),
        sha256: z.string().describe('base64url SHA-256 the bytes must have'),
        mediaType: z.string(),
      })
      .optional()
      .describe('The layout document (PDF/OFD), only when the basis allows every field of the license'),
    sealWithdrawn: SealWithdrawnSchema.optional().describe(
      'The license’s seal key is withdrawn: the presentation fails verification until its issuer re-issues the license; the retrieval is recorded all the same (the event names the kid)',
    ),
    auditEventId: z.string().describe('The audit event recorded for this retrieval (the annotation’s jti)'),
  })
  .meta({ id: 'Retrieval', description: 'A retrieved license with its annotated copy' });
