// KMS ECC_NIST_P256 signing over the wire (moto): signatures that verify with the public key
// alone, the request the DIGEST path sends, one GetPublicKey per key per container.
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  type CreateKeyCommandInput,
  GetPublicKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KMS_RAW_MESSAGE_LIMIT, type KmsEs256Signer, KmsSigningKeys } from '#adapters/aws/kms-signer.ts';
import { decodeCompactJws, signCompactJws, verifyEs256 } from '#core/jws.ts';
import { SigningKeyUnsuitable, SigningKeyWithdrawn, UnsupportedKeyRef } from '#core/keys/errors.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { countKmsCommands } from '#dev/kms-command-counter.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

useSuiteAwsEnv();
const admin = new KMSClient({});
const created: string[] = [];
let sealKey: string;
let platformKey: string;

async function createKey(input: CreateKeyCommandInput): Promise<string> {
  const { KeyMetadata } = await admin.send(new CreateKeyCommand(input));
  if (KeyMetadata?.Arn === undefined || KeyMetadata.KeyId === undefined)
    throw new Error('CreateKey returned no ARN');
  // moto's ScheduleKeyDeletion takes the key id only, not the ARN.
  created.push(KeyMetadata.KeyId);
  return KeyMetadata.Arn;
}

/** A client that records the input of every Sign it sends, and counts its commands. */
function recordingClient(): { kms: KMSClient; signs: SignCommandInput[]; count: (name: string) => number } {
  const kms = new KMSClient({});
  const signs: SignCommandInput[] = [];
  kms.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SignCommand') signs.push(structuredClone(args.input as SignCommandInput));
      return next(args);
    },
    { step: 'initialize' },
  );
  return { kms, signs, count: countKmsCommands(kms).count };
}

beforeAll(async () => {
  sealKey = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'seal' });
  platformKey = await createKey({
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    Description: 'platform',
  });
});

afterAll(async () => {
  for (const KeyId of created)
    await admin.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
  admin.destroy();
});

