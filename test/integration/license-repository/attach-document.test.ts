// Recording a license's layout document over the wire: the reference lands in the content map,
// the optimistic lock moves, the audit event is written with it — and nothing is written when the
// lock is lost or the license does not exist.

import { beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { ConcurrentModification, LicenseNotFound } from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { StoredDocument } from '#ports/document-store.ts';
import {
  auditEventFor,
  idOf,
  newDemoLicense,
  provisionTestStage,
  rawItem,
  type Stage,
  snapshot,
} from './support.ts';

let stage: Stage;
const [card] = DEMO_LICENSES;

beforeAll(async () => {
  stage = await provisionTestStage('lr-document');
});

const pdf = (n: number): StoredDocument => ({
  key: `doc-${n}-0000000000000000000000`,
  sha256: `${String(n).padStart(3, '0')}${'A'.repeat(40)}`,
  size: 1000 + n,
  mediaType: 'application/pdf',
});

async function issued(serial: string) {
  const license = await newDemoLicense(stage, card, { serial });
  return stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
}

describe('attachDocument', () => {
  test('records the reference in the content, moves the version and writes the audit event together', async () => {
    const license = await issued('DOC1');
    const event = auditEventFor('license.document_attached', { licenseId: license.id });
    expect(
      await stage.repository.attachDocument({
        licenseId: license.id,
        expectedVersion: 1,
        document: pdf(1),
        auditEvent: event,
      }),
    ).toEqual({ version: 2 });

    const stored = await stage.repository.get(license.id);
    expect(stored?.version).toBe(2);
    expect(stored?.status).toBe('valid');
    // The rest of the content is kept as it was.
    expect(stored?.content).toEqual({ ...license.content, document: pdf(1) });
    const audit = await rawItem(
      stage,
      stage.tables.audit,
      auditPartitionKey(event.time, event.id),
      `${event.time}#${event.id}`,
    );
    expect(audit).toBeDefined();
  });

  test('replaces an earlier reference', async () => {
    const license = await issued('DOC2');
    for (const [n, expectedVersion] of [
      [1, 1],
      [2, 2],
    ] as const) {
      await stage.repository.attachDocument({
        licenseId: license.id,
        expectedVersion,
        document: pdf(n),
        auditEvent: auditEventFor('license.document_attached', { licenseId: license.id }),
      });
    }
    expect((await stage.repository.get(license.id))?.content.document).toEqual(pdf(2));
  });

  test('refuses a stale version with ConcurrentModification and writes nothing', async () => {
    const license = await issued('DOC3');
    await stage.repository.attachDocument({
      licenseId: license.id,
      expectedVersion: 1,
      document: pdf(1),
      auditEvent: auditEventFor('license.document_attached', { licenseId: license.id }),
    });
    const before = await snapshot(stage);
    const attempt = stage.repository.attachDocument({
      licenseId: license.id,
      expectedVersion: 1,
      document: pdf(3),
      auditEvent: auditEventFor('license.document_attached', { licenseId: license.id }),
    });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentModification);
    await expect(attempt).rejects.toMatchObject({ expectedVersion: 1, foundVersion: 2 });
    expect(await snapshot(stage)).toEqual(before);
  });

  test('refuses a license that is not stored with LicenseNotFound and writes nothing', async () => {
    const before = await snapshot(stage);
    const missing = idOf(card!, '001', 'NOSUCHDOC');
    await expect(
      stage.repository.attachDocument({
        licenseId: missing,
        expectedVersion: 1,
        document: pdf(1),
        auditEvent: auditEventFor('license.document_attached', { licenseId: missing }),
      }),
    ).rejects.toBeInstanceOf(LicenseNotFound);
    expect(await snapshot(stage)).toEqual(before);
  });
});
