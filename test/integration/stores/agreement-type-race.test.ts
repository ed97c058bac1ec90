// A license type changed while a sharing agreement naming it is being registered or replaced, over
// the wire, in both orders: the agreement use case on the DynamoDB registry with the type update
// interposed between the agreement's read of the type and its write, and the type update use case
// with an agreement registered between its listing of the type's agreements and its write —
// deterministically, in the window a concurrent write would have to hit. Both sides meet on the
// type's item (LicenseTypeAsRead): the agreement's write is conditioned on the type's version and
// counts itself there, the type's write on that count as read before the listing. Whichever comes
// second is refused (409 LICENSE_TYPE_CHANGED / SHARING_AGREEMENTS_CHANGED) writing nothing: no
// agreement names a field the type no longer discloses.

import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { updateLicenseType } from '#app/register-license-type.ts';
import { registerSharingAgreement, updateSharingAgreement } from '#app/register-sharing-agreement.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import { DEMO_AGENCIES, DEMO_LICENSE_TYPES, DEMO_SHARING_AGREEMENTS, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import type { HttpProblem } from '#http/problem.ts';
import { LicenseTypeChanged, SharingAgreementsChanged } from '#ports/config-store.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoConfigStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-agr-race');
  store = new DynamoConfigStore(stage.documents, stage.table('config'), { auditTable: stage.table('audit') });
  for (const agency of DEMO_AGENCIES) await store.createAgency(agency);
}, 60_000);

afterAll(async () => {
  await stage.dispose();
});

const agreement = DEMO_SHARING_AGREEMENTS.find(
  (a) => a.relyingAgency === DEMO_USCC.housingProvidentFundCentre,
)!;

/** A type of its own per test, a copy of the agreement's demo type under another code. */
async function typeOfOwn(code: string): Promise<LicenseType> {
  const demo = DEMO_LICENSE_TYPES.find((t) => t.code === agreement.typeCode)!;
  const type = { ...demo, code };
  await store.createLicenseType(type);
  return type;
}

/**
 * The registry, with `meanwhile` run once before the first call of one of `writes` — after the use
 * case's checks read what they read, before its write.
 */
function interposed(
  meanwhile: () => Promise<unknown>,
  writes: readonly (keyof DynamoConfigStore)[] = ['createSharingAgreement', 'updateSharingAgreement'],
): DynamoConfigStore {
  let ran = false;
  const once = async () => {
    if (ran) return;
    ran = true;
    await meanwhile();
  };
  return new Proxy(store, {
    get(target, name, receiver) {
      const member = Reflect.get(target, name, receiver);
      if (!(writes as readonly PropertyKey[]).includes(name)) {
        return typeof member === 'function' ? member.bind(target) : member;
      }
      return async (...args: unknown[]) => {
        await once();
        return member.apply(target, args);
      };
    },
  });
}

/** The type with the field the agreement discloses no longer disclosable on its own. */
function withoutDisclosing(type: LicenseType, field: string): LicenseType {
  return {
    ...type,
    fields: type.fields.map((f) => (f.name === field ? { ...f, disclosable: false } : f)),
  };
}

const deps = (config: DynamoConfigStore, eventId: string) => ({
  config,
  stage: 'local',
  demoData: 'allowed' as const,
  now: () => new Date('2026-03-01T08:00:00.000Z'),
  newEventId: () => eventId,
});

const OPERATOR = { agency: DEMO_USCC.platformOperator, keyId: 'demo-operator-1' };

async function auditEventStored(id: string, time: string): Promise<boolean> {
  const { Item } = await stage.documents.send(
    new GetCommand({
      TableName: stage.table('audit'),
      Key: { pk: auditPartitionKey(time, id), sk: `${time}#${id}` },
    }),
  );
  return Item !== undefined;
}

