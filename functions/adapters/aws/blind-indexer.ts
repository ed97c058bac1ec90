// The holder blind index on AWS: HMAC-SHA256 under a 256-bit key that exists in the clear
// only in memory. At provisioning, KMS makes the key and returns it encrypted
// (createBlindIndexKeyBlob); the blob goes into the functions' configuration, and each
// container decrypts it once, on first use. One KMS Decrypt per container, none per lookup —
// a KMS HMAC key (GenerateMac) would cost one call per issuance and per search instead.
import { createSecretKey, type KeyObject } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyWithoutPlaintextCommand, type KMSClient } from '@aws-sdk/client-kms';
import { blindIndexToken } from '#core/keys/blind-index.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';

/** Binds the key blob to its use: it decrypts only for the blind index. */
export const BLIND_INDEX_KEY_CONTEXT: Readonly<Record<string, string>> = {
  'elicense:purpose': 'blind-index-key',
};

/** Provisioning: a new 256-bit blind index key, encrypted under `keyId`; store the result in configuration. */
export async function createBlindIndexKeyBlob(kms: KMSClient, keyId: string): Promise<Uint8Array> {
  const { CiphertextBlob } = await kms.send(
    new GenerateDataKeyWithoutPlaintextCommand({
      KeyId: keyId,
      KeySpec: 'AES_256',
      EncryptionContext: { ...BLIND_INDEX_KEY_CONTEXT },
    }),
  );
  if (CiphertextBlob === undefined)
    throw new Error(`GenerateDataKeyWithoutPlaintext with ${keyId} returned no blob`);
  return CiphertextBlob;
}

export interface KmsBlindIndexerOptions {
  kms: KMSClient;
  /** The symmetric KMS key the blob is encrypted under; Decrypt is pinned to it. */
  keyId: string;
  /** The blob createBlindIndexKeyBlob made (base64-decoded from configuration). */
  encryptedKey: Uint8Array;
}

/** BlindIndexer whose HMAC key is the KMS-encrypted blob, decrypted once per instance. */
export class KmsBlindIndexer implements BlindIndexer {
  readonly #options: KmsBlindIndexerOptions;
  #key: Promise<KeyObject> | undefined;

  constructor(options: KmsBlindIndexerOptions) {
    this.#options = options;
  }

  async tokenFor(holderCodeType: string, holderCode: string): Promise<string> {
    return blindIndexToken(await this.#hmacKey(), holderCodeType, holderCode);
  }

  #hmacKey(): Promise<KeyObject> {
    if (this.#key === undefined) {
      const key = this.#decrypt();
      this.#key = key;
      // A throttled or failed Decrypt is retried by the next lookup, not remembered.
      key.catch(() => {
        if (this.#key === key) this.#key = undefined;
      });
    }
    return this.#key;
  }

  async #decrypt(): Promise<KeyObject> {
    const { kms, keyId, encryptedKey } = this.#options;
    const { Plaintext } = await kms.send(
      new DecryptCommand({
        KeyId: keyId,
        CiphertextBlob: encryptedKey,
        EncryptionContext: { ...BLIND_INDEX_KEY_CONTEXT },
      }),
    );
    if (Plaintext?.length !== 32) {
      throw new Error(
        `expected the blind index key to decrypt to 32 bytes, found ${Plaintext?.length ?? 'none'}`,
      );
    }
    const key = createSecretKey(Plaintext);
    Plaintext.fill(0);
    return key;
  }
}
