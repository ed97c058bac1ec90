// Status-list slots over the wire: block claims on the list's META item, indices drawn through
// the list's keyed permutation, generations when a list fills, and the list rebuilt from its
// entries for publishing.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, test } from 'vitest';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { revoke, suspend } from '#core/lifecycle.ts';
import { stableShard } from '#core/stable-shard.ts';
import { IndexPermutation } from '#core/status-list-allocation.ts';
import { StatusListNotFound } from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { SecretSealer } from '#ports/status-list-store.ts';
import { auditEventFor, idOf, newDemoLicense, provisionTestStage, type Stage } from './support.ts';

let stage: Stage;
const [card, , , driving] = DEMO_LICENSES;
const agency = { kind: 'agency' as const, id: card!.issuer };

beforeAll(async () => {
  stage = await provisionTestStage('lr-lists');
});

function storeWith(options: Partial<ConstructorParameters<typeof DynamoDbStatusListStore>[0]>) {
  return new DynamoDbStatusListStore({
    client: stage.documents,
    table: stage.tables.statusLists,
    sealer: unprotectedSecrets,
    ...options,
  });
}

async function meta(listId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await stage.documents.send(
    new GetCommand({ TableName: stage.tables.statusLists, Key: { pk: `SL#${listId}`, sk: 'META' } }),
  );
  return Item;
}

/** A sealer that records what it was asked, and stores secrets reversed (so plain text would not open). */
function recordingSealer(contexts: Record<string, string>[]): SecretSealer {
  return {
    async seal(secret, context) {
      contexts.push({ ...context });
      return `test:${Buffer.from(secret).reverse().toString('base64url')}`;
    },
    async open(sealed, context) {
      contexts.push({ ...context });
      return new Uint8Array(Buffer.from(sealed.slice(5), 'base64url').reverse());
    },
  };
}