describe('a sharing agreement written while its license type changes', () => {
  test('registering is refused with 409 LICENSE_TYPE_CHANGED and writes nothing', async () => {
    const type = await typeOfOwn(`${agreement.typeCode.slice(0, -3)}901`);
    const field = agreement.fields[0]!;
    const fresh: SharingAgreement = { ...agreement, id: 'race-register', typeCode: type.code };
    const config = interposed(() => store.updateLicenseType(withoutDisclosing(type, field), 1));

    const refused = registerSharingAgreement(fresh, OPERATOR, deps(config, 'evt-race-register'));

    await expect(refused).rejects.toThrow(LicenseTypeChanged);
    const problem = asProblem(await refused.catch((error: unknown) => error)) as HttpProblem;
    expect([problem.status, problem.problemType, problem.extensions.code]).toEqual([
      409,
      'conflict',
      'LICENSE_TYPE_CHANGED',
    ]);
    expect(problem.message).toMatch(new RegExp(`license type ${type.code} changed`));
    expect(await store.getSharingAgreement('race-register')).toBeUndefined();
    expect(await auditEventStored('evt-race-register', '2026-03-01T08:00:00.000Z')).toBe(false);
    // Registered against the type as it is now, the agreement is refused for what it discloses.
    await expect(registerSharingAgreement(fresh, OPERATOR, deps(store, 'evt-race-again'))).rejects.toThrow(
      /not disclosable/,
    );
  });

  test('replacing is refused alike, the agreement left as it was', async () => {
    const type = await typeOfOwn(`${agreement.typeCode.slice(0, -3)}902`);
    const stored: SharingAgreement = {
      ...agreement,
      id: 'race-update',
      typeCode: type.code,
      fields: [agreement.fields[1]!],
    };
    await store.createSharingAgreement(stored);
    const field = agreement.fields[0]!;
    const config = interposed(() => store.updateLicenseType(withoutDisclosing(type, field), 1));

    const refused = updateSharingAgreement(
      { agreement: { ...stored, fields: [...stored.fields, field] }, expectedVersion: 1 },
      OPERATOR,
      deps(config, 'evt-race-update'),
    );

    await expect(refused).rejects.toThrow(LicenseTypeChanged);
    expect(await store.getSharingAgreement('race-update')).toEqual({ value: stored, version: 1 });
    expect(await auditEventStored('evt-race-update', '2026-03-01T08:00:00.000Z')).toBe(false);
  });
});

