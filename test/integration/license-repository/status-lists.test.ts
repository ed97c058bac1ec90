// Status-list slots over the wire: block claims on the list's META item, indices drawn through
// the list's keyed permutation, generations when a list fills, and the list rebuilt for
// publishing from the slots whose status changed — never from every slot issued.

import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, test } from 'vitest';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { changedSlotPk, slotItem, slotSk } from '#adapters/aws/license-items.ts';
import type { CapacityMeter } from '#adapters/aws/transact-write.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { reinstate, reissue, revoke, suspend } from '#core/lifecycle.ts';
import { stableShard } from '#core/stable-shard.ts';
import { StatusList } from '#core/status-list.ts';
import { IndexPermutation } from '#core/status-list-allocation.ts';
import {
  ConcurrentModification,
  StatusListNotFound,
  StatusSlotMismatch,
  StatusSlotTaken,
} from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import type { SecretSealer } from '#ports/status-list-store.ts';
import {
  auditEventFor,
  idOf,
  newDemoLicense,
  provisionTestStage,
  rawItem,
  type Stage,
  snapshot,
} from './support.ts';

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
        history: record.history,
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
    expect(loaded.allocated).toBe(12); // 10 issues drew from 3 blocks of 4
    expect(Buffer.from(loaded.list.bytes).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(expected.some((byte) => byte !== 0)).toBe(true);
  });

  test('reads only the slots whose status changed: suspended, reinstated, revoked and superseded entries as they are now, for a handful of read units however many valid slots the list holds', async () => {
    const issuerOfList = '12330100D000001448';
    const reads: number[] = [];
    const meter: CapacityMeter = {
      record: (kind, units, operation) => {
        if (kind === 'read' && operation === 'loadStatusList') reads.push(units);
      },
    };
    const lists = storeWith({ listSize: 4096, blockSize: 16, listsPerIssuerType: 1, meter });
    const local: Stage = { ...stage, statusLists: lists };
    const records: LicenseRecord[] = [];
    for (let n = 0; n < 6; n += 1) {
      const license = await newDemoLicense(
        local,
        { ...driving!, issuer: issuerOfList },
        { serial: `SPARSE${n}` },
      );
      records.push(
        await stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id })),
      );
    }
    const [reset, suspended, revoked, old] = records;
    const at = '2025-03-04T00:00:00.000Z';
    const change = async (record: LicenseRecord, expectedVersion: number, to: ReturnType<typeof suspend>) => {
      await stage.repository.changeStatus({
        licenseId: record.id,
        expectedVersion,
        history: (await stage.repository.get(record.id))!.history,
        change: to,
        statusSlot: record.statusSlot,
        auditEvent: auditEventFor(`license.${to.to}`, { licenseId: record.id }),
      });
    };
    await change(reset!, 1, suspend('valid', { actor: agency, at, reason: '挂失' }));
    await change(reset!, 2, reinstate('suspended', { actor: agency, at }));
    await change(suspended!, 1, suspend('valid', { actor: agency, at, reason: '挂失' }));
    await change(revoked!, 1, revoke('valid', { actor: agency, at, reason: '吊销' }));
    const next = await newDemoLicense(
      local,
      { ...driving!, issuer: issuerOfList },
      { serial: 'SPARSE3', version: '002' },
    );
    await stage.repository.reissue({
      current: old!,
      change: reissue(old!, { actor: agency, at }).change,
      next,
      auditEvent: auditEventFor('license.reissued', { licenseId: next.id }),
    });
    const listId = old!.statusSlot.listId;
    expect([...records.map((r) => r.statusSlot), next.statusSlot].every((s) => s.listId === listId)).toBe(
      true,
    );
    // 2,000 more valid licenses, as the issue write leaves their slots: written directly, since
    // issuing them one transaction at a time would only make the test slow.
    const taken = new Set([...records.map((r) => r.statusSlot.index), next.statusSlot.index]);
    const free = Array.from({ length: 4096 }, (_, i) => i).filter((i) => !taken.has(i));
    for (let start = 0; start < 2000; start += 25) {
      await stage.documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [stage.tables.statusLists]: free.slice(start, start + 25).map((index) => ({
              PutRequest: { Item: slotItem({ listId, index }, `valid-${index}`, 0) },
            })),
          },
        }),
      );
    }

    const loaded = await lists.loadStatusList(listId);

    const expected = StatusList.create(4096);
    expected.set(suspended!.statusSlot.index, 2);
    expected.set(revoked!.statusSlot.index, 1);
    expected.set(old!.statusSlot.index, 1);
    expect(Buffer.from(loaded.list.bytes).toString('hex')).toBe(Buffer.from(expected.bytes).toString('hex'));
    // META (≤ 4 KB, consistent: 1) and the four changed slots (one page, consistent: 1) — where
    // reading every slot item of the list cost 45 (measured before the changed slots existed).
    expect(reads.reduce((sum, units) => sum + units, 0)).toBeLessThanOrEqual(2);
    // The reinstated slot keeps its item at 0; the new version's slot, never changed, has none.
    const changed = (index: number) =>
      rawItem(stage, stage.tables.statusLists, changedSlotPk(listId), slotSk(index));
    expect((await changed(reset!.statusSlot.index))?.status).toBe(0);
    expect((await changed(old!.statusSlot.index))?.status).toBe(1);
    expect(await changed(next.statusSlot.index)).toBeUndefined();
  });

  test('a status change or re-issue that fails writes no changed-slot item, and the published list still shows the license valid', async () => {
    const issuerOfList = '12330100D000001448';
    const issuerCard = { ...DEMO_LICENSES[4]!, issuer: issuerOfList };
    const lists = storeWith({ listSize: 256, blockSize: 16, listsPerIssuerType: 1 });
    const local: Stage = { ...stage, statusLists: lists };
    const issue = async (serial: string) => {
      const license = await newDemoLicense(local, issuerCard, { serial });
      return stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
    };
    const license = await issue('ATOMIC1');
    const other = await issue('ATOMIC2');
    const at = '2025-03-05T00:00:00.000Z';
    const changedSlot = (index: number) =>
      rawItem(stage, stage.tables.statusLists, changedSlotPk(license.statusSlot.listId), slotSk(index));
    const before = await snapshot(stage);

    // A stale version: the license's condition fails.
    await expect(
      stage.repository.changeStatus({
        licenseId: license.id,
        expectedVersion: 2,
        history: license.history,
        change: revoke('valid', { actor: agency, at, reason: '吊销' }),
        statusSlot: license.statusSlot,
        auditEvent: auditEventFor('license.revoked', { licenseId: license.id }),
      }),
    ).rejects.toBeInstanceOf(ConcurrentModification);
    // Another license's slot: the license passes, its slot's condition fails.
    await expect(
      stage.repository.changeStatus({
        licenseId: license.id,
        expectedVersion: 1,
        history: license.history,
        change: suspend('valid', { actor: agency, at, reason: '挂失' }),
        statusSlot: other.statusSlot,
        auditEvent: auditEventFor('license.suspended', { licenseId: license.id }),
      }),
    ).rejects.toBeInstanceOf(StatusSlotMismatch);
    // A re-issue whose new slot is taken: the old slot would have been superseded.
    const next = await newDemoLicense(local, issuerCard, { serial: 'ATOMIC1', version: '002' });
    await expect(
      stage.repository.reissue({
        current: license,
        change: reissue(license, { actor: agency, at }).change,
        next: { ...next, statusSlot: other.statusSlot },
        auditEvent: auditEventFor('license.reissued', { licenseId: next.id }),
      }),
    ).rejects.toBeInstanceOf(StatusSlotTaken);

    expect(await changedSlot(license.statusSlot.index)).toBeUndefined();
    expect(await changedSlot(other.statusSlot.index)).toBeUndefined();
    expect(await snapshot(stage)).toEqual(before);
    const loaded = await lists.loadStatusList(license.statusSlot.listId);
    expect(loaded.list.get(license.statusSlot.index)).toBe(0);
    expect(loaded.list.get(other.statusSlot.index)).toBe(0);
  });

  test('an unknown list → StatusListNotFound', async () => {
    await expect(stage.statusLists.loadStatusList('no-such-list')).rejects.toBeInstanceOf(StatusListNotFound);
  });
});
