// Creating an issuing agency's seal key (电子印章密钥): a new signing key of its own, whose
// reference and published kid the agency record then carries. On AWS a KMS key created per
// agency and generation; locally a key of the software key vault.
import type { SealKeyRef } from '#core/catalog/agency.ts';

export interface SealKeyRequest {
  /** USCC of the agency the key seals licenses for. */
  agency: string;
  /**
   * Which of the agency's seal keys this is, from 1: one more than the keys it has had, so a
   * rotation never names a key the agency already holds.
   */
  generation: number;
}

export interface SealKeyProvisioner {
  /** A new seal key ready to sign: its reference for SigningKeys and its kid (RFC 7638 thumbprint). */
  provision(request: SealKeyRequest): Promise<SealKeyRef>;
  /**
   * Gives up a key just provisioned whose registration was refused, so no unused key lingers.
   * Call it only when the refusal is certain: the key must never be one an agency record names.
   */
  discard(key: SealKeyRef): Promise<void>;
  /**
   * Stops the key service from using a key the operator withdrew (KMS: DisableKey), so it signs
   * nothing more and what it signed stops verifying wherever the key service is asked. Done
   * already is done: a key disabled, pending deletion or deleted is left as it is. The key is
   * kept, not deleted: an investigation may still need its public key, and a mistaken withdrawal
   * can be undone by hand.
   */
  withdraw(key: SealKeyRef): Promise<void>;
}

/**
 * A seal key the platform cannot sign with: the stage is configured for SM2 keys (KMS offers them
 * in China regions only), but SM2 signing is not built yet. Refused before a key is made, so an
 * agency is neither made an issuer nor given a key it could never seal a license with.
 */
export class Sm2SigningNotBuilt extends Error {
  readonly code = 'SM2_SIGNING_NOT_BUILT';
  constructor() {
    super(
      'this stage seals licenses with SM2 keys (ELICENSE_SEAL_KEY_SPEC=SM2), but the platform does not sign with SM2 yet, so it makes no seal key: no agency can be made an issuer or have its seal key rotated here; nothing was changed',
    );
    this.name = 'Sm2SigningNotBuilt';
  }
}