describe('a license type updated while a sharing agreement naming it is written', () => {
  test('the update is refused with 409 SHARING_AGREEMENTS_CHANGED and writes nothing; the agreement stands', async () => {
    const type = await typeOfOwn(`${agreement.typeCode.slice(0, -3)}903`);
    const field = agreement.fields[0]!;
    const late: SharingAgreement = { ...agreement, id: 'race-late', typeCode: type.code };
    const config = interposed(
      () => registerSharingAgreement(late, OPERATOR, deps(store, 'evt-race-late')),
      ['updateLicenseType'],
    );

    const refused = updateLicenseType(
      { type: withoutDisclosing(type, field), expectedVersion: 1 },
      OPERATOR,
      {
        ...deps(config, 'evt-race-type'),
        dataDomains: [type.dataDomain],
      },
    );

    await expect(refused).rejects.toThrow(SharingAgreementsChanged);
    const problem = asProblem(await refused.catch((error: unknown) => error)) as HttpProblem;
    expect([problem.status, problem.problemType, problem.extensions.code]).toEqual([
      409,
      'conflict',
      'SHARING_AGREEMENTS_CHANGED',
    ]);
    expect(problem.message).toMatch(new RegExp(`license type ${type.code} was written`));
    expect(await store.getLicenseType(type.code)).toEqual({ value: type, version: 1 });
    expect(await auditEventStored('evt-race-type', '2026-03-01T08:00:00.000Z')).toBe(false);
    expect((await store.getSharingAgreement('race-late'))?.value).toEqual(late);
    // Checked against the agreements as they are now, the change is refused for the late one.
    await expect(
      updateLicenseType({ type: withoutDisclosing(type, field), expectedVersion: 1 }, OPERATOR, {
        ...deps(store, 'evt-race-type-again'),
        dataDomains: [type.dataDomain],
      }),
    ).rejects.toThrow(/agreement race-late: field/);
  });

  test("agreement writes leave the type's record, version (its ETag) and listing as they were; an update keeps their count", async () => {
    const type = await typeOfOwn(`${agreement.typeCode.slice(0, -3)}904`);
    const counted = async () => {
      const { Item } = await stage.documents.send(
        new GetCommand({ TableName: stage.table('config'), Key: { pk: 'TYPE', sk: type.code } }),
      );
      return Item?.agreementWrites;
    };
    const own: SharingAgreement = { ...agreement, id: 'race-count', typeCode: type.code };
    await registerSharingAgreement(own, OPERATOR, deps(store, 'evt-count-1'));
    await updateSharingAgreement(
      { agreement: { ...own, purposes: [...own.purposes, '核验'] }, expectedVersion: 1 },
      OPERATOR,
      deps(store, 'evt-count-2'),
    );

    expect(await counted()).toBe(2);
    expect(await store.agreementWritesOfType(type.code)).toBe(2);
    expect(await store.getLicenseType(type.code)).toEqual({ value: type, version: 1 });
    const listed = [];
    let cursor: string | undefined;
    do {
      const page = await store.listLicenseTypes(cursor ? { cursor } : {});
      listed.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    expect(listed.find((t) => t.value.code === type.code)).toEqual({ value: type, version: 1 });

    // An update with nothing written meanwhile goes through (version 2) and keeps the count, so a
    // later agreement write counts on from it.
    const renamed = { ...type, name: { zh: '改名', en: 'Renamed' } };
    const updated = await updateLicenseType({ type: renamed, expectedVersion: 1 }, OPERATOR, {
      ...deps(store, 'evt-count-3'),
      dataDomains: [type.dataDomain],
    });
    expect(updated).toEqual({ value: renamed, version: 2 });
    expect(await counted()).toBe(2);
    await registerSharingAgreement({ ...own, id: 'race-count-2' }, OPERATOR, deps(store, 'evt-count-4'));
    expect(await counted()).toBe(3);
    expect(await store.getLicenseType(type.code)).toEqual({ value: renamed, version: 2 });
    // The count as read no longer holds: refused, the type left at version 2.
    await expect(store.updateLicenseType(type, 2, undefined, 2)).rejects.toThrow(SharingAgreementsChanged);
    // A stale version is still named as one, before the count.
    await expect(store.updateLicenseType(type, 1, undefined, 3)).rejects.toThrow(/version/);
  });

  test("decided in the type's transaction too: a count changed after the item's head was read is refused, a version changed is a version conflict", async () => {
    const type = await typeOfOwn(`${agreement.typeCode.slice(0, -3)}905`);
    /** The registry, with `meanwhile` run once just before its first transaction is sent. */
    const beforeTransaction = (meanwhile: () => Promise<unknown>) => {
      let ran = false;
      const documents = new Proxy(stage.documents, {
        get(target, name, receiver) {
          const member = Reflect.get(target, name, receiver);
          if (name !== 'send') return typeof member === 'function' ? member.bind(target) : member;
          return async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
            if (command instanceof TransactWriteCommand && !ran) {
              ran = true;
              await meanwhile();
            }
            return target.send(command);
          };
        },
      });
      return new DynamoConfigStore(documents, stage.table('config'), { auditTable: stage.table('audit') });
    };
    const own: SharingAgreement = { ...agreement, id: 'race-tx', typeCode: type.code };
    const counting = beforeTransaction(() =>
      registerSharingAgreement(own, OPERATOR, deps(store, 'evt-tx-agreement')),
    );
    await expect(counting.updateLicenseType(type, 1, undefined, 0)).rejects.toThrow(SharingAgreementsChanged);
    expect(await store.getLicenseType(type.code)).toEqual({ value: type, version: 1 });

    const renamed = { ...type, name: { zh: '改名', en: 'Renamed' } };
    const versioning = beforeTransaction(() => store.updateLicenseType(renamed, 1, undefined, 1));
    await expect(versioning.updateLicenseType(type, 1, undefined, 1)).rejects.toMatchObject({
      code: 'CONFIG_VERSION_CONFLICT',
    });
    expect(await store.getLicenseType(type.code)).toEqual({ value: renamed, version: 2 });
  });
});
