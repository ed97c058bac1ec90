// A license against DynamoDB's 400 KB item limit, over the wire: the largest license a registrable
// type allows, sealed by the ESDK, is stored with room to spare, and stays revocable however often
// its status changed (the record keeps the last changes only); a write the store refuses for item
// size is a typed refusal that wrote nothing, never an internal error.

import { randomBytes } from 'node:crypto';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { beforeAll, describe, expect, test } from 'vitest';
import { EsdkFieldCipher } from '#adapters/aws/field-cipher.ts';
import { issueLicense } from '#app/issue-license.ts';
import { type LicenseType, LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { MAX_KEPT_STATUS_CHANGES, revoke, suspend } from '#core/lifecycle.ts';
import { RecordTooLarge } from '#core/storage-errors.ts';
import { DEMO_HOLDERS, DEMO_USCC, RESIDENT_IDENTITY_CARD } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import { issuerWorld } from '../../unit/app/issuer-fakes.ts';
import { extraFields, largestAddress, largestDataOf } from '../../unit/catalog/largest-license.ts';
import {
  auditEventFor,
  newDemoLicense,
  provisionTestStage,
  type Stage,
  snapshot,
  toggleStatus,
} from './support.ts';

let stage: Stage;

beforeAll(async () => {
  stage = await provisionTestStage('lr-size');
});

/** The size DynamoDB counts for an item: attribute names and values as UTF-8 (numbers and nesting approximated). */
function itemBytes(item: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(item));
}

function esdkCipher(): EsdkFieldCipher {
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'item-size-test',
    keyName: 'field-wrapping',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  return new EsdkFieldCipher({ keyring, partition: 'item-size-test' });
}

/** The largest license of a registrable type (128 fields at the data budget), issued and sealed by the ESDK, as stored. */
async function issueLargest(): Promise<LicenseRecord> {
  const fields = [...RESIDENT_IDENTITY_CARD.fields, ...extraFields(119, 200)];
  const unsized: LicenseType = { ...RESIDENT_IDENTITY_CARD, fields };
  const maxLength = largestAddress(unsized);
  const type = LicenseTypeSchema.parse({
    ...unsized,
    fields: fields.map((f) => (f.name === '住址' ? { ...f, maxLength } : f)),
  });
  const world = issuerWorld(new Date());
  world.catalog.types = world.catalog.types.map((t) => (t.code === type.code ? type : t));
  const data = largestDataOf(type);
  const holder = DEMO_HOLDERS.zhangWeiming;

  const issued = await issueLicense(
    {
      typeCode: type.code,
      holder: { name: String(data.姓名), codeType: holder.codeType, code: holder.code },
      data,
    },
    { agency: DEMO_USCC.publicSecurityBureau },
    { ...world.deps, licenses: stage.repository, statusLists: stage.statusLists, cipher: esdkCipher() },
  );
  return (await stage.repository.get(issued.licenseId))!;
}

describe('license items and the 400 KB limit', () => {
  test('the largest license of a registrable type (128 fields at the data budget), sealed by the ESDK, is stored with over 140 KB to spare', async () => {
    const stored = await issueLargest();
    expect(stored.status).toBe('valid');
    const bytes = itemBytes(stored as unknown as Record<string, unknown>);
    expect(400 * 1024 - bytes).toBeGreaterThan(140 * 1024);
  });

  test(`the largest license, after ${3 * MAX_KEPT_STATUS_CHANGES} changes with 1,000-character reasons (past where a whole history reached 400 KB), keeps the last ${MAX_KEPT_STATUS_CHANGES} and is still revoked`, async () => {
    const largest = await issueLargest();
    const agency = { kind: 'agency' as const, id: DEMO_USCC.publicSecurityBureau };
    // 1,000 characters of 3 UTF-8 bytes: the longest reason the lifecycle accepts, in bytes.
    const reason = (n: number) => `${n}`.padEnd(1000, '挂');
    const changes = 3 * MAX_KEPT_STATUS_CHANGES;
    await toggleStatus(stage, largest.id, changes, { actor: agency, reasonOf: reason });
    const read = (await stage.repository.get(largest.id))!;

    await stage.repository.changeStatus({
      licenseId: read.id,
      expectedVersion: read.version,
      history: read.history,
      change: revoke(read.status, { actor: agency, at: new Date().toISOString(), reason: reason(changes) }),
      statusSlot: read.statusSlot,
      auditEvent: auditEventFor('license.revoked', { licenseId: read.id }),
    });

    const revoked = (await stage.repository.get(largest.id))!;
    expect(revoked).toMatchObject({ status: 'revoked', version: changes + 2 });
    expect(revoked.history.map((c) => c.reason)).toEqual(
      Array.from({ length: MAX_KEPT_STATUS_CHANGES }, (_, i) =>
        reason(changes - MAX_KEPT_STATUS_CHANGES + 1 + i),
      ),
    );
    expect(400 * 1024 - itemBytes(revoked as unknown as Record<string, unknown>)).toBeGreaterThan(60 * 1024);
  });

  test('an issue whose item would exceed 400 KB → RecordTooLarge (400), and nothing written', async () => {
    const license = await newDemoLicense(stage, undefined, { serial: 'OVERSIZE1' });
    const oversized = { ...license, content: { ...license.content, sealed: 'A'.repeat(410 * 1024) } };
    const before = await snapshot(stage);

    const error = await stage.repository
      .issue(oversized, auditEventFor('license.issued', { licenseId: license.id }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RecordTooLarge);
    expect(asProblem(error)).toMatchObject({ status: 400, problemType: 'validation-failed' });
    expect(await snapshot(stage)).toEqual(before);
  });

  test('a status change whose history would take the item over 400 KB → RecordTooLarge, and nothing written', async () => {
    const license = await newDemoLicense(stage, undefined, { serial: 'OVERSIZE2' });
    const nearlyFull = { ...license, content: { ...license.content, sealed: 'A'.repeat(398 * 1024) } };
    await stage.repository.issue(nearlyFull, auditEventFor('license.issued', { licenseId: license.id }));
    const before = await snapshot(stage);

    const error = await stage.repository
      .changeStatus({
        licenseId: license.id,
        expectedVersion: 1,
        history: [],
        change: suspend('valid', {
          actor: { kind: 'agency', id: DEMO_USCC.publicSecurityBureau },
          at: new Date().toISOString(),
          reason: '挂失'.repeat(500),
        }),
        statusSlot: license.statusSlot,
        auditEvent: auditEventFor('license.suspended', { licenseId: license.id }),
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RecordTooLarge);
    expect(await snapshot(stage)).toEqual(before);
  });
});
