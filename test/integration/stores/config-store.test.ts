// The registry over the wire: the demo catalog stored and read back, registrations that never
// silently overwrite, and the API-key lookup request authentication relies on.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { encodePageCursor } from '#adapters/aws/dynamodb-paging.ts';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { isCertainRefusal } from '#app/admin-change.ts';
import { addApiKey, revokeApiKey } from '#app/agency-api-keys.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency } from '#core/catalog/agency.ts';
import { type LicenseType, MAX_LICENSE_TYPE_BYTES } from '#core/catalog/license-type.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import { DEMO_CATALOG, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import {
  ApiKeyIdTaken,
  ConfigRecordExists,
  ConfigRecordInvalid,
  ConfigRecordNotFound,
  ConfigVersionConflict,
  wasWriteNotSent,
} from '#ports/config-store.ts';
import { InvalidCursor, type Page } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { closedPort } from '../../fixtures/closed-port.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoConfigStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-config');
  store = new DynamoConfigStore(stage.documents, stage.table('config'));
  for (const agency of DEMO_CATALOG.agencies) await store.createAgency(agency);
  for (const type of DEMO_CATALOG.licenseTypes) await store.createLicenseType(type);
  for (const agreement of DEMO_CATALOG.sharingAgreements) await store.createSharingAgreement(agreement);
});

afterAll(async () => {
  await stage.dispose();
});

/** Every item of a listing, read `limit` at a time. */
async function readAll<T>(
  list: (cursor?: string) => Promise<Page<T>>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.cursor;
    pages += 1;
  } while (cursor !== undefined);
  return { items, pages };
}

/** A request-signing key as the operator registers it, with a fresh P-256 public key. */
function requestKey(keyId: string) {
  const { x, y } = new SoftwareEs256Signer(keyId).publicJwk;
  return {
    keyId,
    algorithm: 'ecdsa-p256-sha256' as const,
    publicJwk: { kty: 'EC' as const, crv: 'P-256' as const, x: x!, y: y! },
  };
}

const agencyOf = (uscc: string): Agency => DEMO_CATALOG.agencies.find((a) => a.uscc === uscc)!;
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('the demo catalog', () => {
  test('reads back every agency, license type and agreement exactly as registered, at version 1', async () => {
    for (const agency of DEMO_CATALOG.agencies) {
      expect(await store.getAgency(agency.uscc)).toEqual({ value: agency, version: 1 });
    }
    for (const type of DEMO_CATALOG.licenseTypes) {
      expect(await store.getLicenseType(type.code)).toEqual({ value: type, version: 1 });
    }
    for (const agreement of DEMO_CATALOG.sharingAgreements) {
      expect(await store.getSharingAgreement(agreement.id)).toEqual({ value: agreement, version: 1 });
    }
  });

  test('lists agencies by USCC, types by code and agreements by id, across pages', async () => {
    const agencies = await readAll((cursor) => store.listAgencies({ limit: 2, cursor }));
    expect(agencies.items.map((a) => a.value.uscc)).toEqual(
      DEMO_CATALOG.agencies.map((a) => a.uscc).sort(byString),
    );
    expect(agencies.pages).toBeGreaterThanOrEqual(3);
    const types = await readAll((cursor) => store.listLicenseTypes({ limit: 1, cursor }));
    expect(types.items.map((t) => t.value)).toEqual(
      [...DEMO_CATALOG.licenseTypes].sort((a, b) => byString(a.code, b.code)),
    );
    const agreements = await readAll((cursor) => store.listSharingAgreements({ limit: 1, cursor }));
    expect(agreements.items.map((a) => a.value)).toEqual(
      [...DEMO_CATALOG.sharingAgreements].sort((a, b) => byString(a.id, b.id)),
    );
  });

  test('lists agreements by relying agency (optionally for one type) and by type', async () => {
    const ofAgency = await store.listSharingAgreementsOfAgency(DEMO_USCC.housingProvidentFundCentre);
    expect(ofAgency.items.map((a) => a.value.id).sort()).toEqual(
      DEMO_CATALOG.sharingAgreements.map((a) => a.id).sort(),
    );
    const ofAgencyAndType = await store.listSharingAgreementsOfAgency(DEMO_USCC.housingProvidentFundCentre, {
      typeCode: DEMO_TYPE_CODE.businessLicense,
    });
    expect(ofAgencyAndType.items.map((a) => a.value.id)).toEqual(['demo-hpf-withdrawal-business-license']);
    const ofType = await store.listSharingAgreementsOfType(DEMO_TYPE_CODE.residentIdentityCard);
    expect(ofType.items.map((a) => a.value.id)).toEqual(['demo-hpf-withdrawal-id-card']);
    expect((await store.listSharingAgreementsOfType(DEMO_TYPE_CODE.drivingLicence)).items).toEqual([]);
    expect((await store.listSharingAgreementsOfAgency(DEMO_USCC.publicSecurityBureau)).items).toEqual([]);
  });

  test('answers undefined for records never registered', async () => {
    expect(await store.getAgency('91330100MA2D00010B')).toBeUndefined();
    expect(await store.getLicenseType(`${DEMO_TYPE_CODE.drivingLicence.slice(0, 18)}999`)).toBeUndefined();
    expect(await store.getSharingAgreement('no-such-agreement')).toBeUndefined();
    expect(await store.findApiKey('no-such-key')).toBeUndefined();
    expect(await store.getAgency('')).toBeUndefined();
  });
});

