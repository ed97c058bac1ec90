// An agency (机构) known to the platform: who it is, what it may do, and the keys it signs
// requests with (RFC 9421) and licenses with (its seal key).
import { z } from 'zod';
import { AreaCodeSchema, DemoMarkerSchema, TimestampSchema, UsccSchema } from './codes.ts';
import {
  SealKeyAlreadyWithdrawn,
  SealKeyLimitReached,
  SealKeyNotFound,
  SealKeyReplacementRequired,
} from './registration-errors.ts';

/** What an agency does on the platform. */
export const AGENCY_ROLES = ['issuer', 'relying', 'operator'] as const;
export type AgencyRole = (typeof AGENCY_ROLES)[number];

/** RFC 9421 algorithms an agency may sign requests with. */
export const REQUEST_SIGNATURE_ALGORITHMS = ['ecdsa-p256-sha256', 'ed25519'] as const;
export type RequestSignatureAlgorithm = (typeof REQUEST_SIGNATURE_ALGORITHMS)[number];

const base64urlCoordinate = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes in base64url (43 characters)');

/**
 * A public key as a JWK. Strict objects, so a JWK carrying its private part `d` is refused
 * rather than stored.
 */
export const PublicJwkSchema = z
  .discriminatedUnion('kty', [
    z.strictObject({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: base64urlCoordinate,
      y: base64urlCoordinate,
      kid: z.string().min(1).max(128).optional(),
      alg: z.literal('ES256').optional(),
      use: z.literal('sig').optional(),
    }),
    z.strictObject({
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      x: base64urlCoordinate,
      kid: z.string().min(1).max(128).optional(),
      alg: z.enum(['EdDSA', 'Ed25519']).optional(),
      use: z.literal('sig').optional(),
    }),
  ])
  .meta({ description: 'Public JWK: P-256 (EC) or Ed25519 (OKP); private members are refused' });
export type AgencyPublicJwk = z.infer<typeof PublicJwkSchema>;

/** A key an agency signs its API requests with (the `keyid` of RFC 9421). */
export const ApiKeySchema = z
  .strictObject({
    keyId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._:-]+$/, 'key id may use letters, digits and . _ : - only')
      .describe('The keyid named in Signature-Input'),
    algorithm: z.enum(REQUEST_SIGNATURE_ALGORITHMS),
    publicJwk: PublicJwkSchema,
    status: z.enum(['active', 'revoked']).describe('Only active keys are accepted'),
    created: TimestampSchema,
  })
  .superRefine((key, ctx) => {
    const mismatch = apiKeyAlgorithmMismatch(key.algorithm, key.publicJwk);
    if (mismatch !== undefined) ctx.addIssue({ code: 'custom', path: ['publicJwk'], message: mismatch });
  });
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** Why a public key cannot verify signatures of the algorithm, or undefined when it can. */
export function apiKeyAlgorithmMismatch(
  algorithm: RequestSignatureAlgorithm,
  publicJwk: AgencyPublicJwk,
): string | undefined {
  const expected = algorithm === 'ed25519' ? 'OKP/Ed25519' : 'EC/P-256';
  const found = `${publicJwk.kty}/${publicJwk.crv}`;
  return found === expected ? undefined : `algorithm ${algorithm} needs a ${expected} key, found ${found}`;
}

/** Free text on why a seal key was withdrawn; kept for good in the record and the audit log. */
export const SealKeyWithdrawalReasonSchema = z.string().trim().min(1).max(1000);

/**
 * The operator's withdrawal of a seal key (e.g. compromised): from then on the key is left out
 * of the JWKS and nothing it signed verifies, whatever its state in the key service.
 */
export const SealKeyWithdrawalSchema = z
  .strictObject({
    at: TimestampSchema,
    reason: SealKeyWithdrawalReasonSchema,
    operator: UsccSchema.describe('The operator agency that withdrew the key'),
  })
  .meta({ id: 'SealKeyWithdrawal', description: 'When, why and by whom a seal key was withdrawn' });
export type SealKeyWithdrawal = z.infer<typeof SealKeyWithdrawalSchema>;

/** Where an issuer's seal (signing) key lives: a KMS key id or alias on AWS, a vault name locally. */
export const SealKeyRefSchema = z
  .strictObject({
    keyRef: z.string().min(1).max(2048).describe('Opaque reference resolved by the signer adapter'),
    kid: z.string().min(1).max(128).describe('Key id published in the JWKS and placed in license headers'),
    withdrawn: SealKeyWithdrawalSchema.optional().describe(
      'Present once the operator withdrew the key: unpublished, and what it signed no longer verifies',
    ),
  })
  .describe('Seal key reference (电子印章密钥)');
