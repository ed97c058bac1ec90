import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { changedSlotItem, slotPk, slotSk } from '#adapters/aws/license-items.ts';
import type { PublicJwk } from '#core/jws.ts';
import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import { verifyStatusListToken } from '#core/status-list-token.ts';
import { DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';

const base = inject('platformUrl');
const client = new DynamoDBClient({
  endpoint: inject('platformEndpoints').dynamodb!,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const table = DynamoDBDocumentClient.from(client);
afterAll(() => client.destroy());

describe('GET /status-lists/{id}', () => {
  it('serves the list signed by the platform key, with the stored entry at its index', async () => {
    const store = new DynamoDbStatusListStore({
      client: table,
      table: 'elicense-local-status-lists',
      sealer: unprotectedSecrets,
    });
    const slot = await store.allocateSlot(
      DEMO_USCC.publicSecurityBureau,
      DEMO_TYPE_CODE.residentIdentityCard,
      `e2e-${Date.now()}`,
    );
    await table.send(
      new PutCommand({
        TableName: 'elicense-local-status-lists',
        Item: { pk: slotPk(slot.listId), sk: slotSk(slot.index), status: 2, licenseId: 'e2e-suspended' },
      }),
    );
    // A status change writes the slot and its changed-slot item together; the list is built from the latter.
    await table.send(
      new PutCommand({ TableName: 'elicense-local-status-lists', Item: changedSlotItem(slot, 2) }),
    );

    const response = await fetch(`${base}/status-lists/${slot.listId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/statuslist+jwt');
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);

    const { keys } = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
      keys: (PublicJwk & { owner: string })[];
    };
    const platformKey = keys.find((k) => k.owner === 'platform')!;
    const verified = verifyStatusListToken(await response.text(), {
      publicJwk: platformKey,
      uri: statusListUri(base, slot.listId),
      now: new Date(),
    });
    expect(verified.ok).toBe(true);
    if (verified.ok) expect(verified.list.get(slot.index)).toBe(2);
  });

  it('answers an unknown list with a problem', async () => {
    const response = await fetch(`${base}/status-lists/no-such-list`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:not-found' });
  });

  it('answers an id no list can have with 404, not 500', async () => {
    for (const id of ['a~b', 'a!b', 'a%20b', 'x'.repeat(201)]) {
      const response = await fetch(`${base}/status-lists/${id}`);
      expect(response.status, id).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({
        type: 'urn:elicense:problem:not-found',
        code: 'STATUS_LIST_NOT_FOUND',
      });
    }
  });
});
