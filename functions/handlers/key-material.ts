import { KmsBlindIndexer } from '#adapters/aws/blind-indexer.ts';
import { kmsFieldCipher } from '#adapters/aws/field-cipher.ts';
import { KmsSigningKeys } from '#adapters/aws/kms-signer.ts';
import { LocalBlindIndexer } from '#adapters/local/blind-indexer.ts';
import { localFieldCipher } from '#adapters/local/field-cipher.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { SigningKeys } from '#ports/signer.ts';
import { kms } from './aws-clients.ts';
import { environment } from './environment.ts';

// The keys of this container — signing keys, the field cipher, the blind indexer: KMS on AWS,
// the local key vault that `npm start` opens in its data folder. Chosen by configuration alone
// (ELICENSE_PLATFORM_KEY_ID or ELICENSE_KEY_VAULT_DIR), so the same handlers run in both places.
// Each is created on first use: a route group that never encrypts needs no field key.

const keys = environment.keys;
const vault = keys.kind === 'local-vault' ? await LocalKeyVault.open({ dir: keys.dir }) : undefined;

export const signingKeys: SigningKeys =
  keys.kind === 'kms' ? new KmsSigningKeys({ kms, platformKeyId: keys.platformKeyId }) : vault!;

let fieldCipherInstance: Promise<FieldCipher> | undefined;
/** Needs ELICENSE_FIELD_KEY_ARN on AWS. */
export function fieldCipher(): Promise<FieldCipher> {
  fieldCipherInstance ??= vault
    ? localFieldCipher(vault)
    : Promise.resolve(kmsFieldCipher({ kms, keyArn: required('ELICENSE_FIELD_KEY_ARN') }));
  return fieldCipherInstance;
}

let blindIndexerInstance: BlindIndexer | undefined;
/** Needs ELICENSE_FIELD_KEY_ARN and ELICENSE_BLIND_INDEX_KEY_BLOB (base64, made at provisioning) on AWS. */
export function blindIndexer(): BlindIndexer {
  blindIndexerInstance ??= vault
    ? new LocalBlindIndexer(vault)
    : new KmsBlindIndexer({
        kms,
        keyId: required('ELICENSE_FIELD_KEY_ARN'),
        encryptedKey: Buffer.from(required('ELICENSE_BLIND_INDEX_KEY_BLOB'), 'base64'),
      });
  return blindIndexerInstance;
}

/**
 * The blind indexer, made on its first lookup rather than when asked for: the retrieval group
 * looks a holder up only for a retrieval by holder, so on a stage whose blind-index key blob is
 * not configured yet (README, Deploying) its retrievals by license identifier still answer.
 */
export function blindIndexerOnFirstUse(): BlindIndexer {
  return { tokenFor: async (codeType, code) => blindIndexer().tokenFor(codeType, code) };
}

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`invalid function environment — ${variable} is not set`);
  return value;
}