describe('allocateSlot', () => {
  test('draws distinct indices for concurrent issues, claiming one block of the META item per B draws', async () => {
    const store = storeWith({ listSize: 1000, blockSize: 16, listsPerIssuerType: 2 });
    const keys = Array.from({ length: 150 }, (_, n) => licenseKeyOf(idOf(card!, '001', `ALLOC${n}`)));

    const slots = await Promise.all(keys.map((key) => store.allocateSlot(card!.issuer, card!.typeCode, key)));

    for (const [n, slot] of slots.entries()) {
      expect(slot.listId).toBe(`${card!.issuer}-${card!.typeCode}-${stableShard(keys[n]!, 2)}-0`);
      expect(slot.index).toBeGreaterThanOrEqual(0);
      expect(slot.index).toBeLessThan(1000);
    }
    const byList = Map.groupBy(slots, (s) => s.listId);
    expect(byList.size).toBe(2);
    for (const [listId, listSlots] of byList) {
      expect(new Set(listSlots.map((s) => s.index)).size).toBe(listSlots.length);
      expect(await meta(listId)).toMatchObject({
        size: 1000,
        blockSize: 16,
        blocks: 63,
        nextBlock: Math.ceil(listSlots.length / 16),
      });
    }
  });

  test('two writers (two containers) on one list claim different blocks and never share an index', async () => {
    const a = storeWith({ listSize: 512, blockSize: 8, listsPerIssuerType: 1 });
    const b = storeWith({ listSize: 512, blockSize: 8, listsPerIssuerType: 1 });
    const keys = Array.from({ length: 120 }, (_, n) => licenseKeyOf(idOf(driving!, '001', `TWO${n}`)));

    const slots = await Promise.all(
      keys.map((key, n) => (n % 2 === 0 ? a : b).allocateSlot(driving!.issuer, driving!.typeCode, key)),
    );

    expect(new Set(slots.map((s) => s.listId)).size).toBe(1);
    expect(new Set(slots.map((s) => s.index)).size).toBe(120);
    const stored = await meta(slots[0]!.listId);
    expect(stored?.nextBlock).toBe(2 * Math.ceil(60 / 8));
  });

  test('indices are the list’s keyed permutation of issue positions, the key stored sealed with the list id as context', async () => {
    const contexts: Record<string, string>[] = [];
    const store = storeWith({
      listSize: 100,
      blockSize: 10,
      listsPerIssuerType: 1,
      sealer: recordingSealer(contexts),
    });
    const issuer = DEMO_LICENSES[4]!;
    const key = (n: number) => licenseKeyOf(idOf(issuer, '001', `PERM${n}`));

    const drawn: number[] = [];
    for (let n = 0; n < 25; n += 1)
      drawn.push((await store.allocateSlot(issuer.issuer, issuer.typeCode, key(n))).index);

    const listId = `${issuer.issuer}-${issuer.typeCode}-0-0`;
    const stored = await meta(listId);
    expect(String(stored?.allocationKey)).toMatch(/^test:/);
    expect(contexts).toEqual([{ listId }, { listId }]);
    const secret = new Uint8Array(Buffer.from(String(stored?.allocationKey).slice(5), 'base64url').reverse());
    const permutation = new IndexPermutation(secret, 100);
    expect(drawn).toEqual(Array.from({ length: 25 }, (_, position) => permutation.indexAt(position)));
  });

  test('a full list hands over to the next generation, after every index of the full one was drawn once', async () => {
    const store = storeWith({ listSize: 32, blockSize: 8, listsPerIssuerType: 1 });
    const keys = Array.from({ length: 45 }, (_, n) => licenseKeyOf(idOf(card!, '001', `FULL${n}`)));
    const issuer = '91330100MA2D00010B'; // a list of its own

    const slots = await Promise.all(keys.map((key) => store.allocateSlot(issuer, card!.typeCode, key)));

    const first = slots.filter((s) => s.listId.endsWith('-0'));
    const second = slots.filter((s) => s.listId.endsWith('-1'));
    expect(first.map((s) => s.index).sort((x, y) => x - y)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(second).toHaveLength(13);
    expect(new Set(second.map((s) => s.index)).size).toBe(13);
    const { Item: head } = await stage.documents.send(
      new GetCommand({
        TableName: stage.tables.statusLists,
        Key: { pk: `SLH#${issuer}#${card!.typeCode}#0`, sk: 'HEAD' },
      }),
    );
    expect(head?.generation).toBe(1);
    // A fresh container starts on the current generation.
    const later = await storeWith({ listSize: 32, blockSize: 8, listsPerIssuerType: 1 }).allocateSlot(
      issuer,
      card!.typeCode,
      keys[0]!,
    );
    expect(later.listId.endsWith('-1')).toBe(true);
  });
});

describe('loadStatusList', () => {
  test('builds the list from its entries: the expected 2-bit bytes, LSB first', async () => {
    const issuerOfList = '12330100D000001448'; // a list no other test writes to
    const lists = storeWith({ listSize: 64, blockSize: 4, listsPerIssuerType: 1 });
    const local: Stage = { ...stage, statusLists: lists };
    const records = [];
    for (let n = 0; n < 10; n += 1) {
      const license = await newDemoLicense(local, { ...card!, issuer: issuerOfList }, { serial: `PUB${n}` });
      records.push(
        await stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id })),
      );
    }
    const at = '2025-03-03T00:00:00.000Z';
    const changes = [
      { record: records[1]!, change: suspend('valid', { actor: agency, at, reason: '挂失' }), value: 2 },
      { record: records[4]!, change: revoke('valid', { actor: agency, at, reason: '吊销' }), value: 1 },
      { record: records[7]!, change: revoke('valid', { actor: agency, at, reason: '吊销' }), value: 1 },
    ];
    for (const { record, change } of changes) {
      await stage.repository.changeStatus({
        licenseId: record.id,
        expectedVersion: 1,
        change,
        statusSlot: record.statusSlot,
        auditEvent: auditEventFor(`license.${change.to}`, { licenseId: record.id }),
      });
    }
    const listId = records[0]!.statusSlot.listId;
    expect(records.every((r) => r.statusSlot.listId === listId)).toBe(true);

    const loaded = await lists.loadStatusList(listId);

    const expected = new Uint8Array(16); // 64 entries × 2 bits
    for (const { record, value } of changes) {
      const bit = record.statusSlot.index * 2;
      expected[bit >> 3]! |= value << (bit & 7);
    }
    expect(loaded.info).toMatchObject({
      listId,
      issuerCode: issuerOfList,
      size: 64,
      generation: 0,
      shard: 0,
    });
    expect(loaded.claimed).toBe(10);
    expect(Buffer.from(loaded.list.bytes).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(expected.some((byte) => byte !== 0)).toBe(true);
  });

  test('an unknown list → StatusListNotFound', async () => {
    await expect(stage.statusLists.loadStatusList('no-such-list')).rejects.toBeInstanceOf(StatusListNotFound);
  });
});
