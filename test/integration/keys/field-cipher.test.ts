// Field encryption under a KMS key (moto), through the AWS Encryption SDK: what was sealed for
// one license in one table opens there and nowhere else, and not after any bit has changed.
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kmsFieldCipher } from '#adapters/aws/field-cipher.ts';
import { FieldDecryptionFailed } from '#core/keys/errors.ts';
import { countKmsCommands } from '#dev/kms-command-counter.ts';
import type { FieldBinding, LicenseFields } from '#ports/field-cipher.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

useSuiteAwsEnv();
const admin = new KMSClient({});
const created: string[] = [];
let keyArn: string;
let otherKeyArn: string;

const binding: FieldBinding = {
  table: 'elicense-test-license-person-1',
  licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001.001.K',
};
const fields: LicenseFields = {
  姓名: '张伟明',
  民族: '汉',
  出生: '1990-03-07',
  住址: '演示市示例区示例路18号',
  公民身份号码: '330102199003071230',
  有效期限: { from: '2016-05-10', until: '2036-05-10' },
};

async function createKey(): Promise<string> {
  const { KeyMetadata } = await admin.send(new CreateKeyCommand({ Description: 'field encryption test' }));
  if (KeyMetadata?.Arn === undefined || KeyMetadata.KeyId === undefined)
    throw new Error('CreateKey returned no ARN');
  created.push(KeyMetadata.KeyId);
  return KeyMetadata.Arn;
}

beforeAll(async () => {
  keyArn = await createKey();
  otherKeyArn = await createKey();
});

afterAll(async () => {
  for (const KeyId of created)
    await admin.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
  admin.destroy();
});

describe('kmsFieldCipher over the wire', () => {
  test('opens in another container what one sealed, field for field, without the plaintext in the bytes', async () => {
    const sealed = await kmsFieldCipher({ kms: new KMSClient({}), keyArn }).encryptFields(binding, fields);

    const opened = await kmsFieldCipher({ kms: new KMSClient({}), keyArn }).decryptFields(binding, sealed);

    expect(opened).toEqual(fields);
    const bytes = Buffer.from(sealed);
    for (const secret of ['张伟明', '330102199003071230', binding.licenseId]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
  });

  test.each([
    ['another license', { ...binding, licenseId: binding.licenseId.replace('DEMO0000001', 'DEMO0000002') }],
    ['another table', { ...binding, table: 'elicense-test-license-person-0' }],
  ])('refuses to open the fields under %s', async (_, elsewhere) => {
    const cipher = kmsFieldCipher({ kms: new KMSClient({}), keyArn });
    const sealed = await cipher.encryptFields(binding, fields);

    await expect(cipher.decryptFields(elsewhere, sealed)).rejects.toBeInstanceOf(FieldDecryptionFailed);
  });

  test('refuses the fields after any one bit of the message has flipped, wherever it is', async () => {
    const cipher = kmsFieldCipher({ kms: new KMSClient({}), keyArn });
    const sealed = await cipher.encryptFields(binding, fields);
    const opened: number[] = [];

    // One flipped bit in every byte: header, encryption context, wrapped data key, body, tags.
    for (let position = 0; position < sealed.length; position++) {
      const flipped = Uint8Array.from(sealed);
      flipped[position] = (flipped[position] ?? 0) ^ (1 << (position % 8));
      const outcome = await cipher.decryptFields(binding, flipped).then(
        () => 'opened',
        (error: unknown) => error,
      );
      if (!(outcome instanceof FieldDecryptionFailed)) opened.push(position);
    }

    expect(opened).toEqual([]);
    expect(await cipher.decryptFields(binding, sealed)).toEqual(fields);
  });

  test('refuses fields sealed under another KMS key', async () => {
    const sealed = await kmsFieldCipher({ kms: new KMSClient({}), keyArn: otherKeyArn }).encryptFields(
      binding,
      fields,
    );

    await expect(
      kmsFieldCipher({ kms: new KMSClient({}), keyArn }).decryptFields(binding, sealed),
    ).rejects.toBeInstanceOf(FieldDecryptionFailed);
  });

  test('asks KMS for a new data key once the cached one has sealed maxMessagesEncrypted licenses', async () => {
    const kms = new KMSClient({});
    const counter = countKmsCommands(kms);
    const cipher = kmsFieldCipher({ kms, keyArn, limits: { maxMessagesEncrypted: 3 } });

    for (let i = 0; i < 7; i++) await cipher.encryptFields({ ...binding, licenseId: `L-${i}` }, fields);

    expect(counter.count('GenerateDataKey')).toBe(3);
  });
});
