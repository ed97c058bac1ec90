// Request-signature nonces over the wire: a nonce is accepted once per key while it can still
// be replayed, even when the copies arrive at the same moment.

import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoNonceStore, nonceKey } from '#adapters/aws/nonce-store.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
// Real time (to the second): DynamoDB Local really deletes items whose TTL has passed, so a claim
// expiring in a fixed past would vanish under a test that still counts on it.
let now = Math.floor(Date.now() / 1000) * 1000;
let store: DynamoNonceStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-nonces');
  store = new DynamoNonceStore(stage.documents, stage.table('nonces'), { now: () => now });
});

afterAll(async () => {
  await stage.dispose();
});

const inFiveMinutes = () => new Date(now + 300_000);

describe('claiming a nonce', () => {
  test('is true the first time and false for the replay', async () => {
    const nonce = randomUUID();
    expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(true);
    expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(false);
  });

  test('is per key: the same nonce under another key id is new', async () => {
    const nonce = randomUUID();
    expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(true);
    expect(await store.claim('demo-amr-1', nonce, inFiveMinutes())).toBe(true);
  });

  test('of 20 concurrent claims of one nonce exactly one is true', async () => {
    const nonce = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.claim('demo-hpf-1', nonce, inFiveMinutes())),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('stores the expiry in the TTL attribute as epoch seconds, rounded up', async () => {
    const nonce = randomUUID();
    const expiresAt = new Date(now + 300_250);
    await store.claim('demo-psb-1', nonce, expiresAt);

    const { Item } = await stage.documents.send(
      new GetCommand({ TableName: stage.table('nonces'), Key: { pk: nonceKey('demo-psb-1', nonce) } }),
    );
    expect(Item).toEqual({ pk: `demo-psb-1#${nonce}`, expiresAt: now / 1000 + 301 });
  });

  test('is true again once the claim has expired, before TTL deletion has removed it', async () => {
    const nonce = randomUUID();
    expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(true);
    const claimedAt = now;
    try {
      now = claimedAt + 299_000;
      expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(false);
      // Live until expiresAt, exclusive: the policy passes the first instant the request is stale.
      now = claimedAt + 299_999;
      expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(false);
      now = claimedAt + 300_000;
      expect(await store.claim('demo-psb-1', nonce, inFiveMinutes())).toBe(true);
    } finally {
      now = claimedAt;
    }
  });

  test('refuses a nonce it could not store rather than writing a malformed key', async () => {
    await expect(store.claim('demo-psb-1', '', inFiveMinutes())).rejects.toBeInstanceOf(RangeError);
    await expect(store.claim('demo-psb-1', 'x'.repeat(513), inFiveMinutes())).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(store.claim('a#b', 'n', inFiveMinutes())).rejects.toBeInstanceOf(RangeError);
  });
});
