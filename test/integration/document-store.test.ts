// The S3 document store over the wire, against moto S3 with a moto KMS key for SSE-KMS (or
// whatever AWS_ENDPOINT_URL_S3 names). Where moto and S3 differ — moto checks neither
// x-amz-checksum-sha256 nor presigned signatures or expiry — the assertions hold for both:
// the store's own read-back check is what is tested, not the emulator's leniency.

import { randomUUID } from 'node:crypto';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { documentKeyBits, isDocumentKey } from '#adapters/aws/document-key.ts';
import { PENDING_UPLOAD_TAG, S3DocumentStore } from '#adapters/aws/document-store.ts';
import { documentDigest } from '#core/layout-document/digest.ts';
import {
  DocumentContentMismatch,
  DocumentDigestMismatch,
  DocumentNotFound,
  DocumentTooLarge,
  DocumentUploadExpired,
  DocumentUploadRejected,
  PresignExpiryOutOfRange,
  UnsupportedDocumentType,
} from '#core/layout-document/errors.ts';
import { ATTACHMENT_MEDIA_TYPES, MAX_LAYOUT_DOCUMENT_BYTES } from '#core/layout-document/format.ts';
import type { PendingUpload } from '#ports/document-store.ts';
import { minimalJpeg, minimalOfd, minimalPdf, minimalPng, pdfOfSize } from '../fixtures/layout-documents.ts';
import { useSuiteAwsEnv } from './aws-env.ts';

useSuiteAwsEnv();
const forcePathStyle = process.env.ELICENSE_S3_FORCE_PATH_STYLE === 'true';
/** The test's own client, for what happens behind the store's back. */
const raw = new S3Client({ forcePathStyle });
/** The store's client; a middleware in the deserialize step counts requests actually sent (presigning stops earlier). */
const storeClient = new S3Client({ forcePathStyle });
const sent: string[] = [];
storeClient.middlewareStack.add(
  (next, context) => async (args) => {
    sent.push(String(context.commandName));
    return next(args);
  },
  { step: 'deserialize', name: 'countSentRequests' },
);
const kms = new KMSClient({});
const bucket = `it-document-store-${randomUUID()}`;
let kmsKeyArn = '';
let kmsKeyId = '';
let store: S3DocumentStore;

beforeAll(async () => {
  await raw.send(new CreateBucketCommand({ Bucket: bucket }));
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ Description: 'integration test: layout documents' }),
  );
  kmsKeyArn = KeyMetadata?.Arn ?? '';
  kmsKeyId = KeyMetadata?.KeyId ?? '';
  store = new S3DocumentStore(storeClient, { bucket, kmsKeyId: kmsKeyArn });
});

beforeEach(() => {
  sent.length = 0;
});

afterAll(async () => {
  const listed = await raw.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of listed.Contents ?? [])
    await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await raw.send(new DeleteBucketCommand({ Bucket: bucket }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: kmsKeyId, PendingWindowInDays: 7 }));
  raw.destroy();
  storeClient.destroy();
  kms.destroy();
});

async function exists(key: string): Promise<boolean> {
  try {
    await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFound') return false;
    throw error;
  }
}

async function upload(pending: PendingUpload, body: Uint8Array): Promise<Response> {
  return fetch(pending.url, { method: pending.method, headers: pending.headers, body });
}