export type SealKeyRef = z.infer<typeof SealKeyRefSchema>;

/**
 * Request-signing keys an agency holds on record, active and revoked together. It bounds the
 * agency's item and the transaction that writes it (one lookup item per key, each a copy of the
 * whole agency; see docs/data-model.md). Only active keys count against it when a key is added:
 * revoked ones make way for it (roomForApiKey).
 */
export const MAX_API_KEYS = 16;

/**
 * Successions (机构撤并 → 承继机关) followed from one agency before giving up. Loops are found by
 * the agencies repeating, not by this bound; it only caps the registry reads of one resolution
 * (one per link). Generous on purpose: a designation cannot see the agency's predecessors (the
 * registry has no reverse lookup), so chains grow past any bound a designation checks when made
 * in natural order (A1 → A2, then A2 → A3, …), and real reorganisations rarely chain more than a
 * few times. A chain longer than this resolves to no successor (SUCCESSION_UNRESOLVED, too long).
 */
export const MAX_SUCCESSION_LINKS = 64;

/**
 * Previous seal keys one agency record keeps (withdrawn ones among them: their kids name what
 * verification refuses). Bounded by the record's item size; at the bound, withdrawing the
 * current key lets go of the oldest withdrawn one (roomForPreviousSealKey).
 */
export const MAX_PREVIOUS_SEAL_KEYS = 64;

export const AgencySchema = z
  .strictObject({
    uscc: UsccSchema,
    name: z.string().min(1).max(128).describe('Registered name'),
    roles: z.array(z.enum(AGENCY_ROLES)).min(1).describe('What the agency does on the platform'),
    apiKeys: z.array(ApiKeySchema).max(MAX_API_KEYS).describe('Request-signing keys'),
    sealKey: SealKeyRefSchema.optional(),
    previousSealKeys: z
      .array(SealKeyRefSchema)
      .max(MAX_PREVIOUS_SEAL_KEYS)
      .optional()
      .describe(
        'Seal keys replaced by rotation, newest first; licenses they signed still verify unless the key is withdrawn',
      ),
    sealKeysLetGo: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'How many withdrawn seal keys were let go from previousSealKeys to make room for a new key: counted so each new key is of a generation the agency never had',
      ),
    areaCode: AreaCodeSchema,
    successor: UsccSchema.optional().describe(
      'The successor agency (承继机关) designated by the operator when this agency was dissolved or merged (机构撤并): it suspends, reinstates and revokes the licenses this agency issued',
    ),
    demo: DemoMarkerSchema,
  })
  .superRefine((agency, ctx) => {
    if (agency.successor === agency.uscc) {
      ctx.addIssue({ code: 'custom', path: ['successor'], message: 'an agency cannot be its own successor' });
    }
    if (new Set(agency.roles).size !== agency.roles.length) {
      ctx.addIssue({ code: 'custom', path: ['roles'], message: 'roles must be distinct' });
    }
    const keyIds = agency.apiKeys.map((key) => key.keyId);
    if (new Set(keyIds).size !== keyIds.length) {
      ctx.addIssue({ code: 'custom', path: ['apiKeys'], message: 'key ids must be distinct' });
    }
    // An issuer signs every license it issues; without a seal key it could issue nothing.
    if (agency.roles.includes('issuer') && agency.sealKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sealKey'], message: 'an issuer needs a seal key' });
    }
    // Withdrawing the key an agency signs with gives it a new one in the same change, so the
    // platform never signs with a key it has withdrawn.
    if (agency.sealKey?.withdrawn !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sealKey', 'withdrawn'],
        message: 'the current seal key cannot be withdrawn: a withdrawal replaces it',
      });
    }
    // A verifier finds the key of a license by its kid alone, so no two seal keys share one.
    const seals = sealKeysOf(agency);
    if (agency.sealKey === undefined && seals.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['previousSealKeys'],
        message: 'previous seal keys need a current seal key that replaced them',
      });
    }
    if (new Set(seals.map((seal) => seal.kid)).size !== seals.length) {
      ctx.addIssue({ code: 'custom', path: ['previousSealKeys'], message: 'seal key kids must be distinct' });
    }
    if (new Set(seals.map((seal) => seal.keyRef)).size !== seals.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['previousSealKeys'],
        message: 'seal key references must be distinct',
      });
    }
  })
  .meta({ id: 'Agency', description: 'An agency registered on the platform' });
export type Agency = z.infer<typeof AgencySchema>;

export function hasRole(agency: Agency, role: AgencyRole): boolean {
  return agency.roles.includes(role);
}

