// The sweep of documents nothing holds over the wire: documents in moto S3 (SSE-KMS under a
// moto key), license versions, applications and the audit log in DynamoDB Local, through the
// adapters the document sweeper's handler wires. It removes the bytes of a license that never
// landed and an attachment its application does not list, each with its audit event in the log,
// and keeps a held document, a listed attachment and one with no owner.

import { randomUUID } from 'node:crypto';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DynamoApplicationStore } from '#adapters/aws/application-store.ts';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { LICENSE_CONTENT_FORMAT } from '#app/license-content.ts';
import { sweepDocumentsOfDay } from '#app/sweep-unheld-documents.ts';
import { submitApplication } from '#core/applications/application.ts';
import { parseAuditEvent } from '#core/audit/event.ts';
import { ATTACHMENT_MEDIA_TYPES } from '#core/layout-document/format.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import { minimalPdf, minimalPng } from '../fixtures/layout-documents.ts';
import {
  auditEventFor,
  idOf,
  newDemoLicense,
  provisionTestStage,
  rawItem,
  type Stage,
} from './license-repository/support.ts';

const [card] = DEMO_LICENSES;
const forcePathStyle = process.env.ELICENSE_S3_FORCE_PATH_STYLE === 'true';
const s3 = new S3Client({ forcePathStyle });
const kms = new KMSClient({});
const bucket = `it-document-sweep-${randomUUID()}`;
let kmsKeyId = '';
let writerKeyArn = '';
let stage: Stage;
/** Writes as on 1 June 2025; the sweep runs on 5 June, past the day's grace. */
let writer: S3DocumentStore;

beforeAll(async () => {
  stage = await provisionTestStage('sweep');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ Description: 'integration test: document sweep' }),
  );
  kmsKeyId = KeyMetadata?.KeyId ?? '';
  writerKeyArn = KeyMetadata?.Arn ?? '';
  writer = new S3DocumentStore(s3, {
    bucket,
    kmsKeyId: KeyMetadata?.Arn ?? '',
    now: () => new Date('2025-06-01T10:00:00.000Z'),
  });
});

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of listed.Contents ?? [])
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: kmsKeyId, PendingWindowInDays: 7 }));
  s3.destroy();
  kms.destroy();
});

function applications(): DynamoApplicationStore {
  return new DynamoApplicationStore(stage.documents, {
    applications: stage.table('applications'),
    audit: stage.tables.audit,
  });
}

/** The sweep as the handler wires it, at `now`, naming its audit events `<eventId>`, `<eventId>-2`, …. */
function sweepDeps(now: Date, eventId: string) {
  let n = 0;
  return {
    documents: new S3DocumentStore(s3, { bucket, kmsKeyId: 'unused-by-the-sweep' }),
    licenses: stage.repository,
    applications: applications(),
    audit: new DynamoAuditLogWriter(stage.documents, stage.tables.audit),
    now: () => now,
    newEventId: () => (++n === 1 ? eventId : `${eventId}-${n}`),
  };
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFound') return false;
    throw error;
  }
}

