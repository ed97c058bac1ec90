// A holder's grant (用证授权): the holder lets one relying agency use one license, or any of
// their licenses of one type, for a stated purpose, for chosen fields, until a time, for a
// number of uses. The relying agency presents the grant's authorisation code with its
// retrieval; each retrieval counts one use.
import { z } from 'zod';
import { auditTime } from '#core/audit/event.ts';
import { TypeCodeSchema, UsccSchema } from '#core/catalog/codes.ts';

/**
 * A grant's times are RFC 3339 UTC with exactly millisecond precision (Date#toISOString):
 * fixed width, so the store's conditions (`expiresAt > :now`) compare them as text correctly.
 * `2025-01-01T00:00:00Z` against `2025-01-01T00:00:00.500Z` would compare wrongly.
 */
export const GrantInstantSchema = auditTime;

export const GrantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/, 'expected 8–64 characters of A–Z a–z 0–9 _ -');

export const GRANT_STATUSES = ['active', 'revoked'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

/** What the grant covers: one license (by its GB/T 36904 id without version) or a type. */
export const GrantScopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('license'), licenseId: z.string().min(1).max(128) }),
  z.strictObject({ kind: z.literal('type'), typeCode: TypeCodeSchema }),
]);
export type GrantScope = z.infer<typeof GrantScopeSchema>;

/** A blind index (HMAC of the normalised holder identity), base64url or hex. */
export const HolderIndexSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,128}$/, 'expected a blind index of 16–128 base64url characters');

/** Largest use count a grant may allow; a bound so that a typo cannot make a grant unlimited. */
export const MAX_GRANT_USES = 10_000;

/** What the holder decides when granting; the platform adds id, times, status and counter. */
export const GrantTermsSchema = z.strictObject({
  scope: GrantScopeSchema,
  relyingAgency: UsccSchema.describe('USCC of the agency the holder grants use to'),
  holderIndex: HolderIndexSchema.describe('Blind index of the granting holder'),
  purpose: z.string().min(1).max(1000).describe('Purpose of use the holder agreed to'),
  fields: z.array(z.string().min(1).max(32)).min(1).max(128).describe('Fields the agency may receive'),
  expiresAt: GrantInstantSchema.describe('The grant is void from this instant on'),
  maxUses: z.number().int().min(1).max(MAX_GRANT_USES).describe('Retrievals the grant allows'),
});
export type GrantTerms = z.infer<typeof GrantTermsSchema>;

export const GrantSchema = z
  .strictObject({
    ...GrantTermsSchema.shape,
    id: GrantIdSchema,
    uses: z.number().int().min(0).describe('Retrievals counted so far'),
    status: z.enum(GRANT_STATUSES),
    created: GrantInstantSchema,
    revoked: GrantInstantSchema.optional().describe('When the holder revoked the grant'),
    lastUsedAt: GrantInstantSchema.optional().describe('When the last use was counted'),
  })
  .superRefine((grant, ctx) => {
    if (new Set(grant.fields).size !== grant.fields.length) {
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'fields must be distinct' });
    }
    if (grant.uses > grant.maxUses) {
      ctx.addIssue({
        code: 'custom',
        path: ['uses'],
        message: `uses ${grant.uses} exceed maxUses ${grant.maxUses}`,
      });
    }
    if (grant.expiresAt <= grant.created) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresAt'],
        message: `expiresAt ${grant.expiresAt} must be after created ${grant.created}`,
      });
    }
    if ((grant.status === 'revoked') !== (grant.revoked !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['revoked'],
        message: `a ${grant.status} grant ${grant.status === 'revoked' ? 'needs' : 'cannot have'} a revoked time`,
      });
    }
  })
  .meta({ id: 'Grant', description: 'Holder grant (用证授权)' });
export type Grant = z.infer<typeof GrantSchema>;

/** Why a grant cannot be used now, or undefined when it can. */
export function grantUnusableReason(
  grant: Grant,
  now: Date,
): 'revoked' | 'expired' | 'exhausted' | undefined {
  if (grant.status === 'revoked') return 'revoked';
  if (grant.expiresAt <= now.toISOString()) return 'expired';
  if (grant.uses >= grant.maxUses) return 'exhausted';
  return undefined;
}
