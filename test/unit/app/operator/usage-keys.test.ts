import { describe, expect, it } from 'vitest';
import { NoUsageKeys } from '#adapters/local/no-usage-keys.ts';
import { issueUsageKey, UsageKeysStillActive, UsagePlanNotEnabled } from '#app/agency-usage-keys.ts';
import { registerAgency } from '#app/register-agency.ts';
import { DEMO_AGENCIES } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import type { HttpProblem } from '#http/problem.ts';
import { ConfigRecordExists, ConfigRecordNotFound } from '#ports/config-store.ts';
import type { UsageKeys } from '#ports/usage-keys.ts';
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

// Usage keys (the API keys of the stage's usage plan) in the operator's use cases, over a fake
// plan: registration issues one and records its id, never its value; a refused registration
// leaves no key on the plan; a new key replaces the old ones only once it is recorded, and the
// audit log says which old keys were taken off only once they are.

/** A plan on which taking some keys off fails (API Gateway throttling past the SDK's retries). */
class StuckUsageKeys extends FakeUsageKeys {
  readonly stuck = new Set<string>();
  override async withdraw(keyId: string): Promise<void> {
    if (this.stuck.has(keyId))
      throw Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' });
    return super.withdraw(keyId);
  }
}

function setup(usageKeys: UsageKeys = new FakeUsageKeys()) {
  const config = new InMemoryConfigStore({ agencies: DEMO_AGENCIES });
  const deps = { ...adminDeps(), config, sealKeys: new FakeSealKeys(), usageKeys, audit: config.audit };
  return { config, deps, audit: config.audit };
}

const registration = (uscc: string, roles: ('issuer' | 'relying')[] = ['relying']) => ({
  uscc,
  name: '演示市测试局',
  roles,
  areaCode: '330100',
  apiKeys: [newKey(`k-${uscc}`)],
});

describe('registerAgency with usage keys', () => {
  it('issues the agency a key on the plan, returns its value once and records only its id', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps, audit } = setup(usageKeys);
    const uscc = testUscc(1);
    const saved = await registerAgency(registration(uscc, ['issuer']), OPERATOR, deps);

    expect(saved.usageKey).toEqual({ id: 'uk-1', value: 'secret-value-1-0123456789abcdef' });
    expect(usageKeys.issued.map((i) => i.agency)).toEqual([uscc]);
    expect([...usageKeys.onPlan]).toEqual(['uk-1']);
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      action: 'agency.registered',
      details: { agency: uscc, usageKey: 'uk-1', sealKid: `seal-${uscc}-1` },
    });
    expect(JSON.stringify(audit.events)).not.toContain('secret-value');
    // The registry keeps no key value either.
    expect(JSON.stringify(await deps.config.getAgency(uscc))).not.toContain('secret-value');
  });

  it('issues nothing and records no key where the stage has no usage plan', async () => {
    const { config } = setup();
    const deps = { ...adminDeps(), config, sealKeys: new FakeSealKeys() };
    const saved = await registerAgency(registration(testUscc(2)), OPERATOR, deps);
    expect(saved.usageKey).toBeUndefined();
    expect(config.audit.events[0]!.details).not.toHaveProperty('usageKey');
  });

  it('issues no key for a registration refused before the write', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps } = setup(usageKeys);
    const taken = { ...registration(DEMO_AGENCIES[0]!.uscc) };
    await expect(registerAgency(taken, OPERATOR, deps)).rejects.toThrow(ConfigRecordExists);
    expect(usageKeys.issued).toEqual([]);
  });

  it('takes the key off the plan again when the registry refuses the write, and records nothing', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps, config, audit } = setup(usageKeys);
    const uscc = testUscc(3);
    // Another registration of the same agency lands between the check and the write.
    const createAgency = config.createAgency.bind(config);
    config.createAgency = async (agency, event) => {
      await createAgency({ ...agency, apiKeys: [] });
      return createAgency(agency, event);
    };
    await expect(registerAgency(registration(uscc), OPERATOR, deps)).rejects.toThrow(ConfigRecordExists);
    expect(usageKeys.issued).toHaveLength(1);
    expect([...usageKeys.onPlan]).toEqual([]);
    expect(audit.events).toEqual([]);
  });
});

