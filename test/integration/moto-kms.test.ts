// KMS (moto, or whatever AWS_ENDPOINT_URL_KMS names) over the wire: envelope encryption
// bound to an encryption context, and ES256 signatures checkable offline with the public key.

import { createPublicKey, verify } from 'node:crypto';
import {
  CreateKeyCommand,
  type CreateKeyCommandInput,
  DecryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  ScheduleKeyDeletionCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from 'vitest';
import { useSuiteAwsEnv } from './aws-env.ts';

useSuiteAwsEnv();
const kms = new KMSClient({});
const keyIds: string[] = [];

afterAll(async () => {
  for (const KeyId of keyIds)
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
  kms.destroy();
});

async function createKey(input: CreateKeyCommandInput): Promise<string> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand(input));
  const keyId = KeyMetadata?.KeyId;
  if (keyId === undefined) throw new Error('CreateKey returned no KeyId');
  keyIds.push(keyId);
  return keyId;
}

describe('KMS data keys', () => {
  test('decrypts a generated data key under the same encryption context', async () => {
    const keyId = await createKey({ Description: 'integration test: envelope key' });
    const context = { licenseId: 'L-2026-000001', agency: 'AG-PSB' };

    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
    );

    expect(generated.Plaintext).toHaveLength(32);
    expect(Buffer.from(decrypted.Plaintext ?? [])).toEqual(Buffer.from(generated.Plaintext ?? []));
  });

  test('refuses to decrypt a data key under a different encryption context', async () => {
    const keyId = await createKey({ Description: 'integration test: envelope key' });
    const generated = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: keyId,
        KeySpec: 'AES_256',
        EncryptionContext: { licenseId: 'L-1' },
      }),
    );

    const attempt = kms.send(
      new DecryptCommand({
        CiphertextBlob: generated.CiphertextBlob,
        EncryptionContext: { licenseId: 'L-2' },
      }),
    );

    await expect(attempt).rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});

describe('KMS ECC_NIST_P256 signing', () => {
  test('signs a raw message with ECDSA_SHA_256 verifiable by node:crypto from the GetPublicKey SPKI alone', async () => {
    const keyId = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const message = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJsaWNlbnNlSWQiOiJMLTEifQ');

    const { Signature } = await kms.send(
      new SignCommand({
        KeyId: keyId,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey ?? []), format: 'der', type: 'spki' });

    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(
      verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, Signature ?? new Uint8Array()),
    ).toBe(true);
    const altered = Buffer.from(message);
    altered[0] = (altered[0] ?? 0) ^ 1;
    expect(
      verify('sha256', altered, { key: publicKey, dsaEncoding: 'der' }, Signature ?? new Uint8Array()),
    ).toBe(false);
  });
});
