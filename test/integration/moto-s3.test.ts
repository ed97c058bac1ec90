// S3 (moto, or whatever AWS_ENDPOINT_URL_S3 names) over the wire: SSE-KMS objects and
// presigned URLs, as the document store will use them.

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useSuiteAwsEnv } from './aws-env.ts';

useSuiteAwsEnv();
const s3 = new S3Client({ forcePathStyle: process.env.ELICENSE_S3_FORCE_PATH_STYLE === 'true' });
const kms = new KMSClient({});
const bucket = `it-documents-${randomUUID()}`;
const keys: string[] = [];
let keyArn = '';
let keyId = '';

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ Description: 'integration test: document key' }),
  );
  keyArn = KeyMetadata?.Arn ?? '';
  keyId = KeyMetadata?.KeyId ?? '';
});

afterAll(async () => {
  for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
  s3.destroy();
  kms.destroy();
});

async function put(
  key: string,
  body: string | Readable,
  extra: { ContentLength?: number } = {},
): Promise<void> {
  keys.push(key);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
}

describe('S3 objects', () => {
  test('round-trips an object stored with SSE-KMS under a customer key', async () => {
    const body = JSON.stringify({ licenseId: 'L-1', holder: '张三' });
    keys.push('sse-kms.json');

    const stored = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'sse-kms.json',
        Body: body,
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyArn,
      }),
    );
    const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'sse-kms.json' }));

    expect(stored.ServerSideEncryption).toBe('aws:kms');
    expect(read.ServerSideEncryption).toBe('aws:kms');
    expect(read.SSEKMSKeyId).toBe(keyArn);
    expect(await read.Body?.transformToString()).toBe(body);
  });

  test("round-trips a streamed body sent with the SDK's default (aws-chunked) checksums", async () => {
    const parts = ['first part; ', 'second part'];

    await put('streamed.txt', Readable.from(parts.map((p) => Buffer.from(p))), {
      ContentLength: parts.join('').length,
    });
    const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed.txt' }));

    expect(await read.Body?.transformToString()).toBe(parts.join(''));
  });

  test('serves a presigned GET URL to a plain HTTP client', async () => {
    const body = 'presigned content ✓';
    await put('presigned.txt', body);

    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned.txt' }), {
      expiresIn: 60,
    });
    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);
  });
});
