// SealKeyProvisioner on KMS: each seal key is an ECC_NIST_P256 SIGN_VERIFY key of its own (a
// stage configured for SM2 is refused: the platform does not sign with SM2 yet),
// created at run time by the operator flow, disabled when the operator withdraws it, and tagged
// `elicense-role=seal` — the tag the functions' IAM policies name (attribute-based access), since
// the ARNs of keys created after deployment cannot be listed in them. The agency record names
// the key by ARN.
import {
  CreateKeyCommand,
  DisableKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
  type Tag,
} from '@aws-sdk/client-kms';
import type { SealKeyRef } from '#core/catalog/agency.ts';
import {
  type SealKeyProvisioner,
  type SealKeyRequest,
  Sm2SigningNotBuilt,
} from '#ports/seal-key-provisioner.ts';
import { publicJwkOf } from './kms-signer.ts';

/** The tag every seal key carries; IAM conditions on `aws:ResourceTag/elicense-role` rely on it. */
export const SEAL_KEY_TAG = { TagKey: 'elicense-role', TagValue: 'seal' } as const;
/**
 * The tag naming the stage a seal key belongs to (its value is the stage); IAM conditions on
 * `aws:ResourceTag/elicense-stage` keep one stage's functions off another's seal keys.
 */
export const SEAL_KEY_STAGE_TAG_KEY = 'elicense-stage';
/** The tag keys a seal key is created with, for an `aws:TagKeys` condition on kms:CreateKey. */
export const SEAL_KEY_TAG_KEYS = [
  'elicense-role',
  'elicense-agency',
  'elicense-seal-generation',
  SEAL_KEY_STAGE_TAG_KEY,
];

export interface KmsSealKeyProvisionerOptions {
  kms: KMSClient;
  /** Named in each key's tags and description, so a key tells which stage it belongs to. */
  stage: string;
  /** Days a discarded key waits before KMS deletes it (7–30; it can be cancelled meanwhile). */
  deletionWindowDays?: number;
  /**
   * The key policy each seal key is created with (JSON). Without it KMS gives the key its
   * default policy and access rests on IAM policies conditioned on the `elicense-role=seal`
   * tag — which KMS may take up to five minutes to honour for a new key; a key policy naming
   * the functions' roles applies at once. The stack renders one (`sealKeyPolicy`).
   */
  keyPolicy?: string;
  /**
   * The key spec the stage's IAM lets this function create (ELICENSE_SEAL_KEY_SPEC); P-256 unless
   * told. SM2 is refused (Sm2SigningNotBuilt) until the platform can sign with it.
   */
  keySpec?: SealKeySpec;
}

/** Seal key specs a stage may be configured with. */
export const SEAL_KEY_SPECS = ['ECC_NIST_P256', 'SM2'] as const;
export type SealKeySpec = (typeof SEAL_KEY_SPECS)[number];

export class KmsSealKeyProvisioner implements SealKeyProvisioner {
  readonly #kms: KMSClient;
  readonly #stage: string;
  readonly #deletionWindowDays: number;
  readonly #keyPolicy: string | undefined;
  readonly #keySpec: SealKeySpec;

  constructor(options: KmsSealKeyProvisionerOptions) {
    this.#kms = options.kms;
    this.#stage = options.stage;
    this.#deletionWindowDays = options.deletionWindowDays ?? 7;
    this.#keyPolicy = options.keyPolicy;
    this.#keySpec = options.keySpec ?? 'ECC_NIST_P256';
  }

  async provision({ agency, generation }: SealKeyRequest): Promise<SealKeyRef> {
    // Before KMS is asked: the stage's IAM allows SM2 keys only, and no signer here could use one.
    if (this.#keySpec === 'SM2') throw new Sm2SigningNotBuilt();
    const tags: Tag[] = [
      SEAL_KEY_TAG,
      { TagKey: 'elicense-agency', TagValue: agency },
      { TagKey: 'elicense-seal-generation', TagValue: String(generation) },
      { TagKey: SEAL_KEY_STAGE_TAG_KEY, TagValue: this.#stage },
    ];
    const { KeyMetadata } = await this.#kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        Description: `elicense ${this.#stage}: seal key of agency ${agency}, generation ${generation}`,
        Tags: tags,
        // The policy the stack renders lets the account's IAM policies and the stage's roles use
        // the key, and deliberately not this function change it: the safety check would refuse
        // such a policy, as it asks that the caller could put another policy later.
        ...(this.#keyPolicy === undefined
          ? {}
          : { Policy: this.#keyPolicy, BypassPolicyLockoutSafetyCheck: true }),
      }),
    );
    if (KeyMetadata?.Arn === undefined) throw new Error('KMS CreateKey returned no key ARN');
    const keyRef = KeyMetadata.Arn;
    try {
      const { PublicKey } = await this.#kms.send(new GetPublicKeyCommand({ KeyId: keyRef }));
      if (PublicKey === undefined) throw new Error(`KMS GetPublicKey of ${keyRef} returned no PublicKey`);
      return { keyRef, kid: publicJwkOf(PublicKey).kid };
    } catch (error) {
      // The key exists but no record will name it: schedule it away rather than leave it.
      await this.#scheduleDeletion(keyRef).catch(() => {});
      throw error;
    }
  }

  discard(key: SealKeyRef): Promise<void> {
    return this.#scheduleDeletion(key.keyRef);
  }

  /**
   * Disables the key (kms:DisableKey): KMS then refuses Sign and GetPublicKey with it. Disabling
   * a disabled key succeeds; a key pending deletion (KMSInvalidStateException — a seal key has no
   * other state that refuses DisableKey: it is neither imported, multi-Region nor in a custom
   * key store) or deleted (NotFoundException) is already beyond use, so that is done too.
   */
  async withdraw(key: SealKeyRef): Promise<void> {
    try {
      await this.#kms.send(new DisableKeyCommand({ KeyId: keyIdOf(key.keyRef) }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'KMSInvalidStateException' || name === 'NotFoundException') return;
      throw error;
    }
  }

  async #scheduleDeletion(keyRef: string): Promise<void> {
    await this.#kms.send(
      new ScheduleKeyDeletionCommand({
        KeyId: keyIdOf(keyRef),
        PendingWindowInDays: this.#deletionWindowDays,
      }),
    );
  }
}

/** The key id of a key ARN (KMS takes either; some emulators only the id), else the reference itself. */
function keyIdOf(keyRef: string): string {
  return /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:key\/(.+)$/.exec(keyRef)?.[1] ?? keyRef;
}
