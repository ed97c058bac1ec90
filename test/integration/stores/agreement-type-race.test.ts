// A license type changed while a sharing agreement naming it is being registered or replaced, over
// the wire: the agreement use case on the DynamoDB registry, with the type update interposed
// between the agreement's read of the type and its write — deterministically, in the window a
// concurrent update would have to hit. The agreement's write carries a ConditionCheck on the type's
// version as read, so it is refused (409 LICENSE_TYPE_CHANGED) writing nothing: no agreement names
// a field the type no longer discloses.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { registerSharingAgreement, updateSharingAgreement } from '#app/register-sharing-agreement.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import { DEMO_AGENCIES, DEMO_LICENSE_TYPES, DEMO_SHARING_AGREEMENTS, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import type { HttpProblem } from '#http/problem.ts';
import { LicenseTypeChanged } from '#ports/config-store.ts';
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

/** The registry, with `meanwhile` run after the agreement's checks read the type, before its write. */
function interposed(meanwhile: () => Promise<unknown>): DynamoConfigStore {
  let ran = false;
  const once = async () => {
    if (ran) return;
    ran = true;
    await meanwhile();
  };
  return new Proxy(store, {
    get(target, name, receiver) {
      const member = Reflect.get(target, name, receiver);
      if (name !== 'createSharingAgreement' && name !== 'updateSharingAgreement') {
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
