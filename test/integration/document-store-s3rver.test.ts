// The S3 document store on the local platform's S3, s3rver (in process, on disk), with the SDK
// settings the local platform gives it. s3rver implements no object tagging and ignores SSE
// headers: the store must still bind every read to its digest there. What S3 refuses and s3rver
// would not — an unsigned request, a presigned upload PUT again over its object — the local
// platform's guard in front of it refuses (dev/emulators/s3rver.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { documentDigest } from '#core/layout-document/digest.ts';
import { DocumentDigestMismatch } from '#core/layout-document/errors.ts';
import { type S3rverServer, startS3rver } from '#dev/emulators/s3rver.ts';
import { minimalOfd, minimalPdf } from '../fixtures/layout-documents.ts';

const bucket = 'elicense-it-documents';
let dataDir = '';
let server: S3rverServer;
let s3: S3Client;
let store: S3DocumentStore;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'elicense-document-store-'));
  server = await startS3rver({ directory: dataDir });
  s3 = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    forcePathStyle: true,
    // What S3RVER_SDK_ENV sets for the local platform.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  store = new S3DocumentStore(s3, { bucket, kmsKeyId: 'local-platform-key' });
});

afterAll(async () => {
  s3.destroy();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('document store on s3rver', () => {
  test('round-trips an OFD and refuses it once overwritten behind its back', async () => {
    const ofd = minimalOfd();
    const stored = await store.put({ bytes: ofd, mediaType: 'application/ofd' });

    const read = await store.get(stored);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: stored.key, Body: minimalPdf('forged') }));

    expect(Buffer.from(read.bytes).equals(Buffer.from(ofd))).toBe(true);
    await expect(store.get(stored)).rejects.toBeInstanceOf(DocumentDigestMismatch);
  });

  test('completes a presigned upload although s3rver keeps no tags; the same upload PUT again is refused 412', async () => {
    const pdf = minimalPdf('uploaded to s3rver');
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      60,
    );

    const uploaded = await fetch(pending.url, { method: 'PUT', headers: pending.headers, body: pdf });
    const completed = await store.completeUpload(pending.key, pending.sha256);
    const replay = await fetch(pending.url, {
      method: 'PUT',
      headers: pending.headers,
      body: minimalPdf('replay'),
    });
    const reading = store.get(completed);

    expect(uploaded.status).toBe(200);
    expect(completed).toEqual({
      key: pending.key,
      sha256: documentDigest(pdf),
      size: pdf.byteLength,
      mediaType: 'application/pdf',
    });
    // As S3 and moto refuse it (If-None-Match: *): the bytes a presigned download serves stay.
    expect(replay.status).toBe(412);
    await expect(reading).resolves.toMatchObject({ sha256: completed.sha256 });
    const download = await fetch((await store.presignDownload(completed, 60)).url);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true);
  });

  test('refuses an unsigned request — reading an object or listing the bucket — as a private bucket does', async () => {
    const stored = await store.put({ bytes: minimalPdf('private'), mediaType: 'application/pdf' });

    const read = await fetch(`${server.endpoint}/${bucket}/${stored.key}`);
    const listing = await fetch(`${server.endpoint}/${bucket}?list-type=2`);
    const presigned = await fetch((await store.presignDownload(stored, 60)).url);

    expect([read.status, listing.status]).toEqual([403, 403]);
    expect(await read.text()).toContain('<Code>AccessDenied</Code>');
    expect(presigned.status).toBe(200);
  });

  test('lists a day’s keys and reads their owner, as the local platform’s document sweep does', async () => {
    const dated = new S3DocumentStore(s3, {
      bucket,
      kmsKeyId: 'local-platform-key',
      now: () => new Date('2021-07-08T10:00:00.000Z'),
    });
    const stored = await dated.put({
      bytes: minimalPdf('swept locally'),
      mediaType: 'application/pdf',
      owner: 'license:X',
    });

    expect(await store.listWrittenOn('2021-07-08')).toEqual({
      items: [{ key: stored.key, size: stored.size }],
    });
    expect(await store.describe(stored.key)).toEqual({
      owner: 'license:X',
      sha256: stored.sha256,
      size: stored.size,
    });
    await store.delete(stored.key);
    expect(await store.describe(stored.key)).toBeUndefined();
  });
});
