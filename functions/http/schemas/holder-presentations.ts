import { z } from 'zod';
import { NO_CONTROL_CHARACTERS } from '#core/control-characters.ts';
import { MAX_PRESENTATION_RESOLUTIONS } from '#core/presentations/presentation-ref.ts';
import { SealWithdrawnSchema } from '../schemas.ts';
import { LicenseRefSchema } from './retrieval.ts';

// Requests and responses of holder presentations (亮证 / 出示码).

export const PresentationRequestSchema = z
  .strictObject({
    licenseId: LicenseRefSchema,
    fields: z
      .array(z.string().min(1).max(32))
      .min(1)
      .max(128)
      .describe('The fields to show (chosen disclosures)'),
    form: z
      .enum(['reference', 'sd-jwt'])
      .default('reference')
      .describe(
        '`reference`: a short-lived reference a verifier resolves at GET /presentations/{ref}; `sd-jwt`: the compact SD-JWT itself, to which your app appends a KB-JWT when the license is key-bound',
      ),
    audience: z
      .string()
      .min(1)
      .max(256)
      .regex(NO_CONTROL_CHARACTERS)
      .optional()
      .describe('The verifier; no citizen identity number (400 naming `audience`): it is audited'),
    nonce: z
      .string()
      .min(1)
      .max(256)
      .regex(NO_CONTROL_CHARACTERS)
      .optional()
      .describe("The verifier's nonce; no citizen identity number (400 naming `nonce`): it is audited"),
    maxResolutions: z
      .number()
      .int()
      .min(1)
      .max(MAX_PRESENTATION_RESOLUTIONS)
      .optional()
      .describe('Reference form: how often it may be resolved (default 1)'),
  })
  .meta({ id: 'PresentationRequest', description: 'Show a license: which one, which fields, in which form' });

export const CreatedPresentationSchema = z
  .object({
    form: z.enum(['reference', 'sd-jwt']),
    licenseId: z.string(),
    disclosed: z.array(z.string()),
    auditEventId: z.string(),
    reference: z.string().optional().describe('Reference form: 144 random bits, base64url'),
    url: z.string().optional().describe('Reference form: what the QR code carries; GET it to resolve'),
    expiresAt: z.string().optional().describe('Reference form: it resolves until then (5 minutes)'),
    maxResolutions: z.number().int().optional(),
    presentation: z.string().optional().describe('SD-JWT form: `<issuer-jwt>~<chosen disclosures>~`'),
    keyBinding: z
      .object({
        sdHash: z.string().describe('The KB-JWT’s sd_hash'),
        audience: z.string().optional(),
        nonce: z.string().optional(),
      })
      .optional()
      .describe('SD-JWT form, key-bound license: append a KB-JWT signed with your device key'),
  })
  .meta({ id: 'CreatedPresentation' });

export const ResolvedPresentationSchema = z
  .object({
    presentation: z
      .string()
      .describe('The compact SD-JWT presentation; check it with POST /verify or offline against the JWKS'),
    licenseId: z.string(),
    typeCode: z.string(),
    disclosed: z.array(z.string()),
    audience: z.string().optional(),
    nonce: z.string().optional(),
    expiresAt: z.string(),
    sealWithdrawn: SealWithdrawnSchema.optional().describe(
      'The license’s seal key was withdrawn after the holder made the presentation: it fails verification',
    ),
  })
  .meta({ id: 'ResolvedPresentation' });
