// Designations of successors made at the same moment, over the wire: the designation use case on
// the DynamoDB registry, the requests in flight together, round after round. Each designation
// checks that the successor's chain does not lead back to the agency, and its write holds only
// while every agency of that chain still names the successor it named when checked (a
// ConditionCheck each, in the write's transaction). So A → B beside B → A never both commit and
// never leave a loop: one commits, the other is refused writing nothing — as a conflict when it
// checked before the other committed, as a loop when it checked after.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { adminChangeEvent } from '#app/admin-change.ts';
import { designateSuccessor } from '#app/designate-successor.ts';
import { successionChain } from '#app/succession.ts';
import { type Agency, MAX_API_KEYS, MAX_SUCCESSION_LINKS } from '#core/catalog/agency.ts';
import { CatalogCrossCheckFailed } from '#core/catalog/registration-errors.ts';
import { organizationCodeCheckChar, usccCheckChar } from '#core/identifiers/index.ts';
import { SuccessionChanged } from '#ports/config-store.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

const ROUNDS = 30;
const OPERATOR = { agency: '12330100D000001523', keyId: 'demo-operator-1' };

let stage: StoreStage;
let store: DynamoConfigStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-successor-race');
  store = new DynamoConfigStore(stage.documents, stage.table('config'), { auditTable: stage.table('audit') });
});

afterAll(async () => {
  await stage.dispose();
});

/** One designation's dependencies: its audit event's id and time given, to look the event up after. */
const deps = (event: { id: string; time: string }) => ({
  config: store,
  stage: 'local',
  demoData: 'allowed' as const,
  now: () => new Date(event.time),
  newEventId: () => event.id,
});

const eventOf = (name: string) => ({
  id: `successor-race-${name}-${Date.now()}`,
  time: new Date().toISOString(),
});

function uscc(n: number): string {
  const body = `G${String(n).padStart(7, '0')}`;
  const first17 = `12330100${body}${organizationCodeCheckChar(body)}`;
  return `${first17}${usccCheckChar(first17)}`;
}

function issuer(n: number): Agency {
  const id = uscc(n);
  return {
    uscc: id,
    name: `测试局 ${n}`,
    roles: ['issuer'],
    apiKeys: [],
    sealKey: { keyRef: `fake:seal/${id}-1`, kid: `seal-${id}` },
    areaCode: '330100',
  };
}

/** Fresh issuing agencies for one round, each at version 1 with no successor. */
async function issuers(first: number, count: number): Promise<string[]> {
  const agencies = Array.from({ length: count }, (_, i) => issuer(first + i));
  for (const agency of agencies) await store.createAgency(agency);
  return agencies.map((a) => a.uscc);
}

async function audited(event: { id: string; time: string }): Promise<boolean> {
  const { Item } = await stage.documents.send(
    new GetCommand({
      TableName: stage.table('audit'),
      Key: { pk: auditPartitionKey(event.time, event.id), sk: `${event.time}#${event.id}` },
    }),
  );
  return Item !== undefined;
}

/** A refusal that wrote nothing because of the other designation: a conflict, or the loop it saw. */
function refusedForTheOther(reason: unknown): boolean {
  return (
    reason instanceof SuccessionChanged ||
    (reason instanceof CatalogCrossCheckFailed && /would close a loop/.test(reason.message))
  );
}

/**
 * Whether a round exercised the chain condition: a designation refused as SUCCESSION_CHANGED checked
 * its chain before the other committed, and only the ConditionCheck stopped it. Were every round
 * refused as a loop, the requests ran one after the other and the race went untested — a test the
 * condition's removal could not fail.
 */
const raced = (refused: unknown[]) => refused.some((reason) => reason instanceof SuccessionChanged);

/** Races one designation per pair [agency, successor]; what committed and what was refused. */
async function race(round: string, pairs: [string, string][]) {
  const events = pairs.map((_, i) => eventOf(`${round}-${i}`));
  const outcomes = await Promise.allSettled(
    pairs.map(([agency, successor], i) =>
      designateSuccessor({ uscc: agency, expectedVersion: 1, successor }, OPERATOR, deps(events[i]!)),
    ),
  );
  return {
    committed: outcomes.filter((o) => o.status === 'fulfilled'),
    refused: outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : [])),
    outcomes,
    events,
  };
}

