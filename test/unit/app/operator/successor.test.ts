import { describe, expect, it } from 'vitest';
import { designateSuccessor, NoSuccessorDesignated, removeSuccessor } from '#app/designate-successor.ts';
import { predecessorServed, SuccessionUnresolved, successionChain } from '#app/succession.ts';
import { updateAgency } from '#app/update-agency.ts';
import { type Agency, MAX_SUCCESSION_LINKS } from '#core/catalog/agency.ts';
import { CatalogCrossCheckFailed } from '#core/catalog/registration-errors.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { DEMO_AGENCIES, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import type { HttpProblem } from '#http/problem.ts';
import {
  ConfigRecordInvalid,
  ConfigRecordNotFound,
  ConfigVersionConflict,
  SuccessionChanged,
} from '#ports/config-store.ts';
import { adminDeps, FakeSealKeys, InMemoryConfigStore, OPERATOR, testUscc } from './fakes.ts';

// The operator designates the successor (承继机关) of a dissolved or merged agency (机构撤并):
// a registered issuer, never the agency itself, never closing a loop, within the chain bound;
// each designation, change and removal written at the version read with its audit event.

const PSB = DEMO_USCC.publicSecurityBureau;
const AMR = DEMO_USCC.marketRegulationBureau;
const VEHICLE = DEMO_USCC.vehicleAdministration;
const HPF = DEMO_USCC.housingProvidentFundCentre;

/** An issuing agency of the test registry, with a seal key of its own and maybe a successor. */
function issuer(uscc: string, successor?: string): Agency {
  return {
    uscc,
    name: `测试局 ${uscc}`,
    roles: ['issuer'],
    apiKeys: [],
    sealKey: { keyRef: `fake:seal/${uscc}-1`, kid: `seal-${uscc}` },
    areaCode: '330100',
    ...(successor ? { successor } : {}),
  };
}

function setup(extra: Agency[] = []) {
  const config = new InMemoryConfigStore({ agencies: [...DEMO_AGENCIES, ...extra] });
  return { config, audit: config.audit, deps: { ...adminDeps(), config } };
}

