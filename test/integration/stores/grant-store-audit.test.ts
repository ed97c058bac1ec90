// Grants created and revoked together with their audit event, over the wire: the grant and the
// event are written in one transaction, so either both are there or neither is.

import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoGrantStore } from '#adapters/aws/grant-store.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Grant, GrantTerms } from '#core/grants/grant.ts';
import { AuditEventExists, ConcurrentModification } from '#core/storage-errors.ts';
import { DEMO_USCC } from '#dev/demo/catalog.ts';
import { GrantAlreadyRevoked } from '#ports/grant-store.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoGrantStore;
let reader: DynamoAuditLogReader;
const NOW = Date.parse('2025-03-01T08:00:00.000Z');

beforeAll(async () => {
  stage = await provisionStoreStage('it-grant-audit');
  store = new DynamoGrantStore(stage.documents, stage.table('grants'), {
    clock: () => new Date(NOW),
    auditTable: stage.table('audit'),
  });
  reader = new DynamoAuditLogReader(stage.documents, stage.table('audit'));
});

afterAll(async () => {
  await stage.dispose();
});

const holderIndexOf = (name: string) => createHash('sha256').update(name).digest('base64url');

function terms(holder: string): GrantTerms {
  return {
    scope: { kind: 'type', typeCode: '11100000D00000013G001' },
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    holderIndex: holderIndexOf(holder),
    purpose: '住房公积金提取核验身份',
    fields: ['姓名'],
    expiresAt: '2025-03-08T08:00:00.000Z',
    maxUses: 2,
  };
}

function grantEvent(id: string, action: string, grant: Pick<Grant, 'id'>): AuditEvent {
  return {
    id,
    time: new Date(NOW).toISOString(),
    actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
    action,
    subject: { grantId: grant.id },
    outcome: 'success',
  };
}

async function eventsNow(): Promise<AuditEvent[]> {
  const page = await reader.readRange({ from: new Date(NOW), to: new Date(NOW + 1) }, { limit: 100 });
  return page.items;
}

describe('creating a grant with its audit event', () => {
  test('stores the grant and the event the grant made', async () => {
    const { grant } = await store.create(terms('a'), (g) =>
      grantEvent('grant-created-a', 'grant.created', g),
    );

    expect(await store.get(grant.value.id)).toEqual(grant);
    expect(await eventsNow()).toContainEqual(grantEvent('grant-created-a', 'grant.created', grant.value));
  });

  test('an event id already recorded leaves no grant behind', async () => {
    await new DynamoAuditLogWriter(stage.documents, stage.table('audit')).record(
      grantEvent('grant-created-taken', 'grant.created', { id: 'someone-else' }),
    );
    let made: Grant | undefined;

    const create = store.create(terms('b'), (g) => {
      made = g;
      return grantEvent('grant-created-taken', 'grant.created', g);
    });

    await expect(create).rejects.toBeInstanceOf(AuditEventExists);
    expect(made).toBeDefined();
    expect(await store.get(made!.id)).toBeUndefined();
    expect((await store.listByHolder(holderIndexOf('b'))).items).toEqual([]);
  });

  test('a store without an audit table refuses an event rather than dropping it', async () => {
    const blind = new DynamoGrantStore(stage.documents, stage.table('grants'), {
      clock: () => new Date(NOW),
    });

    await expect(
      blind.create(terms('c'), (g) => grantEvent('grant-created-c', 'grant.created', g)),
    ).rejects.toThrow(/audit table/);
    expect((await store.listByHolder(holderIndexOf('c'))).items).toEqual([]);
  });
});