describe('put and get', () => {
  test('round-trips a PDF, SSE-KMS under the configured key with a Bucket Key, digest recorded', async () => {
    const pdf = minimalPdf('营业执照 round trip');

    const stored = await store.put({ bytes: pdf, mediaType: 'application/pdf' });
    const read = await store.get({ key: stored.key, sha256: stored.sha256 });
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: stored.key }));

    expect(stored).toEqual({
      key: stored.key,
      sha256: documentDigest(pdf),
      size: pdf.byteLength,
      mediaType: 'application/pdf',
    });
    expect(read).toEqual({ ...stored, bytes: pdf });
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(kmsKeyArn);
    expect(head.BucketKeyEnabled).toBe(true);
    expect(head.ContentType).toBe('application/pdf');
    expect(head.Metadata).toEqual({
      sha256: stored.sha256,
      size: String(pdf.byteLength),
      'media-type': 'application/pdf',
    });
  });

  test('stores an OFD declared as application/zip, when so configured, under its own media type', async () => {
    const zipAccepting = new S3DocumentStore(storeClient, {
      bucket,
      kmsKeyId: kmsKeyArn,
      acceptedMediaTypes: ['application/pdf', 'application/ofd', 'application/zip'],
    });
    const ofd = minimalOfd();

    const stored = await zipAccepting.put({ bytes: ofd, mediaType: 'application/zip' });
    const read = await zipAccepting.get(stored);

    expect(stored.mediaType).toBe('application/ofd');
    expect(read.mediaType).toBe('application/ofd');
    expect(Buffer.from(read.bytes).equals(Buffer.from(ofd))).toBe(true);
  });

  test('stores JPEG and PNG images where attachments are accepted, and only there', async () => {
    const attachments = new S3DocumentStore(storeClient, {
      bucket,
      kmsKeyId: kmsKeyArn,
      acceptedMediaTypes: ATTACHMENT_MEDIA_TYPES,
    });
    const png = minimalPng();
    const stored = await attachments.put({ bytes: png, mediaType: 'image/png' });
    const read = await attachments.get(stored);
    expect(read.mediaType).toBe('image/png');
    expect(Buffer.from(read.bytes).equals(Buffer.from(png))).toBe(true);

    const jpeg = await attachments.put({ bytes: minimalJpeg(), mediaType: 'image/jpeg' });
    const response = await fetch((await attachments.presignDownload(jpeg, 60)).url);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="document.jpg"');
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(minimalJpeg()))).toBe(true);

    await expect(attachments.put({ bytes: png, mediaType: 'image/jpeg' })).rejects.toThrow(
      'declared as JPEG (opening with FF D8 FF) but its content is PNG (opening with the PNG signature)',
    );
    // The layout-document store (the default) refuses images, whatever the bytes.
    await expect(store.put({ bytes: png, mediaType: 'image/png' })).rejects.toBeInstanceOf(
      UnsupportedDocumentType,
    );
  });

  test('accepts a document of exactly 20 MiB and reads it back whole', async () => {
    const pdf = pdfOfSize(MAX_LAYOUT_DOCUMENT_BYTES);

    const stored = await store.put({ bytes: pdf, mediaType: 'application/pdf' });
    const read = await store.get(stored);

    expect(stored.size).toBe(MAX_LAYOUT_DOCUMENT_BYTES);
    expect(read.sha256).toBe(documentDigest(pdf));
    expect(read.bytes.byteLength).toBe(MAX_LAYOUT_DOCUMENT_BYTES);
  });

  test('sends one request for a put and one for a get', async () => {
    const stored = await store.put({ bytes: minimalPdf(), mediaType: 'application/pdf' });
    await store.get(stored);
    expect(sent).toEqual(['PutObjectCommand', 'GetObjectCommand']);
  });

  test('fails a read with DocumentDigestMismatch when the object was overwritten behind its back', async () => {
    const stored = await store.put({ bytes: minimalPdf('original'), mediaType: 'application/pdf' });
    const forged = minimalPdf('forged');
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: stored.key, Body: forged }));

    const reading = store.get(stored);

    await expect(reading).rejects.toBeInstanceOf(DocumentDigestMismatch);
    await expect(reading).rejects.toMatchObject({
      code: 'DOCUMENT_DIGEST_MISMATCH',
      key: stored.key,
      expected: stored.sha256,
      found: documentDigest(forged),
    });
  });

  test('fails a read when the license records another digest than the stored bytes have', async () => {
    const stored = await store.put({ bytes: minimalPdf('one'), mediaType: 'application/pdf' });
    const otherDigest = documentDigest(minimalPdf('two'));

    await expect(store.get({ key: stored.key, sha256: otherDigest })).rejects.toMatchObject({
      code: 'DOCUMENT_DIGEST_MISMATCH',
      expected: otherDigest,
      found: stored.sha256,
    });
  });

  test('does not read an object swapped for one larger than any document', async () => {
    const small = new S3DocumentStore(storeClient, { bucket, kmsKeyId: kmsKeyArn, maxBytes: 64 * 1024 });
    const stored = await small.put({ bytes: minimalPdf(), mediaType: 'application/pdf' });
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: stored.key, Body: pdfOfSize(64 * 1024 + 1) }));

    await expect(small.get(stored)).rejects.toMatchObject({
      code: 'DOCUMENT_DIGEST_MISMATCH',
      found: `an object of ${64 * 1024 + 1} bytes, larger than any document (not read)`,
    });
  });

  test('reports a missing document as DocumentNotFound, and a foreign key without asking S3', async () => {
    const sha256 = documentDigest(minimalPdf());

    await expect(store.get({ key: `documents/${'a'.repeat(26)}`, sha256 })).rejects.toBeInstanceOf(
      DocumentNotFound,
    );
    expect(sent).toEqual(['GetObjectCommand']);
    sent.length = 0;
    await expect(store.get({ key: 'licenses/secret.json', sha256 })).rejects.toMatchObject({
      code: 'DOCUMENT_NOT_FOUND',
      message: 'no layout document licenses/secret.json: not a document key',
    });
    expect(sent).toEqual([]);
  });

  test('deletes a document; deleting it again succeeds', async () => {
    const stored = await store.put({ bytes: minimalPdf(), mediaType: 'application/pdf' });

    await store.delete(stored.key);
    await store.delete(stored.key);

    await expect(store.get(stored)).rejects.toBeInstanceOf(DocumentNotFound);
  });
});

