// The license of an application's approval and a rejection of that application exclude each
// other over the wire: the license's write marks the application only while it is approving, and
// the application store refuses any step but the one to approved once it is marked.

import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { DynamoApplicationStore } from '#adapters/aws/application-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import {
  type Application,
  advanceApplication,
  type StepRequest,
  submitApplication,
} from '#core/applications/application.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { StoredApplication } from '#ports/application-store.ts';
import {
  auditEventFor,
  domainOf,
  LISTING_SUBKEYS,
  newDemoLicense,
  provisionTestStage,
  SHARDS,
  type Stage,
  snapshot,
} from './support.ts';

let stage: Stage;
let repository: DynamoDbLicenseRepository;
let applications: DynamoApplicationStore;
const [card] = DEMO_LICENSES;
const agency = { kind: 'agency' as const, id: card!.issuer };

beforeAll(async () => {
  stage = await provisionTestStage('lr-approval');
  const table = stage.physicalNames.find((name) => name.endsWith('-applications'))!;
  repository = new DynamoDbLicenseRepository({
    client: stage.documents,
    tables: stage.tables,
    shards: SHARDS,
    domainOf,
    issuerListingSubKeys: LISTING_SUBKEYS,
    applications: table,
  });
  applications = new DynamoApplicationStore(stage.documents, {
    applications: table,
    audit: stage.tables.audit,
  });
});

async function step(stored: StoredApplication, request: Omit<StepRequest, 'time' | 'actor'>) {
  const time = new Date().toISOString();
  const { application, step } = advanceApplication(stored.application, { ...request, actor: agency, time });
  const next = { ...stored, application };
  await applications.advance({
    next,
    step,
    auditEvent: auditEventFor(`application.${request.action}`, {}, time),
  });
  return next;
}

/** An application of the demo card's type to its issuer, decided (approving). */
async function approving(): Promise<StoredApplication> {
  const time = new Date().toISOString();
  const { application, step: first } = submitApplication({
    id: randomUUID(),
    typeCode: card!.typeCode,
    agency: card!.issuer,
    holderAccount: randomUUID(),
    holderCodeType: '111',
    time,
  });
  const stored = { application, sealedContent: new TextEncoder().encode('sealed'), attachments: [] };
  await applications.create({
    next: stored,
    step: first,
    auditEvent: auditEventFor('application.submitted', {}),
  });
  return step(stored, { action: 'approve' });
}

const stateOf = async (application: Application) => (await applications.get(application.id))!.stored;

describe('the license of an approval', () => {
  test('marks its approving application, which can then only go on to approved', async () => {
    const decided = await approving();
    const license = await newDemoLicense(stage, card, { serial: `APPROVAL${Date.now()}` });
    await repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }), {
      approving: decided.application.id,
    });
    expect((await stateOf(decided.application)).licenseWritten).toBe(license.id);

    await expect(step(decided, { action: 'reject', note: '不予许可' })).rejects.toThrow(
      ConcurrentModification,
    );
    const approved = await step(decided, { action: 'issue', licenseId: license.id });
    expect(await stateOf(approved.application)).toMatchObject({
      application: { state: 'approved', licenseId: license.id },
    });
    expect((await stateOf(approved.application)).licenseWritten).toBeUndefined();
  });

  test('is not written once the application was rejected: nothing of it is', async () => {
    const decided = await approving();
    await step(decided, { action: 'reject', note: '不予许可' });
    const license = await newDemoLicense(stage, card, { serial: `REJECTED${Date.now()}` });
    const before = await snapshot(stage);
    await expect(
      repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }), {
        approving: decided.application.id,
      }),
    ).rejects.toThrow(ConcurrentModification);
    expect(await snapshot(stage)).toEqual(before);
    expect(await repository.get(license.id)).toBeUndefined();
  });
});
