import { describe, expect, it } from 'vitest';
import { publishJwks } from '#app/publish-jwks.ts';
import { registerAgency } from '#app/register-agency.ts';
import { rotateSealKey } from '#app/rotate-seal-key.ts';
import { registrySealKeys, verifyLicense } from '#app/verify-license.ts';
import { withdrawSealKey } from '#app/withdraw-seal-key.ts';
import {
  SealKeyAlreadyWithdrawn,
  SealKeyLimitReached,
  SealKeyNotFound,
} from '#core/catalog/registration-errors.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import { ConfigRecordInvalid, ConfigRecordNotFound, ConfigVersionConflict } from '#ports/config-store.ts';
import {
  adminDeps,
  FakeSealKeys,
  InMemoryConfigStore,
  NOW,
  OPERATOR,
  RecordingAuditLog,
  testUscc,
} from './fakes.ts';

// Withdrawing a compromised seal key: the agency record marks it withdrawn with its audit event,
// the JWKS leaves it out, what it signed fails the signature check naming it withdrawn, and the
// key service is told to stop using it. The key the agency signs with is replaced in the same
// change. Every refusal changes nothing.
const BASE = 'https://api.elicense.test';
const NOW_S = Math.floor(NOW.getTime() / 1000);
const REASON = '密钥文件在 2026-02 安全事件中泄露（事件编号 SEC-2026-014）';

async function setup() {
  const config = new InMemoryConfigStore();
  const sealKeys = new FakeSealKeys();
  const deps = { ...adminDeps(), config, sealKeys };
  const uscc = testUscc(200);
  await registerAgency(
    { uscc, name: '演示市新颁证局', roles: ['issuer'], areaCode: '330100', apiKeys: [] },
    OPERATOR,
    deps,
  );
  // Two keys: generation 1 (previous) and generation 2 (current).
  await rotateSealKey({ uscc }, OPERATOR, deps);
  config.audit.events.length = 0;
  const sign = async (keyRef: string) => {
    const { signer } = await sealKeys.keys.keyFor(keyRef);
    const license = {
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
    };
    return (await issueSdJwtVc(license, signer)).sdJwt;
  };
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
  const publishedKids = async () =>
    (await publishJwks({ config, keys: sealKeys.keys })).keys
      .filter((k) => k.agency === uscc)
      .map((k) => k.kid);
  return { config, sealKeys, deps, uscc, sign, verify, publishedKids, audit: config.audit };
}