describe('rejected before any S3 request', () => {
  test('a document over 20 MiB', async () => {
    const oversized = pdfOfSize(MAX_LAYOUT_DOCUMENT_BYTES + 1);
    await expect(store.put({ bytes: oversized, mediaType: 'application/pdf' })).rejects.toMatchObject({
      code: 'DOCUMENT_TOO_LARGE',
      size: MAX_LAYOUT_DOCUMENT_BYTES + 1,
      limit: MAX_LAYOUT_DOCUMENT_BYTES,
    });
    await expect(
      store.presignUpload(
        { sha256: documentDigest(oversized), size: oversized.byteLength, mediaType: 'application/pdf' },
        60,
      ),
    ).rejects.toBeInstanceOf(DocumentTooLarge);
    expect(sent).toEqual([]);
  });

  test('a media type that is not accepted', async () => {
    await expect(store.put({ bytes: minimalPdf(), mediaType: 'image/png' })).rejects.toBeInstanceOf(
      UnsupportedDocumentType,
    );
    await expect(store.put({ bytes: minimalOfd(), mediaType: 'application/zip' })).rejects.toBeInstanceOf(
      UnsupportedDocumentType,
    );
    expect(sent).toEqual([]);
  });

  test('content that is not what its media type says', async () => {
    await expect(store.put({ bytes: minimalOfd(), mediaType: 'application/pdf' })).rejects.toBeInstanceOf(
      DocumentContentMismatch,
    );
    await expect(store.put({ bytes: minimalPdf(), mediaType: 'application/ofd' })).rejects.toBeInstanceOf(
      DocumentContentMismatch,
    );
    expect(sent).toEqual([]);
  });

  test('a document whose declared digest is not its own', async () => {
    const declared = documentDigest(minimalPdf('declared'));
    await expect(
      store.put({ bytes: minimalPdf('sent'), mediaType: 'application/pdf', sha256: declared }),
    ).rejects.toMatchObject({ code: 'DOCUMENT_UPLOAD_REJECTED', reason: 'digest', expected: declared });
    expect(sent).toEqual([]);
  });
});