describe('revoking a grant with its audit event', () => {
  test('revokes the grant and records the event', async () => {
    const { grant } = await store.create(terms('d'));
    const event = grantEvent('grant-revoked-d', 'grant.revoked', grant.value);

    const revoked = await store.revoke(grant.value.id, { auditEvent: event });

    expect(revoked.value).toMatchObject({ status: 'revoked', revoked: new Date(NOW).toISOString() });
    expect(revoked.version).toBe(grant.version + 1);
    expect(await eventsNow()).toContainEqual(event);
  });

  test('a grant revoked before is refused and no second event is recorded', async () => {
    const { grant } = await store.create(terms('e'));
    await store.revoke(grant.value.id, {
      auditEvent: grantEvent('grant-revoked-e1', 'grant.revoked', grant.value),
    });

    const again = store.revoke(grant.value.id, {
      auditEvent: grantEvent('grant-revoked-e2', 'grant.revoked', grant.value),
    });

    await expect(again).rejects.toBeInstanceOf(GrantAlreadyRevoked);
    expect((await eventsNow()).map((e) => e.id)).not.toContain('grant-revoked-e2');
  });

  test('an event id already recorded leaves the grant active', async () => {
    const { grant } = await store.create(terms('f'), (g) =>
      grantEvent('grant-created-f', 'grant.created', g),
    );

    const revoke = store.revoke(grant.value.id, {
      auditEvent: grantEvent('grant-created-f', 'grant.revoked', grant.value),
    });

    await expect(revoke).rejects.toBeInstanceOf(AuditEventExists);
    expect((await store.get(grant.value.id))?.value.status).toBe('active');
  });

  test('a grant changed since it was read (a use) is refused as such, active, and no event is recorded', async () => {
    const { grant } = await store.create(terms('g'));
    const stale = store.revoke(grant.value.id, {
      asRead: { ...grant, version: grant.version + 1 },
      auditEvent: grantEvent('grant-revoked-g1', 'grant.revoked', grant.value),
    });
    await expect(stale).rejects.toBeInstanceOf(ConcurrentModification);
    await expect(stale).rejects.toMatchObject({
      expectedVersion: grant.version + 1,
      foundVersion: grant.version,
    });
    expect((await store.get(grant.value.id))?.value.status).toBe('active');
    expect((await eventsNow()).map((e) => e.id)).not.toContain('grant-revoked-g1');

    const revoked = await store.revoke(grant.value.id, {
      asRead: grant,
      auditEvent: grantEvent('grant-revoked-g2', 'grant.revoked', grant.value),
    });
    expect(revoked.value.status).toBe('revoked');
    // Without an event, the same condition.
    const other = await store.create(terms('h'));
    await expect(
      store.revoke(other.grant.value.id, { asRead: { ...other.grant, version: 7 } }),
    ).rejects.toBeInstanceOf(ConcurrentModification);
    expect((await store.revoke(other.grant.value.id, { asRead: other.grant })).value.status).toBe('revoked');
  });

  test('a grant revoked as read answers the revoked grant without reading it again, so a read failing then cannot fail a revocation that committed', async () => {
    const { grant } = await store.create(terms('i'));
    // Reads that fail, as a throttled table's may once the SDK's retries are spent.
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ThrottlingException',
    });
    const documents = {
      send: (command: unknown) =>
        command instanceof GetCommand
          ? Promise.reject(throttled)
          : stage.documents.send(command as Parameters<DynamoDBDocumentClient['send']>[0]),
    } as unknown as DynamoDBDocumentClient;
    const unreadable = new DynamoGrantStore(documents, stage.table('grants'), {
      clock: () => new Date(NOW),
      auditTable: stage.table('audit'),
    });
    const event = grantEvent('grant-revoked-i', 'grant.revoked', grant.value);

    const revoked = await unreadable.revoke(grant.value.id, {
      holderIndex: grant.value.holderIndex,
      asRead: grant,
      auditEvent: event,
    });

    expect(revoked).toEqual({
      value: { ...grant.value, status: 'revoked', revoked: new Date(NOW).toISOString() },
      version: grant.version + 1,
    });
    expect(await store.get(grant.value.id)).toEqual(revoked);
    expect(await eventsNow()).toContainEqual(event);
  });
});
