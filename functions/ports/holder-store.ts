import type { AuditEvent } from '#core/audit/event.ts';
import type { DeviceKeyJwk } from '#core/holders/device-key.ts';
import type { Assurance } from '#core/holders/identity.ts';
import type { HolderBinding, HolderIdentityReader } from './holder-identity.ts';

// Where holder accounts' identity lives: proofing records, the binding of an account to a
// (holder code type, holder code) that a successful proofing made, and device keys with their
// registration challenges. Every write carries its audit event, written with it or not at all.

export type ProofingOutcome = 'verified' | 'failed';

/** What one proofing attempt established — never the evidence itself (no selfie, no card number). */
export interface ProofingRecord {
  id: string;
  account: string;
  /** The provider that decided: `development-only`, `rekognition-compare-faces`, … */
  provider: string;
  /** What the provider checked, e.g. `face-comparison`. */
  methods: string[];
  assurance: Assurance;
  outcome: ProofingOutcome;
  /** Why a proofing failed, in the provider's words (no personal data). */
  reason?: string | undefined;
  /** The claimed identity's code type and blind index; the code itself is not kept here. */
  codeType: string;
  holderIndex: string;
  /** RFC 3339 UTC. */
  time: string;
}

/** The identity a verified proofing binds the account to. */
export interface IdentityToBind {
  codeType: string;
  code: string;
  holderIndex: string;
}

export interface DeviceKey {
  /** RFC 7638 thumbprint of the JWK. */
  id: string;
  account: string;
  jwk: DeviceKeyJwk;
  /** A name the holder gave the device, e.g. `my phone`. */
  label?: string | undefined;
  status: 'active' | 'revoked';
  /** RFC 3339 UTC. */
  registered: string;
  revoked?: string | undefined;
}

/** The account is bound to another identity; proofing cannot move it. */
export class AccountBoundToAnotherIdentity extends Error {
  readonly code = 'ACCOUNT_BOUND_TO_ANOTHER_IDENTITY';
  constructor(account: string) {
    super(
      `account ${account} is already bound to another identity; an account stays with the identity it was first proofed as`,
    );
    this.name = 'AccountBoundToAnotherIdentity';
  }
}

/** The identity is bound to another account: one identity, one account. */
export class IdentityBoundToAnotherAccount extends Error {
  readonly code = 'IDENTITY_BOUND_TO_ANOTHER_ACCOUNT';
  constructor() {
    super('this identity is already bound to another holder account; one identity has one account');
    this.name = 'IdentityBoundToAnotherAccount';
  }
}

/** Another proofing of the account, or of the identity, is running. */
export class ProofingInProgress extends Error {
  readonly code = 'PROOFING_IN_PROGRESS';
  constructor() {
    super(
      'another identity proofing of this account or of this identity is in progress; try again when it has ended',
    );
    this.name = 'ProofingInProgress';
  }
}

/** No open challenge of this account with that nonce (never issued, used, or expired). */
export class DeviceKeyChallengeUnknown extends Error {
  readonly code = 'DEVICE_KEY_CHALLENGE_UNKNOWN';
  constructor() {
    super(
      'expected the nonce of an open device-key challenge of this account, found none (unknown, used or expired)',
    );
    this.name = 'DeviceKeyChallengeUnknown';
  }
}

export class DeviceKeyExists extends Error {
  readonly code = 'DEVICE_KEY_EXISTS';
  constructor(keyId: string) {
    super(`device key ${keyId} is already registered to this account (a revoked key cannot come back)`);
    this.name = 'DeviceKeyExists';
  }
}

export class DeviceKeyNotFound extends Error {
  readonly code = 'DEVICE_KEY_NOT_FOUND';
  constructor(keyId: string) {
    super(`no device key ${keyId} of this account`);
    this.name = 'DeviceKeyNotFound';
  }
}

export class DeviceKeyAlreadyRevoked extends Error {
  readonly code = 'DEVICE_KEY_ALREADY_REVOKED';
  constructor(keyId: string, revoked: string) {
    super(`device key ${keyId} was revoked at ${revoked}`);
    this.name = 'DeviceKeyAlreadyRevoked';
  }
}

export interface HolderStore extends HolderIdentityReader {
  /** The account bound to an identity, by its blind index. */
  accountOf(holderIndex: string): Promise<string | undefined>;
  /**
   * Records a proofing and its audit event; with `bind`, also binds the account to the identity
   * (or, when already bound to it, raises the binding's assurance to the stronger level).
   * Throws AccountBoundToAnotherIdentity / IdentityBoundToAnotherAccount and writes nothing.
   */
  recordProofing(
    record: ProofingRecord,
    bind: IdentityToBind | undefined,
    auditEvent: AuditEvent,
  ): Promise<HolderBinding | undefined>;
  /** The account's proofings, newest first. */
  listProofings(account: string): Promise<ProofingRecord[]>;
  /**
   * Times (RFC 3339, oldest first) of the failed proofings at or after `since`: the account's,
   * or those that claimed the identity, from any account. At most 100: enough to count against
   * any attempt limit.
   */
  failedProofingsSince(scope: { account: string } | { holderIndex: string }, since: Date): Promise<string[]>;
  /**
   * Takes the proofing locks of the account and of the identity, both or neither, until `until`
   * (so the lock of a proofing that never finished lapses); throws ProofingInProgress while
   * either is held. Resolves to the token that releases them.
   */
  lockProofing(account: string, holderIndex: string, until: Date): Promise<string>;
  /** Releases the locks taken with `token`; a lock another proofing holds by now is left alone. */
  unlockProofing(account: string, holderIndex: string, token: string): Promise<void>;
  /**
   * Forgets the failed proofings claimed against an identity (not the proofing records, which
   * stay with their accounts), with the audit event of the decision, made knowing how many;
   * resolves to how many.
   */
  clearFailedClaims(holderIndex: string, auditEventOf: (cleared: number) => AuditEvent): Promise<number>;
  /** Opens a device-key challenge that expires at `expiresAt`. */
  openDeviceKeyChallenge(account: string, nonce: string, expiresAt: Date): Promise<void>;
  /**
   * Consumes the challenge and stores the key with its audit event, in one transaction.
   * Throws DeviceKeyChallengeUnknown or DeviceKeyExists and writes nothing.
   */
  registerDeviceKey(key: DeviceKey, nonce: string, auditEvent: AuditEvent): Promise<void>;
  /** The account's device keys, newest first. */
  listDeviceKeys(account: string): Promise<DeviceKey[]>;
  /** Revokes the key with its audit event. Throws DeviceKeyNotFound or DeviceKeyAlreadyRevoked. */
  revokeDeviceKey(account: string, keyId: string, auditEvent: AuditEvent): Promise<DeviceKey>;
}

/** What issuance asks: the device key licenses issued to this holder are bound to (`cnf.jwk`). */
export interface HolderKeyLookup {
  /**
   * The newest active device key of the account bound to the holder index; undefined when none.
   * Whole, not its JWK alone: the license it is bound to is written on condition that it is still
   * active (BoundDeviceKey), which takes its account and id.
   */
  deviceKeyOf(holderIndex: string): Promise<DeviceKey | undefined>;
}