describe('registrations never silently overwrite', () => {
  test('refuses to create an agency, type or agreement that exists, and keeps the stored one', async () => {
    const psb = agencyOf(DEMO_USCC.publicSecurityBureau);
    await expect(store.createAgency({ ...psb, name: '冒名机构' })).rejects.toBeInstanceOf(ConfigRecordExists);
    const type = DEMO_CATALOG.licenseTypes[0]!;
    await expect(store.createLicenseType(type)).rejects.toBeInstanceOf(ConfigRecordExists);
    const agreement = DEMO_CATALOG.sharingAgreements[0]!;
    await expect(store.createSharingAgreement(agreement)).rejects.toBeInstanceOf(ConfigRecordExists);

    expect((await store.getAgency(psb.uscc))?.value.name).toBe(psb.name);
  });

  test('updates with the expected version, and refuses a stale version naming the stored one', async () => {
    const type = DEMO_CATALOG.licenseTypes.find((t) => t.code === DEMO_TYPE_CODE.drivingLicence)!;
    const renamed = { ...type, name: { ...type.name, en: 'Driving licence' } };
    expect(await store.updateLicenseType(renamed, 1)).toEqual({ value: renamed, version: 2 });

    const stale = await store.updateLicenseType(type, 1).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(stale).toBeInstanceOf(ConfigVersionConflict);
    expect(stale).toMatchObject({ expected: 1, found: 2 });
    expect(await store.getLicenseType(type.code)).toEqual({ value: renamed, version: 2 });
  });

  test('refuses to update a record that was never created', async () => {
    const agreement = { ...DEMO_CATALOG.sharingAgreements[0]!, id: 'never-created' };
    await expect(store.updateSharingAgreement(agreement, 1)).rejects.toBeInstanceOf(ConfigRecordNotFound);
    expect(await store.getSharingAgreement('never-created')).toBeUndefined();
  });

  test('of 10 concurrent updates from the same version exactly one wins', async () => {
    const agreement = DEMO_CATALOG.sharingAgreements.find((a) => a.id === 'demo-hpf-withdrawal-id-card')!;
    const current = (await store.getSharingAgreement(agreement.id))!;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        store.updateSharingAgreement({ ...agreement, purposes: [`目的 ${i}`] }, current.version),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => r.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(ConfigVersionConflict);
    }
    const stored = (await store.getSharingAgreement(agreement.id))!;
    expect(stored.version).toBe(current.version + 1);
    expect(stored.value).toEqual(won[0]!.value.value);
    // Its lookup copies were written in the same transaction as the winner.
    const ofType = await store.listSharingAgreementsOfType(agreement.typeCode);
    expect(ofType.items).toEqual([stored]);
  });

  test('refuses a record its schema refuses, before writing anything', async () => {
    const broken = { ...agencyOf(DEMO_USCC.platformOperator), uscc: '12330100D000001520' };
    await expect(store.createAgency(broken)).rejects.toBeInstanceOf(ConfigRecordInvalid);
    expect(await store.getAgency(broken.uscc)).toBeUndefined();
  });
});

