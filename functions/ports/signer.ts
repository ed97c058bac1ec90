import type { JwsSigner, PublicJwk } from '#core/jws.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';

/**
 * Names a signing key: `local:seal/<USCC>` or `local:platform` in the local key vault; a KMS
 * key id, key ARN, alias name (`alias/...`) or alias ARN on AWS. An agency's seal key
 * reference is stored with the agency.
 */
export type SigningKeyRef = string;

/** A signing key ready to use. `signer.kid === publicJwk.kid`, the key's RFC 7638 thumbprint. */
export interface SigningKey {
  readonly keyRef: SigningKeyRef;
  readonly signer: JwsSigner;
  /** What verifiers need, as published in the JWKS; stable for the life of the key. */
  readonly publicJwk: PublicJwk;
}

/** The keys the platform signs with: one per issuing agency seal, and the platform's own. */
export interface SigningKeys {
  /**
   * The key a seal key reference names; rejects with UnsupportedKeyRef, SigningKeyUnsuitable, or
   * SigningKeyWithdrawn for a key the key service will not use any more.
   */
  keyFor(keyRef: SigningKeyRef): Promise<SigningKey>;
  /** The platform's key: status lists, annotated copies, audit checkpoints. */
  platformKey(): Promise<SigningKey>;
}

/** The key, or undefined when the key service has withdrawn it (SigningKeyWithdrawn); other failures stand. */
export function usableKey(
  keys: Pick<SigningKeys, 'keyFor'>,
  keyRef: SigningKeyRef,
): Promise<SigningKey | undefined> {
  return keys.keyFor(keyRef).catch((error: unknown) => {
    if (error instanceof SigningKeyWithdrawn) return undefined;
    throw error;
  });
}
