// The sweep of documents no license holds over the wire: documents in moto S3 (SSE-KMS under a
// moto key), license versions and the audit log in DynamoDB Local, through the adapters the
// document sweeper's handler wires. It removes the bytes of a license that never landed, with its
// audit event in the log, and keeps a held document and one with no owner.

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
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { LICENSE_CONTENT_FORMAT } from '#app/license-content.ts';
import { sweepDocumentsOfDay } from '#app/sweep-unheld-documents.ts';
import { parseAuditEvent } from '#core/audit/event.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import { minimalPdf } from '../fixtures/layout-documents.ts';
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

  const sweep = await sweepDocumentsOfDay('2025-06-01', {
    documents: new S3DocumentStore(s3, { bucket, kmsKeyId: 'unused-by-the-sweep' }),
    licenses: stage.repository,
    audit: new DynamoAuditLogWriter(stage.documents, stage.tables.audit),
    now: () => now,
    newEventId: () => 'document-discarded-it-1',
  });

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