describe('presigned download', () => {
  test('serves the bytes to a plain HTTP client as an attachment of the document type', async () => {
    const pdf = minimalPdf('presigned');
    const stored = await store.put({ bytes: pdf, mediaType: 'application/pdf' });
    sent.length = 0;

    const { url } = await store.presignDownload(stored, 60);
    const response = await fetch(url);

    expect(sent).toEqual([]);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="document.pdf"');
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true);
  });

  // moto 5.2.5 checks neither presigned signatures nor X-Amz-Expires (an expired URL still
  // answers 200 there), so what is tested is what the URL asks S3 to enforce.
  test('signs a 1-second URL to expire one second after its signing time', async () => {
    const signedAt = new Date('2026-03-01T08:00:00Z');
    const clocked = new S3DocumentStore(storeClient, { bucket, kmsKeyId: kmsKeyArn, now: () => signedAt });
    const stored = await clocked.put({ bytes: minimalPdf(), mediaType: 'application/pdf' });

    const { url, expiresAt } = await clocked.presignDownload(stored, 1);
    const query = new URL(url).searchParams;

    expect(query.get('X-Amz-Expires')).toBe('1');
    expect(query.get('X-Amz-Date')).toBe('20260301T080000Z');
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(expiresAt).toEqual(new Date('2026-03-01T08:00:01Z'));
  });

  test('refuses an expiry beyond 300 seconds, or not a whole positive number of seconds', async () => {
    const document = { key: `documents/${'a'.repeat(26)}`, mediaType: 'application/pdf' } as const;
    await expect(store.presignDownload(document, 301)).rejects.toMatchObject({
      code: 'PRESIGN_EXPIRY_OUT_OF_RANGE',
      requested: 301,
      max: 300,
    });
    await expect(store.presignDownload(document, 0)).rejects.toBeInstanceOf(PresignExpiryOutOfRange);
    await expect(store.presignDownload(document, 1.5)).rejects.toBeInstanceOf(PresignExpiryOutOfRange);
    await expect(store.presignDownload(document, 300)).resolves.toMatchObject({ url: expect.any(String) });
  });
});

