// A grant's lastEventHour over the wire: set by creation and revocation, raised (never lowered)
// by raiseLastEventHour without a version change, and absent on grants stored before it was kept.
import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoGrantStore, grantItemKey } from '#adapters/aws/grant-store.ts';
import type { GrantTerms } from '#core/grants/grant.ts';
import { DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoGrantStore;
let clock = Date.parse('2025-03-01T08:20:00.000Z');

beforeAll(async () => {
  stage = await provisionStoreStage('it-grant-bound');
  store = new DynamoGrantStore(stage.documents, stage.table('grants'), { clock: () => new Date(clock) });
});

afterAll(async () => {
  await stage.dispose();
});

const holderIndex = createHash('sha256').update('bound').digest('base64url');

const terms: GrantTerms = {
  scope: { kind: 'type', typeCode: DEMO_TYPE_CODE.drivingLicence },
  relyingAgency: DEMO_USCC.housingProvidentFundCentre,
  holderIndex,
  purpose: '住房公积金提取核验身份',
  fields: ['姓名'],
  expiresAt: '2026-03-08T08:00:00.000Z',
  maxUses: 3,
};

/** The grant's lastEventHour as the holder listing reads it. */
async function boundOf(grantId: string): Promise<string | undefined> {
  const listed = (await store.listByHolder(holderIndex)).items.find((g) => g.value.id === grantId);
  return listed?.lastEventHour;
}

async function storedItem(grantId: string) {
  const { Item } = await stage.documents.send(
    new GetCommand({ TableName: stage.table('grants'), Key: grantItemKey(grantId), ConsistentRead: true }),
  );
  return Item;
}

describe('a grant’s lastEventHour', () => {
  test('is its creation’s hour, read back by the holder listing but not part of the grant', async () => {
    const { grant } = await store.create(terms);

    expect(await store.get(grant.value.id)).not.toHaveProperty('lastEventHour');
    const listed = (await store.listByHolder(holderIndex)).items.find((g) => g.value.id === grant.value.id);
    expect(listed?.lastEventHour).toBe('2025-03-01T08');
    expect(listed?.value).not.toHaveProperty('lastEventHour');
  });

  test('is raised to a later hour only, leaving the version alone; an earlier or equal hour changes nothing', async () => {
    const { grant } = await store.create(terms);

    await store.raiseLastEventHour(grant.value.id, '2025-04-02T13');
    await store.raiseLastEventHour(grant.value.id, '2025-04-02T13');
    await store.raiseLastEventHour(grant.value.id, '2025-03-30T23');

    expect(await boundOf(grant.value.id)).toBe('2025-04-02T13');
    expect((await store.get(grant.value.id))?.version).toBe(1);
  });

  test('is given by a raise to a grant stored before it was kept', async () => {
    const { grant } = await store.create(terms);
    await stage.documents.send(
      new UpdateCommand({
        TableName: stage.table('grants'),
        Key: grantItemKey(grant.value.id),
        UpdateExpression: 'REMOVE lastEventHour',
      }),
    );
    const listed = (await store.listByHolder(holderIndex)).items.find((g) => g.value.id === grant.value.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('lastEventHour');

    await store.raiseLastEventHour(grant.value.id, '2025-03-01T07');

    expect(await boundOf(grant.value.id)).toBe('2025-03-01T07');
  });

  test('a raise writes no item for a grant that does not exist', async () => {
    await store.raiseLastEventHour('no-such-grant-0001', '2025-03-01T09');

    expect(await storedItem('no-such-grant-0001')).toBeUndefined();
  });

  test('a raise refuses an hour that is not yyyy-mm-ddThh', async () => {
    const { grant } = await store.create(terms);

    await expect(store.raiseLastEventHour(grant.value.id, '2025-03-01T09:00')).rejects.toBeInstanceOf(
      RangeError,
    );
    expect((await storedItem(grant.value.id))?.lastEventHour).toBe('2025-03-01T08');
  });

  test('is the revocation’s hour once revoked', async () => {
    const { grant } = await store.create(terms);
    clock += 2 * 3_600_000;

    const revoked = await store.revoke(grant.value.id);

    expect(revoked.value.revoked).toBe('2025-03-01T10:20:00.000Z');
    expect(await boundOf(grant.value.id)).toBe('2025-03-01T10');
  });
});
