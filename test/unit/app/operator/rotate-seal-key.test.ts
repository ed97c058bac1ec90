import { describe, expect, it } from 'vitest';
import { publishJwks } from '#app/publish-jwks.ts';
import { registerAgency } from '#app/register-agency.ts';
import { rotateSealKey } from '#app/rotate-seal-key.ts';
import { registrySealKeys, verifyLicense } from '#app/verify-license.ts';
import { SealKeyLimitReached, SealKeyNotRotatable } from '#core/catalog/registration-errors.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import { DEMO_AGENCIES, DEMO_USCC } from '#dev/demo/catalog.ts';
import { ConfigRecordNotFound, ConfigVersionConflict, writeNotSent } from '#ports/config-store.ts';
import {
  adminDeps,
  FakeSealKeys,
  InMemoryConfigStore,
  NOW,
  OPERATOR,
  RecordingAuditLog,
  testUscc,
} from './fakes.ts';

// Seal key rotation: the agency signs with a new key from the rotation on, and every license
// signed before it still verifies, because the replaced key stays on record and published.
const BASE = 'https://api.elicense.test';
const NOW_S = Math.floor(NOW.getTime() / 1000);

function setup(agencies = DEMO_AGENCIES) {
  const config = new InMemoryConfigStore({ agencies });
  const sealKeys = new FakeSealKeys();
  const admin = adminDeps();
  return { config, sealKeys, audit: config.audit, deps: { ...admin, config, sealKeys } };
}

async function newIssuer(deps: ReturnType<typeof setup>['deps']) {
  const uscc = testUscc(100);
  await registerAgency(
    { uscc, name: '演示市新颁证局', roles: ['issuer'], areaCode: '330100', apiKeys: [] },
    OPERATOR,
    deps,
  );
  return uscc;
}

