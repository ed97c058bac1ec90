// Counting grant uses over the wire: the counter update and the retrieval's audit event are one
// transaction, so an event exists exactly for the uses that counted — and, given the license
// version the retrieval read, only while that version is unchanged (a revocation meanwhile).

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { revoke } from '#core/lifecycle.ts';
import { ConcurrentModification, GrantUseRefused, LicenseNotFound } from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
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

beforeAll(async () => {
  stage = await provisionTestStage('lr-grants');
});

/** A grant item in the layout agreed with the grants store (only the attributes a use reads). */
async function putGrant(
  grantId: string,
  terms: { maxUses: number; expiresAt: string; status?: 'active' | 'revoked'; uses?: number },
): Promise<void> {
  await stage.documents.send(
    new PutCommand({
      TableName: stage.tables.grants,
      Item: {
        pk: `G#${grantId}`,
        sk: 'GRANT',
        id: grantId,
        uses: terms.uses ?? 0,
        maxUses: terms.maxUses,
        status: terms.status ?? 'active',
        expiresAt: terms.expiresAt,
        version: 1,
      },
    }),
  );
}

async function grant(grantId: string): Promise<Record<string, unknown> | undefined> {
  return rawItem(stage, stage.tables.grants, `G#${grantId}`, 'GRANT');
}

async function recorded(event: { id: string; time: string }): Promise<boolean> {
  return (
    (await rawItem(
      stage,
      stage.tables.audit,
      auditPartitionKey(event.time, event.id),
      `${event.time}#${event.id}`,
    )) !== undefined
  );
}

const NOW = '2025-03-01T10:00:00.000Z';

describe('recordGrantUse', () => {
  test('counts uses until the grant is exhausted; the refused use leaves no audit event and no count', async () => {
    await putGrant('g-three-uses', { maxUses: 3, expiresAt: '2025-03-31T00:00:00.000Z' });
    const events = Array.from({ length: 4 }, () =>
      auditEventFor('license.retrieved', { grantId: 'g-three-uses' }, NOW),
    );

    for (const event of events.slice(0, 3)) await stage.repository.recordGrantUse('g-three-uses', NOW, event);
    expect(await grant('g-three-uses')).toMatchObject({ uses: 3, version: 4 });
    const before = await snapshot(stage);

    const error = await stage.repository
      .recordGrantUse('g-three-uses', NOW, events[3]!)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GrantUseRefused);
    expect(error).toMatchObject({ code: 'GRANT_USE_REFUSED', reason: 'exhausted' });
    expect((error as Error).message).toContain('3 of 3 uses made');
    expect(await snapshot(stage)).toEqual(before);
    expect(await Promise.all(events.map(recorded))).toEqual([true, true, true, false]);
  });

  test('refuses a use at or after expiry, counting nothing', async () => {
    await putGrant('g-expiring', { maxUses: 5, expiresAt: NOW });
    const early = auditEventFor('license.retrieved', { grantId: 'g-expiring' }, '2025-03-01T09:59:59.999Z');
    const late = auditEventFor('license.retrieved', { grantId: 'g-expiring' }, NOW);

    await stage.repository.recordGrantUse('g-expiring', '2025-03-01T09:59:59.999Z', early);
    await expect(stage.repository.recordGrantUse('g-expiring', NOW, late)).rejects.toMatchObject({
      reason: 'expired',
    });
    expect(await grant('g-expiring')).toMatchObject({ uses: 1 });
    expect([await recorded(early), await recorded(late)]).toEqual([true, false]);
  });

  test('refuses a revoked grant and an unknown one', async () => {
    await putGrant('g-revoked', { maxUses: 5, expiresAt: '2025-03-31T00:00:00.000Z', status: 'revoked' });
    const before = await snapshot(stage);
    const revokedUse = auditEventFor('license.retrieved', { grantId: 'g-revoked' }, NOW);
    const unknownUse = auditEventFor('license.retrieved', { grantId: 'g-unknown' }, NOW);

    await expect(stage.repository.recordGrantUse('g-revoked', NOW, revokedUse)).rejects.toMatchObject({
      reason: 'revoked',
    });
    await expect(stage.repository.recordGrantUse('g-unknown', NOW, unknownUse)).rejects.toMatchObject({
      reason: 'not-found',
    });
    expect(await snapshot(stage)).toEqual(before);
  });

  test('concurrent uses of a one-use grant: exactly one counts and is audited', async () => {
    await putGrant('g-once', { maxUses: 1, expiresAt: '2025-03-31T00:00:00.000Z' });
    const events = Array.from({ length: 10 }, () =>
      auditEventFor('license.retrieved', { grantId: 'g-once' }, NOW),
    );

    const outcomes = await Promise.allSettled(
      events.map((event) => stage.repository.recordGrantUse('g-once', NOW, event)),
    );

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await grant('g-once')).toMatchObject({ uses: 1 });
    expect((await Promise.all(events.map(recorded))).filter(Boolean)).toHaveLength(1);
  });

  test('refuses a `now` that would not compare as text with expiresAt', async () => {
    await expect(
      stage.repository.recordGrantUse(
        'g-three-uses',
        '2025-03-01T10:00:00Z',
        auditEventFor('license.retrieved', {}),
      ),
    ).rejects.toThrow(/RFC 3339 UTC with milliseconds/);
  });
});

