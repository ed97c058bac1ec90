import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bootstrapOperator,
  OperatorAlreadyRegistered,
  OperatorBootstrapInvalid,
} from '#app/bootstrap-operator.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { DEMO_AGENCIES } from '#dev/demo/catalog.ts';
import { ApiKeyIdTaken, RegistryAlreadyBootstrapped } from '#ports/config-store.ts';
import { adminDeps, FakeUsageKeys, InMemoryConfigStore, NOW, newKey, testUscc } from './fakes.ts';

// The first operator of a fresh registry: written with its audit event, refused once any
// operator exists, and refused (writing and recording nothing) on input it cannot register.
// With a usage plan, the operator's usage key comes with it and leaves again with a refusal.

const ed25519Jwk = () => generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });

function setup(agencies = DEMO_AGENCIES.filter((a) => !a.roles.includes('operator'))) {
  const config = new InMemoryConfigStore({ agencies });
  return { config, deps: { ...adminDeps('prod'), config } };
}

const request = (overrides: Record<string, unknown> = {}) => ({
  uscc: testUscc(1),
  name: '省大数据管理局',
  areaCode: '330000',
  keyId: 'op-1',
  publicJwk: newKey('op-1').publicJwk,
  ...overrides,
});

describe('bootstrapOperator', () => {
  it('registers the operator with its active P-256 key and records the bootstrap in the same write', async () => {
    const { config, deps } = setup();
    const input = request();
    const saved = await bootstrapOperator(input, deps);

    expect(saved).toEqual({
      version: 1,
      value: {
        uscc: input.uscc,
        name: input.name,
        roles: ['operator'],
        areaCode: '330000',
        apiKeys: [
          {
            keyId: 'op-1',
            algorithm: 'ecdsa-p256-sha256',
            publicJwk: input.publicJwk,
            status: 'active',
            created: NOW.toISOString(),
          },
        ],
      },
    });
    expect((await config.findApiKey('op-1'))?.agency.roles).toEqual(['operator']);
    expect(config.audit.events).toEqual([
      {
        id: 'evt-1',
        time: NOW.toISOString(),
        actor: { kind: 'system', id: 'bootstrap' },
        action: 'agency.registered',
        outcome: 'success',
        details: {
          agency: input.uscc,
          version: 1,
          roles: ['operator'],
          apiKeys: ['op-1'],
          apiKeyThumbprints: { 'op-1': jwkThumbprint(input.publicJwk) },
          bootstrap: true,
          stage: 'prod',
        },
      },
    ]);
  });

  it('takes the algorithm from the key: an Ed25519 JWK signs with ed25519', async () => {
    const { deps } = setup();
    const saved = await bootstrapOperator(request({ publicJwk: ed25519Jwk() }), deps);
    expect(saved.value.apiKeys[0]?.algorithm).toBe('ed25519');
  });

  it('refuses when any agency holds the operator role, on a later page too, and changes nothing', async () => {
    // Pages of two: the demo operator sits beyond the first page of the fake's listing.
    const { config, deps } = setup(DEMO_AGENCIES);
    const before = [...config.agencies.map.keys()];
    const refusal = await bootstrapOperator(request(), deps).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OperatorAlreadyRegistered);
    expect((refusal as OperatorAlreadyRegistered).operators).toEqual(
      DEMO_AGENCIES.filter((a) => a.roles.includes('operator')).map((a) => a.uscc),
    );
    expect([...config.agencies.map.keys()]).toEqual(before);
    expect(config.audit.events).toEqual([]);
  });

  it('refuses a second bootstrap after the first', async () => {
    const { config, deps } = setup([]);
    await bootstrapOperator(request(), deps);
    await expect(bootstrapOperator(request({ uscc: testUscc(2), keyId: 'op-2' }), deps)).rejects.toThrow(
      OperatorAlreadyRegistered,
    );
    expect(config.agencies.map.size).toBe(1);
    expect(config.audit.events).toHaveLength(1);
  });

  it('leaves the race to the bootstrap mark: even for another agency, the loser is refused', async () => {
    const { config, deps } = setup([]);
    // Both read an empty registry before either writes.
    const results = await Promise.allSettled([
      bootstrapOperator(request(), deps),
      bootstrapOperator(request({ keyId: 'op-2', uscc: testUscc(77) }), deps),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(RegistryAlreadyBootstrapped);
    expect(config.audit.events).toHaveLength(1);
  });

  it('refuses a key id another agency holds, recording nothing', async () => {
    const { config, deps } = setup();
    const taken = DEMO_AGENCIES[0]!.apiKeys[0]!.keyId;
    await expect(bootstrapOperator(request({ keyId: taken }), deps)).rejects.toThrow(ApiKeyIdTaken);
    expect(config.audit.events).toEqual([]);
  });

  it('refuses a private JWK, saying so', async () => {
    const { config, deps } = setup();
    const privateJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    });
    const refusal = await bootstrapOperator(request({ publicJwk: privateJwk }), deps).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(OperatorBootstrapInvalid);
    expect((refusal as OperatorBootstrapInvalid).problems).toEqual([
      {
        field: 'publicKey',
        message: 'the JWK holds a private key (member "d"); hand in the public key only',
      },
    ]);
    expect(config.agencies.map.size).toBe(DEMO_AGENCIES.length - 1);
    expect(config.audit.events).toEqual([]);
  });

  it('refuses the demo operator’s key under another key id, on any stage, recording nothing', async () => {
    const { config, deps } = setup();
    const demoOperatorKey = DEMO_AGENCIES.find((a) => a.roles.includes('operator'))!.apiKeys[0]!;
    const refusal = await bootstrapOperator(
      request({ keyId: 'op-real-1', publicJwk: { ...demoOperatorKey.publicJwk } }),
      deps,
    ).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OperatorBootstrapInvalid);
    expect((refusal as OperatorBootstrapInvalid).problems).toEqual([
      {
        field: 'publicKey',
        message:
          "is a demo agency's request key, whose private key anyone can derive; generate a key of your own",
      },
    ]);
    expect(config.agencies.map.size).toBe(DEMO_AGENCIES.length - 1);
    expect(config.audit.events).toEqual([]);
  });

  it('names every bad field at once: USCC check character, area code, key id, key curve', async () => {
    const { deps } = setup();
    const uscc = testUscc(3);
    const wrongCheck = `${uscc.slice(0, 17)}${uscc.endsWith('0') ? '1' : '0'}`;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const refusal = (await bootstrapOperator(
      request({ uscc: wrongCheck, areaCode: '33010', keyId: 'op 1', publicJwk: p384 }),
      deps,
    ).catch((error: unknown) => error)) as OperatorBootstrapInvalid;
    expect(refusal).toBeInstanceOf(OperatorBootstrapInvalid);
    expect(refusal.problems.map((p) => p.field)).toEqual(['uscc', 'areaCode', 'keyId', 'publicKey']);
    expect(refusal.problems[0]?.message).toMatch(/^check character is /);
    expect(refusal.problems[1]?.message).toBe('area code must be 6 digits');
    expect(refusal.problems[3]?.message).toMatch(/^expected a public P-256 \(EC\) or Ed25519 \(OKP\) JWK: /);
  });
});

