import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { KmsSealKeyProvisioner } from '#adapters/aws/kms-seal-keys.ts';
import { asProblem } from '#http/domain-problems.ts';
import { HttpProblem } from '#http/problem.ts';
import { Sm2SigningNotBuilt } from '#ports/seal-key-provisioner.ts';
import { kmsAnswering as answering } from './kms-error-stub.ts';

// A stage configured for SM2 seal keys: the platform cannot sign with them yet, so the operator
// is told so before KMS is asked for a key (which the stage's IAM would deny with AccessDenied,
// answered as 500). The client points at a port nothing listens on: a call to KMS would fail
// with a network error, not with the refusal.
const kms = new KMSClient({
  endpoint: 'http://127.0.0.1:9',
  region: 'cn-north-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

afterAll(() => kms.destroy());

describe('KmsSealKeyProvisioner on an SM2 stage', () => {
  it('refuses to make a seal key, before calling KMS, as 501 SM2_SIGNING_NOT_BUILT', async () => {
    const provisioner = new KmsSealKeyProvisioner({ kms, stage: 'prod', keySpec: 'SM2' });
    const refused = await provisioner.provision({ agency: '11330100D0000011XM', generation: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Sm2SigningNotBuilt);
    const problem = asProblem(refused);
    expect(problem).toBeInstanceOf(HttpProblem);
    expect(problem).toMatchObject({
      status: 501,
      problemType: 'not-implemented',
      extensions: { code: 'SM2_SIGNING_NOT_BUILT' },
      message: expect.stringMatching(/ELICENSE_SEAL_KEY_SPEC=SM2.*does not sign with SM2/),
    });
  });
});

// What real KMS answers DisableKey for a key pending deletion, which moto does not (it disables
// such a key): served by a stub (kms-error-stub.ts).
describe('KmsSealKeyProvisioner.withdraw against KMS errors', () => {
  const seal = {
    keyRef: 'arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666',
    kid: 'k',
  };

  it('takes a key pending deletion (KMSInvalidStateException) as withdrawn already', async () => {
    const stub = await answering('KMSInvalidStateException');
    try {
      await expect(
        new KmsSealKeyProvisioner({ kms: stub.kms, stage: 'dev' }).withdraw(seal),
      ).resolves.toBeUndefined();
    } finally {
      await stub.close();
    }
  });

  it('passes any other refusal on, so the withdrawal is not taken for done', async () => {
    const stub = await answering('AccessDeniedException');
    try {
      await expect(
        new KmsSealKeyProvisioner({ kms: stub.kms, stage: 'dev' }).withdraw(seal),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
    } finally {
      await stub.close();
    }
  });
});
