import { describe, expect, it } from 'vitest';
import { addApiKey, revokeApiKey } from '#app/agency-api-keys.ts';
import { registerAgency } from '#app/register-agency.ts';
import { updateAgency } from '#app/update-agency.ts';
import { DEMO_AGENCIES } from '#dev/demo/catalog.ts';
import { OperatorRecordChanged } from '#ports/config-store.ts';
import { adminDeps, FakeSealKeys, InMemoryConfigStore, newKey, OPERATOR, testUscc } from './fakes.ts';

// Two operators taking each other's access at the same moment: each write holds only while the
// caller's own agency record is as it was when the change was decided, so of two concurrent
// mutual revocations exactly one is written and the other is refused (409) writing nothing — an
// active operator key always remains. The in-memory registry interleaves the two use cases at
// each await, as two requests on two Lambda instances would.

const A = OPERATOR;
const B = { agency: testUscc(900), keyId: 'op-b-1' };

async function twoOperators() {
  const config = new InMemoryConfigStore({ agencies: DEMO_AGENCIES });
  const deps = { ...adminDeps(), config, sealKeys: new FakeSealKeys() };
  await registerAgency(
    {
      uscc: B.agency,
      name: '演示市第二运营机构',
      roles: ['operator'],
      areaCode: '330100',
      apiKeys: [newKey(B.keyId)],
    },
    A,
    deps,
  );
  config.audit.events.length = 0;
  return { config, deps };
}

async function activeOperatorKeys(config: InMemoryConfigStore): Promise<string[]> {
  const { items } = await config.listAgencies({ limit: 100 });
  return items
    .filter(({ value }) => value.roles.includes('operator'))
    .flatMap(({ value }) => value.apiKeys.filter((k) => k.status === 'active').map((k) => k.keyId));
}

