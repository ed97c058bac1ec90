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
}
