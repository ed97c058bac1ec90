import { describe, expect, it } from 'vitest';
import { addApiKey, revokeApiKey } from '#app/agency-api-keys.ts';
import { registerAgency } from '#app/register-agency.ts';
import { updateAgency } from '#app/update-agency.ts';
import { MAX_API_KEYS } from '#core/catalog/agency.ts';
import {
  ApiKeyAlreadyRevoked,
  ApiKeyLimitReached,
  ApiKeyNotFound,
  DemoKeyRefused,
  DemoRecordRefused,
  OperatorSelfLockout,
} from '#core/catalog/registration-errors.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { StoreBusy } from '#core/storage-errors.ts';
import { DEMO_AGENCIES, DEMO_AREA_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import {
  ApiKeyIdTaken,
  ConfigRecordExists,
  ConfigRecordNotFound,
  ConfigVersionConflict,
} from '#ports/config-store.ts';
import {
  adminDeps,
  FakeSealKeys,
  FakeUsageKeys,
  InMemoryConfigStore,
  NOW,
  newKey,
  OPERATOR,
  testUscc,
} from './fakes.ts';

// The operator's agency use cases over an in-memory registry: what is written, what is
// refused (writing nothing and recording nothing), and the audit event of each change.

function setup(stage = 'local', demoData: 'allowed' | 'refused' = 'allowed') {
  const config = new InMemoryConfigStore({ agencies: DEMO_AGENCIES });
  const sealKeys = new FakeSealKeys();
  const admin = adminDeps(stage, demoData);
  return { config, sealKeys, audit: config.audit, deps: { ...admin, config, sealKeys } };
}

const registration = (uscc: string, roles: ('issuer' | 'relying' | 'operator')[], keyIds: string[]) => ({
  uscc,
  name: '演示市测试局',
  roles,
  areaCode: '330100',
  apiKeys: keyIds.map(newKey),
});

describe('registerAgency', () => {
  it('registers an issuer with active keys dated now and a seal key of generation 1, and records it', async () => {
    const { deps, sealKeys, audit, config } = setup();
    const uscc = testUscc(1);
    const request = registration(uscc, ['issuer'], ['k-1']);
    const saved = await registerAgency(request, OPERATOR, deps);

    expect(saved.version).toBe(1);
    expect(saved.value.apiKeys).toEqual([
      { ...request.apiKeys[0], status: 'active', created: NOW.toISOString() },
    ]);
    expect(sealKeys.requests).toEqual([{ agency: uscc, generation: 1 }]);
    expect(saved.value.sealKey).toEqual({ keyRef: `fake:seal/${uscc}-1`, kid: `seal-${uscc}-1` });
    expect((await config.findApiKey('k-1'))?.agency.uscc).toBe(uscc);
    expect(audit.events).toEqual([
      {
        id: 'evt-1',
        time: NOW.toISOString(),
        actor: { kind: 'operator', id: OPERATOR.agency },
        action: 'agency.registered',
        outcome: 'success',
        details: {
          agency: uscc,
          version: 1,
          roles: ['issuer'],
          apiKeys: ['k-1'],
          apiKeyThumbprints: { 'k-1': jwkThumbprint(request.apiKeys[0]!.publicJwk) },
          sealKid: `seal-${uscc}-1`,
          operatorKeyId: OPERATOR.keyId,
        },
      },
    ]);
  });

  it('makes no seal key for an agency that does not issue', async () => {
    const { deps, sealKeys } = setup();
    const saved = await registerAgency(registration(testUscc(2), ['relying'], ['k-2']), OPERATOR, deps);
    expect(saved.value.sealKey).toBeUndefined();
    expect(sealKeys.requests).toEqual([]);
  });

  it('refuses a registered USCC before making a seal key, and records nothing', async () => {
    const { deps, sealKeys, audit } = setup();
    const again = registration(DEMO_USCC.publicSecurityBureau, ['issuer'], ['k-3']);
    await expect(registerAgency(again, OPERATOR, deps)).rejects.toThrow(ConfigRecordExists);
    expect(sealKeys.requests).toEqual([]);
    expect(audit.events).toEqual([]);
  });

  it('refuses a key id another agency holds, revoked or not', async () => {
    const { deps, sealKeys, config } = setup();
    const taken = registration(testUscc(3), ['issuer'], ['demo-psb-1']);
    await expect(registerAgency(taken, OPERATOR, deps)).rejects.toThrow(ApiKeyIdTaken);
    expect(sealKeys.requests).toEqual([]);
    expect(await config.getAgency(testUscc(3))).toBeUndefined();
  });

  it('refuses a demo record in a stage that takes no demo data, naming the stage, and accepts it where it does', async () => {
    const demo = { ...registration(testUscc(4), ['relying'], []), demo: true as const };
    const prod = setup('prod', 'refused');
    await expect(registerAgency(demo, OPERATOR, prod.deps)).rejects.toThrow(DemoRecordRefused);
    await expect(registerAgency(demo, OPERATOR, prod.deps)).rejects.toThrow(/refused in stage prod/);
    expect(await prod.config.getAgency(testUscc(4))).toBeUndefined();
    const local = setup('local', 'allowed');
    expect((await registerAgency(demo, OPERATOR, local.deps)).value.demo).toBe(true);
    expect(
      (await registerAgency({ ...demo, uscc: testUscc(5), demo: undefined }, OPERATOR, prod.deps)).value,
    ).not.toHaveProperty('demo');
  });

  it('refuses a demo agency’s request key under any key id and unmarked, where demo data is refused', async () => {
    // Its private half follows from its public key id: copied into a real agency, anyone could sign.
    const demoKey = DEMO_AGENCIES[0]!.apiKeys[0]!;
    const copied = { keyId: 'psb-prod-1', algorithm: demoKey.algorithm, publicJwk: { ...demoKey.publicJwk } };
    const staging = setup('staging', 'refused');
    const unmarked = { ...registration(testUscc(6), ['relying'], []), apiKeys: [copied] };
    await expect(registerAgency(unmarked, OPERATOR, staging.deps)).rejects.toThrow(DemoKeyRefused);
    await expect(registerAgency(unmarked, OPERATOR, staging.deps)).rejects.toThrow(
      /key psb-prod-1 is a demo agency's request key, refused in stage staging/,
    );
    expect(await staging.config.getAgency(testUscc(6))).toBeUndefined();

    // Added to an agency already registered: refused too, nothing written, nothing audited.
    const hpf = DEMO_USCC.housingProvidentFundCentre;
    const before = await staging.config.getAgency(hpf);
    await expect(addApiKey({ uscc: hpf, key: copied }, OPERATOR, staging.deps)).rejects.toThrow(
      DemoKeyRefused,
    );
    expect(await staging.config.getAgency(hpf)).toEqual(before);
    expect(staging.audit.events).toEqual([]);

    // The other point with the same x is the negated key, whose private key is n − d: refused alike.
    const { x, y } = demoKey.publicJwk as { x: string; y: string };
    const negatedY = negateP256Y(y);
    const negated = {
      ...copied,
      keyId: 'psb-prod-2',
      publicJwk: { kty: 'EC' as const, crv: 'P-256' as const, x, y: negatedY },
    };
    await expect(addApiKey({ uscc: hpf, key: negated }, OPERATOR, staging.deps)).rejects.toThrow(
      DemoKeyRefused,
    );

    // A key of its own is taken; where demo data is allowed, the copied demo key is too.
    expect(
      (await addApiKey({ uscc: hpf, key: newKey('hpf-own') }, OPERATOR, staging.deps)).value.apiKeys,
    ).toHaveLength(2);
    const local = setup('local', 'allowed');
    expect((await addApiKey({ uscc: hpf, key: copied }, OPERATOR, local.deps)).value.apiKeys).toHaveLength(2);
  });

  it('gives up the seal key when the registry refuses the write, and keeps it when the outcome is unknown', async () => {
    const { deps, sealKeys, config } = setup();
    const refusing = {
      ...deps,
      config: {
        ...config,
        getAgency: async () => undefined,
        findApiKey: async () => undefined,
        createAgency: async () => {
          throw new ConfigRecordExists('agency', testUscc(6));
        },
      },
    };
    await expect(
      registerAgency(registration(testUscc(6), ['issuer'], []), OPERATOR, refusing),
    ).rejects.toThrow(ConfigRecordExists);
    expect(sealKeys.discarded).toEqual([`fake:seal/${testUscc(6)}-1`]);

    const timingOut = {
      ...refusing,
      config: {
        ...refusing.config,
        createAgency: async () => {
          throw new Error('socket hang up');
        },
      },
    };
    await expect(
      registerAgency(registration(testUscc(7), ['issuer'], []), OPERATOR, timingOut),
    ).rejects.toThrow('socket hang up');
    expect(sealKeys.discarded).toEqual([`fake:seal/${testUscc(6)}-1`]);

    // A write the store refused for load wrote nothing either: its key goes too, not one per retry.
    const busy = {
      ...refusing,
      config: {
        ...refusing.config,
        createAgency: async () => {
          throw new StoreBusy('register-agency', ['ThrottlingError']);
        },
      },
    };
    await expect(registerAgency(registration(testUscc(9), ['issuer'], []), OPERATOR, busy)).rejects.toThrow(
      StoreBusy,
    );
    expect(sealKeys.discarded).toEqual([`fake:seal/${testUscc(6)}-1`, `fake:seal/${testUscc(9)}-1`]);
  });

  it('issues the usage key before the seal key: an API Gateway failure leaves no seal key made', async () => {
    const { deps, sealKeys, config } = setup();
    const throttled = Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' });
    const usageKeys = new (class extends FakeUsageKeys {
      override async issue(): Promise<never> {
        throw throttled;
      }
    })();
    const uscc = testUscc(10);
    await expect(
      registerAgency(registration(uscc, ['issuer'], ['k-10']), OPERATOR, { ...deps, usageKeys }),
    ).rejects.toBe(throttled);
    expect(sealKeys.requests).toEqual([]);
    expect(await config.getAgency(uscc)).toBeUndefined();
  });

  it('withdraws the usage key again when the seal key cannot be made, or the write is refused for certain', async () => {
    const { deps, sealKeys, config } = setup();
    const usageKeys = new FakeUsageKeys();
    const quota = Object.assign(new Error('key quota reached'), { name: 'LimitExceededException' });
    const noSealKey = {
      ...deps,
      usageKeys,
      sealKeys: Object.assign(new FakeSealKeys(), {
        provision: async () => {
          throw quota;
        },
      }),
    };
    await expect(
      registerAgency(registration(testUscc(11), ['issuer'], []), OPERATOR, noSealKey),
    ).rejects.toBe(quota);
    expect(usageKeys.issued).toHaveLength(1);
    expect([...usageKeys.onPlan]).toEqual([]);
    expect(await config.getAgency(testUscc(11))).toBeUndefined();

    const refusing = {
      ...deps,
      usageKeys,
      config: {
        ...config,
        getAgency: async () => undefined,
        findApiKey: async () => undefined,
        createAgency: async () => {
          throw new ConfigRecordExists('agency', testUscc(12));
        },
      },
    };
    await expect(
      registerAgency(registration(testUscc(12), ['issuer'], []), OPERATOR, refusing),
    ).rejects.toThrow(ConfigRecordExists);
    expect(usageKeys.issued).toHaveLength(2);
    expect([...usageKeys.onPlan]).toEqual([]);
    expect(sealKeys.discarded).toEqual([`fake:seal/${testUscc(12)}-1`]);
  });

  it('reports a seal key it cannot give up with its id, and answers the refusal', async () => {
    const { deps, config } = setup();
    const unreachable = new Error('KMS unreachable');
    const sealKeys = Object.assign(new FakeSealKeys(), {
      discard: async () => {
        throw unreachable;
      },
    });
    const kept: { keyRef: string; error: unknown }[] = [];
    const refusing = {
      ...deps,
      sealKeys,
      onSealKeyNotDiscarded: (key: { keyRef: string }, error: unknown) =>
        kept.push({ keyRef: key.keyRef, error }),
      config: {
        ...config,
        getAgency: async () => undefined,
        findApiKey: async () => undefined,
        createAgency: async () => {
          throw new ConfigRecordExists('agency', testUscc(13));
        },
      },
    };
    await expect(
      registerAgency(registration(testUscc(13), ['issuer'], []), OPERATOR, refusing),
    ).rejects.toThrow(ConfigRecordExists);
    expect(kept).toEqual([{ keyRef: `fake:seal/${testUscc(13)}-1`, error: unreachable }]);
  });

  it('makes no change when its audit event cannot be written', async () => {
    const { deps, audit, config } = setup();
    audit.failure = new Error('audit table unavailable');
    await expect(registerAgency(registration(testUscc(8), ['relying'], []), OPERATOR, deps)).rejects.toThrow(
      'audit table unavailable',
    );
    expect(await config.getAgency(testUscc(8))).toBeUndefined();
  });
});

describe('updateAgency', () => {
  it('replaces name, roles and area at the version read, and records the change', async () => {
    const { deps, audit } = setup();
    const uscc = DEMO_USCC.housingProvidentFundCentre;
    const saved = await updateAgency(
      { uscc, expectedVersion: 1, changes: { name: '新名称', roles: ['relying'], areaCode: '330102' } },
      OPERATOR,
      deps,
    );
    expect(saved.version).toBe(2);
    expect(saved.value).toMatchObject({ name: '新名称', areaCode: '330102', roles: ['relying'] });
    // The demo mark is part of what an update replaces: absent, it is gone.
    expect(saved.value).not.toHaveProperty('demo');
    expect(saved.value.apiKeys).toEqual(DEMO_AGENCIES.find((a) => a.uscc === uscc)!.apiKeys);
    expect(audit.events.map((e) => [e.action, e.details?.agency, e.details?.version])).toEqual([
      ['agency.updated', uscc, 2],
    ]);
    // What changed, before and after, the demo mark included; the unchanged roles are not named.
    expect(audit.events[0]?.details?.changes).toEqual({
      name: { before: '演示市住房公积金管理中心', after: '新名称' },
      areaCode: { before: DEMO_AREA_CODE, after: '330102' },
      demo: { before: true, after: null },
    });
  });

  it('refuses a stale version naming the stored one, and an unknown agency', async () => {
    const { deps, audit } = setup();
    const changes = { name: 'x', roles: ['relying' as const], areaCode: '330100' };
    const stale = updateAgency(
      { uscc: DEMO_USCC.housingProvidentFundCentre, expectedVersion: 7, changes },
      OPERATOR,
      deps,
    );
    await expect(stale).rejects.toThrow(ConfigVersionConflict);
    await expect(stale).rejects.toThrow(/at version 1, expected version 7/);
    await expect(
      updateAgency({ uscc: testUscc(9), expectedVersion: 1, changes }, OPERATOR, deps),
    ).rejects.toThrow(ConfigRecordNotFound);
    expect(audit.events).toEqual([]);
  });

  it('makes a seal key for an agency that becomes an issuer', async () => {
    const { deps, sealKeys, audit } = setup();
    const uscc = DEMO_USCC.housingProvidentFundCentre;
    const saved = await updateAgency(
      { uscc, expectedVersion: 1, changes: { name: 'x', roles: ['relying', 'issuer'], areaCode: '330100' } },
      OPERATOR,
      deps,
    );
    expect(sealKeys.requests).toEqual([{ agency: uscc, generation: 1 }]);
    expect(saved.value.sealKey?.keyRef).toBe(`fake:seal/${uscc}-1`);
    expect(audit.events[0]?.details?.changes).toMatchObject({
      roles: { before: ['relying'], after: ['relying', 'issuer'] },
      sealKey: { before: null, after: saved.value.sealKey },
    });
  });

  it('keeps the seal key of an agency that stops issuing, so its licenses still verify', async () => {
    const { deps } = setup();
    const uscc = DEMO_USCC.publicSecurityBureau;
    const saved = await updateAgency(
      { uscc, expectedVersion: 1, changes: { name: 'x', roles: ['relying'], areaCode: '330100' } },
      OPERATOR,
      deps,
    );
    expect(saved.value.sealKey).toEqual(DEMO_AGENCIES.find((a) => a.uscc === uscc)!.sealKey);
  });

  it('refuses to take the operator role from the agency signing the request', async () => {
    const { deps } = setup();
    await expect(
      updateAgency(
        {
          uscc: OPERATOR.agency,
          expectedVersion: 1,
          changes: { name: 'x', roles: ['relying'], areaCode: '330100' },
        },
        OPERATOR,
        deps,
      ),
    ).rejects.toThrow(OperatorSelfLockout);
  });
});

describe('API keys', () => {
  const uscc = DEMO_USCC.housingProvidentFundCentre;

  it('adds an active key, and records it', async () => {
    const { deps, audit, config } = setup();
    const saved = await addApiKey({ uscc, key: newKey('hpf-2') }, OPERATOR, deps);
    expect(saved.value.apiKeys.map((k) => [k.keyId, k.status])).toEqual([
      ['demo-hpf-1', 'active'],
      ['hpf-2', 'active'],
    ]);
    expect((await config.findApiKey('hpf-2'))?.key.status).toBe('active');
    expect(audit.events.map((e) => [e.action, e.details?.apiKey])).toEqual([
      ['agency.api_key_added', 'hpf-2'],
    ]);
  });

  // Key ids are freed when revoked keys are let go and may then name another public key, so
  // each event names the key by its RFC 7638 thumbprint too.
  it('names each key in its events by thumbprint as well as id', async () => {
    const { deps, audit } = setup();
    const key = newKey('hpf-2');
    const operator = { ...OPERATOR, keyThumbprint: 'thumbprint-of-demo-operator-1' };
    await addApiKey({ uscc, key }, operator, deps);
    await revokeApiKey({ uscc, keyId: 'hpf-2' }, operator, deps);
    expect(audit.events.map((e) => [e.action, e.details?.apiKey, e.details?.apiKeyThumbprint])).toEqual([
      ['agency.api_key_added', 'hpf-2', jwkThumbprint(key.publicJwk)],
      ['agency.api_key_revoked', 'hpf-2', jwkThumbprint(key.publicJwk)],
    ]);
    expect(audit.events.map((e) => e.details?.operatorKeyThumbprint)).toEqual([
      'thumbprint-of-demo-operator-1',
      'thumbprint-of-demo-operator-1',
    ]);
  });

  it('refuses a key id the agency or another agency holds', async () => {
    const { deps } = setup();
    await expect(addApiKey({ uscc, key: newKey('demo-hpf-1') }, OPERATOR, deps)).rejects.toThrow(
      ApiKeyIdTaken,
    );
    await expect(addApiKey({ uscc, key: newKey('demo-psb-1') }, OPERATOR, deps)).rejects.toThrow(
      ApiKeyIdTaken,
    );
  });

  it('refuses a seventeenth key', async () => {
    const { deps } = setup();
    for (let i = 2; i <= 16; i++) await addApiKey({ uscc, key: newKey(`hpf-${i}`) }, OPERATOR, deps);
    await expect(addApiKey({ uscc, key: newKey('hpf-17') }, OPERATOR, deps)).rejects.toThrow(
      ApiKeyLimitReached,
    );
  });

  it('counts only active keys: an agency that rotated sixteen times adds a key, letting its oldest revoked key go', async () => {
    const { deps, config, audit } = setup();
    // Rotate: each new key replaces the one before, until sixteen keys are on record, one active.
    for (let i = 2; i <= 16; i++) {
      await addApiKey({ uscc, key: newKey(`hpf-${i}`) }, OPERATOR, deps);
      await revokeApiKey({ uscc, keyId: i === 2 ? 'demo-hpf-1' : `hpf-${i - 1}` }, OPERATOR, deps);
    }
    audit.events.length = 0;

    const saved = await addApiKey({ uscc, key: newKey('hpf-17') }, OPERATOR, deps);

    expect(saved.value.apiKeys).toHaveLength(MAX_API_KEYS);
    expect(saved.value.apiKeys.map((k) => k.keyId)).toEqual([
      ...Array.from({ length: 15 }, (_, n) => `hpf-${n + 2}`),
      'hpf-17',
    ]);
    expect(saved.value.apiKeys.filter((k) => k.status === 'active').map((k) => k.keyId)).toEqual([
      'hpf-16',
      'hpf-17',
    ]);
    expect(await config.findApiKey('demo-hpf-1')).toBeUndefined();
    expect(audit.events.map((e) => [e.action, e.details?.apiKey, e.details?.droppedRevokedApiKeys])).toEqual([
      ['agency.api_key_added', 'hpf-17', ['demo-hpf-1']],
    ]);
    const demoKey = DEMO_AGENCIES.find((a) => a.uscc === uscc)!.apiKeys[0]!;
    expect(audit.events[0]?.details?.droppedRevokedApiKeyThumbprints).toEqual({
      'demo-hpf-1': jwkThumbprint(demoKey.publicJwk),
    });
  });

  it('refuses a seventeenth active key even with revoked keys on record, and changes nothing', async () => {
    const { deps, config } = setup();
    await addApiKey({ uscc, key: newKey('hpf-2') }, OPERATOR, deps);
    await revokeApiKey({ uscc, keyId: 'demo-hpf-1' }, OPERATOR, deps);
    for (let i = 3; i <= 17; i++) await addApiKey({ uscc, key: newKey(`hpf-${i}`) }, OPERATOR, deps);
    const before = await config.getAgency(uscc);

    await expect(addApiKey({ uscc, key: newKey('hpf-18') }, OPERATOR, deps)).rejects.toThrow(
      ApiKeyLimitReached,
    );
    expect(await config.getAgency(uscc)).toEqual(before);
  });

  it('revokes a key, keeping it on record; a second revocation and an unknown key are refused', async () => {
    const { deps, config, audit } = setup();
    const saved = await revokeApiKey({ uscc, keyId: 'demo-hpf-1' }, OPERATOR, deps);
    expect(saved.value.apiKeys).toEqual([
      expect.objectContaining({ keyId: 'demo-hpf-1', status: 'revoked' }),
    ]);
    expect((await config.findApiKey('demo-hpf-1'))?.key.status).toBe('revoked');
    await expect(revokeApiKey({ uscc, keyId: 'demo-hpf-1' }, OPERATOR, deps)).rejects.toThrow(
      ApiKeyAlreadyRevoked,
    );
    await expect(revokeApiKey({ uscc, keyId: 'nope' }, OPERATOR, deps)).rejects.toThrow(ApiKeyNotFound);
    expect(audit.events.map((e) => e.action)).toEqual(['agency.api_key_revoked']);
  });

  it('refuses to revoke the key the request is signed with', async () => {
    const { deps } = setup();
    await expect(
      revokeApiKey({ uscc: OPERATOR.agency, keyId: OPERATOR.keyId }, OPERATOR, deps),
    ).rejects.toThrow(OperatorSelfLockout);
  });
});

/** y of the P-256 point −(x, y): p − y, base64url of 32 bytes. */
function negateP256Y(y: string): string {
  const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
  const negated = p - BigInt(`0x${Buffer.from(y, 'base64url').toString('hex')}`);
  return Buffer.from(negated.toString(16).padStart(64, '0'), 'hex').toString('base64url');
}