describe('a license type at the size bound', () => {
  const { demo: _demo, ...idCard } = DEMO_CATALOG.licenseTypes.find(
    (t) => t.code === DEMO_TYPE_CODE.residentIdentityCard,
  )!;
  /** The ID card type with `count` enum fields of 256 values of 128 three-byte characters (≈ 99 KB each). */
  const withEnums = (code: string, count: number, lastValues = 256): LicenseType => ({
    ...idCard,
    code: `${idCard.definingAgency.uscc}${code}`,
    fields: [
      ...idCard.fields,
      ...Array.from({ length: count }, (_, i) => ({
        name: `枚举${i}`,
        label: { zh: '枚举', en: 'Enumeration' },
        type: 'enum' as const,
        required: false,
        sensitive: false,
        disclosable: true,
        searchable: false,
        values: Array.from({ length: i === count - 1 ? lastValues : 256 }, (_, j) =>
          `${j}`.padEnd(128, '值'),
        ),
      })),
    ],
  });
  const bytes = (type: LicenseType) => Buffer.byteLength(JSON.stringify(type));

  test('refuses a type larger than a DynamoDB item may hold as invalid, naming its size, and writes nothing', async () => {
    const oversized = withEnums('951', 5);
    expect(bytes(oversized)).toBeGreaterThan(400 * 1024);
    const refused = store.createLicenseType(oversized);
    await expect(refused).rejects.toBeInstanceOf(ConfigRecordInvalid);
    await expect(refused).rejects.toThrow(
      `the license type is ${bytes(oversized)} bytes as JSON, more than the ${MAX_LICENSE_TYPE_BYTES} a type may take`,
    );
    expect(await store.getLicenseType(oversized.code)).toBeUndefined();
  });

  test('stores and reads back the largest type the schema accepts', async () => {
    // Three full enum fields, and a fourth grown value by value to just under the bound.
    let lastValues = 1;
    while (bytes(withEnums('952', 4, lastValues + 1)) <= MAX_LICENSE_TYPE_BYTES) lastValues += 1;
    const largest = withEnums('952', 4, lastValues);
    expect(MAX_LICENSE_TYPE_BYTES - bytes(largest)).toBeLessThan(400);
    expect(await store.createLicenseType(largest)).toEqual({ value: largest, version: 1 });
    expect(await store.getLicenseType(largest.code)).toEqual({ value: largest, version: 1 });
  });
});

describe('API keys', () => {
  test('finds a key and its agency by key id with one GetItem', async () => {
    const vehicle = agencyOf(DEMO_USCC.vehicleAdministration);
    const key = vehicle.apiKeys[0]!;
    stage.operations.length = 0;

    const found = await store.findApiKey(key.keyId);

    expect(stage.operations).toEqual(['GetItemCommand']);
    expect(found).toEqual({ agency: vehicle, key, agencyVersion: 1 });
  });

  test('reads a revoked key with its status, and forgets a removed key', async () => {
    const relying = agencyOf(DEMO_USCC.housingProvidentFundCentre);
    const original = relying.apiKeys[0]!;
    const rotated = { ...original, keyId: 'demo-hpf-2', created: '2025-06-01T00:00:00Z' };
    const revoked = { ...original, status: 'revoked' as const };
    await store.updateAgency({ ...relying, apiKeys: [revoked, rotated] }, 1);

    const old = await store.findApiKey(original.keyId);
    expect(old?.key.status).toBe('revoked');
    expect(old?.agencyVersion).toBe(2);
    expect((await store.findApiKey('demo-hpf-2'))?.key).toEqual(rotated);

    await store.updateAgency({ ...relying, apiKeys: [rotated] }, 2);
    expect(await store.findApiKey(original.keyId)).toBeUndefined();
    expect((await store.findApiKey('demo-hpf-2'))?.agency.apiKeys).toEqual([rotated]);
  });

  test('refuses a key id registered to another agency, and writes nothing of that update', async () => {
    const amr = agencyOf(DEMO_USCC.marketRegulationBureau);
    const psbKey = agencyOf(DEMO_USCC.publicSecurityBureau).apiKeys[0]!;
    const error = await store.updateAgency({ ...amr, apiKeys: [...amr.apiKeys, psbKey] }, 1).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ApiKeyIdTaken);
    expect(error).toMatchObject({ keyId: psbKey.keyId });
    expect(await store.getAgency(amr.uscc)).toEqual({ value: amr, version: 1 });
    expect((await store.findApiKey(psbKey.keyId))?.agency.uscc).toBe(DEMO_USCC.publicSecurityBureau);
  });
});