describe('presigned upload', () => {
  test('uploads with fetch, completes, and reads back verified; SSE-KMS, pending tag removed', async () => {
    const pdf = minimalPdf('large upload');
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      120,
    );

    const response = await upload(pending, pdf);
    const tagsBefore = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: pending.key }));
    sent.length = 0;
    const completed = await store.completeUpload(pending.key, pending.sha256);
    const completionRequests = [...sent];
    const tagsAfter = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: pending.key }));
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: pending.key }));
    const read = await store.get(completed);

    expect(response.status).toBe(200);
    expect(tagsBefore.TagSet).toEqual([{ Key: PENDING_UPLOAD_TAG.key, Value: PENDING_UPLOAD_TAG.value }]);
    expect(completed).toEqual({
      key: pending.key,
      sha256: documentDigest(pdf),
      size: pdf.byteLength,
      mediaType: 'application/pdf',
    });
    expect(completionRequests).toEqual(['GetObjectCommand', 'DeleteObjectTaggingCommand']);
    expect(tagsAfter.TagSet).toEqual([]);
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(kmsKeyArn);
    expect(Buffer.from(read.bytes).equals(Buffer.from(pdf))).toBe(true);
  });

  test('an upload completes on the day it was begun or the next (UTC); later it is refused before any S3 request and stays as it is', async () => {
    const pdf = minimalPdf('late upload');
    let now = new Date('2026-03-10T23:59:00.000Z');
    const clocked = new S3DocumentStore(storeClient, { bucket, kmsKeyId: kmsKeyArn, now: () => now });
    const begin = async () => {
      const pending = await clocked.presignUpload(
        {
          sha256: documentDigest(pdf),
          size: pdf.byteLength,
          mediaType: 'application/pdf',
          owner: 'license:L',
        },
        120,
      );
      expect((await upload(pending, pdf)).status).toBe(200);
      return pending;
    };
    const onTime = await begin();
    const late = await begin();
    expect(late.key.startsWith('documents/2026-03-10/')).toBe(true);

    now = new Date('2026-03-11T23:59:59.999Z');
    expect((await clocked.completeUpload(onTime.key, onTime.sha256, 'license:L')).key).toBe(onTime.key);
    now = new Date('2026-03-12T00:00:00.000Z');
    sent.length = 0;
    const refused = clocked.completeUpload(late.key, late.sha256, 'license:L');

    await expect(refused).rejects.toBeInstanceOf(DocumentUploadExpired);
    await expect(refused).rejects.toThrow(/begun on 2026-03-10.*from 2026-03-11/);
    expect(sent).toEqual([]);
    const tags = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: late.key }));
    expect(tags.TagSet).toEqual([{ Key: PENDING_UPLOAD_TAG.key, Value: PENDING_UPLOAD_TAG.value }]);
  });

  test('an upload declared for an owner completes for that owner only; to another it is not found and stays', async () => {
    const pdf = minimalPdf('owned upload');
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf', owner: 'license:A' },
      120,
    );
    expect(new URL(pending.url).searchParams.get('x-amz-meta-owner')).toBe('license:A');
    expect((await upload(pending, pdf)).status).toBe(200);

    await expect(store.completeUpload(pending.key, pending.sha256, 'license:B')).rejects.toBeInstanceOf(
      DocumentNotFound,
    );
    const stillThere = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: pending.key }));
    expect(stillThere.Metadata?.owner).toBe('license:A');

    const completed = await store.completeUpload(pending.key, pending.sha256, 'license:A');
    expect(completed.sha256).toBe(documentDigest(pdf));
    // An upload declared without an owner is none of any owner's.
    const unowned = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      120,
    );
    await upload(unowned, pdf);
    await expect(store.completeUpload(unowned.key, unowned.sha256, 'license:A')).rejects.toBeInstanceOf(
      DocumentNotFound,
    );
    await expect(
      store.presignUpload(
        { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf', owner: '许可证' },
        120,
      ),
    ).rejects.toThrow(/printable ASCII/);
  });

  test('signs the checksum, encryption and no-overwrite headers it hands out, and the declaration', async () => {
    const pdf = minimalPdf();
    const sha256 = documentDigest(pdf);

    const pending = await store.presignUpload(
      { sha256, size: pdf.byteLength, mediaType: 'application/pdf' },
      60,
    );
    const query = new URL(pending.url).searchParams;
    const signed = (query.get('X-Amz-SignedHeaders') ?? '').split(';');

    expect(signed).toEqual(
      expect.arrayContaining([
        'content-length',
        'if-none-match',
        'x-amz-checksum-sha256',
        'x-amz-server-side-encryption',
        'x-amz-server-side-encryption-aws-kms-key-id',
        'x-amz-server-side-encryption-bucket-key-enabled',
        'x-amz-tagging',
      ]),
    );
    for (const header of signed.filter((h) => h !== 'host' && h !== 'content-length')) {
      expect(pending.headers).toHaveProperty(header);
    }
    expect(pending.headers['x-amz-checksum-sha256']).toBe(
      Buffer.from(sha256, 'base64url').toString('base64'),
    );
    expect(query.get('x-amz-meta-sha256')).toBe(sha256);
    expect(query.get('x-amz-meta-size')).toBe(String(pdf.byteLength));
  });

  test('deletes an upload whose bytes do not match the declared digest and fails it', async () => {
    const declared = minimalPdf('declared bytes');
    const sentBytes = minimalPdf('uploaded bytes'); // same length, other content
    const pending = await store.presignUpload(
      { sha256: documentDigest(declared), size: declared.byteLength, mediaType: 'application/pdf' },
      60,
    );

    const response = await upload(pending, sentBytes);
    const completing = store.completeUpload(pending.key, pending.sha256);

    await expect(completing).rejects.toBeInstanceOf(DocumentUploadRejected);
    // moto stores the bytes with the claimed checksum and leaves the check to the reader; S3
    // refuses them (400 BadDigest) itself, so nothing is there to complete.
    await expect(completing).rejects.toMatchObject(
      response.ok ? { reason: 'digest', expected: `SHA-256 ${pending.sha256}` } : { reason: 'not-uploaded' },
    );
    expect(await exists(pending.key)).toBe(false);
  });

  test('deletes an upload of another size than declared', async () => {
    const pdf = minimalPdf('size');
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      60,
    );

    const response = await upload(pending, pdf.subarray(0, pdf.byteLength - 10));

    await expect(store.completeUpload(pending.key, pending.sha256)).rejects.toMatchObject(
      response.ok ? { reason: 'size', found: `${pdf.byteLength - 10} bytes` } : { reason: 'not-uploaded' },
    );
    expect(await exists(pending.key)).toBe(false);
  });

  test('deletes an upload whose bytes match the digest but not the declared media type', async () => {
    const ofd = minimalOfd();
    const pending = await store.presignUpload(
      { sha256: documentDigest(ofd), size: ofd.byteLength, mediaType: 'application/pdf' },
      60,
    );

    const response = await upload(pending, ofd);

    expect(response.status).toBe(200);
    await expect(store.completeUpload(pending.key, pending.sha256)).rejects.toMatchObject({
      code: 'DOCUMENT_UPLOAD_REJECTED',
      reason: 'content',
    });
    expect(await exists(pending.key)).toBe(false);
  });

  test('deletes an upload completed with another digest than the one declared', async () => {
    const pdf = minimalPdf('declared');
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      60,
    );
    await upload(pending, pdf);
    const other = documentDigest(minimalPdf('claimed at completion'));

    await expect(store.completeUpload(pending.key, other)).rejects.toMatchObject({ reason: 'digest' });
    expect(await exists(pending.key)).toBe(false);
  });

  test('fails completion when nothing was uploaded', async () => {
    const pdf = minimalPdf();
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      60,
    );

    await expect(store.completeUpload(pending.key, pending.sha256)).rejects.toMatchObject({
      reason: 'not-uploaded',
    });
  });

  test('refuses a second PUT through the same URL once the document exists', async () => {
    const pdf = minimalPdf('once');
    const pending = await store.presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf' },
      60,
    );
    await upload(pending, pdf);
    await store.completeUpload(pending.key, pending.sha256);

    const replay = await upload(pending, minimalPdf('twice'));

    expect(replay.status).toBe(412);
    expect((await store.get(pending)).sha256).toBe(documentDigest(pdf));
  });
});

