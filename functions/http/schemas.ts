import { z } from 'zod';
import { LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { SD_JWT_VC_CHECKS } from '#core/sd-jwt-vc/verify.ts';
import { PROBLEM_TYPE_BASE, problemTypes } from './problem.ts';

// Request and response schemas. The same objects validate at run time and generate the
// OpenAPI description (functions/http/openapi.ts), so the two cannot disagree.

export const ProblemSchema = z
  .object({
    type: z.string().describe(`Stable problem type: ${PROBLEM_TYPE_BASE}<one of the documented names>`),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())
  .meta({
    id: 'Problem',
    description: `RFC 9457 problem details. Types: ${Object.keys(problemTypes).join(', ')}`,
  });

/** The flag on a license handed out whose seal key the operator has withdrawn (app/seal-standing.ts). */
export const SealWithdrawnSchema = z
  .object({
    kid: z.string().describe('The seal key the license’s issuer JWT names (its `kid` header)'),
    since: z
      .string()
      .optional()
      .describe(
        'When the operator withdrew it, RFC 3339; absent when the agency has since let go of the key',
      ),
    detail: z.string().describe('The same in words, and what to do: the issuer re-issues the license'),
  })
  .meta({
    id: 'SealWithdrawn',
    description:
      'Present only when the key that sealed the license is withdrawn: every verification of it fails its signature check until its issuer re-issues it (POST /licenses/{id}/reissue). Read from agency records a container caches for up to 60 s, so a withdrawal may take that long to show here; POST /verify fails such a license within 5 s of the withdrawal',
  });

export const DependencyCheckSchema = z
  .object({
    status: z.enum(['up', 'down']),
    latencyMs: z.number().nonnegative(),
    error: z
      .string()
      .optional()
      .describe(
        'The kind of failure by its name or code alone (AccessDeniedException, ECONNREFUSED, no answer within 2000 ms): the whole error, which may name the account, role or resource, is only in the function’s log',
      ),
  })
  .meta({ id: 'DependencyCheck' });

export const AuditSealCheckSchema = z
  .object({
    status: z
      .enum(['ok', 'behind', 'ahead', 'mismatch', 'unknown'])
      .describe(
        '`behind`: past the allowed lag; `ahead`: the sealed position is later than now (a clock ran ahead, or the table was edited), so nothing is sealed; `mismatch`: a seal head disagrees with its signed checkpoint (the table was edited), so nothing is sealed; `unknown`: before the first seal, or not readable',
      ),
    lagSeconds: z.number().nonnegative().nullable().describe('Seconds since the sealed position'),
    maxLagSeconds: z.number().positive(),
    error: z.string().optional(),
  })
  .meta({ id: 'AuditSealCheck', description: 'How far audit sealing is behind' });

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), DependencyCheckSchema),
    auditSeal: AuditSealCheckSchema.optional(),
  })
  .meta({
    id: 'Health',
    description:
      'Reachability of each dependency and the audit sealing lag; 503 when any is down or sealing is behind or ahead of the clock',
  });

export type Health = z.infer<typeof HealthSchema>;

export const VerifyRequestSchema = z
  .strictObject({
    presentation: z
      .string()
      .min(1)
      .max(65_536)
      .describe('An issued license or a presentation: <issuer-jwt>~<disclosures>~[<kb-jwt>]'),
    audience: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe('Require a key-bound presentation for this audience'),
    nonce: z.string().min(1).max(512).optional().describe('… and this nonce'),
  })
  .refine((r) => (r.audience === undefined) === (r.nonce === undefined), {
    message: 'audience and nonce go together: give both to require key binding, or neither',
  })
  .meta({ id: 'VerifyRequest' });

export const CheckOutcomeSchema = z.string().describe("'ok', 'skipped', or 'failed: <reason>'");

export const VerifyResultSchema = z
  .object({
    valid: z.boolean(),
    checks: z.object(Object.fromEntries(SD_JWT_VC_CHECKS.map((c) => [c, CheckOutcomeSchema]))),
    claims: z
      .object({
        issuer: z.string(),
        vct: z.string(),
        licenseId: z.string(),
        licenseVersion: z.string(),
        fields: z.record(z.string(), z.unknown()),
      })
      .catchall(z.unknown())
      .optional()
      .describe('The verified claims and the disclosed fields; present only when valid'),
  })
  .meta({
    id: 'VerifyResult',
    description: 'One outcome per check; valid only when every required check is ok',
  });

export const JwksSchema = z
  .object({
    keys: z.array(
      z
        .object({
          kty: z.string(),
          crv: z.string().optional(),
          x: z.string().optional(),
          y: z.string().optional(),
          kid: z.string(),
          use: z.literal('sig'),
          alg: z.string(),
          owner: z.enum(['platform', 'agency']),
          agency: z.string().optional().describe('USCC of the issuing agency whose seal key this is'),
        })
        .catchall(z.unknown()),
    ),
  })
  .meta({ id: 'Jwks', description: 'Issuer seal keys and the platform key (RFC 7517)' });

export const LicenseTypeListSchema = z
  .object({ items: z.array(LicenseTypeSchema), cursor: z.string().optional() })
  .meta({ id: 'LicenseTypeList' });
