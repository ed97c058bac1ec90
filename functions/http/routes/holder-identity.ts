import { HOLDER, type RouteSpec } from '../route-spec.ts';
import {
  DeviceKeyChallengeSchema,
  DeviceKeyListSchema,
  DeviceKeySchema,
  ProofingListSchema,
  ProofingOutcomeSchema,
  ProofingRequestSchema,
  RegisterDeviceKeyRequestSchema,
} from '../schemas/holder-identity.ts';

// The holder's identity: proofing (实名核验) that binds the account to a holder code, and device
// keys (手机盾) that become the cnf of licenses issued afterwards. Implementations:
// functions/handlers/holder/identity.ts.

const BODY_REFUSALS = {
  400: { description: 'Evidence the provider does not take' },
} as const;

const IDENTITY_NEEDED = {
  403: { description: 'identity-not-proofed: the account is not bound to a proofed identity' },
} as const;

export const holderIdentityRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/holder/proofings',
    group: 'holder',
    operationId: 'proofHolderIdentity',
    summary:
      'Proves who you are with an enabled provider; a verified proofing binds your account to the identity (one identity, one account)',
    auth: HOLDER,
    requestBody: ProofingRequestSchema,
    responses: {
      201: {
        description: 'The proofing (verified or failed) and your binding',
        schema: ProofingOutcomeSchema,
      },
      ...BODY_REFUSALS,
      409: {
        description:
          'Your account is bound to another identity, or the identity to another account; or another proofing of the account or the identity is in progress',
      },
      429: {
        description:
          'too-many-attempts: 5 failed proofings of the account, or 10 of the identity from any accounts, in 24 hours; Retry-After says when to try again. The provider was not asked',
      },
      503: { description: 'The provider could not decide; nothing was recorded' },
    },
  },
  {
    method: 'GET',
    path: '/holder/proofings',
    group: 'holder',
    operationId: 'listHolderProofings',
    summary: 'Your identity proofings, newest first; audited (holder.proofings_listed) before it answers',
    auth: HOLDER,
    responses: {
      200: { description: 'The proofings', schema: ProofingListSchema },
    },
  },
  {
    method: 'POST',
    path: '/holder/device-key-challenges',
    group: 'holder',
    operationId: 'openDeviceKeyChallenge',
    summary: 'A nonce to sign with a new device key, valid for 5 minutes',
    auth: HOLDER,
    responses: {
      201: { description: 'The challenge', schema: DeviceKeyChallengeSchema },
      ...IDENTITY_NEEDED,
    },
  },
  {
    method: 'POST',
    path: '/holder/device-keys',
    group: 'holder',
    operationId: 'registerDeviceKey',
    summary: 'Registers a P-256 device key (手机盾) with a proof of possession over an open challenge',
    auth: HOLDER,
    requestBody: RegisterDeviceKeyRequestSchema,
    responses: {
      201: { description: 'The registered key', schema: DeviceKeySchema },
      ...BODY_REFUSALS,
      ...IDENTITY_NEEDED,
      409: {
        description:
          'The key is registered already (DEVICE_KEY_EXISTS; a revoked key cannot come back), or the account holds 100 active keys (DEVICE_KEY_LIMIT_REACHED: revoke one to register another; revoked keys do not count)',
      },
    },
  },
  {
    method: 'GET',
    path: '/holder/device-keys',
    group: 'holder',
    operationId: 'listDeviceKeys',
    summary: 'Your device keys, newest first; audited (holder.device_keys_listed) before it answers',
    auth: HOLDER,
    responses: {
      200: { description: 'The keys', schema: DeviceKeyListSchema },
    },
  },
  {
    method: 'DELETE',
    path: '/holder/device-keys/{keyId}',
    group: 'holder',
    operationId: 'revokeDeviceKey',
    summary: 'Revokes a device key: licenses issued afterwards are no longer bound to it',
    auth: HOLDER,
    responses: {
      200: { description: 'The revoked key', schema: DeviceKeySchema },
      404: { description: 'No such key of yours' },
      409: { description: 'The key is revoked already' },
    },
  },
];