describe('two operators revoking each other at the same moment', () => {
  it('mutual key revocations: exactly one is written, the other is 409 and writes nothing', async () => {
    const { config, deps } = await twoOperators();

    const outcomes = await Promise.allSettled([
      revokeApiKey({ uscc: B.agency, keyId: B.keyId }, A, deps),
      revokeApiKey({ uscc: A.agency, keyId: A.keyId }, B, deps),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(OperatorRecordChanged);
    expect(refused).toMatchObject({ code: 'OPERATOR_RECORD_CHANGED', agency: B.agency });
    expect(await activeOperatorKeys(config)).toEqual([A.keyId]);
    expect(config.audit.events.map((e) => [e.action, e.details?.apiKey])).toEqual([
      ['agency.api_key_revoked', B.keyId],
    ]);
  });

  it('mutual removals of the operator role: exactly one is written, the other writes nothing', async () => {
    const { config, deps } = await twoOperators();
    const demoteOther = async (caller: typeof A, target: string) => {
      const current = (await config.getAgency(target))!;
      return updateAgency(
        {
          uscc: target,
          expectedVersion: current.version,
          changes: { name: current.value.name, roles: ['relying'], areaCode: current.value.areaCode },
        },
        caller,
        deps,
      );
    };

    const outcomes = await Promise.allSettled([demoteOther(A, B.agency), demoteOther(B, A.agency)]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason)).toEqual([
      expect.any(OperatorRecordChanged),
    ]);
    expect(await activeOperatorKeys(config)).toHaveLength(1);
    expect(config.audit.events.map((e) => e.action)).toEqual(['agency.updated']);
  });

  it('a key revocation against a role removal: one is written, an operator key remains', async () => {
    const { config, deps } = await twoOperators();
    const current = (await config.getAgency(A.agency))!;

    const outcomes = await Promise.allSettled([
      revokeApiKey({ uscc: B.agency, keyId: B.keyId }, A, deps),
      updateAgency(
        {
          uscc: A.agency,
          expectedVersion: current.version,
          changes: { name: current.value.name, roles: ['relying'], areaCode: current.value.areaCode },
        },
        B,
        deps,
      ),
    ]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await activeOperatorKeys(config)).toHaveLength(1);
    expect(config.audit.events).toHaveLength(1);
  });
});

describe('an operator whose own access went away after the request was authenticated', () => {
  it('cannot revoke another operator’s key: 409, nothing written', async () => {
    const { config, deps } = await twoOperators();
    await revokeApiKey({ uscc: A.agency, keyId: A.keyId }, B, deps);
    config.audit.events.length = 0;
    const before = await config.getAgency(B.agency);

    // A's request was authenticated with its key just before B revoked it.
    await expect(revokeApiKey({ uscc: B.agency, keyId: B.keyId }, A, deps)).rejects.toBeInstanceOf(
      OperatorRecordChanged,
    );
    expect(await config.getAgency(B.agency)).toEqual(before);
    expect(config.audit.events).toEqual([]);
    expect(await activeOperatorKeys(config)).toEqual([B.keyId]);
  });

  it('cannot take the operator role away once its own was taken', async () => {
    const { config, deps } = await twoOperators();
    const a = (await config.getAgency(A.agency))!;
    await updateAgency(
      {
        uscc: A.agency,
        expectedVersion: a.version,
        changes: { name: a.value.name, roles: ['relying'], areaCode: a.value.areaCode },
      },
      B,
      deps,
    );
    const b = (await config.getAgency(B.agency))!;

    await expect(
      updateAgency(
        {
          uscc: B.agency,
          expectedVersion: b.version,
          changes: { name: b.value.name, roles: ['relying'], areaCode: b.value.areaCode },
        },
        A,
        deps,
      ),
    ).rejects.toBeInstanceOf(OperatorRecordChanged);
    expect(await config.getAgency(B.agency)).toEqual(b);
  });

  it('still changes what does not touch an operator’s access: a relying agency’s key', async () => {
    const { deps } = await twoOperators();
    const hpf = DEMO_AGENCIES.find((a) => a.roles.includes('relying') && !a.roles.includes('operator'))!;
    const keyId = hpf.apiKeys[0]!.keyId;

    const saved = await revokeApiKey({ uscc: hpf.uscc, keyId }, A, deps);

    expect(saved.value.apiKeys.find((k) => k.keyId === keyId)?.status).toBe('revoked');
  });
});

/** The registry with `meanwhile` run once, just before the first call of `method` writes. */
function interposed(
  config: InMemoryConfigStore,
  method: 'createAgency' | 'updateAgency',
  meanwhile: () => Promise<unknown>,
): InMemoryConfigStore {
  let ran = false;
  return new Proxy(config, {
    get(target, name) {
      const member = Reflect.get(target, name, target);
      if (typeof member !== 'function') return member;
      if (name !== method) return member.bind(target);
      return async (...args: unknown[]) => {
        if (!ran) {
          ran = true;
          await meanwhile();
        }
        return member.apply(target, args);
      };
    },
  });
}

describe('an operator whose access goes away while it grants operator access', () => {
  // B's request was authenticated, and its standing read, before A revoked B's key; B's write
  // comes after. Granting operator access then would outlive B's own.
  const revokeB = (deps: Awaited<ReturnType<typeof twoOperators>>['deps']) => () =>
    revokeApiKey({ uscc: B.agency, keyId: B.keyId }, A, deps);

  it('cannot register an operator agency: 409, nothing written', async () => {
    const { config, deps } = await twoOperators();
    const c = testUscc(901);
    const racing = { ...deps, config: interposed(config, 'createAgency', revokeB(deps)) };

    await expect(
      registerAgency(
        {
          uscc: c,
          name: '演示市第三运营机构',
          roles: ['operator'],
          areaCode: '330100',
          apiKeys: [newKey('op-c-1')],
        },
        B,
        racing,
      ),
    ).rejects.toBeInstanceOf(OperatorRecordChanged);
    expect(await config.getAgency(c)).toBeUndefined();
    expect(await config.findApiKey('op-c-1')).toBeUndefined();
    expect(config.audit.events.map((e) => e.action)).toEqual(['agency.api_key_revoked']);
  });

  it('still registers an agency that is no operator', async () => {
    const { config, deps } = await twoOperators();
    const c = testUscc(902);
    const racing = { ...deps, config: interposed(config, 'createAgency', revokeB(deps)) };

    const saved = await registerAgency(
      {
        uscc: c,
        name: '演示市用证机构',
        roles: ['relying'],
        areaCode: '330100',
        apiKeys: [newKey('rel-c-1')],
      },
      B,
      racing,
    );
    expect(saved.version).toBe(1);
  });

  it('cannot add a key to an operator agency: 409, nothing written', async () => {
    const { config, deps } = await twoOperators();
    const before = await config.getAgency(A.agency);
    const racing = { ...deps, config: interposed(config, 'updateAgency', revokeB(deps)) };

    await expect(addApiKey({ uscc: A.agency, key: newKey('op-x-1') }, B, racing)).rejects.toBeInstanceOf(
      OperatorRecordChanged,
    );
    expect(await config.findApiKey('op-x-1')).toBeUndefined();
    expect(await config.getAgency(A.agency)).toEqual(before);
    expect(config.audit.events.map((e) => e.action)).toEqual(['agency.api_key_revoked']);
  });

  it('cannot grant the operator role: 409, nothing written', async () => {
    const { config, deps } = await twoOperators();
    const hpf = DEMO_AGENCIES.find((a) => a.roles.includes('relying') && !a.roles.includes('operator'))!;
    const current = (await config.getAgency(hpf.uscc))!;
    const racing = { ...deps, config: interposed(config, 'updateAgency', revokeB(deps)) };

    await expect(
      updateAgency(
        {
          uscc: hpf.uscc,
          expectedVersion: current.version,
          changes: {
            name: current.value.name,
            roles: ['relying', 'operator'],
            areaCode: current.value.areaCode,
          },
        },
        B,
        racing,
      ),
    ).rejects.toBeInstanceOf(OperatorRecordChanged);
    expect(await config.getAgency(hpf.uscc)).toEqual(current);
    expect(config.audit.events.map((e) => e.action)).toEqual(['agency.api_key_revoked']);
  });
});
