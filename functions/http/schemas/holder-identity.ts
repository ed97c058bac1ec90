import { z } from 'zod';
import { NO_CONTROL_CHARACTERS } from '#core/control-characters.ts';
import { DeviceKeyJwkSchema } from '#core/holders/device-key.ts';
import { ASSURANCE_LEVELS } from '#core/holders/identity.ts';

// Schemas of the holder's identity routes (functions/http/routes/holder-identity.ts).

const Assurance = z.enum(ASSURANCE_LEVELS).describe('low | substantial | high');

export const ProofingRequestSchema = z
  .strictObject({
    provider: z
      .string()
      .min(1)
      .max(64)
      .describe('An enabled provider: `development-only` (local stages), `rekognition-compare-faces`'),
    identity: z.strictObject({
      codeType: z.enum(['111', '001']).describe('111 citizen identity number, 001 USCC'),
      code: z.string().min(1).max(64),
      name: z
        .string()
        .min(1)
        .max(128)
        .regex(NO_CONTROL_CHARACTERS, 'expected text without control characters')
        .optional(),
    }),
    evidence: z
      .record(z.string(), z.unknown())
      .describe(
        'Provider-specific: {"token"} for development-only, {"selfie": base64 JPEG/PNG} for rekognition-compare-faces',
      ),
  })
  .meta({
    id: 'ProofingRequest',
    description: 'An identity proofing: who you claim to be, and your evidence',
  });

export const ProofingSchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    methods: z.array(z.string()),
    assurance: Assurance,
    outcome: z.enum(['verified', 'failed']),
    reason: z.string().optional(),
    codeType: z.string(),
    time: z.string(),
  })
  .meta({ id: 'Proofing', description: 'One identity proofing: its outcome, never its evidence' });

export const IdentityBindingSchema = z
  .object({
    codeType: z.string(),
    code: z.string().describe('The holder code, masked: first and last 4 characters'),
    assurance: Assurance,
    proofingId: z.string(),
    boundAt: z.string(),
  })
  .meta({ id: 'IdentityBinding', description: 'The identity a verified proofing bound the account to' });

export const ProofingOutcomeSchema = z
  .object({ proofing: ProofingSchema, identity: IdentityBindingSchema.optional() })
  .meta({ id: 'ProofingOutcome', description: 'The proofing, and the binding when the account is bound' });

export const ProofingListSchema = z
  .object({
    items: z.array(ProofingSchema),
    auditEventId: z.string().describe('The audit event of this read (holder.proofings_listed)'),
  })
  .meta({ id: 'ProofingList', description: 'Your proofings, newest first' });

export const DeviceKeyChallengeSchema = z
  .object({
    nonce: z.string(),
    audience: z.string(),
    expiresAt: z.string(),
  })
  .meta({
    id: 'DeviceKeyChallenge',
    description:
      'Sign {"nonce", "aud": audience} as an ES256 JWS of typ device-key-proof+jwt with the device key, before expiresAt',
  });

export const RegisterDeviceKeyRequestSchema = z
  .strictObject({
    jwk: DeviceKeyJwkSchema,
    proof: z.string().min(1).max(4096).describe('The compact JWS over the challenge, signed with the key'),
    label: z.string().min(1).max(64).optional(),
  })
  .meta({ id: 'RegisterDeviceKeyRequest', description: 'A device key (手机盾) with proof of possession' });

export const DeviceKeySchema = z
  .object({
    id: z.string().describe('RFC 7638 thumbprint'),
    jwk: DeviceKeyJwkSchema,
    label: z.string().optional(),
    status: z.enum(['active', 'revoked']),
    registered: z.string(),
    revoked: z.string().optional(),
  })
  .meta({
    id: 'DeviceKey',
    description: 'A device key; the newest active one becomes cnf.jwk of new licenses',
  });

export const DeviceKeyListSchema = z
  .object({
    items: z.array(DeviceKeySchema),
    auditEventId: z.string().describe('The audit event of this read (holder.device_keys_listed)'),
  })
  .meta({ id: 'DeviceKeyList', description: 'Your device keys, newest first' });