describe('designateSuccessor', () => {
  it('names a registered issuer as successor at the version read, and records it with before and after', async () => {
    const { deps, audit, config } = setup();
    const saved = await designateSuccessor({ uscc: PSB, expectedVersion: 1, successor: AMR }, OPERATOR, deps);
    expect(saved.version).toBe(2);
    expect(saved.value.successor).toBe(AMR);
    // Nothing else of the record changes: keys, seal key and roles stay.
    const { successor: _s, ...rest } = saved.value;
    expect(rest).toEqual(DEMO_AGENCIES.find((a) => a.uscc === PSB));
    expect((await config.getAgency(PSB))?.value.successor).toBe(AMR);
    expect(audit.events).toEqual([
      expect.objectContaining({
        action: 'agency.successor_designated',
        actor: { kind: 'operator', id: OPERATOR.agency },
        outcome: 'success',
        details: {
          agency: PSB,
          version: 2,
          changes: { successor: { before: null, after: AMR } },
          operatorKeyId: OPERATOR.keyId,
        },
      }),
    ]);
  });

  it('records a change of successor and its removal, each with before and after', async () => {
    const { deps, audit } = setup();
    await designateSuccessor({ uscc: PSB, expectedVersion: 1, successor: AMR }, OPERATOR, deps);
    const changed = await designateSuccessor(
      { uscc: PSB, expectedVersion: 2, successor: VEHICLE },
      OPERATOR,
      deps,
    );
    expect(changed.value.successor).toBe(VEHICLE);
    const removed = await removeSuccessor({ uscc: PSB, expectedVersion: 3 }, OPERATOR, deps);
    expect(removed.version).toBe(4);
    expect(removed.value).not.toHaveProperty('successor');
    expect(audit.events.map((e) => [e.action, e.details?.version, e.details?.changes])).toEqual([
      ['agency.successor_designated', 2, { successor: { before: null, after: AMR } }],
      ['agency.successor_designated', 3, { successor: { before: AMR, after: VEHICLE } }],
      ['agency.successor_removed', 4, { successor: { before: VEHICLE, after: null } }],
    ]);
  });

  it.each([
    ['the agency itself', PSB, /an agency cannot be its own successor/],
    ['an agency nobody registered', testUscc(77), /no agency .* is registered/],
    ['an agency without the issuer role', HPF, /does not hold the issuer role/],
  ])(
    'refuses %s as successor, naming the successor field, and writes nothing',
    async (_what, successor, reason) => {
      const { deps, audit, config } = setup();
      const refused = designateSuccessor({ uscc: PSB, expectedVersion: 1, successor }, OPERATOR, deps);
      await expect(refused).rejects.toBeInstanceOf(CatalogCrossCheckFailed);
      await expect(refused).rejects.toThrow(reason);
      await expect(refused).rejects.toMatchObject({
        errors: [expect.objectContaining({ path: 'successor' })],
      });
      expect(await config.getAgency(PSB)).toEqual({ value: DEMO_AGENCIES[0], version: 1 });
      expect(audit.events).toEqual([]);
    },
  );

  it('refuses a designation that would close a loop, naming the chain', async () => {
    // VEHICLE → PSB → AMR: designating VEHICLE for AMR would lead AMR's licenses back to AMR.
    const { deps, audit } = setup();
    await designateSuccessor({ uscc: VEHICLE, expectedVersion: 1, successor: PSB }, OPERATOR, deps);
    await designateSuccessor({ uscc: PSB, expectedVersion: 1, successor: AMR }, OPERATOR, deps);
    const loop = designateSuccessor({ uscc: AMR, expectedVersion: 1, successor: VEHICLE }, OPERATOR, deps);
    await expect(loop).rejects.toBeInstanceOf(CatalogCrossCheckFailed);
    await expect(loop).rejects.toThrow(`${VEHICLE} → ${PSB} → ${AMR}`);
    expect(audit.events).toHaveLength(2);
  });

  it('refuses a successor whose own chain loops (as records written other than by designation may)', async () => {
    const [b, c] = [testUscc(90), testUscc(91)];
    const { deps, audit } = setup([issuer(b, c), issuer(c, b)]);
    const refused = designateSuccessor({ uscc: PSB, expectedVersion: 1, successor: b }, OPERATOR, deps);
    await expect(refused).rejects.toBeInstanceOf(CatalogCrossCheckFailed);
    await expect(refused).rejects.toThrow(`the successors of ${b} loop (${b} repeats)`);
    expect(audit.events).toEqual([]);
  });

  it(`refuses a successor whose own chain already has ${MAX_SUCCESSION_LINKS} links, and takes one with fewer`, async () => {
    // S1 → S2 → … → S9: eight designations from S1.
    const chain = Array.from({ length: MAX_SUCCESSION_LINKS + 1 }, (_, i) => testUscc(100 + i));
    const agencies = chain.map((uscc, i) => issuer(uscc, chain[i + 1]));
    const newcomer = testUscc(99);
    const { deps, audit } = setup([...agencies, issuer(newcomer)]);
    const tooLong = designateSuccessor(
      { uscc: newcomer, expectedVersion: 1, successor: chain[0]! },
      OPERATOR,
      deps,
    );
    await expect(tooLong).rejects.toBeInstanceOf(CatalogCrossCheckFailed);
    await expect(tooLong).rejects.toThrow(`more than ${MAX_SUCCESSION_LINKS} successions`);
    expect(audit.events).toEqual([]);
    const saved = await designateSuccessor(
      { uscc: newcomer, expectedVersion: 1, successor: chain[1]! },
      OPERATOR,
      deps,
    );
    expect(saved.value.successor).toBe(chain[1]);
  });

  it('refuses a stale version and an unknown agency, writing nothing', async () => {
    const { deps, audit } = setup();
    await expect(
      designateSuccessor({ uscc: PSB, expectedVersion: 3, successor: AMR }, OPERATOR, deps),
    ).rejects.toBeInstanceOf(ConfigVersionConflict);
    await expect(
      designateSuccessor({ uscc: testUscc(5), expectedVersion: 1, successor: AMR }, OPERATOR, deps),
    ).rejects.toBeInstanceOf(ConfigRecordNotFound);
    await expect(removeSuccessor({ uscc: PSB, expectedVersion: 3 }, OPERATOR, deps)).rejects.toBeInstanceOf(
      ConfigVersionConflict,
    );
    expect(audit.events).toEqual([]);
  });

  it('refuses to remove a successor that was never designated', async () => {
    const { deps, audit } = setup();
    const refused = removeSuccessor({ uscc: PSB, expectedVersion: 1 }, OPERATOR, deps);
    await expect(refused).rejects.toBeInstanceOf(NoSuccessorDesignated);
    await expect(refused).rejects.toThrow(`agency ${PSB} has no successor designated`);
    expect(audit.events).toEqual([]);
  });
});