describe('designations of successors at the same moment', () => {
  test(`A → B beside B → A, ${ROUNDS} rounds: exactly one commits with its audit event, no loop is left`, async () => {
    let racedRounds = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const [a, b] = (await issuers(round * 2, 2)) as [string, string];

      const { committed, refused, outcomes, events } = await race(`pair-${round}`, [
        [a, b],
        [b, a],
      ]);

      expect(committed, `round ${round}`).toHaveLength(1);
      expect(refused.every(refusedForTheOther), `round ${round}: ${String(refused[0])}`).toBe(true);
      if (raced(refused)) racedRounds += 1;
      for (const start of [a, b]) {
        expect((await successionChain(store, start)).end, `round ${round}: from ${start}`).toBe('last');
      }
      expect(
        await Promise.all(events.map(audited)),
        `round ${round}: only the committed designation has its event`,
      ).toEqual(outcomes.map((o) => o.status === 'fulfilled'));
    }
    expect(racedRounds, 'rounds in which the loser checked before the winner committed').toBeGreaterThan(0);
  });

  test(`A → B, B → C and C → A at once, ${ROUNDS} rounds: two commit, no loop is left`, async () => {
    let racedRounds = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const [a, b, c] = (await issuers(1000 + round * 3, 3)) as [string, string, string];

      const { committed, refused, outcomes, events } = await race(`ring-${round}`, [
        [a, b],
        [b, c],
        [c, a],
      ]);

      // Whichever commits last would close the ring: it is refused, the two before it stand.
      expect(committed, `round ${round}`).toHaveLength(2);
      expect(refused.every(refusedForTheOther), `round ${round}: ${String(refused[0])}`).toBe(true);
      if (raced(refused)) racedRounds += 1;
      for (const start of [a, b, c]) {
        expect((await successionChain(store, start)).end, `round ${round}: from ${start}`).toBe('last');
      }
      expect(await Promise.all(events.map(audited)), `round ${round}`).toEqual(
        outcomes.map((o) => o.status === 'fulfilled'),
      );
    }
    expect(racedRounds, 'rounds in which the loser checked before the others committed').toBeGreaterThan(0);
  });
});

describe('a designation written against the chain as it was checked', () => {
  const designation = (agency: string, successor: string, event: { id: string; time: string }) =>
    adminChangeEvent(deps(event), OPERATOR, 'agency.successor_designated', {
      details: { agency, version: 2, changes: { successor: { before: null, after: successor } } },
    });

  test('is refused when an agency deep in the chain named another successor since, writing nothing', async () => {
    const [a, b, c, d] = (await issuers(2000, 4)) as [string, string, string, string];
    await designateSuccessor({ uscc: b, expectedVersion: 1, successor: c }, OPERATOR, deps(eventOf('b-c')));
    // Checked as B → C, C naming none; C names D by the time the designation is written.
    await designateSuccessor({ uscc: c, expectedVersion: 1, successor: d }, OPERATOR, deps(eventOf('c-d')));
    const before = await store.getAgency(a);
    const event = eventOf('a-b');

    const refused = store.designateSuccessor(
      { ...before!.value, successor: b },
      1,
      [
        { uscc: b, successor: c },
        { uscc: c, successor: undefined },
      ],
      designation(a, b, event),
    );

    await expect(refused).rejects.toBeInstanceOf(SuccessionChanged);
    await expect(refused).rejects.toMatchObject({ code: 'SUCCESSION_CHANGED', agency: a, changed: c });
    expect(await store.getAgency(a)).toEqual(before);
    expect(await audited(event)).toBe(false);
  });

  test('holds on the successors alone: another change to an agency of the chain does not refuse it', async () => {
    const [a, b] = (await issuers(2100, 2)) as [string, string];
    const named = await store.getAgency(b);
    await store.updateAgency({ ...named!.value, name: '测试局（更名）' }, 1);
    const event = eventOf('renamed');

    const saved = await store.designateSuccessor(
      { ...(await store.getAgency(a))!.value, successor: b },
      1,
      [{ uscc: b, successor: undefined }],
      designation(a, b, event),
    );

    expect(saved.version).toBe(2);
    expect((await store.getAgency(a))?.value.successor).toBe(b);
    expect(await audited(event)).toBe(true);
  });

  test('at the chain bound: the checks, the record, its keys and its event fit in one transaction', async () => {
    // MAX_SUCCESSION_LINKS agencies checked, beside an agency with MAX_API_KEYS request keys.
    const chain = await issuers(3000, MAX_SUCCESSION_LINKS);
    const [holder] = await issuers(3100, 1);
    const keyed = { ...(await store.getAgency(holder!))!.value, apiKeys: requestKeys(holder!, MAX_API_KEYS) };
    await store.updateAgency(keyed, 1);
    const event = eventOf('bound');

    const saved = await store.designateSuccessor(
      { ...keyed, successor: chain[0]! },
      2,
      chain.map((uscc) => ({ uscc, successor: undefined })),
      designation(holder!, chain[0]!, event),
    );

    expect(saved.version).toBe(3);
    expect(await audited(event)).toBe(true);
  });
});

/** `count` active request-signing keys of the agency. */
function requestKeys(agency: string, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const keyId = `succ-${agency}-${i}`;
    const { x, y } = new SoftwareEs256Signer(keyId).publicJwk;
    return {
      keyId,
      algorithm: 'ecdsa-p256-sha256' as const,
      publicJwk: { kty: 'EC' as const, crv: 'P-256' as const, x: x!, y: y! },
      status: 'active' as const,
      created: '2026-01-01T00:00:00.000Z',
    };
  });
}