describe('issueUsageKey', () => {
  it('gives the agency a new key, records it, withdraws the old ones, then records that', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps, audit } = setup(usageKeys);
    const uscc = testUscc(4);
    const first = await registerAgency(registration(uscc), OPERATOR, deps);

    const issued = await issueUsageKey({ uscc }, OPERATOR, deps);
    expect(issued).toEqual({
      agency: uscc,
      usageKey: { id: 'uk-2', value: 'secret-value-2-0123456789abcdef' },
      replaced: [first.usageKey!.id],
    });
    expect([...usageKeys.onPlan]).toEqual(['uk-2']);
    const operator = { kind: 'operator', id: OPERATOR.agency };
    expect(audit.events.slice(1)).toEqual([
      {
        id: 'evt-2',
        time: NOW.toISOString(),
        actor: operator,
        action: 'agency.usage_key_issued',
        outcome: 'success',
        details: { agency: uscc, usageKey: 'uk-2', operatorKeyId: OPERATOR.keyId },
      },
      {
        id: 'evt-3',
        time: NOW.toISOString(),
        actor: operator,
        action: 'agency.usage_keys_withdrawn',
        outcome: 'success',
        details: { agency: uscc, usageKey: 'uk-2', withdrawn: ['uk-1'], operatorKeyId: OPERATOR.keyId },
      },
    ]);
  });

  it('on an old key that cannot be withdrawn: withdraws the rest and the new key, records just that, answers which keys still work', async () => {
    const usageKeys = new StuckUsageKeys();
    const { deps, audit } = setup(usageKeys);
    const uscc = testUscc(7);
    await registerAgency(registration(uscc), OPERATOR, deps); // uk-1
    await usageKeys.issue(uscc); // uk-2, say from a call whose answer was lost
    usageKeys.stuck.add('uk-1');

    const refused = await issueUsageKey({ uscc }, OPERATOR, deps).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UsageKeysStillActive);
    expect(refused).toMatchObject({ agency: uscc, stillActive: ['uk-1'], withdrawn: ['uk-2', 'uk-3'] });
    expect((refused as Error).cause).toMatchObject({ name: 'TooManyRequestsException' });
    // The leaked key still works, and no key nobody has seen stays on the plan.
    expect([...usageKeys.onPlan]).toEqual(['uk-1']);
    // No event says uk-1 was taken off; the withdrawal event says which were, and that it failed.
    expect(
      audit.events.slice(1).map(({ action, outcome, details }) => ({ action, outcome, details })),
    ).toEqual([
      {
        action: 'agency.usage_key_issued',
        outcome: 'success',
        details: { agency: uscc, usageKey: 'uk-3', operatorKeyId: OPERATOR.keyId },
      },
      {
        action: 'agency.usage_keys_withdrawn',
        outcome: 'failed',
        details: {
          agency: uscc,
          usageKey: 'uk-3',
          withdrawn: ['uk-2', 'uk-3'],
          stillActive: ['uk-1'],
          operatorKeyId: OPERATOR.keyId,
        },
      },
    ]);
    // The operator is told, by machine too, what still works: a 503 to ask again.
    const problem = asProblem(refused) as HttpProblem;
    expect(problem.problemType).toBe('dependency-unavailable');
    expect(problem.extensions).toEqual({
      code: 'USAGE_KEYS_STILL_ACTIVE',
      stillActive: ['uk-1'],
      withdrawn: ['uk-2', 'uk-3'],
    });

    // Asked again once API Gateway answers, the change is done.
    usageKeys.stuck.clear();
    const issued = await issueUsageKey({ uscc }, OPERATOR, deps);
    expect(issued.replaced).toEqual(['uk-1']);
    expect([...usageKeys.onPlan]).toEqual([issued.usageKey.id]);
  });

  it('names the new key among those still active when it cannot be withdrawn again either', async () => {
    const usageKeys = new StuckUsageKeys();
    const { deps, audit } = setup(usageKeys);
    const uscc = testUscc(8);
    await registerAgency(registration(uscc), OPERATOR, deps); // uk-1
    usageKeys.stuck.add('uk-1').add('uk-2');

    await expect(issueUsageKey({ uscc }, OPERATOR, deps)).rejects.toMatchObject({
      stillActive: ['uk-1', 'uk-2'],
      withdrawn: [],
    });
    expect([...usageKeys.onPlan]).toEqual(['uk-1', 'uk-2']);
    expect(audit.events.at(-1)).toMatchObject({
      action: 'agency.usage_keys_withdrawn',
      outcome: 'failed',
      details: { usageKey: 'uk-2', withdrawn: [], stillActive: ['uk-1', 'uk-2'] },
    });
    // The next call finds both on the plan and takes them off.
    usageKeys.stuck.clear();
    expect((await issueUsageKey({ uscc }, OPERATOR, deps)).replaced).toEqual(['uk-1', 'uk-2']);
  });

  it('gives a key to an agency that has none (registered before the plan)', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps } = setup(usageKeys);
    const operatorAgency = DEMO_AGENCIES.find((a) => a.roles.includes('operator'))!.uscc;
    const issued = await issueUsageKey({ uscc: operatorAgency }, OPERATOR, deps);
    expect(issued.replaced).toEqual([]);
    expect([...usageKeys.onPlan]).toEqual([issued.usageKey.id]);
  });

  it('keeps the old key and withdraws the new one when the record cannot be written', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps, audit } = setup(usageKeys);
    const uscc = testUscc(5);
    await registerAgency(registration(uscc), OPERATOR, deps);
    audit.failure = new Error('audit table unavailable');

    await expect(issueUsageKey({ uscc }, OPERATOR, deps)).rejects.toThrow('audit table unavailable');
    expect([...usageKeys.onPlan]).toEqual(['uk-1']);
    expect(audit.events.map((e) => e.action)).toEqual(['agency.registered']);
  });

  it('answers the failure when the withdrawals cannot be recorded, leaving the recorded new key for a retry to replace', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps, audit } = setup(usageKeys);
    const uscc = testUscc(9);
    await registerAgency(registration(uscc), OPERATOR, deps); // uk-1
    const record = audit.record.bind(audit);
    audit.record = async (event) => {
      if (event.action === 'agency.usage_keys_withdrawn') throw new Error('audit table unavailable');
      return record(event);
    };

    await expect(issueUsageKey({ uscc }, OPERATOR, deps)).rejects.toThrow('audit table unavailable');
    expect([...usageKeys.onPlan]).toEqual(['uk-2']);
    expect(audit.events.map((e) => [e.action, e.details?.usageKey])).toEqual([
      ['agency.registered', 'uk-1'],
      ['agency.usage_key_issued', 'uk-2'],
    ]);
  });

  it('refuses an agency that is not registered, issuing nothing', async () => {
    const usageKeys = new FakeUsageKeys();
    const { deps } = setup(usageKeys);
    await expect(issueUsageKey({ uscc: testUscc(6) }, OPERATOR, deps)).rejects.toThrow(ConfigRecordNotFound);
    expect(usageKeys.issued).toEqual([]);
  });

  it('refuses where the stage has no usage plan, recording nothing', async () => {
    const { deps, audit } = setup(new NoUsageKeys());
    const operatorAgency = DEMO_AGENCIES.find((a) => a.roles.includes('operator'))!.uscc;
    await expect(issueUsageKey({ uscc: operatorAgency }, OPERATOR, deps)).rejects.toThrow(
      UsagePlanNotEnabled,
    );
    expect(audit.events).toEqual([]);
  });
});
