// Field encryption on the local platform: the same ESDK messages as on AWS, with the data keys
// wrapped by the local key vault's AES-256 key instead of KMS.
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { type DataKeyCacheLimits, EsdkFieldCipher } from '#adapters/aws/field-cipher.ts';
import type { LocalKeyVault } from './key-vault.ts';

/** The wrapping key's name in the ESDK messages it wraps data keys for; a new key gets a new name. */
const KEY_NAMESPACE = 'elicense-local-key-vault';
const KEY_NAME = 'field-wrapping/v1';

/** Field encryption under the key vault's wrapping key. */
export async function localFieldCipher(
  vault: Pick<LocalKeyVault, 'fieldWrappingKey'>,
  limits?: Partial<DataKeyCacheLimits>,
): Promise<EsdkFieldCipher> {
  const keyring = new RawAesKeyringNode({
    keyNamespace: KEY_NAMESPACE,
    keyName: KEY_NAME,
    unencryptedMasterKey: await vault.fieldWrappingKey(),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  return new EsdkFieldCipher({ keyring, partition: `${KEY_NAMESPACE}:${KEY_NAME}`, limits });
}