describe('rotateSealKey', () => {
  it('puts a new key of the next generation in place and keeps the replaced ones, newest first', async () => {
    const { deps, sealKeys, audit } = setup();
    const uscc = await newIssuer(deps);
    const first = await rotateSealKey({ uscc }, OPERATOR, deps);
    const second = await rotateSealKey({ uscc, expectedVersion: first.version }, OPERATOR, deps);

    expect(sealKeys.requests.map((r) => r.generation)).toEqual([1, 2, 3]);
    expect(second.version).toBe(3);
    expect(second.value.sealKey?.keyRef).toBe(`fake:seal/${uscc}-3`);
    expect(second.value.previousSealKeys?.map((k) => k.keyRef)).toEqual([
      `fake:seal/${uscc}-2`,
      `fake:seal/${uscc}-1`,
    ]);
    expect(audit.events.at(-1)).toMatchObject({
      action: 'agency.seal_key_rotated',
      actor: { kind: 'operator', id: OPERATOR.agency },
      details: { agency: uscc, version: 3, sealKid: `seal-${uscc}-3`, replacedKid: `seal-${uscc}-2` },
    });
  });

  it('numbers the first rotation of a seeded issuer after its one key', async () => {
    const { deps, sealKeys } = setup();
    const saved = await rotateSealKey({ uscc: DEMO_USCC.marketRegulationBureau }, OPERATOR, deps);
    expect(sealKeys.requests).toEqual([{ agency: DEMO_USCC.marketRegulationBureau, generation: 2 }]);
    const demo = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.marketRegulationBureau)!;
    expect(saved.value.previousSealKeys).toEqual([demo.sealKey]);
  });

  it('verifies licenses signed before and after the rotation, and publishes both keys', async () => {
    const { deps, sealKeys, config } = setup([]);
    const uscc = await newIssuer(deps);
    const sign = async (keyRef: string) => {
      const { signer } = await sealKeys.keys.keyFor(keyRef);
      return (
        await issueSdJwtVc(
          {
            // Of this issuer: verification checks the identifier names the issuer that signed it.
            licenseId: buildLicenseId({
              typeCode: '11100000000013338W032',
              issuerCode: uscc,
              serial: '2430599',
              version: '001',
            }),
            issuer: agencyIssuer(BASE, uscc),
            fields: { 姓名: '张演示' },
            issuedAt: NOW_S - 100,
            validFrom: NOW_S - 100,
            validUntil: NOW_S + 100,
            status: { uri: statusListUri(BASE, 'list-1'), idx: 7 },
          },
          signer,
        )
      ).sdJwt;
    };
    const before = await sign((await config.getAgency(uscc))!.value.sealKey!.keyRef);
    const rotated = await rotateSealKey({ uscc }, OPERATOR, deps);
    const after = await sign(rotated.value.sealKey!.keyRef);

    const verify = (presentation: string) =>
      verifyLicense(
        { presentation },
        {
          sealKeys: registrySealKeys(config),
          keys: sealKeys.keys,
          statuses: { statusOf: async () => 0 },
          publicBaseUrl: BASE,
          audit: new RecordingAuditLog(),
          now: () => NOW,
          newEventId: () => 'verify-1',
        },
      );
    expect((await verify(before)).valid).toBe(true);
    expect((await verify(after)).valid).toBe(true);

    const jwks = await publishJwks({ config, keys: sealKeys.keys });
    expect(jwks.keys.map((k) => [k.kid, k.agency])).toEqual([
      [`seal-${uscc}-2`, uscc],
      [`seal-${uscc}-1`, uscc],
      ['platform-kid', undefined],
    ]);
  });

  it('refuses a stale version, an unknown agency and an agency without a seal key, making no key', async () => {
    const { deps, sealKeys, audit } = setup();
    await expect(
      rotateSealKey({ uscc: DEMO_USCC.publicSecurityBureau, expectedVersion: 2 }, OPERATOR, deps),
    ).rejects.toThrow(ConfigVersionConflict);
    await expect(rotateSealKey({ uscc: testUscc(101) }, OPERATOR, deps)).rejects.toThrow(
      ConfigRecordNotFound,
    );
    const relying = rotateSealKey({ uscc: DEMO_USCC.housingProvidentFundCentre }, OPERATOR, deps);
    await expect(relying).rejects.toThrow(SealKeyNotRotatable);
    await expect(relying).rejects.toThrow(/roles relying/);
    expect(sealKeys.requests).toEqual([]);
    expect(audit.events).toEqual([]);
  });

  it('at 64 previous keys lets go of the oldest withdrawn one, and refuses before making a key when none is withdrawn', async () => {
    const { deps, sealKeys, config, audit } = setup();
    const uscc = await newIssuer(deps);
    const current = (await config.getAgency(uscc))!;
    const previous = Array.from({ length: 64 }, (_, i) => ({ keyRef: `fake:old/${i}`, kid: `old-${i}` }));
    const full = await config.updateAgency({ ...current.value, previousSealKeys: previous }, current.version);
    audit.events.length = 0;

    // Room would mean letting go of a key that still verifies its licenses: the operator's call.
    const refused = rotateSealKey({ uscc }, OPERATOR, deps);
    await expect(refused).rejects.toBeInstanceOf(SealKeyLimitReached);
    await expect(refused).rejects.toThrow(
      `agency ${uscc} holds 64 previous seal keys, none of them withdrawn: withdraw the oldest, old-63, first`,
    );
    expect(sealKeys.requests).toHaveLength(1); // the registration's key only: none made, none discarded
    expect(sealKeys.discarded).toEqual([]);
    expect(audit.events).toEqual([]);
    expect(await config.getAgency(uscc)).toEqual(full);

    const withdrawn = { at: NOW.toISOString(), reason: '密钥泄露', operator: OPERATOR.agency };
    const marked = await config.updateAgency(
      {
        ...full.value,
        previousSealKeys: previous.map((key) => (key.kid === 'old-63' ? { ...key, withdrawn } : key)),
      },
      full.version,
    );
    const saved = await rotateSealKey({ uscc, expectedVersion: marked.version }, OPERATOR, deps);

    expect(sealKeys.requests.at(-1)).toEqual({ agency: uscc, generation: 66 });
    const kids = saved.value.previousSealKeys!.map((k) => k.kid);
    expect(kids).toHaveLength(64);
    expect(kids[0]).toBe(full.value.sealKey!.kid);
    expect(kids).not.toContain('old-63');
    expect(saved.value.sealKeysLetGo).toBe(1);
    expect(audit.events.map((e) => e.details)).toEqual([
      expect.objectContaining({ sealKid: `seal-${uscc}-66`, letGoKids: ['old-63'] }),
    ]);
  });

  it('gives up the new key when another change got to the agency first', async () => {
    const { deps, sealKeys, config } = setup();
    const uscc = DEMO_USCC.publicSecurityBureau;
    // Another write lands between the read and the write of the rotation.
    const racing = {
      ...deps,
      config: {
        getAgency: (id: string) => config.getAgency(id),
        updateAgency: async (agency: Parameters<typeof config.updateAgency>[0], expected: number) => {
          const current = (await config.getAgency(uscc))!;
          await config.updateAgency({ ...current.value, name: '并发修改' }, current.version);
          return config.updateAgency(agency, expected);
        },
      },
    };
    await expect(rotateSealKey({ uscc }, OPERATOR, racing)).rejects.toThrow(ConfigVersionConflict);
    expect(sealKeys.discarded).toEqual([`fake:seal/${uscc}-2`]);
    expect((await config.getAgency(uscc))?.value.previousSealKeys).toBeUndefined();
  });

  it('gives up the new key when the write failed before any of it was sent, and keeps it when it may have landed', async () => {
    const { deps, sealKeys, config } = setup();
    const uscc = DEMO_USCC.publicSecurityBureau;
    // As the registry's read of the record, made before its write, throttled past the SDK's retries.
    const throttled = Object.assign(new Error('Throughput exceeds the current capacity'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const failing = (error: Error) => ({
      ...deps,
      config: {
        getAgency: (id: string) => config.getAgency(id),
        updateAgency: async () => {
          throw error;
        },
      },
    });
    await expect(rotateSealKey({ uscc }, OPERATOR, failing(writeNotSent(throttled)))).rejects.toBe(throttled);
    expect(sealKeys.discarded).toEqual([`fake:seal/${uscc}-2`]);

    await expect(rotateSealKey({ uscc }, OPERATOR, failing(new Error('socket hang up')))).rejects.toThrow(
      'socket hang up',
    );
    expect(sealKeys.requests.map((r) => r.generation)).toEqual([2, 2]);
    expect(sealKeys.discarded).toEqual([`fake:seal/${uscc}-2`]);
  });
});
