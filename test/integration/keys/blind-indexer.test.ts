// The holder blind index on AWS: an HMAC key that exists in configuration only as a KMS blob
// (moto), decrypted once per container; `elicense bootstrap blind-index-key` makes the blob.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  InvalidCiphertextException,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBlindIndexKeyBlob, KmsBlindIndexer } from '#adapters/aws/blind-indexer.ts';
import { countKmsCommands } from '#dev/kms-command-counter.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

useSuiteAwsEnv();
const admin = new KMSClient({});
let keyId: string;
let blob: Uint8Array;

beforeAll(async () => {
  const { KeyMetadata } = await admin.send(new CreateKeyCommand({ Description: 'blind index test' }));
  if (KeyMetadata?.KeyId === undefined) throw new Error('CreateKey returned no KeyId');
  keyId = KeyMetadata.KeyId;
  blob = await createBlindIndexKeyBlob(admin, keyId);
});

afterAll(async () => {
  await admin.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
  admin.destroy();
});

describe('KmsBlindIndexer over the wire', () => {
  test('gives the same token in every container holding the same key blob, for every spelling of one identity', async () => {
    const first = new KmsBlindIndexer({ kms: new KMSClient({}), keyId, encryptedKey: blob });
    const second = new KmsBlindIndexer({ kms: new KMSClient({}), keyId, encryptedKey: blob });

    const token = await first.tokenFor('111', '33010219900307123X');

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await second.tokenFor('111', '33010219900307123X')).toBe(token);
    expect(await second.tokenFor(' 111', '33010219900307123x ')).toBe(token);
    expect(await second.tokenFor('111', '330102199003071230')).not.toBe(token);
  });

  test('gives unrelated tokens under another key blob', async () => {
    const otherBlob = await createBlindIndexKeyBlob(admin, keyId);
    const one = new KmsBlindIndexer({ kms: new KMSClient({}), keyId, encryptedKey: blob });
    const other = new KmsBlindIndexer({ kms: new KMSClient({}), keyId, encryptedKey: otherBlob });

    expect(await other.tokenFor('001', '91330100MA2D00010B')).not.toBe(
      await one.tokenFor('001', '91330100MA2D00010B'),
    );
  });

  test('decrypts its key once per container, however many lookups and however concurrent', async () => {
    const kms = new KMSClient({});
    const counter = countKmsCommands(kms);
    const indexer = new KmsBlindIndexer({ kms, keyId, encryptedKey: blob });

    await Promise.all(Array.from({ length: 20 }, (_, i) => indexer.tokenFor('111', `33010219900307${i}`)));
    for (let i = 0; i < 100; i++) await indexer.tokenFor('111', `3301021990030${i}`);

    expect(counter.counts).toEqual({ Decrypt: 1 });
  });

  test('refuses a key blob offered for another purpose', async () => {
    const { CiphertextBlob } = await admin.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, KeySpec: 'AES_256' }),
    );
    const indexer = new KmsBlindIndexer({
      kms: new KMSClient({}),
      keyId,
      encryptedKey: CiphertextBlob ?? new Uint8Array(),
    });

    await expect(indexer.tokenFor('111', '33010219900307123X')).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
  });
});

describe('elicense bootstrap blind-index-key', () => {
  const cli = resolve(import.meta.dirname, '../../../bin/elicense');

  test('prints a blob the functions can use, and exits 3 when KMS refuses', async () => {
    const { stdout } = await promisify(execFile)(cli, ['bootstrap', 'blind-index-key', '--key-id', keyId]);
    const printed = Buffer.from(stdout.trim(), 'base64');
    const indexer = new KmsBlindIndexer({ kms: new KMSClient({}), keyId, encryptedKey: printed });
    expect(await indexer.tokenFor('111', '33010219900307123X')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const refused = await promisify(execFile)(cli, [
      'bootstrap',
      'blind-index-key',
      '--key-id',
      'no-such-key',
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 3, stderr: expect.stringContaining('KMS did not make the key') });
  });
});
