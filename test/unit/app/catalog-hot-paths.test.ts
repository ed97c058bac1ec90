// The hot read paths read a license type (and agency) from the registry once per maximum age, not
// once per request, when wired as the handlers wire them (functions/handlers/license-reading.ts,
// public.ts): one DynamoDB item serves at most 3,000 RCU/s, so the most used type read per
// retrieval, or one issuer's agency per public verification, would throttle.
import { beforeEach, describe, expect, it } from 'vitest';
import { CATALOG_MAX_AGE_MS, CachedCatalog } from '#app/cached-catalog.ts';
import { createGrant } from '#app/create-grant.ts';
import { listHolderLicenses } from '#app/holder-licenses.ts';
import { retrieveLicense } from '#app/retrieve-license.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import { verifyLicense } from '#app/verify-license.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import { DEMO_LICENSES, DEMO_SERVICE_ITEM, DEMO_USCC } from '#dev/demo/catalog.ts';
import { ACCOUNTS, HolderWorld } from './holder-fakes.ts';
import { PUBLIC_BASE_URL } from './retrieval-fakes.ts';

const ID_CARD = DEMO_LICENSES[0]!; // 张伟明's resident identity card
const HPF = DEMO_USCC.housingProvidentFundCentre;

let world: HolderWorld;
let reads: { types: Map<string, number>; agencies: Map<string, number> };
let catalog: CachedCatalog;
/** The catalog as the license-reading handlers wire it. */
let config: Pick<CachedCatalog, 'getLicenseType' | 'getAgency'> &
  Pick<HolderWorld['config'], 'listSharingAgreementsOfAgency'>;

const count = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
const later = (ms: number) => world.clock.set(new Date(world.clock.now().getTime() + ms).toISOString());

beforeEach(async () => {
  world = await HolderWorld.create();
  reads = { types: new Map(), agencies: new Map() };
  const registry = world.config;
  catalog = new CachedCatalog(
    {
      getLicenseType: (code) => {
        count(reads.types, code);
        return registry.getLicenseType(code);
      },
      getAgency: (uscc) => {
        count(reads.agencies, uscc);
        return registry.getAgency(uscc);
      },
    },
    { now: () => world.clock.now().getTime() },
  );
  config = {
    getLicenseType: catalog.getLicenseType,
    getAgency: catalog.getAgency,
    listSharingAgreementsOfAgency: registry.listSharingAgreementsOfAgency.bind(registry),
  };
});

describe('the hot paths read the catalog once per maximum age', () => {
  it('retrieval on a duty reads the license type once per CATALOG_MAX_AGE_MS', async () => {
    const license = await world.issue(ID_CARD);
    const retrieve = (caseNumber: string) =>
      retrieveLicense(
        {
          requester: { agency: HPF, keyId: 'demo-hpf-1' },
          target: { licenseId: license.id },
          basis: {
            duty: { serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber, operatorId: 'hpf-operator-007' },
          },
        },
        { ...world.retrievalDeps(), config, seals: new CachedSealStandings(catalog) },
      );
    for (let i = 0; i < 5; i += 1) await retrieve(`GJJTQ-2025-00012${i}`);
    expect(reads.types.get(ID_CARD.typeCode)).toBe(1);
    // The seal-standing flag reads the issuer agency through the same cache.
    expect(reads.agencies.get(ID_CARD.issuer)).toBe(1);
    later(CATALOG_MAX_AGE_MS);
    await retrieve('GJJTQ-2025-000200');
    expect(reads.types.get(ID_CARD.typeCode)).toBe(2);
  });

  it('a narrowed type shows in retrievals within CATALOG_MAX_AGE_MS', async () => {
    const license = await world.issue(ID_CARD);
    const retrieve = (caseNumber: string) =>
      retrieveLicense(
        {
          requester: { agency: HPF, keyId: 'demo-hpf-1' },
          target: { licenseId: license.id },
          basis: {
            duty: { serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber, operatorId: 'hpf-operator-007' },
          },
        },
        { ...world.retrievalDeps(), config },
      );
    const before = await retrieve('GJJTQ-2025-000301');
    const type = world.config.types.get(ID_CARD.typeCode)!;
    const field = before.disclosed[0]!;
    world.config.types.set(type.code, {
      ...type,
      fields: type.fields.map((f) => (f.name === field ? { ...f, disclosable: false } : f)),
    });
    expect((await retrieve('GJJTQ-2025-000302')).disclosed).toContain(field);
    later(CATALOG_MAX_AGE_MS);
    expect((await retrieve('GJJTQ-2025-000303')).disclosed).not.toContain(field);
  });

  it("a holder's listings and grants read each type and relying agency once", async () => {
    await world.issue(ID_CARD);
    const deps = { ...world.holderDeps(), config, seals: new CachedSealStandings(catalog) };
    for (let i = 0; i < 3; i += 1) await listHolderLicenses({ account: ACCOUNTS.zhang }, deps);
    for (let i = 0; i < 3; i += 1) {
      await createGrant(
        {
          actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
          scope: { licenseId: [...world.licenses.records.keys()][0]! },
          relyingAgency: HPF,
          purpose: '办理住房公积金提取',
          fields: ['姓名'],
          expiresAt: '2025-06-08T02:00:00.000Z',
          maxUses: 3,
        },
        { ...world.grantDeps(), config },
      );
    }
    expect(reads.types.get(ID_CARD.typeCode)).toBe(1);
    expect(reads.agencies.get(HPF)).toBe(1);
  });

  it("public verification reads the issuer's agency once per CATALOG_MAX_AGE_MS", async () => {
    const seal = await world.keys.keyFor(`seal/${ID_CARD.issuer}`);
    const { sdJwt } = await issueSdJwtVc(
      {
        licenseId: buildLicenseId({
          typeCode: ID_CARD.typeCode,
          issuerCode: ID_CARD.issuer,
          serial: ID_CARD.serial,
          version: '001',
        }),
        issuer: agencyIssuer(PUBLIC_BASE_URL, ID_CARD.issuer),
        fields: ID_CARD.data,
        issuedAt: 1_700_000_000,
        validFrom: 1_600_000_000,
        validUntil: null,
        status: { uri: statusListUri(PUBLIC_BASE_URL, 'list-1'), idx: 0 },
      },
      seal.signer,
    );
    const sealKeys = new CachedSealStandings(catalog);
    const verify = () =>
      verifyLicense(
        { presentation: sdJwt },
        {
          sealKeys,
          keys: { keyFor: async () => seal },
          statuses: { statusOf: async () => 0 },
          publicBaseUrl: PUBLIC_BASE_URL,
          audit: world.audit,
          now: world.clock.now,
          newEventId: world.newEventId,
        },
      );
    for (let i = 0; i < 5; i += 1) expect((await verify()).checks.signature).toBe('ok');
    expect(reads.agencies.get(ID_CARD.issuer)).toBe(1);
    later(CATALOG_MAX_AGE_MS);
    await verify();
    expect(reads.agencies.get(ID_CARD.issuer)).toBe(2);
  });
});
