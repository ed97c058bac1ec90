// Two operators revoking each other's keys at the same moment, over the wire: the revocation
// use case on the DynamoDB registry, both requests in flight together, round after round. Each
// write carries a ConditionCheck on its caller's own agency record, so the two transactions
// conflict: one commits, the other is refused as a conflict (409) writing nothing — never both,
// so an active operator key always remains.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { revokeApiKey } from '#app/agency-api-keys.ts';
import { registerAgency } from '#app/register-agency.ts';
import { updateAgency } from '#app/update-agency.ts';
import type { Agency } from '#core/catalog/agency.ts';
import { organizationCodeCheckChar, usccCheckChar } from '#core/identifiers/index.ts';
import { ConfigVersionConflict, OperatorRecordChanged } from '#ports/config-store.ts';
import type { SealKeyProvisioner } from '#ports/seal-key-provisioner.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

const ROUNDS = 30;

let stage: StoreStage;
let store: DynamoConfigStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-op-race');
  store = new DynamoConfigStore(stage.documents, stage.table('config'), { auditTable: stage.table('audit') });
});

afterAll(async () => {
  await stage.dispose();
});

/** One change's dependencies: its audit event's id and time given, to look the event up after. */
const deps = (event: { id: string; time: string }) => ({
  config: store,
  // Never called: no change here makes an agency an issuer.
  sealKeys: {} as SealKeyProvisioner,
  stage: 'local',
  demoData: 'allowed' as const,
  now: () => new Date(event.time),
  newEventId: () => event.id,
});

const eventOf = (name: string) => ({ id: `op-race-${name}-${Date.now()}`, time: new Date().toISOString() });

function uscc(n: number): string {
  const body = `F${String(n).padStart(7, '0')}`;
  const first17 = `12330100${body}${organizationCodeCheckChar(body)}`;
  return `${first17}${usccCheckChar(first17)}`;
}

function operatorAgency(n: number, keyId: string): Agency {
  const { x, y } = new SoftwareEs256Signer(keyId).publicJwk;
  return {
    uscc: uscc(n),
    name: `演示市运营机构${n}`,
    roles: ['operator'],
    areaCode: '330100',
    apiKeys: [
      {
        keyId,
        algorithm: 'ecdsa-p256-sha256',
        publicJwk: { kty: 'EC', crv: 'P-256', x: x!, y: y! },
        status: 'active',
        created: '2026-01-01T00:00:00.000Z',
      },
    ],
  };
}

/** Two operator agencies of their own for a round, each with one active key. */
async function twoOperators(round: number, tag: string) {
  const a = operatorAgency(round * 2, `${tag}-a-${round}`);
  const b = operatorAgency(round * 2 + 1, `${tag}-b-${round}`);
  await store.createAgency(a);
  await store.createAgency(b);
  return {
    a: { agency: a.uscc, keyId: a.apiKeys[0]!.keyId },
    b: { agency: b.uscc, keyId: b.apiKeys[0]!.keyId },
  };
}

/** The active keys of the round's operator agencies, as request authentication reads them. */
async function activeOperatorKeys(...keyIds: string[]): Promise<string[]> {
  const found = await Promise.all(keyIds.map((keyId) => store.findApiKey(keyId)));
  return found.flatMap((record) =>
    record !== undefined && record.key.status === 'active' && record.agency.roles.includes('operator')
      ? [record.key.keyId]
      : [],
  );
}

async function audited(eventId: string, time: string): Promise<boolean> {
  const { Item } = await stage.documents.send(
    new GetCommand({
      TableName: stage.table('audit'),
      Key: { pk: auditPartitionKey(time, eventId), sk: `${time}#${eventId}` },
    }),
  );
  return Item !== undefined;
}

function isConflict(reason: unknown): boolean {
  return reason instanceof OperatorRecordChanged || reason instanceof ConfigVersionConflict;
}