describe('listing by day, for the sweep of documents nothing holds', () => {
  /** A store whose clock stands on a day no other test writes to, so its listing is its own. */
  const onDay = (iso: string) =>
    new S3DocumentStore(storeClient, { bucket, kmsKeyId: kmsKeyArn, now: () => new Date(iso) });

  test('a put records the owner in the same PutObject, under a key of its UTC day', async () => {
    const pdf = minimalPdf('owned document');
    const stored = await onDay('2020-01-02T23:59:00.000Z').put({
      bytes: pdf,
      mediaType: 'application/pdf',
      owner: 'license:1.2.156.3005.2.X',
    });

    expect(stored.key).toMatch(/^documents\/2020-01-02\/[a-z2-7]{26}$/);
    expect(sent).toEqual(['PutObjectCommand']);
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: stored.key }));
    expect(head.Metadata?.owner).toBe('license:1.2.156.3005.2.X');
    await expect(store.put({ bytes: pdf, mediaType: 'application/pdf', owner: '许可证' })).rejects.toThrow(
      /printable ASCII/,
    );
  });

  test('lists the keys of one day only, a page at a time, and describes each without its bytes', async () => {
    const store1 = onDay('2020-02-03T00:00:00.000Z');
    const pdf = minimalPdf('listed');
    const written = [];
    for (let i = 0; i < 3; i++) {
      written.push(await store1.put({ bytes: pdf, mediaType: 'application/pdf', owner: `license:L${i}` }));
    }
    const unowned = await store1.put({ bytes: pdf, mediaType: 'application/pdf' });
    await onDay('2020-02-04T00:00:00.000Z').put({
      bytes: pdf,
      mediaType: 'application/pdf',
      owner: 'license:N',
    });
    // Something under the day's prefix the store did not write is never handed out.
    await raw.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'documents/2020-02-03/not-a-key', Body: 'x' }),
    );

    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listWrittenOn('2020-02-03', { limit: 2, ...(cursor ? { cursor } : {}) });
      keys.push(...page.items.map((item) => item.key));
      for (const item of page.items) expect(item.size).toBe(pdf.byteLength);
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined);

    expect(keys.sort()).toEqual([...written, unowned].map((d) => d.key).sort());
    expect(pages).toBe(3);
    sent.length = 0;
    expect(await store.describe(written[1]!.key)).toEqual({
      owner: 'license:L1',
      sha256: documentDigest(pdf),
      size: pdf.byteLength,
    });
    expect(await store.describe(unowned.key)).toEqual({ sha256: documentDigest(pdf), size: pdf.byteLength });
    expect(sent).toEqual(['HeadObjectCommand', 'HeadObjectCommand']);
    expect(await store.listWrittenOn('2019-12-31')).toEqual({ items: [] });
  });

  test('describes a missing document as undefined and refuses a foreign key without asking S3', async () => {
    expect(await store.describe(`documents/2020-03-01/${'a'.repeat(26)}`)).toBeUndefined();
    sent.length = 0;
    await expect(store.describe('documents/../x')).rejects.toBeInstanceOf(DocumentNotFound);
    await expect(store.listWrittenOn('2020-02-30')).rejects.toThrow(/yyyy-mm-dd/);
    await expect(store.listWrittenOn('2020-02-03', { limit: 1001 })).rejects.toThrow(/1–1000/);
    expect(sent).toEqual([]);
  });

  test('a presigned upload is keyed by its signing day and carries its owner for the sweep', async () => {
    const pdf = minimalPdf('swept upload');
    const pending = await onDay('2020-04-05T12:00:00.000Z').presignUpload(
      { sha256: documentDigest(pdf), size: pdf.byteLength, mediaType: 'application/pdf', owner: 'license:U' },
      120,
    );
    expect((await upload(pending, pdf)).status).toBe(200);

    const { items } = await store.listWrittenOn('2020-04-05');
    expect(items.map((i) => i.key)).toEqual([pending.key]);
    expect((await store.describe(pending.key))?.owner).toBe('license:U');
  });
});