describe('agreements moved to another type', () => {
  test('leave the old type listing and join the new one', async () => {
    const agreement = DEMO_CATALOG.sharingAgreements.find(
      (a) => a.id === 'demo-hpf-withdrawal-business-license',
    )!;
    const moved = { ...agreement, typeCode: DEMO_TYPE_CODE.drivingLicence, fields: ['姓名'] };
    await store.updateSharingAgreement(moved, 1);

    expect((await store.listSharingAgreementsOfType(DEMO_TYPE_CODE.businessLicense)).items).toEqual([]);
    expect((await store.listSharingAgreementsOfType(DEMO_TYPE_CODE.drivingLicence)).items).toEqual([
      { value: moved, version: 2 },
    ]);
    const ofAgency = await store.listSharingAgreementsOfAgency(agreement.relyingAgency, {
      typeCode: DEMO_TYPE_CODE.drivingLicence,
    });
    expect(ofAgency.items.map((a) => a.value)).toEqual([moved]);
  });
});

describe('reads that meet damaged data', () => {
  test('refuse a stored record its schema refuses with StoredItemInvalid naming the item', async () => {
    const table = stage.table('config');
    const key = { pk: 'TYPE', sk: 'damaged' };
    await stage.documents.send(
      new PutCommand({ TableName: table, Item: { ...key, version: 1, data: { code: 'damaged' } } }),
    );
    try {
      const error = await store.getLicenseType('damaged').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoredItemInvalid);
      expect((error as StoredItemInvalid).key).toBe('TYPE / damaged');
      expect((error as StoredItemInvalid).issues.map((i) => i.path)).toContain('data.fields');
    } finally {
      await stage.documents.send(new DeleteCommand({ TableName: table, Key: key }));
    }
  });

  test('refuse an API-key item whose agency does not hold the key', async () => {
    const table = stage.table('config');
    const key = { pk: 'APIKEY#orphan', sk: 'APIKEY' };
    const psb = agencyOf(DEMO_USCC.publicSecurityBureau);
    await stage.documents.send(
      new PutCommand({
        TableName: table,
        Item: { ...key, keyId: 'orphan', agencyUscc: psb.uscc, version: 1, data: psb },
      }),
    );
    try {
      await expect(store.findApiKey('orphan')).rejects.toBeInstanceOf(StoredItemInvalid);
    } finally {
      await stage.documents.send(new DeleteCommand({ TableName: table, Key: key }));
    }
  });

  test('refuse a cursor that was tampered with or belongs to another listing', async () => {
    const page = await store.listAgencies({ limit: 1 });
    expect(page.cursor).toBeDefined();
    await expect(store.listLicenseTypes({ cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursor);
    await expect(store.listAgencies({ cursor: 'not json!' })).rejects.toBeInstanceOf(InvalidCursor);
  });

  test('refuse a cursor of the listing’s partition whose key the table could not have handed out', async () => {
    // Made as the store makes them: the listing's partition (AGENCY) is public, so anyone can.
    const forged = (key: Record<string, string>) => encodePageCursor({ pk: 'AGENCY' }, key);
    const keys: Record<string, string>[] = [
      { pk: 'AGENCY', sk: 'AGENCY#x', extra: 'y' },
      { pk: 'AGENCY' },
      { pk: 'AGENCY', sk: 'x'.repeat(2000) },
    ];
    for (const key of keys) {
      const listing = store.listAgencies({ cursor: forged(key) });
      await expect(listing, JSON.stringify(key).slice(0, 60)).rejects.toBeInstanceOf(InvalidCursor);
    }
  });

  test('refuse an over-long cursor attribute named like a member every object inherits before the table sees it', async () => {
    const cursor = encodePageCursor({ pk: 'AGENCY' }, { sk: 'AGENCY#x', constructor: 'x'.repeat(2000) });
    await expect(store.listAgencies({ cursor })).rejects.toThrow(
      'key attribute constructor is longer than any key of the table',
    );
  });
});

describe('a change with its audit event', () => {
  const auditEvent = (id: string, uscc: string): AuditEvent => ({
    id,
    time: '2026-11-27T08:00:00.000Z',
    actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
    action: 'agency.registered',
    outcome: 'success',
    details: { agency: uscc, version: 1 },
  });
  const newAgency = (uscc: string): Agency => ({
    ...agencyOf(DEMO_USCC.housingProvidentFundCentre),
    uscc,
    apiKeys: [],
  });
  const auditItemOf = async (event: AuditEvent) =>
    (
      await stage.documents.send(
        new GetCommand({
          TableName: stage.table('audit'),
          Key: { pk: auditPartitionKey(event.time, event.id), sk: `${event.time}#${event.id}` },
        }),
      )
    ).Item;

  test('writes both in one transaction', async () => {
    const audited = new DynamoConfigStore(stage.documents, stage.table('config'), {
      auditTable: stage.table('audit'),
    });
    const uscc = '12330100E00009015Y';
    const event = auditEvent('cfg-audit-1', uscc);
    await audited.createAgency(newAgency(uscc), event);
    expect((await store.getAgency(uscc))?.version).toBe(1);
    expect(JSON.parse(String((await auditItemOf(event))?.event))).toEqual(event);
  });

  test('writes neither when the event id is taken, or the change is refused', async () => {
    const audited = new DynamoConfigStore(stage.documents, stage.table('config'), {
      auditTable: stage.table('audit'),
    });
    const taken = auditEvent('cfg-audit-2', '12330100E00009023R');
    await audited.createAgency(newAgency('12330100E00009023R'), taken);
    const uscc = '12330100E00009031L';
    await expect(
      audited.createAgency(newAgency(uscc), { ...taken, details: { agency: uscc } }),
    ).rejects.toThrow(AuditEventExists);
    expect(await store.getAgency(uscc)).toBeUndefined();

    const refused = auditEvent('cfg-audit-3', DEMO_USCC.housingProvidentFundCentre);
    await expect(
      audited.createAgency(agencyOf(DEMO_USCC.housingProvidentFundCentre), refused),
    ).rejects.toThrow(ConfigRecordExists);
    expect(await auditItemOf(refused)).toBeUndefined();
  });

  test('an agency that rotated sixteen times adds a key: its oldest revoked key goes in that write, id and all', async () => {
    const audited = new DynamoConfigStore(stage.documents, stage.table('config'), {
      auditTable: stage.table('audit'),
    });
    let n = 0;
    const deps = {
      config: audited,
      stage: 'local',
      demoData: 'allowed' as const,
      now: () => new Date('2026-11-27T09:00:00.000Z'),
      newEventId: () => `cfg-rotate-${++n}`,
    };
    const operator = { agency: DEMO_USCC.platformOperator, keyId: 'demo-operator-1' };
    const uscc = '12330100E00009058C';
    await audited.createAgency({ ...newAgency(uscc), apiKeys: [] });
    await addApiKey({ uscc, key: requestKey('rot-1') }, operator, deps);
    for (let i = 2; i <= 16; i++) {
      await addApiKey({ uscc, key: requestKey(`rot-${i}`) }, operator, deps);
      await revokeApiKey({ uscc, keyId: `rot-${i - 1}` }, operator, deps);
    }

    const saved = await addApiKey({ uscc, key: requestKey('rot-17') }, operator, deps);

    expect(await store.getAgency(uscc)).toEqual(saved);
    expect(saved.value.apiKeys.map((k) => k.keyId)).toEqual(
      Array.from({ length: 16 }, (_, i) => `rot-${i + 2}`),
    );
    expect(await store.findApiKey('rot-1')).toBeUndefined();
    expect((await store.findApiKey('rot-17'))?.agencyVersion).toBe(saved.version);
    const other = agencyOf(DEMO_USCC.marketRegulationBureau);
    const { value: current, version } = (await store.getAgency(other.uscc))!;
    const reused = { ...saved.value.apiKeys[0]!, keyId: 'rot-1', status: 'active' as const };
    await store.updateAgency({ ...current, apiKeys: [...current.apiKeys, reused] }, version);
    expect((await store.findApiKey('rot-1'))?.agency.uscc).toBe(other.uscc);
  });

  test('refuses an audit event when no audit table was given, writing nothing', async () => {
    const uscc = '12330100E0000904XC';
    await expect(store.createAgency(newAgency(uscc), auditEvent('cfg-audit-4', uscc))).rejects.toThrow(
      /no audit table/,
    );
    expect(await store.getAgency(uscc)).toBeUndefined();
  });
});

describe('a write that fails before any of it is sent', () => {
  const rename = async (target: DynamoConfigStore, id: string) => {
    const current = (await store.getAgency(DEMO_USCC.housingProvidentFundCentre))!;
    const renamed = { ...current.value, name: `${current.value.name}（${id}）` };
    const event: AuditEvent = {
      id,
      time: '2026-11-27T09:00:00.000Z',
      actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
      action: 'agency.updated',
      outcome: 'success',
      details: { agency: renamed.uscc, version: current.version + 1 },
    };
    const failure = await target.updateAgency(renamed, current.version, event).then(
      () => undefined,
      (error: unknown) => error,
    );
    return { current, failure };
  };

  test('marks a failed read of the record, made before the update is sent, as not sent: a seal key made for it is given up', async () => {
    // Nothing listens there: the read fails for real, as an unreachable or throttled store's does.
    const unreachable = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      region: 'cn-north-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const offline = new DynamoConfigStore(DynamoDBDocumentClient.from(unreachable), stage.table('config'), {
      auditTable: stage.table('audit'),
    });
    const { current, failure } = await rename(offline, 'cfg-not-sent-1');
    unreachable.destroy();
    expect(wasWriteNotSent(failure)).toBe(true);
    expect(isCertainRefusal(failure)).toBe(true);
    // The error itself is kept: still the 503 a store that cannot be reached is.
    expect((failure as { code?: string }).code).toBe('ECONNREFUSED');
    expect(asProblem(failure)).toMatchObject({ problemType: 'dependency-unavailable' });
    expect(await store.getAgency(DEMO_USCC.housingProvidentFundCentre)).toEqual(current);
  });

  test('leaves a transaction that failed after it was sent unmarked: it may have landed, and here it did', async () => {
    // The SDK giving up after the request went out: the answer lost, the write made.
    const client = new DynamoDBClient({});
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== 'TransactWriteItemsCommand') return result;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
      },
      { step: 'deserialize', name: 'loseTheAnswer' },
    );
    const answerLost = new DynamoConfigStore(DynamoDBDocumentClient.from(client), stage.table('config'), {
      auditTable: stage.table('audit'),
    });
    const { current, failure } = await rename(answerLost, 'cfg-not-sent-2');
    client.destroy();
    expect(failure).toMatchObject({ name: 'TimeoutError' });
    expect(wasWriteNotSent(failure)).toBe(false);
    expect(isCertainRefusal(failure)).toBe(false);
    expect((await store.getAgency(DEMO_USCC.housingProvidentFundCentre))?.version).toBe(current.version + 1);
  });
});