describe('mutual revocation by two operators at the same moment', () => {
  test(`revoking each other's keys, ${ROUNDS} rounds: exactly one commits, the other is a conflict, an operator key remains`, async () => {
    const tally = { committed: 0, refusedAsChanged: 0 };
    for (let round = 0; round < ROUNDS; round += 1) {
      const { a, b } = await twoOperators(round, 'key');

      const events = [eventOf(`key-a-${round}`), eventOf(`key-b-${round}`)] as const;

      const outcomes = await Promise.allSettled([
        revokeApiKey({ uscc: b.agency, keyId: b.keyId }, a, deps(events[0])),
        revokeApiKey({ uscc: a.agency, keyId: a.keyId }, b, deps(events[1])),
      ]);

      const committed = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(committed, `round ${round}`).toHaveLength(1);
      expect(refused.every(isConflict), `round ${round}: ${String(refused[0])}`).toBe(true);
      expect(await activeOperatorKeys(a.keyId, b.keyId), `round ${round}`).toHaveLength(1);
      expect(
        await Promise.all(events.map((e) => audited(e.id, e.time))),
        `round ${round}: only the committed change has its event`,
      ).toEqual(outcomes.map((o) => o.status === 'fulfilled'));
      tally.committed += committed.length;
      tally.refusedAsChanged += refused.filter((r) => r instanceof OperatorRecordChanged).length;
    }
    expect(tally).toEqual({ committed: ROUNDS, refusedAsChanged: ROUNDS });
  });

  test(`removing each other's operator role, ${ROUNDS} rounds: one commits with its audit event, an operator key remains`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { a, b } = await twoOperators(round + ROUNDS, 'role');
      const demote = async (caller: typeof a, target: string, event: { id: string; time: string }) => {
        const current = (await store.getAgency(target))!;
        return updateAgency(
          {
            uscc: target,
            expectedVersion: current.version,
            changes: { name: current.value.name, roles: ['relying'], areaCode: current.value.areaCode },
          },
          caller,
          deps(event),
        );
      };
      const events = [eventOf(`role-a-${round}`), eventOf(`role-b-${round}`)] as const;

      const outcomes = await Promise.allSettled([
        demote(a, b.agency, events[0]),
        demote(b, a.agency, events[1]),
      ]);

      expect(
        outcomes.filter((o) => o.status === 'fulfilled'),
        `round ${round}`,
      ).toHaveLength(1);
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(refused.every(isConflict), `round ${round}: ${String(refused[0])}`).toBe(true);
      expect(await activeOperatorKeys(a.keyId, b.keyId), `round ${round}`).toHaveLength(1);
      expect(await Promise.all(events.map((e) => audited(e.id, e.time))), `round ${round}`).toEqual(
        outcomes.map((o) => o.status === 'fulfilled'),
      );
    }
  });

  test('a revocation signed with a key another operator revoked meanwhile is refused, writing nothing', async () => {
    const { a, b } = await twoOperators(3 * ROUNDS, 'stale');
    await revokeApiKey({ uscc: a.agency, keyId: a.keyId }, b, deps(eventOf('stale-b')));
    const before = await store.getAgency(b.agency);
    const refused = eventOf('stale-a');

    await expect(revokeApiKey({ uscc: b.agency, keyId: b.keyId }, a, deps(refused))).rejects.toBeInstanceOf(
      OperatorRecordChanged,
    );

    expect(await store.getAgency(b.agency)).toEqual(before);
    expect(await audited(refused.id, refused.time)).toBe(false);
    expect(await activeOperatorKeys(a.keyId, b.keyId)).toEqual([b.keyId]);
  });
});

describe('an operator revoked while it registers another operator', () => {
  test('the registration, its standing read before the revocation, is refused at the write, writing nothing', async () => {
    const { a, b } = await twoOperators(3 * ROUNDS + 1, 'plant');
    const planted = operatorAgency(9000, 'plant-c-1');
    const refused = eventOf('plant-b');
    // B's request was authenticated, and its standing read, before A revoked B's key; the
    // registry's createAgency runs A's revocation first, as a request of A committing then would.
    const racing = new Proxy(store, {
      get(target, name) {
        const member = Reflect.get(target, name, target);
        if (typeof member !== 'function') return member;
        if (name !== 'createAgency') return member.bind(target);
        return async (...args: unknown[]) => {
          await revokeApiKey({ uscc: b.agency, keyId: b.keyId }, a, deps(eventOf('plant-a')));
          return member.apply(target, args);
        };
      },
    });
    const { apiKeys, ...rest } = planted;

    await expect(
      registerAgency(
        {
          ...rest,
          apiKeys: apiKeys.map(({ keyId, algorithm, publicJwk }) => ({ keyId, algorithm, publicJwk })),
        },
        b,
        { ...deps(refused), config: racing },
      ),
    ).rejects.toBeInstanceOf(OperatorRecordChanged);

    expect(await store.getAgency(planted.uscc)).toBeUndefined();
    expect(await store.findApiKey('plant-c-1')).toBeUndefined();
    expect(await audited(refused.id, refused.time)).toBe(false);
  });
});
