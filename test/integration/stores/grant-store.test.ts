// Holder grants over the wire: created with a code only its holder learns, found by that code
// and by nothing else, revoked once, listed by holder and by relying agency.

import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoGrantStore, grantItemKey } from '#adapters/aws/grant-store.ts';
import type { GrantTerms } from '#core/grants/grant.ts';
import { DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { GrantAlreadyRevoked, GrantInvalid, GrantNotFound } from '#ports/grant-store.ts';
import { InvalidCursor } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoGrantStore;
let clock = Date.parse('2025-03-01T08:00:00.000Z');

beforeAll(async () => {
  stage = await provisionStoreStage('it-grants');
  store = new DynamoGrantStore(stage.documents, stage.table('grants'), { clock: () => new Date(clock) });
});

afterAll(async () => {
  await stage.dispose();
});

/** A blind index as the blind indexer makes them: base64url of an HMAC-SHA256. */
const holderIndexOf = (name: string) => createHash('sha256').update(name).digest('base64url');
const zhang = holderIndexOf('zhang');
const li = holderIndexOf('li');

function terms(overrides: Partial<GrantTerms> = {}): GrantTerms {
  return {
    scope: {
      kind: 'license',
      licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001',
    },
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    holderIndex: zhang,
    purpose: '住房公积金提取核验身份',
    fields: ['姓名', '公民身份号码'],
    expiresAt: '2025-03-08T08:00:00.000Z',
    maxUses: 3,
    ...overrides,
  };
}

describe('creating a grant', () => {
  test('returns an active grant with no uses and a 256-bit URL-safe code, and stores only its hash', async () => {
    const { grant, code } = await store.create(terms());

    expect(grant.version).toBe(1);
    expect(grant.value).toMatchObject({
      ...terms(),
      uses: 0,
      status: 'active',
      created: '2025-03-01T08:00:00.000Z',
    });
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(code, 'base64url')).toHaveLength(32);

    const { Item } = await stage.documents.send(
      new GetCommand({ TableName: stage.table('grants'), Key: grantItemKey(grant.value.id) }),
    );
    expect(Item?.codeHash).toBe(createHash('sha256').update(code).digest('base64url'));
    expect(JSON.stringify(Item)).not.toContain(code);
  });

  test('gives every grant its own id and code', async () => {
    const created = await Promise.all(Array.from({ length: 5 }, () => store.create(terms())));
    expect(new Set(created.map((c) => c.grant.value.id)).size).toBe(5);
    expect(new Set(created.map((c) => c.code)).size).toBe(5);
  });

  test('refuses an expiry that is not in the future, and terms its schema refuses', async () => {
    await expect(store.create(terms({ expiresAt: '2025-03-01T08:00:00.000Z' }))).rejects.toBeInstanceOf(
      GrantInvalid,
    );
    await expect(store.create(terms({ expiresAt: '2025-03-08T08:00:00Z' }))).rejects.toBeInstanceOf(
      GrantInvalid,
    );
    await expect(store.create(terms({ maxUses: 0 }))).rejects.toBeInstanceOf(GrantInvalid);
    await expect(store.create(terms({ fields: ['姓名', '姓名'] }))).rejects.toBeInstanceOf(GrantInvalid);
  });
});

describe('finding a grant', () => {
  test('by id and by its code gives the same grant', async () => {
    const { grant, code } = await store.create(
      terms({ scope: { kind: 'type', typeCode: DEMO_TYPE_CODE.drivingLicence } }),
    );
    expect(await store.get(grant.value.id)).toEqual(grant);
    expect(await store.findByCode(code)).toEqual(grant);
  });

  test('by a wrong code finds nothing, whatever its shape', async () => {
    const { code } = await store.create(terms());
    const flipped = `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`;
    expect(await store.findByCode(flipped)).toBeUndefined();
    expect(await store.findByCode('')).toBeUndefined();
    expect(await store.findByCode(`${code}x`)).toBeUndefined();
    expect(await store.get('no-such-grant')).toBeUndefined();
  });

  test('after a use counted by the agreed conditional update reads the new count', async () => {
    const { grant, code } = await store.create(terms());
    // The license repository counts a use like this, in the retrieval's transaction.
    await stage.documents.send(
      new UpdateCommand({
        TableName: stage.table('grants'),
        Key: grantItemKey(grant.value.id),
        UpdateExpression:
          'SET uses = uses + :one, version = if_not_exists(version, :zero) + :one, lastUsedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND #status = :active AND uses < maxUses AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':zero': 0,
          ':active': 'active',
          ':now': '2025-03-02T08:00:00.000Z',
        },
      }),
    );
    const used = await store.findByCode(code);
    expect(used?.version).toBe(2);
    expect(used?.value).toMatchObject({ uses: 1, lastUsedAt: '2025-03-02T08:00:00.000Z' });
  });

  test('refuses a grant item that is not a valid grant with StoredItemInvalid', async () => {
    const { grant } = await store.create(terms());
    await stage.documents.send(
      new UpdateCommand({
        TableName: stage.table('grants'),
        Key: grantItemKey(grant.value.id),
        UpdateExpression: 'SET uses = :uses',
        ExpressionAttributeValues: { ':uses': 7 },
      }),
    );
    const error = await store.get(grant.value.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoredItemInvalid);
    expect((error as StoredItemInvalid).issues.map((i) => i.path)).toEqual(['uses']);
  });

  test('refuses a code item pointing at a grant that does not exist', async () => {
    const code = 'A'.repeat(43);
    await stage.documents.send(
      new PutCommand({
        TableName: stage.table('grants'),
        Item: {
          pk: `C#${createHash('sha256').update(code).digest('base64url')}`,
          sk: 'CODE',
          grantId: 'a0000000-dangling',
        },
      }),
    );
    await expect(store.findByCode(code)).rejects.toBeInstanceOf(StoredItemInvalid);
  });
});