describe('bootstrapOperator with a usage plan', () => {
  function setupWithPlan(agencies = DEMO_AGENCIES.filter((a) => !a.roles.includes('operator'))) {
    const usageKeys = new FakeUsageKeys();
    const { config, deps } = setup(agencies);
    return { config, usageKeys, deps: { ...deps, usageKeys } };
  }

  it('issues the operator a key on the plan, returns its value once and records only its id', async () => {
    const { config, usageKeys, deps } = setupWithPlan();
    const input = request();
    const saved = await bootstrapOperator(input, deps);

    expect(saved.usageKey).toEqual({ id: 'uk-1', value: 'secret-value-1-0123456789abcdef' });
    expect(usageKeys.issued.map((i) => i.agency)).toEqual([input.uscc]);
    expect([...usageKeys.onPlan]).toEqual(['uk-1']);
    expect(config.audit.events).toHaveLength(1);
    expect(config.audit.events[0]).toMatchObject({
      actor: { kind: 'system', id: 'bootstrap' },
      action: 'agency.registered',
      details: { agency: input.uscc, apiKeys: ['op-1'], usageKey: 'uk-1', bootstrap: true, stage: 'prod' },
    });
    expect(JSON.stringify(config.audit.events)).not.toContain('secret-value');
    expect(JSON.stringify(await config.getAgency(input.uscc))).not.toContain('secret-value');
  });

  it('issues no key when an operator exists or the input is unusable', async () => {
    const withOperator = setupWithPlan(DEMO_AGENCIES);
    await expect(bootstrapOperator(request(), withOperator.deps)).rejects.toThrow(OperatorAlreadyRegistered);
    expect(withOperator.usageKeys.issued).toEqual([]);

    const fresh = setupWithPlan();
    await expect(bootstrapOperator(request({ areaCode: 'x' }), fresh.deps)).rejects.toThrow(
      OperatorBootstrapInvalid,
    );
    expect(fresh.usageKeys.issued).toEqual([]);
  });

  it('takes the key off the plan again when the registry refuses the write: a taken key id, a lost race', async () => {
    const { config, usageKeys, deps } = setupWithPlan();
    const taken = DEMO_AGENCIES[0]!.apiKeys[0]!.keyId;
    await expect(bootstrapOperator(request({ keyId: taken }), deps)).rejects.toThrow(ApiKeyIdTaken);
    expect(usageKeys.issued).toHaveLength(1);
    expect([...usageKeys.onPlan]).toEqual([]);

    const results = await Promise.allSettled([
      bootstrapOperator(request(), deps),
      bootstrapOperator(request({ keyId: 'op-2', uscc: testUscc(77) }), deps),
    ]);
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<
      Awaited<ReturnType<typeof bootstrapOperator>>
    >;
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(RegistryAlreadyBootstrapped);
    expect(usageKeys.issued).toHaveLength(3);
    expect([...usageKeys.onPlan]).toEqual([winner.value.usageKey!.id]);
    expect(config.audit.events.map((e) => e.details?.usageKey)).toEqual([winner.value.usageKey!.id]);
  });

  it('keeps the key when the write fails without a certain refusal: it may have landed', async () => {
    const { config, usageKeys, deps } = setupWithPlan();
    const unreachable = {
      listAgencies: config.listAgencies.bind(config),
      createFirstOperator: async () => {
        throw new Error('socket hang up');
      },
    };
    await expect(bootstrapOperator(request(), { ...deps, config: unreachable })).rejects.toThrow(
      'socket hang up',
    );
    expect([...usageKeys.onPlan]).toEqual(['uk-1']);
  });
});