describe('withdrawSealKey', () => {
  it('withdraws a previous key: marked on the record, audited, unpublished, its licenses fail naming it withdrawn', async () => {
    const { config, sealKeys, deps, uscc, sign, verify, publishedKids, audit } = await setup();
    const signedWithOld = await sign(`fake:seal/${uscc}-1`);
    const signedWithCurrent = await sign(`fake:seal/${uscc}-2`);
    expect((await verify(signedWithOld)).valid).toBe(true);

    const saved = await withdrawSealKey(
      { uscc, kid: `seal-${uscc}-1`, reason: ` ${REASON} ` },
      OPERATOR,
      deps,
    );

    expect(saved.version).toBe(3);
    expect(saved.value.sealKey?.kid).toBe(`seal-${uscc}-2`);
    expect(saved.value.previousSealKeys).toEqual([
      {
        keyRef: `fake:seal/${uscc}-1`,
        kid: `seal-${uscc}-1`,
        withdrawn: { at: NOW.toISOString(), reason: REASON, operator: OPERATOR.agency },
      },
    ]);
    expect((await config.getAgency(uscc))?.value).toEqual(saved.value);
    expect(audit.events).toEqual([
      expect.objectContaining({
        action: 'agency.seal_key_withdrawn',
        actor: { kind: 'operator', id: OPERATOR.agency },
        outcome: 'success',
        details: {
          agency: uscc,
          version: 3,
          withdrawnKid: `seal-${uscc}-1`,
          reason: REASON,
          operatorKeyId: OPERATOR.keyId,
        },
      }),
    ]);
    expect(sealKeys.withdrawn).toEqual([`fake:seal/${uscc}-1`]);
    expect(sealKeys.requests).toHaveLength(2); // no new key: the current one stays

    expect(await publishedKids()).toEqual([`seal-${uscc}-2`]);
    const refused = await verify(signedWithOld);
    expect(refused.valid).toBe(false);
    expect(refused.checks.signature).toBe(
      `failed: key "seal-${uscc}-1" of issuer "${agencyIssuer(BASE, uscc)}" is withdrawn since ${NOW.toISOString()}: it verifies nothing it signed`,
    );
    expect((await verify(signedWithCurrent)).valid).toBe(true);
  });

  it('refuses what the key signed by the record alone, though the key service still serves the key', async () => {
    const { sealKeys, deps, uscc, sign, verify, publishedKids } = await setup();
    const signedWithOld = await sign(`fake:seal/${uscc}-1`);
    sealKeys.withdrawFailure = new Error('KMS unreachable');

    await expect(
      withdrawSealKey({ uscc, kid: `seal-${uscc}-1`, reason: REASON }, OPERATOR, deps),
    ).rejects.toThrow('KMS unreachable');

    // The key service was not reached, yet the record withdrew the key.
    expect(sealKeys.withdrawn).toEqual([]);
    expect((await verify(signedWithOld)).checks.signature).toMatch(/is withdrawn since/);
    expect(await publishedKids()).toEqual([`seal-${uscc}-2`]);

    // Asking again finishes the key service's part, and says the record was withdrawn already.
    sealKeys.withdrawFailure = undefined;
    await expect(
      withdrawSealKey({ uscc, kid: `seal-${uscc}-1`, reason: REASON }, OPERATOR, deps),
    ).rejects.toThrow(SealKeyAlreadyWithdrawn);
    expect(sealKeys.withdrawn).toEqual([`fake:seal/${uscc}-1`]);
  });

  it('finishes a withdrawal whose key-service step failed when retried with the original If-Match', async () => {
    const { config, sealKeys, deps, uscc } = await setup();
    sealKeys.withdrawFailure = new Error('KMS unreachable');
    const request = { uscc, kid: `seal-${uscc}-2`, reason: REASON, expectedVersion: 2 };

    await expect(withdrawSealKey(request, OPERATOR, deps)).rejects.toThrow('KMS unreachable');
    const written = await config.getAgency(uscc);
    expect(written?.version).toBe(3);
    expect(sealKeys.withdrawn).toEqual([]);

    // The retry carries the version the operator read before the first attempt: the record has
    // moved on because of that very attempt, so the key is found withdrawn, not a version conflict.
    sealKeys.withdrawFailure = undefined;
    await expect(withdrawSealKey(request, OPERATOR, deps)).rejects.toThrow(SealKeyAlreadyWithdrawn);
    expect(sealKeys.withdrawn).toEqual([`fake:seal/${uscc}-2`]);
    expect(await config.getAgency(uscc)).toEqual(written);
    expect(config.audit.events.map((e) => e.action)).toEqual(['agency.seal_key_withdrawn']);
  });

  it('replaces the current key in the same change: new licenses are signed with the new key and verify', async () => {
    const { config, sealKeys, deps, uscc, sign, verify, publishedKids, audit } = await setup();
    const signedWithCurrent = await sign(`fake:seal/${uscc}-2`);

    const saved = await withdrawSealKey(
      { uscc, kid: `seal-${uscc}-2`, reason: REASON, expectedVersion: 2 },
      OPERATOR,
      deps,
    );

    expect(sealKeys.requests.at(-1)).toEqual({ agency: uscc, generation: 3 });
    expect(saved.version).toBe(3);
    expect(saved.value.sealKey).toEqual({ keyRef: `fake:seal/${uscc}-3`, kid: `seal-${uscc}-3` });
    expect(saved.value.previousSealKeys?.map((k) => [k.kid, k.withdrawn?.reason])).toEqual([
      [`seal-${uscc}-2`, REASON],
      [`seal-${uscc}-1`, undefined],
    ]);
    expect(audit.events.map((e) => e.details)).toEqual([
      {
        agency: uscc,
        version: 3,
        withdrawnKid: `seal-${uscc}-2`,
        sealKid: `seal-${uscc}-3`,
        reason: REASON,
        operatorKeyId: OPERATOR.keyId,
      },
    ]);
    expect(sealKeys.withdrawn).toEqual([`fake:seal/${uscc}-2`]);
    expect(await publishedKids()).toEqual([`seal-${uscc}-3`, `seal-${uscc}-1`]);
    expect((await verify(signedWithCurrent)).checks.signature).toMatch(/is withdrawn/);
    const signedWithNew = await sign((await config.getAgency(uscc))!.value.sealKey!.keyRef);
    expect((await verify(signedWithNew)).valid).toBe(true);
  });

  it('refuses an unknown agency or kid, a key withdrawn already, a stale version, and a missing or identifying reason, changing nothing', async () => {
    const { config, sealKeys, deps, uscc } = await setup();
    await withdrawSealKey({ uscc, kid: `seal-${uscc}-1`, reason: REASON }, OPERATOR, deps);
    const before = await config.getAgency(uscc);
    const eventsBefore = config.audit.events.length;
    const requestsBefore = sealKeys.requests.length;
    sealKeys.withdrawn.length = 0;

    const withdraw = (request: Partial<Parameters<typeof withdrawSealKey>[0]>) =>
      withdrawSealKey({ uscc, kid: `seal-${uscc}-2`, reason: REASON, ...request }, OPERATOR, deps);
    await expect(withdraw({ uscc: testUscc(201) })).rejects.toThrow(ConfigRecordNotFound);
    await expect(withdraw({ kid: 'never-held' })).rejects.toThrow(SealKeyNotFound);
    await expect(withdraw({ kid: 'never-held' })).rejects.toThrow(
      `agency ${uscc} holds no seal key never-held`,
    );
    await expect(withdraw({ expectedVersion: 2 })).rejects.toThrow(ConfigVersionConflict);
    await expect(withdraw({ reason: '   ' })).rejects.toThrow(ConfigRecordInvalid);
    await expect(withdraw({ reason: '持有人 11010519491231002X 报告密钥泄露' })).rejects.toThrow(
      IdentityNumberInText,
    );
    const again = withdraw({ kid: `seal-${uscc}-1` });
    await expect(again).rejects.toThrow(SealKeyAlreadyWithdrawn);
    await expect(again).rejects.toThrow(`was withdrawn already, at ${NOW.toISOString()}`);

    expect(await config.getAgency(uscc)).toEqual(before);
    expect(config.audit.events).toHaveLength(eventsBefore);
    expect(sealKeys.requests).toHaveLength(requestsBefore);
    // Only the key withdrawn already was named to the key service again (a no-op there).
    expect(sealKeys.withdrawn).toEqual([`fake:seal/${uscc}-1`]);
  });

  it('withdraws the current key of an agency holding 64 previous keys by letting go of the oldest withdrawn one', async () => {
    const { config, sealKeys, deps, uscc, audit } = await setup();
    const current = (await config.getAgency(uscc))!;
    const previous = Array.from({ length: 64 }, (_, i) => ({ keyRef: `fake:old/${i}`, kid: `old-${i}` }));
    const full = await config.updateAgency({ ...current.value, previousSealKeys: previous }, current.version);
    const currentKid = full.value.sealKey!.kid;

    // None of the 64 is withdrawn: letting one go would make its licenses unverifiable unasked, so
    // the operator is told to withdraw the oldest first. No key is made for a refused withdrawal.
    const refused = withdrawSealKey({ uscc, kid: currentKid, reason: REASON }, OPERATOR, deps);
    await expect(refused).rejects.toBeInstanceOf(SealKeyLimitReached);
    await expect(refused).rejects.toThrow(
      `agency ${uscc} holds 64 previous seal keys, none of them withdrawn: withdraw the oldest, old-63, first`,
    );
    expect(sealKeys.requests).toHaveLength(2);
    expect(sealKeys.withdrawn).toEqual([]);
    expect(await config.getAgency(uscc)).toEqual(full);

    await withdrawSealKey({ uscc, kid: 'old-63', reason: REASON }, OPERATOR, deps);
    await withdrawSealKey({ uscc, kid: 'old-5', reason: REASON }, OPERATOR, deps);
    audit.events.length = 0;
    const saved = await withdrawSealKey({ uscc, kid: currentKid, reason: REASON }, OPERATOR, deps);

    expect(sealKeys.requests.at(-1)).toEqual({ agency: uscc, generation: 66 });
    expect(saved.value.sealKey?.kid).toBe(`seal-${uscc}-66`);
    const kids = saved.value.previousSealKeys!.map((k) => k.kid);
    expect(kids).toHaveLength(64);
    expect(kids[0]).toBe(currentKid);
    expect(kids).not.toContain('old-63');
    expect(kids).toContain('old-5');
    expect(saved.value.sealKeysLetGo).toBe(1);
    expect(audit.events.map((e) => e.details)).toEqual([
      expect.objectContaining({
        withdrawnKid: currentKid,
        sealKid: `seal-${uscc}-66`,
        letGoKids: ['old-63'],
      }),
    ]);
    expect(sealKeys.withdrawn).toEqual(['fake:old/63', 'fake:old/5', `fake:seal/${uscc}-2`]);

    // Keys let go still count for the next key's generation: it names no key the agency had.
    const again = await withdrawSealKey({ uscc, kid: `seal-${uscc}-66`, reason: REASON }, OPERATOR, deps);
    expect(sealKeys.requests.at(-1)).toEqual({ agency: uscc, generation: 67 });
    expect(again.value.previousSealKeys!.map((k) => k.kid)).not.toContain('old-5');
    expect(again.value.sealKeysLetGo).toBe(2);
  });

  it('gives up the replacement key and withdraws nothing when another change got to the agency first', async () => {
    const { config, sealKeys, deps, uscc } = await setup();
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
    await expect(
      withdrawSealKey({ uscc, kid: `seal-${uscc}-2`, reason: REASON }, OPERATOR, racing),
    ).rejects.toThrow(ConfigVersionConflict);
    expect(sealKeys.discarded).toEqual([`fake:seal/${uscc}-3`]);
    expect(sealKeys.withdrawn).toEqual([]);
    const after = (await config.getAgency(uscc))!.value;
    expect(after.sealKey?.kid).toBe(`seal-${uscc}-2`);
    expect(after.previousSealKeys?.some((k) => k.withdrawn)).toBe(false);
  });
});
