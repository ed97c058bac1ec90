// ES256 signing with KMS asymmetric keys (ECC_NIST_P256): one key per issuing agency seal and
// one for the platform. The private keys never leave KMS (or the CloudHSM behind it); this
// adapter turns KMS's answers into what JOSE expects.
import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { JwsSigner, PublicJwk } from '#core/jws.ts';
import { derToRawEcdsaSignature } from '#core/keys/ecdsa-signature.ts';
import { SigningKeyUnsuitable, SigningKeyWithdrawn, UnsupportedKeyRef } from '#core/keys/errors.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import type { SigningKey, SigningKeyRef, SigningKeys } from '#ports/signer.ts';

/** KMS Sign takes at most this many bytes with MessageType RAW; longer inputs are signed as a digest. */
export const KMS_RAW_MESSAGE_LIMIT = 4096;

/** A KMS key id, key ARN, alias name or alias ARN, or a multi-Region key id. */
const KMS_KEY_REF =
  /^(?:arn:aws[a-z-]*:kms:|alias\/|mrk-[0-9a-f]{32}$|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)/;

/** Signs JWS signing input with one KMS key; the signature comes back as JOSE raw r‖s. */
export class KmsEs256Signer implements JwsSigner {
  readonly alg = 'ES256' as const;
  readonly kid: string;
  /**
   * The key GetPublicKey resolved the reference to (its ARN on AWS): an alias moved later does
   * not change the key this signer signs with, so its signatures keep matching its `kid`.
   */
  readonly keyId: string;
  readonly #kms: KMSClient;

  constructor(kms: KMSClient, keyId: string, kid: string) {
    this.#kms = kms;
    this.keyId = keyId;
    this.kid = kid;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    // ECDSA_SHA_256 over RAW hashes inside KMS; above 4 KB KMS refuses RAW, so the SHA-256
    // is computed here and sent as DIGEST — the same signature either way.
    const asDigest = signingInput.byteLength > KMS_RAW_MESSAGE_LIMIT;
    const { Signature } = await this.#kms
      .send(
        new SignCommand({
          KeyId: this.keyId,
          Message: asDigest ? createHash('sha256').update(signingInput).digest() : signingInput,
          MessageType: asDigest ? 'DIGEST' : 'RAW',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      )
      .catch((error: unknown) => {
        // A container keeps this signer for its life: a key disabled since (a withdrawal) is met
        // here, not at GetPublicKey.
        throw asWithdrawn(this.keyId, error);
      });
    if (Signature === undefined) throw new Error(`KMS Sign with ${this.keyId} returned no Signature`);
    return derToRawEcdsaSignature(Signature, 32);
  }
}

export interface KmsSigningKeysOptions {
  kms: KMSClient;
  /** Key id, ARN or alias of the platform's ECC_NIST_P256 signing key. */
  platformKeyId: string;
}

/**
 * The platform's signing keys in KMS. Each key's public key is fetched once per container
 * (GetPublicKey on first use, the promise cached), so a warm container makes exactly one
 * KMS Sign per signature and nothing else.
 */
export class KmsSigningKeys implements SigningKeys {
  readonly #kms: KMSClient;
  readonly #platformKeyId: string;
  readonly #keys = new Map<SigningKeyRef, Promise<SigningKey>>();

  constructor(options: KmsSigningKeysOptions) {
    this.#kms = options.kms;
    this.#platformKeyId = options.platformKeyId;
  }

  keyFor(keyRef: SigningKeyRef): Promise<SigningKey> {
    if (!KMS_KEY_REF.test(keyRef)) {
      return Promise.reject(new UnsupportedKeyRef(keyRef, 'a KMS key id, key ARN or alias'));
    }
    let key = this.#keys.get(keyRef);
    if (key === undefined) {
      key = this.#load(keyRef);
      this.#keys.set(keyRef, key);
      // A failure (throttling, a key not yet shared) must not stick for the container's life.
      key.catch(() => {
        if (this.#keys.get(keyRef) === key) this.#keys.delete(keyRef);
      });
    }
    return key;
  }

  platformKey(): Promise<SigningKey> {
    return this.keyFor(this.#platformKeyId);
  }

  async #load(keyRef: SigningKeyRef): Promise<SigningKey> {
    const answer = await this.#kms
      .send(new GetPublicKeyCommand({ KeyId: keyRef }))
      .catch((error: unknown) => {
        throw asWithdrawn(keyRef, error);
      });
    // KeySpec replaced CustomerMasterKeySpec; KMS returns both, moto only the older one.
    const keySpec = answer.KeySpec ?? answer.CustomerMasterKeySpec;
    if (keySpec !== 'ECC_NIST_P256') throw new SigningKeyUnsuitable(keyRef, `found key spec ${keySpec}`);
    if (answer.KeyUsage !== 'SIGN_VERIFY')
      throw new SigningKeyUnsuitable(keyRef, `found key usage ${answer.KeyUsage}`);
    if (!answer.SigningAlgorithms?.includes('ECDSA_SHA_256')) {
      throw new SigningKeyUnsuitable(
        keyRef,
        `found signing algorithms ${answer.SigningAlgorithms?.join(', ')}`,
      );
    }
    if (answer.PublicKey === undefined || answer.KeyId === undefined) {
      throw new SigningKeyUnsuitable(keyRef, 'GetPublicKey returned no PublicKey or KeyId');
    }
    const publicJwk = publicJwkOf(answer.PublicKey);
    return { keyRef, signer: new KmsEs256Signer(this.#kms, answer.KeyId, publicJwk.kid), publicJwk };
  }
}

/**
 * KMS's answer for a key disabled, pending deletion or gone as SigningKeyWithdrawn: it answers so
 * for good. Any other failure is returned as it is: it may pass.
 */
function asWithdrawn(keyRef: SigningKeyRef, error: unknown): unknown {
  const name = (error as { name?: string }).name;
  if (name === 'KMSInvalidStateException' || name === 'DisabledException' || name === 'NotFoundException') {
    return new SigningKeyWithdrawn(keyRef, `${name}: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

/** The JWK of a DER SubjectPublicKeyInfo (what KMS GetPublicKey returns), with its thumbprint as `kid`. */
export function publicJwkOf(spki: Uint8Array): PublicJwk {
  const { kty, crv, x, y } = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
    format: 'jwk',
  });
  const members = { kty, crv, x, y };
  return { ...members, kid: jwkThumbprint(members), alg: 'ES256', use: 'sig' } as PublicJwk;
}
