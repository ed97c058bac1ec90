import { describe, expect, it } from 'vitest';
import { KmsEs256Signer } from '#adapters/aws/kms-signer.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';
import { kmsAnswering as answering } from './kms-error-stub.ts';

// A container keeps a seal key's signer for its life (KmsSigningKeys caches the public key), so a
// key disabled after that first use is met at Sign, not at GetPublicKey. moto signs with a
// disabled key, so what real KMS answers is served by a stub (kms-error-stub.ts).
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666';

describe('KmsEs256Signer against a key KMS will no longer use', () => {
  it.each(['DisabledException', 'KMSInvalidStateException', 'NotFoundException'])(
    'answers Sign refused with %s as SigningKeyWithdrawn, naming the key',
    async (errorType) => {
      const stub = await answering(errorType);
      try {
        const refused = new KmsEs256Signer(stub.kms, KEY_ARN, 'kid-1').sign(new Uint8Array([1, 2, 3]));
        await expect(refused).rejects.toBeInstanceOf(SigningKeyWithdrawn);
        await expect(refused).rejects.toThrow(`signing key ${KEY_ARN} can no longer be used: ${errorType}`);
      } finally {
        await stub.close();
      }
    },
  );

  it('leaves another failure as it is (an outage may pass)', async () => {
    const stub = await answering('KMSInternalException');
    try {
      const failed = new KmsEs256Signer(stub.kms, KEY_ARN, 'kid-1').sign(new Uint8Array([1]));
      await expect(failed).rejects.not.toBeInstanceOf(SigningKeyWithdrawn);
      await expect(failed).rejects.toMatchObject({ name: 'KMSInternalException' });
    } finally {
      await stub.close();
    }
  });
});
