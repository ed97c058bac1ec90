// startLocalServices decides what to start from the environment: endpoints given there are
// used as they are, missing tools are named, and the SDK environment it returns is complete.

import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MissingPrerequisiteError, startLocalServices } from '#dev/emulators/index.ts';
import { findPython } from '#dev/emulators/moto.ts';

const saved = { ...process.env };
let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'elicense-local-services-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  // Every test states the environment it needs; nothing leaks in from the shell or the suite.
  for (const name of Object.keys(process.env)) {
    if (/^(AWS_|JAVA_HOME$|ELICENSE_PYTHON$)/.test(name)) delete process.env[name];
  }
});

afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

/** Writes an executable shell script `bin/<name>` under a fresh folder and returns the folder. */
async function fakeTool(name: string, script: string): Promise<string> {
  const home = await mkdtemp(join(scratch, `${name}-`));
  await mkdir(join(home, 'bin'));
  await writeFile(join(home, 'bin', name), `#!/bin/sh\n${script}\n`);
  await chmod(join(home, 'bin', name), 0o755);
  return home;
}

describe('endpoints given in the environment', () => {
  test('are used as they are, per service or for all, and nothing is started or invented', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://localstack.test:4566';
    process.env.AWS_ENDPOINT_URL_KMS = 'https://kms.stage.test';

    const services = await startLocalServices({ services: ['dynamodb', 's3', 'kms'], mode: 'test' });

    expect(services.endpoints).toEqual({
      dynamodb: 'http://localstack.test:4566',
      s3: 'http://localstack.test:4566',
      kms: 'https://kms.stage.test',
    });
    expect(services.pids).toEqual([]);
    expect(services.env).toEqual({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://localstack.test:4566',
      AWS_ENDPOINT_URL_S3: 'http://localstack.test:4566',
      AWS_ENDPOINT_URL_KMS: 'https://kms.stage.test',
    });
    await services.stop();
  });

  test('leave the other services emulated, with dummy credentials and a region when none are configured', async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://dynamodb.stage.test';

    const services = await startLocalServices({
      services: ['dynamodb', 's3', 'kms'],
      mode: 'platform',
      dataDir: join(scratch, 'mixed'),
    });
    await services.stop();

    expect(services.endpoints.dynamodb).toBe('http://dynamodb.stage.test');
    expect(services.endpoints.s3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(services.endpoints.kms).toBeUndefined(); // the platform signs with its software key vault
    expect(services.env).toEqual({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://dynamodb.stage.test',
      AWS_ENDPOINT_URL_S3: services.endpoints.s3,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ELICENSE_S3_FORCE_PATH_STYLE: 'true',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });
  });
});

describe('credentials and region', () => {
  test("keeps a developer's own credentials and region, which s3rver then accepts", async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIADEVELOPEROWNKEY0';
    process.env.AWS_SECRET_ACCESS_KEY = 'developer-secret';
    process.env.AWS_REGION = 'cn-north-1';

    const services = await startLocalServices({
      services: ['s3'],
      mode: 'platform',
      dataDir: join(scratch, 'own'),
    });
    Object.assign(process.env, services.env);
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'own-credentials' }));
    await s3.send(new PutObjectCommand({ Bucket: 'own-credentials', Key: 'k', Body: 'signed with my key' }));
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: 'own-credentials', Key: 'k' }));
    const text = await Body?.transformToString();
    s3.destroy();
    await services.stop();

    expect(services.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(services.env.AWS_REGION).toBe('cn-north-1');
    expect(text).toBe('signed with my key');
  });
});

describe('prerequisites', () => {
  test('names Java 17+ when java cannot be found', async () => {
    process.env.JAVA_HOME = join(scratch, 'no-such-jdk');

    const attempt = startLocalServices({ services: ['dynamodb'], mode: 'test' });

    await expect(attempt).rejects.toBeInstanceOf(MissingPrerequisiteError);
    await expect(attempt).rejects.toMatchObject({
      code: 'EMULATOR_PREREQUISITE_MISSING',
      prerequisite: 'Java 17+',
      message: expect.stringMatching(/no-such-jdk\/bin\/java` was not found.*Install a Java 17\+ runtime/s),
    });
  });

  test('names Java 17+ when java is older', async () => {
    process.env.JAVA_HOME = await fakeTool('java', `echo 'java version "1.8.0_402"' >&2`);

    const attempt = startLocalServices({ services: ['dynamodb'], mode: 'test' });

    await expect(attempt).rejects.toMatchObject({
      prerequisite: 'Java 17+',
      message: expect.stringContaining('is Java 8'),
    });
  });

  test('names Python 3.9+ with venv and pip when python cannot be found or is older', async () => {
    process.env.ELICENSE_PYTHON = join(scratch, 'no-such-python');
    await expect(findPython()).rejects.toMatchObject({
      prerequisite: 'Python 3.9+ with venv and pip',
      message: expect.stringContaining('was not found'),
    });

    process.env.ELICENSE_PYTHON = join(await fakeTool('python3', 'echo 3.8'), 'bin', 'python3');
    await expect(findPython()).rejects.toMatchObject({
      prerequisite: 'Python 3.9+ with venv and pip',
      message: expect.stringContaining('is Python 3.8'),
    });
  });

  test("refuses mode 'platform' without a dataDir", async () => {
    await expect(startLocalServices({ services: ['s3'], mode: 'platform' })).rejects.toThrow(/needs dataDir/);
  });
});