describe('designations at the same moment', () => {
  // The in-memory registry interleaves the use cases at each await, as two requests on two Lambda
  // instances would: each reads and checks its chain before either writes.
  const race = (deps: ReturnType<typeof setup>['deps'], pairs: [string, string][]) =>
    Promise.allSettled(
      pairs.map(([uscc, successor]) =>
        designateSuccessor({ uscc, expectedVersion: 1, successor }, OPERATOR, deps),
      ),
    );

  it('A → B beside B → A: one is written, the other is 409 SUCCESSION_CHANGED and writes nothing', async () => {
    const [a, b] = [testUscc(600), testUscc(601)];
    const { deps, audit, config } = setup([issuer(a), issuer(b)]);

    const outcomes = await race(deps, [
      [a, b],
      [b, a],
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(SuccessionChanged);
    expect(refused).toMatchObject({ code: 'SUCCESSION_CHANGED', agency: b, changed: a });
    expect(await config.getAgency(b)).toEqual({ value: issuer(b), version: 1 });
    expect((await successionChain(config, a)).end).toBe('last');
    expect(audit.events.map((e) => [e.action, e.details?.agency])).toEqual([
      ['agency.successor_designated', a],
    ]);
    const problem = asProblem(refused) as HttpProblem;
    expect([problem.status, problem.problemType, problem.extensions]).toEqual([
      409,
      'conflict',
      { code: 'SUCCESSION_CHANGED' },
    ]);
    expect(problem.message).toBe(
      `the successors of ${a} changed while ${a} was being designated the successor of ${b} (the successor of ${a} was designated, changed or removed meanwhile); nothing was written — read the agencies again and designate again`,
    );
  });

  it('A → B, B → C and C → A at once: the one that would close the ring is refused', async () => {
    const [a, b, c] = [testUscc(610), testUscc(611), testUscc(612)];
    const { deps, audit, config } = setup([issuer(a), issuer(b), issuer(c)]);

    const outcomes = await race(deps, [
      [a, b],
      [b, c],
      [c, a],
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(SuccessionChanged);
    expect(await successionChain(config, a)).toEqual({ chain: [a, b, c], end: 'last' });
    expect(audit.events).toHaveLength(2);
  });

  it('checks the whole chain it read, not the named successor alone', async () => {
    // B → C stands. C → A and A → B at once: A → B checked C naming none, which C → A changes.
    const [a, b, c] = [testUscc(620), testUscc(621), testUscc(622)];
    const { deps, audit, config } = setup([issuer(a), issuer(b, c), issuer(c)]);

    const outcomes = await race(deps, [
      [c, a],
      [a, b],
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SUCCESSION_CHANGED',
      agency: a,
      changed: c,
    });
    expect(await successionChain(config, b)).toEqual({ chain: [b, c, a], end: 'last' });
    expect(audit.events).toHaveLength(1);
  });
});

describe('the successor in the agency record', () => {
  it('is refused by the registry when it names the agency itself', async () => {
    const { config } = setup();
    await expect(config.updateAgency({ ...DEMO_AGENCIES[0]!, successor: PSB }, 1)).rejects.toBeInstanceOf(
      ConfigRecordInvalid,
    );
  });

  it('survives an update of name, roles and area: the agency that loses the issuer role keeps it', async () => {
    const { deps } = setup();
    await designateSuccessor({ uscc: PSB, expectedVersion: 1, successor: AMR }, OPERATOR, deps);
    const saved = await updateAgency(
      {
        uscc: PSB,
        expectedVersion: 2,
        changes: { name: '演示市公安局（已撤并）', roles: ['relying'], areaCode: '330100' },
      },
      OPERATOR,
      { ...deps, sealKeys: new FakeSealKeys() },
    );
    expect(saved.value).toMatchObject({ roles: ['relying'], successor: AMR });
  });
});

describe('resolving a chain of successors', () => {
  /** A license the agency issued: only its identifier matters to the resolution. */
  const licenseOf = (uscc: string) =>
    buildLicenseId({
      typeCode: '11100000000013338W032',
      issuerCode: uscc,
      serial: '2430599',
      version: '001',
    });

  it('resolves an 11-link chain designated in natural order to its last agency, and to it alone', async () => {
    // A1 → A2, then A2 → A3, …: each designation passes, as its new successor has no chain yet.
    const chain = Array.from({ length: 12 }, (_, i) => testUscc(300 + i));
    const { deps, config } = setup(chain.map((uscc) => issuer(uscc)));
    for (const [i, uscc] of chain.slice(0, -1).entries()) {
      await designateSuccessor({ uscc, expectedVersion: 1, successor: chain[i + 1]! }, OPERATOR, deps);
    }
    const last = chain.at(-1)!;
    expect(await predecessorServed(config, { agency: last }, licenseOf(chain[0]!))).toBe(chain[0]);
    expect(await predecessorServed(config, { agency: last }, licenseOf(chain[6]!))).toBe(chain[6]);
    // An agency inside the chain passed its functions on: it acts for nobody before it.
    expect(await predecessorServed(config, { agency: chain[5]! }, licenseOf(chain[0]!))).toBeUndefined();
  });

  it('reports a loop (an agency repeating) as a loop, naming it, to the agencies in it only', async () => {
    // A → B → C → B, as records written other than by designation may hold.
    const [a, b, c] = [testUscc(400), testUscc(401), testUscc(402)];
    const { config } = setup([issuer(a, b), issuer(b, c), issuer(c, b)]);
    const refused = predecessorServed(config, { agency: c }, licenseOf(a));
    await expect(refused).rejects.toBeInstanceOf(SuccessionUnresolved);
    await expect(refused).rejects.toThrow(`the successors of ${a} loop: ${b} → ${c} → ${b}`);
    expect(await predecessorServed(config, { agency: testUscc(403) }, licenseOf(a))).toBeUndefined();
  });

  it(`says a chain longer than ${MAX_SUCCESSION_LINKS} links is too long, not a loop`, async () => {
    const chain = Array.from({ length: MAX_SUCCESSION_LINKS + 2 }, (_, i) => testUscc(500 + i));
    const { config } = setup(chain.map((uscc, i) => issuer(uscc, chain[i + 1])));
    const refused = predecessorServed(config, { agency: chain[3]! }, licenseOf(chain[0]!));
    await expect(refused).rejects.toBeInstanceOf(SuccessionUnresolved);
    await expect(refused).rejects.toThrow(
      `the successors of ${chain[0]} do not end within ${MAX_SUCCESSION_LINKS} designations`,
    );
    await expect(refused).rejects.not.toThrow(/loop/);
  });
});