test('removes the bytes of a license never written, audited first, and keeps what a license holds or no owner names', async () => {
  const pdf = minimalPdf('swept over the wire');
  const heldId = idOf(card!, '001', 'SWEEPHELD');
  const lostId = idOf(card!, '001', 'SWEEPLOST');
  const held = await writer.put({ bytes: pdf, mediaType: 'application/pdf', owner: `license:${heldId}` });
  const lost = await writer.put({ bytes: pdf, mediaType: 'application/pdf', owner: `license:${lostId}` });
  const unowned = await writer.put({ bytes: pdf, mediaType: 'application/pdf' });
  const license = await newDemoLicense(stage, card, { serial: 'SWEEPHELD' });
  await stage.repository.issue(
    {
      ...license,
      content: { format: LICENSE_CONTENT_FORMAT, document: { key: held.key, sha256: held.sha256 } },
    },
    auditEventFor('license.issued', { licenseId: heldId }),
  );
  const now = new Date('2025-06-05T03:00:00.000Z');

  const sweep = await sweepDocumentsOfDay('2025-06-01', sweepDeps(now, 'document-discarded-it-1'));

  expect(sweep).toEqual({
    day: '2025-06-01',
    listed: 3,
    held: 1,
    discarded: 1,
    unowned: 1,
    undecided: 0,
    gone: 0,
    failed: 0,
    complete: true,
  });
  expect(await exists(held.key)).toBe(true);
  expect(await exists(unowned.key)).toBe(true);
  expect(await exists(lost.key)).toBe(false);
  const time = now.toISOString();
  const item = await rawItem(
    stage,
    stage.tables.audit,
    auditPartitionKey(time, 'document-discarded-it-1'),
    `${time}#document-discarded-it-1`,
  );
  expect(parseAuditEvent(JSON.parse(String(item?.event)))).toEqual({
    id: 'document-discarded-it-1',
    time,
    actor: { kind: 'system', id: 'document-sweeper' },
    action: 'license.document_discarded',
    subject: { licenseId: lostId, typeCode: card!.typeCode },
    outcome: 'success',
    details: {
      documentKey: lost.key,
      writtenOn: '2025-06-01',
      reason: 'license-not-found',
      size: pdf.byteLength,
      sha256: lost.sha256,
    },
  });
});

test('removes an attachment its application does not list, audited first, and keeps the one it lists', async () => {
  const png = minimalPng();
  const applicationId = randomUUID();
  const owner = `application:${applicationId}`;
  // Written on 2 June: this test's day alone.
  const attacher = new S3DocumentStore(s3, {
    bucket,
    kmsKeyId: writerKeyArn,
    acceptedMediaTypes: ATTACHMENT_MEDIA_TYPES,
    now: () => new Date('2025-06-02T10:00:00.000Z'),
  });
  const listed = await attacher.put({ bytes: png, mediaType: 'image/png', owner });
  const lost = await attacher.put({ bytes: png, mediaType: 'image/png', owner });
  const { application, step } = submitApplication({
    id: applicationId,
    typeCode: card!.typeCode,
    agency: card!.issuer,
    holderAccount: randomUUID(),
    holderCodeType: '111',
    time: '2025-06-02T10:00:00.000Z',
    attachments: [listed.sha256],
  });
  await applications().create({
    next: {
      application,
      sealedContent: new Uint8Array([1, 2, 3]),
      attachments: [{ ...listed, step: 1, added: '2025-06-02T10:00:00.000Z' }],
    },
    step,
    auditEvent: {
      id: `application-it-${applicationId}`,
      time: '2025-06-02T10:00:00.000Z',
      actor: { kind: 'holder', id: application.holderAccount },
      action: 'application.submitted',
      outcome: 'success',
    },
  });
  const now = new Date('2025-06-05T03:00:00.000Z');

  const sweep = await sweepDocumentsOfDay('2025-06-02', sweepDeps(now, 'attachment-discarded-it-1'));

  expect(sweep).toMatchObject({ listed: 2, held: 1, discarded: 1, unowned: 0, undecided: 0, complete: true });
  expect(await exists(listed.key)).toBe(true);
  expect(await exists(lost.key)).toBe(false);
  const time = now.toISOString();
  const item = await rawItem(
    stage,
    stage.tables.audit,
    auditPartitionKey(time, 'attachment-discarded-it-1'),
    `${time}#attachment-discarded-it-1`,
  );
  expect(parseAuditEvent(JSON.parse(String(item?.event)))).toEqual({
    id: 'attachment-discarded-it-1',
    time,
    actor: { kind: 'system', id: 'document-sweeper' },
    action: 'application.attachment_discarded',
    subject: { typeCode: card!.typeCode },
    outcome: 'success',
    details: {
      applicationId,
      documentKey: lost.key,
      writtenOn: '2025-06-02',
      reason: 'held-by-no-step',
      size: png.byteLength,
      sha256: lost.sha256,
    },
  });
});
