// Holder presentations behind a reference, over the wire: stored with their audit event, read
// back as stored, resolved only while unexpired and not used up — each resolution counted in
// one transaction with its audit event, so racing verifiers cannot exceed the allowance, and
// only as the number its event names, so no two events name the same resolution.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoPresentationStore, presentationKey } from '#adapters/aws/presentation-store.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import { PresentationUnavailable, type StoredPresentation } from '#ports/presentation-store.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoPresentationStore;
const NOW = new Date('2025-06-01T02:00:00.000Z');
const LICENSE = '1.2.156.3005.2.11100000D00000013G001.11330100D00000012X.PRES1.001.0';
let events = 0;

function auditEvent(action: string, time = NOW): AuditEvent {
  return {
    id: `pres-evt-${++events}`,
    time: time.toISOString(),
    actor: { kind: 'holder', id: 'account-1' },
    action,
    outcome: 'success',
  };
}

function presentation(id: string, maxResolutions = 1): Omit<StoredPresentation, 'resolutions'> {
  return {
    id,
    account: 'account-1',
    licenseId: LICENSE,
    licenseVersion: '001',
    typeCode: '11100000D00000013G001',
    fields: ['姓名'],
    nonce: 'n-1',
    sealed: new Uint8Array([1, 2, 3, 250]),
    created: NOW.toISOString(),
    expiresAt: new Date(NOW.getTime() + 300_000).toISOString(),
    maxResolutions,
  };
}

async function audited(event: AuditEvent): Promise<boolean> {
  const { Item } = await stage.documents.send(
    new GetCommand({
      TableName: stage.table('audit'),
      Key: { pk: auditPartitionKey(event.time, event.id), sk: `${event.time}#${event.id}` },
    }),
  );
  return Item !== undefined;
}

beforeAll(async () => {
  stage = await provisionStoreStage('presentations');
  store = new DynamoPresentationStore(stage.documents, {
    table: stage.table('holders'),
    auditTable: stage.table('audit'),
  });
});

afterAll(() => stage?.dispose());

describe('DynamoPresentationStore', () => {
  test('stores a presentation with its audit event, with a TTL in epoch seconds, and reads it back', async () => {
    const created = auditEvent('presentation.created');
    await store.create(presentation('digest-1'), created);

    expect(await store.get('digest-1')).toEqual({ ...presentation('digest-1'), resolutions: 0 });
    const { Item } = await stage.documents.send(
      new GetCommand({ TableName: stage.table('holders'), Key: presentationKey('digest-1') }),
    );
    expect(Item?.expiresAt).toBe(Date.parse('2025-06-01T02:05:00.000Z') / 1000);
    expect(await audited(created)).toBe(true);
    expect(await store.get('no-such-digest')).toBeUndefined();
  });

  test('writes neither the presentation nor its event when the event id is taken', async () => {
    const event = auditEvent('presentation.created');
    await store.create(presentation('digest-2'), event);

    await expect(store.create(presentation('digest-3'), event)).rejects.toBeInstanceOf(AuditEventExists);
    expect(await store.get('digest-3')).toBeUndefined();
  });

  test('counts resolutions up to the allowance, each with its audit event, then refuses as used up', async () => {
    await store.create(presentation('digest-4', 2), auditEvent('presentation.created'));
    const first = auditEvent('presentation.resolved');
    await store.recordResolution('digest-4', NOW, 1, first);
    await store.recordResolution('digest-4', NOW, 2, auditEvent('presentation.resolved'));
    const refused = auditEvent('presentation.resolved');

    await expect(store.recordResolution('digest-4', NOW, 3, refused)).rejects.toMatchObject({
      reason: 'used-up',
    });
    expect((await store.get('digest-4'))?.resolutions).toBe(2);
    expect(await audited(first)).toBe(true);
    expect(await audited(refused)).toBe(false);
  });

  test('lets only one of several racing verifiers resolve a once-only reference', async () => {
    await store.create(presentation('digest-5'), auditEvent('presentation.created'));

    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        store.recordResolution('digest-5', NOW, 1, auditEvent('presentation.resolved')),
      ),
    );

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PresentationUnavailable);
    }
  });

  test('counts a resolution only as the number its event names: a count read before another was made is refused, nothing written', async () => {
    await store.create(presentation('digest-8', 3), auditEvent('presentation.created'));
    const racing = [auditEvent('presentation.resolved'), auditEvent('presentation.resolved')];

    // Two verifiers read the count 0 and both number their resolution 1.
    const outcomes = await Promise.allSettled(
      racing.map((e) => store.recordResolution('digest-8', NOW, 1, e)),
    );

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = outcomes.findIndex((o) => o.status === 'rejected');
    expect((outcomes[lost] as PromiseRejectedResult).reason).toMatchObject({
      name: 'ConcurrentModification',
      expectedVersion: 0,
      foundVersion: 1,
    });
    expect(await audited(racing[lost]!)).toBe(false);
    expect((await store.get('digest-8'))?.resolutions).toBe(1);
    // Numbered afresh from the count now, it is resolution 2.
    await store.recordResolution('digest-8', NOW, 2, auditEvent('presentation.resolved'));
    expect((await store.get('digest-8'))?.resolutions).toBe(2);
  });

  test('refuses an expired presentation (whatever TTL has not yet deleted) and an unknown one', async () => {
    await store.create(presentation('digest-6'), auditEvent('presentation.created'));
    const later = new Date(NOW.getTime() + 300_000);

    await expect(
      store.recordResolution('digest-6', later, 1, auditEvent('presentation.resolved', later)),
    ).rejects.toMatchObject({ reason: 'expired' });
    await expect(
      store.recordResolution('digest-7', NOW, 1, auditEvent('presentation.resolved')),
    ).rejects.toMatchObject({ reason: 'not-found' });
  });
});