describe('keys', () => {
  test('reveal nothing of the license or holder and carry 128 random bits each', async () => {
    const licenseId = '1.2.156.3005.2.11100000000013338W.91110000100000000K.0001.1.J';
    const holderName = '张三';
    const holderId = '11010519491231002X';
    const pdf = minimalPdf(`${licenseId} ${holderName} ${holderId}`);

    const keys: string[] = [];
    const urls: string[] = [];
    for (let i = 0; i < 40; i++) {
      const stored = await store.put({ bytes: pdf, mediaType: 'application/pdf' });
      keys.push(stored.key);
      urls.push((await store.presignDownload(stored, 60)).url);
    }

    for (const text of [...keys, ...urls]) {
      for (const secret of [
        licenseId,
        holderName,
        encodeURIComponent(holderName),
        holderId,
        '91110000100000000K',
      ]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(keys.every(isDocumentKey)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    // Same document, same digest, 40 keys: the bits differ on about half their positions pairwise.
    const bits = keys.map((key) => Buffer.from(documentKeyBits(key)));
    const distances = bits.slice(1).map((b, i) => hamming(b, bits[i] ?? b));
    const mean = distances.reduce((a, b) => a + b, 0) / distances.length;
    expect(mean).toBeGreaterThan(52);
    expect(mean).toBeLessThan(76);
  });
});

function hamming(a: Buffer, b: Buffer): number {
  let distance = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i] ?? 0) ^ (b[i] ?? 0);
    while (x) {
      distance += x & 1;
      x >>= 1;
    }
  }
  return distance;
}