/** Every seal key of the agency: the current one first, then those it replaced, newest first. */
export function sealKeysOf(agency: Pick<Agency, 'sealKey' | 'previousSealKeys'>): SealKeyRef[] {
  return [...(agency.sealKey ? [agency.sealKey] : []), ...(agency.previousSealKeys ?? [])];
}

/** The generation of the agency's next seal key: one more than every key it has had, those let go included. */
export function nextSealKeyGeneration(
  agency: Pick<Agency, 'sealKey' | 'previousSealKeys' | 'sealKeysLetGo'>,
): number {
  return sealKeysOf(agency).length + (agency.sealKeysLetGo ?? 0) + 1;
}

/**
 * The previous seal keys to keep so that one more fits within MAX_PREVIOUS_SEAL_KEYS: all while
 * there is room, else all but the oldest withdrawn one — its licenses fail verification already,
 * and then fail it naming no published key. Undefined when none is withdrawn: letting go of a key
 * that still verifies its licenses is the operator's call (withdraw it first), never a side effect.
 */
export function roomForPreviousSealKey(
  previous: readonly SealKeyRef[],
): { kept: SealKeyRef[]; dropped: SealKeyRef[] } | undefined {
  const excess = previous.length + 1 - MAX_PREVIOUS_SEAL_KEYS;
  if (excess <= 0) return { kept: [...previous], dropped: [] };
  // Newest first: the oldest withdrawn keys are the last ones.
  const dropped = previous.filter((key) => key.withdrawn !== undefined).slice(-excess);
  if (dropped.length < excess) return undefined;
  return { kept: previous.filter((key) => !dropped.includes(key)), dropped };
}

/** The agency's seal key (current or previous) published under this kid, or undefined. */
export function sealKeyWithKid(
  agency: Pick<Agency, 'sealKey' | 'previousSealKeys'>,
  kid: string,
): SealKeyRef | undefined {
  return sealKeysOf(agency).find((seal) => seal.kid === kid);
}

/**
 * The agency with the seal key of this kid withdrawn (`withdrawal`). The current key can only be
 * withdrawn together with its replacement (`replacement`), which becomes the current key while
 * the withdrawn one moves to the front of the previous keys, as a rotation does. Throws
 * SealKeyNotFound for a kid the agency never held, SealKeyAlreadyWithdrawn for one withdrawn
 * before, SealKeyReplacementRequired for the current key without a replacement, and
 * SealKeyLimitReached when no previous key can make room for it (roomForPreviousSealKey).
 */
export function withSealKeyWithdrawn(
  agency: Agency,
  kid: string,
  withdrawal: SealKeyWithdrawal,
  replacement?: SealKeyRef,
): Agency {
  const seal = sealKeyWithKid(agency, kid);
  if (seal === undefined) throw new SealKeyNotFound(agency.uscc, kid);
  if (seal.withdrawn !== undefined) throw new SealKeyAlreadyWithdrawn(agency.uscc, kid, seal.withdrawn.at);
  const withdrawn = { ...seal, withdrawn: withdrawal };
  const previous = (agency.previousSealKeys ?? []).map((key) => (key.kid === kid ? withdrawn : key));
  if (agency.sealKey?.kid !== kid) return { ...agency, previousSealKeys: previous };
  if (replacement === undefined) throw new SealKeyReplacementRequired(agency.uscc, kid);
  const room = roomForPreviousSealKey(previous);
  if (room === undefined) {
    throw new SealKeyLimitReached(agency.uscc, MAX_PREVIOUS_SEAL_KEYS, previous.at(-1)?.kid ?? kid);
  }
  const letGo = (agency.sealKeysLetGo ?? 0) + room.dropped.length;
  return {
    ...agency,
    sealKey: replacement,
    previousSealKeys: [withdrawn, ...room.kept],
    ...(letGo > 0 ? { sealKeysLetGo: letGo } : {}),
  };
}

/** The agency's active request-signing key with this key id, or undefined. */
export function activeApiKey(agency: Agency, keyId: string): ApiKey | undefined {
  return agency.apiKeys.find((key) => key.keyId === keyId && key.status === 'active');
}

/**
 * The keys to keep so that one more fits within MAX_API_KEYS: every key while there is room,
 * else all but the oldest revoked ones (first added, first let go — the record keeps no
 * revocation time). Undefined when as many keys as allowed are active: then none may be added.
 */
export function roomForApiKey(apiKeys: readonly ApiKey[]): { kept: ApiKey[]; dropped: ApiKey[] } | undefined {
  const excess = apiKeys.length + 1 - MAX_API_KEYS;
  const dropped = excess > 0 ? apiKeys.filter((key) => key.status === 'revoked').slice(0, excess) : [];
  if (dropped.length < excess) return undefined;
  return { kept: apiKeys.filter((key) => !dropped.includes(key)), dropped };
}