describe('retrieval writes guarded by the license version read', () => {
  const [card] = DEMO_LICENSES;

  async function issued(serial: string): Promise<LicenseRecord> {
    const license = await newDemoLicense(stage, card, { serial });
    return stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
  }

  async function revokeIt(license: LicenseRecord): Promise<void> {
    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: license.version,
      history: license.history,
      change: revoke('valid', { actor: { kind: 'agency', id: card!.issuer }, at: NOW, reason: '吊销' }),
      statusSlot: license.statusSlot,
      auditEvent: auditEventFor('license.revoked', { licenseId: license.id }),
    });
  }

  test('a grant use counts, sets lastUsedAt and is audited while the license is unchanged; after a revocation it writes nothing', async () => {
    const license = await issued('GUARD1');
    await putGrant('g-guarded', { maxUses: 5, expiresAt: '2025-03-31T00:00:00.000Z' });
    const retrieved = { licenseId: license.id, version: license.version };
    const first = auditEventFor('license.retrieved', { grantId: 'g-guarded' }, NOW);

    await stage.repository.recordGrantUse('g-guarded', NOW, first, retrieved);
    expect(await grant('g-guarded')).toMatchObject({ uses: 1, lastUsedAt: NOW });
    expect(await recorded(first)).toBe(true);

    await revokeIt(license);
    const before = await snapshot(stage);
    const late = auditEventFor('license.retrieved', { grantId: 'g-guarded' }, NOW);
    await expect(stage.repository.recordGrantUse('g-guarded', NOW, late, retrieved)).rejects.toBeInstanceOf(
      ConcurrentModification,
    );
    expect(await snapshot(stage)).toEqual(before);
  });

  test('a duty-based retrieval event is written while the license is unchanged, and refused after a revocation or for no license', async () => {
    const license = await issued('GUARD2');
    const retrieved = { licenseId: license.id, version: license.version };
    const first = auditEventFor('license.retrieved', { licenseId: license.id }, NOW);

    await stage.repository.recordRetrieval(first, retrieved);
    expect(await recorded(first)).toBe(true);

    await revokeIt(license);
    const late = auditEventFor('license.retrieved', { licenseId: license.id }, NOW);
    await expect(stage.repository.recordRetrieval(late, retrieved)).rejects.toMatchObject({
      name: 'ConcurrentModification',
      foundVersion: 2,
    });
    expect(await recorded(late)).toBe(false);

    const nowhere = auditEventFor('license.retrieved', {}, NOW);
    await expect(
      stage.repository.recordRetrieval(nowhere, { licenseId: idOf(card!, '001', 'NOSUCH9'), version: 1 }),
    ).rejects.toBeInstanceOf(LicenseNotFound);
    expect(await recorded(nowhere)).toBe(false);
  });
});
