// The per-container catalog cache at the deployed age (the issuer and public functions' 5 s),
// over the registry on DynamoDB Local, changed as the operator's routes change it: a seal key
// rotated in is found by POST /verify's lookup through its re-read, a withdrawn key stays
// withdrawn, and a license type change shows only once the cached record is as old as the
// maximum age. The clock is injected; reads are counted as the GetItem calls the store sends.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { CachedCatalog } from '#app/cached-catalog.ts';
import { rotateSealKey } from '#app/rotate-seal-key.ts';
import { CachedSealStandings, UNHELD_KID_RECHECK_MS } from '#app/seal-standing.ts';
import { withdrawSealKey } from '#app/withdraw-seal-key.ts';
import { DEMO_CATALOG, DEMO_USCC } from '#dev/demo/catalog.ts';
import { adminDeps, FakeSealKeys, OPERATOR } from '../../unit/app/operator/fakes.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

/** The issuer and public functions' ELICENSE_CATALOG_MAX_AGE_SECONDS. */
const DEPLOYED_MAX_AGE_MS = 5_000;
const PSB = DEMO_USCC.publicSecurityBureau;
const TYPE = DEMO_CATALOG.licenseTypes.find((type) => type.issuers.includes(PSB))!;

let stage: StoreStage;
let store: DynamoConfigStore;
let operator: Parameters<typeof rotateSealKey>[2];

beforeAll(async () => {
  stage = await provisionStoreStage('it-cached-catalog');
  store = new DynamoConfigStore(stage.documents, stage.table('config'), { auditTable: stage.table('audit') });
  for (const agency of DEMO_CATALOG.agencies) await store.createAgency(agency);
  for (const type of DEMO_CATALOG.licenseTypes) await store.createLicenseType(type);
  operator = { ...adminDeps(), config: store, sealKeys: new FakeSealKeys() };
});

afterAll(async () => {
  await stage.dispose();
});

let time: { now: number };
let catalog: CachedCatalog;
let seals: CachedSealStandings;

// A fresh container per test, as the public function builds it (public.ts), at the deployed age.
beforeEach(() => {
  time = { now: 1_000_000 };
  catalog = new CachedCatalog(store, { maxAgeMs: DEPLOYED_MAX_AGE_MS, now: () => time.now });
  seals = new CachedSealStandings(catalog);
});

/** The registry reads sent by what runs in `during`. */
async function readsDuring(during: () => Promise<void>): Promise<number> {
  stage.operations.length = 0;
  await during();
  return stage.operations.filter((operation) => operation === 'GetItemCommand').length;
}

describe('CachedCatalog and CachedSealStandings over the registry on DynamoDB', () => {
  test('a seal key rotated in is found through the re-read, forged kids cost one read a second', async () => {
    const before = (await store.getAgency(PSB))!.value.sealKey!;
    expect((await seals.sealKeyOf(PSB, before.kid))?.keyRef).toBe(before.keyRef);

    // The cached record is older than a second, within the maximum age, when the operator rotates.
    time.now += 2_000;
    const rotated = (await rotateSealKey({ uscc: PSB }, OPERATOR, operator)).value.sealKey!;
    expect(rotated.kid).not.toBe(before.kid);
    expect(
      await readsDuring(async () => {
        expect(await seals.sealKeyOf(PSB, rotated.kid)).toEqual(rotated);
        // The replaced key still verifies; kids nobody holds share the record just read.
        expect((await seals.sealKeyOf(PSB, before.kid))?.withdrawn).toBeUndefined();
        for (let i = 0; i < 10; i += 1) expect(await seals.sealKeyOf(PSB, `forged-${i}`)).toBeUndefined();
      }),
    ).toBe(1);

    // Rotated again at once: the record read just before answers for the rest of its second…
    const next = (await rotateSealKey({ uscc: PSB }, OPERATOR, operator)).value.sealKey!;
    expect(await seals.sealKeyOf(PSB, next.kid)).toBeUndefined();
    // …then the next lookup reads it again.
    time.now += UNHELD_KID_RECHECK_MS;
    expect(await readsDuring(async () => expect(await seals.sealKeyOf(PSB, next.kid)).toEqual(next))).toBe(1);
  });

  test('a withdrawn seal key fails within the maximum age and stays withdrawn, whatever the registry says later', async () => {
    // A replaced key, still verifying, is the one withdrawn.
    const kid = (await store.getAgency(PSB))!.value.sealKey!.kid;
    const stored = await rotateSealKey({ uscc: PSB }, OPERATOR, operator);
    expect((await seals.sealKeyOf(PSB, kid))?.withdrawn).toBeUndefined();
    expect(await seals.withdrawalOf(PSB, kid)).toBeUndefined();

    const withdrawn = await withdrawSealKey({ uscc: PSB, kid, reason: '备份介质遗失' }, OPERATOR, operator);
    const since = withdrawn.value.previousSealKeys!.find((key) => key.kid === kid)!.withdrawn!.at;
    time.now += DEPLOYED_MAX_AGE_MS;
    expect((await seals.sealKeyOf(PSB, kid))?.withdrawn?.at).toBe(since);
    expect(await seals.withdrawalOf(PSB, kid)).toEqual({ since });

    // The record as it was before the withdrawal, written back (no route does: a stale read's
    // stand-in): read again past the maximum age and through the re-read, the key stays withdrawn.
    await store.updateAgency(stored.value, withdrawn.version);
    time.now += DEPLOYED_MAX_AGE_MS;
    expect(
      await readsDuring(async () => {
        expect(await seals.sealKeyOf(PSB, 'forged')).toBeUndefined();
        expect((await seals.sealKeyOf(PSB, kid))?.withdrawn?.at).toBe(since);
        expect(await seals.withdrawalOf(PSB, kid)).toEqual({ since });
      }),
    ).toBe(1);
  });

  test('a license type change shows only once the cached record is as old as the maximum age', async () => {
    const before = (await catalog.getLicenseType(TYPE.code))!;
    const changed = await store.updateLicenseType(
      { ...before.value, name: { ...before.value.name, en: `${before.value.name.en} (renamed)` } },
      before.version,
    );
    time.now += DEPLOYED_MAX_AGE_MS - 1;
    expect(
      await readsDuring(async () => expect(await catalog.getLicenseType(TYPE.code)).toEqual(before)),
    ).toBe(0);
    time.now += 1;
    expect(await catalog.getLicenseType(TYPE.code)).toEqual(changed);
  });
});
