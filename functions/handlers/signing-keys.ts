import { KmsSigningKeys } from '#adapters/aws/kms-signer.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import type { SigningKeys } from '#ports/signer.ts';
import { kms } from './aws-clients.ts';
import { environment } from './environment.ts';

// The signing keys of this container: KMS on AWS; the local key vault that `npm start` opens
// in its data folder. Chosen by configuration alone (ELICENSE_PLATFORM_KEY_ID or
// ELICENSE_KEY_VAULT_DIR), so the same handler runs in both places.
export const signingKeys: SigningKeys =
  environment.keys.kind === 'kms'
    ? new KmsSigningKeys({ kms, platformKeyId: environment.keys.platformKeyId })
    : await LocalKeyVault.open({ dir: environment.keys.dir });
