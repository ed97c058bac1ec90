// The local platform's storage (mode 'platform'): DynamoDB Local and s3rver on disk, reached
// by SDK clients configured only through LocalServices.env — as the dev server does it.
// These tests are about our emulators, so they ignore any endpoint given in the environment.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type LocalServices, startLocalServices } from '#dev/emulators/index.ts';

let dataDir = '';
const running: LocalServices[] = [];

beforeAll(async () => {
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
  dataDir = await mkdtemp(join(tmpdir(), 'elicense-platform-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((services) => services.stop()));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts the platform's storage and points this process's SDK at it, as the dev server does. */
async function startPlatform(services: ('dynamodb' | 's3')[]): Promise<LocalServices> {
  // Endpoints in the environment (given, or copied there by an earlier start) would be used
  // as they are instead of starting the emulators under test.
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
  const started = await startLocalServices({ services, mode: 'platform', dataDir });
  running.push(started);
  Object.assign(process.env, started.env);
  return started;
}

function s3Client(config: ConstructorParameters<typeof S3Client>[0] = {}): S3Client {
  return new S3Client({ forcePathStyle: process.env.ELICENSE_S3_FORCE_PATH_STYLE === 'true', ...config });
}

async function readText(s3: S3Client, Bucket: string, Key: string): Promise<string | undefined> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Body?.transformToString();
}

const streamOf = (parts: string[]): Readable => Readable.from(parts.map((part) => Buffer.from(part)));

describe('s3rver with AWS SDK v3', () => {
  test('round-trips string, binary and streamed bodies with the SDK configured by LocalServices.env', async () => {
    await startPlatform(['s3']);
    const s3 = s3Client();
    await s3.send(new CreateBucketCommand({ Bucket: 'round-trip' }));
    const binary = Buffer.from([0, 1, 2, 250, 255, 13, 10]);
    const parts = ['电子证照 ', 'streamed in two parts'];

    await s3.send(new PutObjectCommand({ Bucket: 'round-trip', Key: 'text', Body: '营业执照 text' }));
    await s3.send(new PutObjectCommand({ Bucket: 'round-trip', Key: 'binary', Body: binary }));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'round-trip',
        Key: 'streamed',
        Body: streamOf(parts),
        ContentLength: Buffer.byteLength(parts.join('')),
      }),
    );

    expect(await readText(s3, 'round-trip', 'text')).toBe('营业执照 text');
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'round-trip', Key: 'binary' }));
    expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? [])).toEqual(binary);
    expect(await readText(s3, 'round-trip', 'streamed')).toBe(parts.join(''));
    s3.destroy();
  });

  test("stores a streamed body's aws-chunked framing when the SDK computes checksums WHEN_SUPPORTED (why env says WHEN_REQUIRED)", async () => {
    await startPlatform(['s3']);
    const s3 = s3Client({ requestChecksumCalculation: 'WHEN_SUPPORTED' });
    await s3.send(new CreateBucketCommand({ Bucket: 'chunked' }));
    const parts = ['first ', 'second'];

    await s3.send(
      new PutObjectCommand({ Bucket: 'chunked', Key: 'streamed', Body: streamOf(parts), ContentLength: 12 }),
    );
    const stored = await readText(s3, 'chunked', 'streamed');

    expect(stored).not.toBe(parts.join(''));
    expect(stored).toMatch(/^6\r\nfirst \r\n6\r\nsecond\r\n0\r\nx-amz-checksum-crc32:/);
    s3.destroy();
  });
});

describe('platform data on disk', () => {
  test('keeps DynamoDB items and S3 objects across a restart on the same dataDir', async () => {
    const first = await startPlatform(['dynamodb', 's3']);
    const dynamodb = new DynamoDBClient({});
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'licenses',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: 'licenses' });
    await DynamoDBDocumentClient.from(dynamodb).send(
      new PutCommand({ TableName: 'licenses', Item: { pk: 'L-1', holder: '李四' } }),
    );
    const s3 = s3Client();
    await s3.send(new CreateBucketCommand({ Bucket: 'documents' }));
    await s3.send(new PutObjectCommand({ Bucket: 'documents', Key: 'L-1.pdf', Body: '%PDF-1.7 license' }));
    dynamodb.destroy();
    s3.destroy();
    await first.stop();

    const second = await startPlatform(['dynamodb', 's3']);
    const dynamodbAgain = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const s3Again = s3Client();
    const { Item } = await dynamodbAgain.send(new GetCommand({ TableName: 'licenses', Key: { pk: 'L-1' } }));

    // The first DynamoDB Local is gone: what is read back came from disk.
    for (const pid of first.pids)
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(second.pids).toHaveLength(1);
    expect(Item).toEqual({ pk: 'L-1', holder: '李四' });
    expect(await readText(s3Again, 'documents', 'L-1.pdf')).toBe('%PDF-1.7 license');
    dynamodbAgain.destroy();
    s3Again.destroy();
  });
});