describe('revoking a grant', () => {
  test('makes it revoked, stamped and one version on, still found by its code', async () => {
    const { grant, code } = await store.create(terms());
    clock += 60_000;
    try {
      const revoked = await store.revoke(grant.value.id);
      expect(revoked).toEqual({
        value: { ...grant.value, status: 'revoked', revoked: '2025-03-01T08:01:00.000Z' },
        version: 2,
      });
      expect(await store.findByCode(code)).toEqual(revoked);
    } finally {
      clock -= 60_000;
    }
  });

  test('twice is refused naming when it was revoked', async () => {
    const { grant } = await store.create(terms());
    await store.revoke(grant.value.id);
    const error = await store.revoke(grant.value.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrantAlreadyRevoked);
    expect(error).toMatchObject({ revoked: '2025-03-01T08:00:00.000Z' });
  });

  test('by another holder, or of an unknown grant, is refused as not found and changes nothing', async () => {
    const { grant } = await store.create(terms());
    await expect(store.revoke(grant.value.id, { holderIndex: li })).rejects.toBeInstanceOf(GrantNotFound);
    expect((await store.get(grant.value.id))?.value.status).toBe('active');
    await expect(store.revoke('b0000000-unknown')).rejects.toBeInstanceOf(GrantNotFound);
    expect((await store.revoke(grant.value.id, { holderIndex: zhang })).value.status).toBe('revoked');
  });

  test('of 10 concurrent revocations exactly one succeeds', async () => {
    const { grant } = await store.create(terms());
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.revoke(grant.value.id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(GrantAlreadyRevoked);
  });
});

describe('listing grants', () => {
  test('by holder and by relying agency, newest first, across pages', async () => {
    const wang = holderIndexOf('wang');
    const created = [];
    for (let i = 0; i < 5; i += 1) {
      clock += 1000;
      created.push(
        await store.create(
          terms({
            holderIndex: wang,
            relyingAgency: i % 2 === 0 ? DEMO_USCC.platformOperator : DEMO_USCC.housingProvidentFundCentre,
            expiresAt: '2025-04-01T00:00:00.000Z',
          }),
        ),
      );
    }
    const newestFirst = created.map((c) => c.grant).reverse();

    const first = await store.listByHolder(wang, { limit: 2 });
    const second = await store.listByHolder(wang, { limit: 2, cursor: first.cursor });
    const third = await store.listByHolder(wang, { limit: 2, cursor: second.cursor });
    expect([...first.items, ...second.items, ...third.items]).toEqual(newestFirst);

    expect((await store.listByHolder(holderIndexOf('nobody'))).items).toEqual([]);
    // A cursor is the holder's own: another holder's listing refuses it.
    await expect(
      store.listByHolder(holderIndexOf('nobody'), { cursor: first.cursor }),
    ).rejects.toBeInstanceOf(InvalidCursor);
  });

  test('hands out cursors that carry no blind index, which another holder with grants cannot replay', async () => {
    const [chen, zhao] = [holderIndexOf('chen'), holderIndexOf('zhao')];
    for (const holderIndex of [chen, chen, zhao, zhao]) {
      clock += 1000;
      await store.create(terms({ holderIndex, expiresAt: '2025-04-01T00:00:00.000Z' }));
    }
    const first = await store.listByHolder(chen, { limit: 1 });
    const text = Buffer.from(first.cursor!, 'base64url').toString('utf8');
    expect(text).not.toContain(chen);
    expect(text).not.toContain('holderIndex');
    const second = await store.listByHolder(chen, { limit: 1, cursor: first.cursor });
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.value.id).not.toBe(first.items[0]!.value.id);

    // Replayed on zhao's listing, chen's cursor would start it at a time between zhao's grants.
    await expect(store.listByHolder(zhao, { limit: 1, cursor: first.cursor })).rejects.toBeInstanceOf(
      InvalidCursor,
    );
    // And one edited to name zhao's index is refused too, whatever it names.
    const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const decoded = JSON.parse(text) as Record<string, unknown>;
    for (const cursor of [
      forged({ ...decoded, holderIndex: zhao }),
      forged({ ...decoded, k: { ...(decoded.k as object), holderIndex: zhao } }),
    ]) {
      await expect(store.listByHolder(zhao, { limit: 1, cursor })).rejects.toBeInstanceOf(InvalidCursor);
    }
  });
});
