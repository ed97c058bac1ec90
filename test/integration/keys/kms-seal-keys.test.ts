// Seal keys created at run time in KMS (moto): the key the operator flow provisions signs
// ES256 through the platform's signing-keys adapter, is published under the kid provisioning
// returned, carries the tags IAM conditions rely on, a discarded one is scheduled away, and a
// withdrawn one is disabled.

import { randomUUID } from 'node:crypto';
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from 'vitest';
import { KmsSealKeyProvisioner } from '#adapters/aws/kms-seal-keys.ts';
import { KmsSigningKeys } from '#adapters/aws/kms-signer.ts';
import { decodeCompactJws, signCompactJws, verifyEs256 } from '#core/jws.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

useSuiteAwsEnv();
const kms = new KMSClient({});
const provisioner = new KmsSealKeyProvisioner({ kms, stage: 'it-seal' });
const AGENCY = '11330100D0000011XM';
const kept: string[] = [];

afterAll(async () => {
  for (const keyRef of kept) await provisioner.discard({ keyRef, kid: 'unused' });
  kms.destroy();
});

describe('KmsSealKeyProvisioner', () => {
  test('creates a P-256 signing key whose signatures verify under the kid it returns', async () => {
    const seal = await provisioner.provision({ agency: AGENCY, generation: 1 });
    kept.push(seal.keyRef);
    expect(seal.keyRef).toMatch(/^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\/[0-9a-f-]+$/);

    const key = await new KmsSigningKeys({ kms, platformKeyId: seal.keyRef }).keyFor(seal.keyRef);
    expect(key.publicJwk.kid).toBe(seal.kid);
    const jws = await signCompactJws({ typ: 'JWT' }, { sub: 'seal test' }, key.signer);
    const decoded = decodeCompactJws(jws);
    expect(decoded.header.kid).toBe(seal.kid);
    expect(verifyEs256(decoded.signingInput, decoded.signature, key.publicJwk)).toBe(true);
  });

  test('tags the key elicense-role=seal with its agency, generation and stage', async () => {
    const seal = await provisioner.provision({ agency: AGENCY, generation: 2 });
    kept.push(seal.keyRef);
    const { Tags = [] } = await kms.send(
      new ListResourceTagsCommand({ KeyId: seal.keyRef.split('/').at(-1) }),
    );
    expect(Object.fromEntries(Tags.map((t) => [t.TagKey, t.TagValue]))).toEqual({
      'elicense-role': 'seal',
      'elicense-agency': AGENCY,
      'elicense-seal-generation': '2',
      'elicense-stage': 'it-seal',
    });
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: seal.keyRef }));
    expect(KeyMetadata).toMatchObject({ KeyUsage: 'SIGN_VERIFY', KeyState: 'Enabled' });
    expect(KeyMetadata?.KeySpec ?? KeyMetadata?.CustomerMasterKeySpec).toBe('ECC_NIST_P256');
  });

  test('gives each provisioning a key of its own', async () => {
    const first = await provisioner.provision({ agency: AGENCY, generation: 3 });
    const second = await provisioner.provision({ agency: AGENCY, generation: 3 });
    kept.push(first.keyRef, second.keyRef);
    expect(second.keyRef).not.toBe(first.keyRef);
    expect(second.kid).not.toBe(first.kid);
  });

  test('creates the key with the key policy it is given', async () => {
    const keyPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'seal-signers',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:role/issuer' },
          Action: ['kms:Sign', 'kms:GetPublicKey'],
          Resource: '*',
        },
      ],
    });
    const withPolicy = new KmsSealKeyProvisioner({ kms, stage: 'it-seal', keyPolicy });
    const seal = await withPolicy.provision({ agency: AGENCY, generation: 5 });
    kept.push(seal.keyRef);
    const { Policy } = await kms.send(
      new GetKeyPolicyCommand({ KeyId: seal.keyRef.split('/').at(-1), PolicyName: 'default' }),
    );
    expect(JSON.parse(Policy ?? '{}')).toEqual(JSON.parse(keyPolicy));
  });

  test('withdraws a key: KMS holds it disabled, and withdrawing it again is done already', async () => {
    const seal = await provisioner.provision({ agency: AGENCY, generation: 6 });
    kept.push(seal.keyRef);

    await provisioner.withdraw(seal);
    await provisioner.withdraw(seal);

    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: seal.keyRef }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    // moto still signs with a disabled key and serves its public key (KMS refuses both with
    // DisabledException, which KmsSigningKeys reads as SigningKeyWithdrawn): the refusal is
    // not shown here, and the platform does not rely on it — the agency record decides.
  });

  test('takes a key that is gone as withdrawn already', async () => {
    const seal = await provisioner.provision({ agency: AGENCY, generation: 7 });
    kept.push(seal.keyRef);
    const gone = { keyRef: seal.keyRef.replace(/key\/.+$/, `key/${randomUUID()}`), kid: 'gone' };
    await expect(provisioner.withdraw(gone)).resolves.toBeUndefined();
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: seal.keyRef }));
    expect(KeyMetadata?.KeyState).toBe('Enabled');
  });

  test('schedules a discarded key for deletion', async () => {
    const seal = await provisioner.provision({ agency: AGENCY, generation: 4 });
    await provisioner.discard(seal);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: seal.keyRef }));
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
  });
});