describe('KmsSigningKeys over the wire', () => {
  test('signs a JWS that node:crypto verifies with nothing but the GetPublicKey output', async () => {
    const { kms, signs } = recordingClient();
    const { signer } = await new KmsSigningKeys({ kms, platformKeyId: platformKey }).keyFor(sealKey);

    const jws = await signCompactJws({ typ: 'JWT' }, { jti: 'L-1', holder: '张伟明' }, signer);

    const { PublicKey } = await admin.send(new GetPublicKeyCommand({ KeyId: sealKey }));
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey ?? []), format: 'der', type: 'spki' });
    const { signingInput, signature, header } = decodeCompactJws(jws);
    expect(signs.map((s) => s.MessageType)).toEqual(['RAW']);
    expect(signature).toHaveLength(64);
    expect(header.kid).toBe(signer.kid);
    expect(
      verify('sha256', Buffer.from(signingInput), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ).toBe(true);
    const altered = `${signingInput.slice(0, -1)}${signingInput.endsWith('A') ? 'B' : 'A'}`;
    expect(
      verify('sha256', Buffer.from(altered), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ).toBe(false);
  });

  test("publishes a JWK whose kid is its RFC 7638 thumbprint and that verifyEs256 accepts the signer's JWS with", async () => {
    const { kms } = recordingClient();
    const key = await new KmsSigningKeys({ kms, platformKeyId: platformKey }).platformKey();

    const jws = await signCompactJws({}, { sub: 'status list 1' }, key.signer);

    const { kty, crv, x, y } = key.publicJwk;
    expect(key.publicJwk.kid).toBe(jwkThumbprint({ kty, crv, x, y }));
    expect(key.signer.kid).toBe(key.publicJwk.kid);
    const { signingInput, signature } = decodeCompactJws(jws);
    expect(verifyEs256(signingInput, signature, key.publicJwk)).toBe(true);
    expect(
      verifyEs256(
        signingInput,
        signature,
        (await new KmsSigningKeys({ kms, platformKeyId: platformKey }).keyFor(sealKey)).publicJwk,
      ),
    ).toBe(false);
  });

  test('sends the signing input RAW up to 4,096 bytes and its SHA-256 as DIGEST above', async () => {
    const { kms, signs } = recordingClient();
    const { signer } = await new KmsSigningKeys({ kms, platformKeyId: platformKey }).keyFor(sealKey);
    const keyId = (signer as KmsEs256Signer).keyId;
    const atLimit = Buffer.alloc(KMS_RAW_MESSAGE_LIMIT, 0x61);
    const overLimit = Buffer.alloc(KMS_RAW_MESSAGE_LIMIT + 1, 0x61);

    await signer.sign(atLimit);
    const signature = await signer.sign(overLimit);

    const [raw, digest] = signs;
    expect(sealKey.endsWith(keyId)).toBe(true);
    expect(raw).toMatchObject({ MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256', KeyId: keyId });
    expect(Buffer.from(raw?.Message ?? [])).toEqual(atLimit);
    expect(digest).toMatchObject({ MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256', KeyId: keyId });
    expect(Object.keys(digest ?? {}).sort()).toEqual(['KeyId', 'Message', 'MessageType', 'SigningAlgorithm']);
    const sha256 = createHash('sha256').update(overLimit).digest();
    expect(Buffer.from(digest?.Message ?? [])).toEqual(sha256);
    // moto ignores DIGEST and hashes the 32 bytes again; that its signature checks over the
    // digest as a message shows the request reached it as sent and the answer was converted.
    const { PublicKey } = await admin.send(new GetPublicKeyCommand({ KeyId: sealKey }));
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey ?? []), format: 'der', type: 'spki' });
    expect(verify('sha256', sha256, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  test('fetches each public key once per container, and gives one kid whether the key is named by ARN or alias', async () => {
    const alias = `alias/elicense-test-seal-${Date.now()}`;
    await admin.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: sealKey }));
    const { kms, count } = recordingClient();
    const keys = new KmsSigningKeys({ kms, platformKeyId: platformKey });

    const byArn = await keys.keyFor(sealKey);
    for (let i = 0; i < 5; i++) await (await keys.keyFor(sealKey)).signer.sign(Buffer.from(`input ${i}`));
    const byAlias = await keys.keyFor(alias);
    const again = await new KmsSigningKeys({ kms: new KMSClient({}), platformKeyId: platformKey }).keyFor(
      sealKey,
    );

    expect(count('GetPublicKey')).toBe(2);
    expect(count('Sign')).toBe(5);
    expect(byAlias.publicJwk.kid).toBe(byArn.publicJwk.kid);
    expect(again.publicJwk).toEqual(byArn.publicJwk);
  });

  test('refuses a symmetric key and a local key reference', async () => {
    const symmetric = await createKey({ Description: 'not a signing key' });
    const keys = new KmsSigningKeys({ kms: new KMSClient({}), platformKeyId: platformKey });

    await expect(keys.keyFor(symmetric)).rejects.toBeInstanceOf(SigningKeyUnsuitable);
    await expect(keys.keyFor('local:seal/11330100D0000011XM')).rejects.toBeInstanceOf(UnsupportedKeyRef);
  });
});

describe('a key KMS will no longer use', () => {
  // moto answers GetPublicKey for a key pending deletion or disabled as for any other (real KMS
  // answers KMSInvalidStateException / DisabledException, mapped alike); a deleted key it does
  // refuse, with NotFoundException.
  test('is SigningKeyWithdrawn when KMS no longer has it, not an outage to retry', async () => {
    const keys = new KmsSigningKeys({ kms: new KMSClient({}), platformKeyId: platformKey });
    const gone = sealKey.replace(/key\/[0-9a-f-]+$/, 'key/00000000-0000-4000-8000-000000000000');
    await expect(keys.keyFor(gone)).rejects.toBeInstanceOf(SigningKeyWithdrawn);
  });
});
