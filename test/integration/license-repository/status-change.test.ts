// Status changes and re-issue over the wire: optimistic locking on the license's `version`,
// status-list entry and audit event in the same transaction, and nothing written on a lost race.

import { beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { MAX_KEPT_STATUS_CHANGES, reinstate, reissue, revoke, suspend } from '#core/lifecycle.ts';
import {
  ConcurrentModification,
  LicenseAlreadyExists,
  LicenseNotFound,
  StatusSlotMismatch,
} from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import {
  auditEventFor,
  blindIndexOf,
  idOf,
  newDemoLicense,
  provisionTestStage,
  rawItem,
  type Stage,
  snapshot,
  toggleStatus,
} from './support.ts';

let stage: Stage;
const [card] = DEMO_LICENSES;
const agency = { kind: 'agency' as const, id: card!.issuer };
const at = '2025-03-02T09:30:00.000Z';

beforeAll(async () => {
  stage = await provisionTestStage('lr-status');
});

async function issued(serial: string): Promise<LicenseRecord> {
  const license = await newDemoLicense(stage, card, { serial });
  return stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
}

async function slotValue(record: Pick<LicenseRecord, 'statusSlot'>): Promise<unknown> {
  const { listId, index } = record.statusSlot;
  return (
    await rawItem(stage, stage.tables.statusLists, `SL#${listId}`, `I#${String(index).padStart(10, '0')}`)
  )?.status;
}

async function auditRecorded(event: { id: string; time: string }): Promise<boolean> {
  return (
    (await rawItem(
      stage,
      stage.tables.audit,
      auditPartitionKey(event.time, event.id),
      `${event.time}#${event.id}`,
    )) !== undefined
  );
}

describe('changeStatus', () => {
  test('suspends, reinstates and revokes: status, version, history, status-list value and audit event move together', async () => {
    const license = await issued('CHANGE1');
    const suspension = suspend('valid', { actor: agency, at, reason: '挂失' });
    const suspendEvent = auditEventFor('license.suspended', { licenseId: license.id });

    expect(
      await stage.repository.changeStatus({
        licenseId: license.id,
        expectedVersion: 1,
        history: license.history,
        change: suspension,
        statusSlot: license.statusSlot,
        auditEvent: suspendEvent,
      }),
    ).toEqual({ version: 2 });
    expect(await stage.repository.get(license.id)).toMatchObject({
      status: 'suspended',
      version: 2,
      history: [suspension],
    });
    expect(await slotValue(license)).toBe(2);
    expect(await auditRecorded(suspendEvent)).toBe(true);

    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: 2,
      history: (await stage.repository.get(license.id))!.history,
      change: reinstate('suspended', { actor: agency, at }),
      statusSlot: license.statusSlot,
      auditEvent: auditEventFor('license.resumed', { licenseId: license.id }),
    });
    expect(await slotValue(license)).toBe(0);
    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: 3,
      history: (await stage.repository.get(license.id))!.history,
      change: revoke('valid', { actor: agency, at, reason: '吊销' }),
      statusSlot: license.statusSlot,
      auditEvent: auditEventFor('license.revoked', { licenseId: license.id }),
    });
    const revoked = await stage.repository.get(license.id);
    expect(revoked).toMatchObject({ status: 'revoked', version: 4 });
    expect(revoked?.history.map((c) => c.action)).toEqual(['suspend', 'reinstate', 'revoke']);
    expect(await slotValue(license)).toBe(1);
  });

  test(`changed more than ${MAX_KEPT_STATUS_CHANGES} times, the record keeps the last ${MAX_KEPT_STATUS_CHANGES} changes in order and is still revocable`, async () => {
    const license = await issued('KEPTLAST1');
    const changes = MAX_KEPT_STATUS_CHANGES + 7;
    await toggleStatus(stage, license.id, changes, { actor: agency, at, reasonOf: (n) => `change ${n}` });
    const read = (await stage.repository.get(license.id))!;
    expect(read.history.map((c) => c.reason)).toEqual(
      Array.from(
        { length: MAX_KEPT_STATUS_CHANGES },
        (_, i) => `change ${changes - MAX_KEPT_STATUS_CHANGES + i}`,
      ),
    );

    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: read.version,
      history: read.history,
      change: revoke(read.status, { actor: agency, at, reason: '吊销' }),
      statusSlot: license.statusSlot,
      auditEvent: auditEventFor('license.revoked', { licenseId: license.id }),
    });

    const revoked = (await stage.repository.get(license.id))!;
    expect(revoked).toMatchObject({ status: 'revoked', version: changes + 2 });
    expect(revoked.history).toEqual([...read.history.slice(1), revoked.history.at(-1)]);
    expect(revoked.history.at(-1)).toMatchObject({ action: 'revoke', reason: '吊销' });
    expect(await slotValue(license)).toBe(1);
  });

  test('a stale version → ConcurrentModification naming the version found, and nothing written', async () => {
    const license = await issued('STALE1');
    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: 1,
      history: license.history,
      change: suspend('valid', { actor: agency, at, reason: '挂失' }),
      statusSlot: license.statusSlot,
      auditEvent: auditEventFor('license.suspended', { licenseId: license.id }),
    });
    const before = await snapshot(stage);
    const staleEvent = auditEventFor('license.revoked', { licenseId: license.id });

    const error = await stage.repository
      .changeStatus({
        licenseId: license.id,
        expectedVersion: 1,
        history: license.history,
        change: revoke('valid', { actor: agency, at, reason: '吊销' }),
        statusSlot: license.statusSlot,
        auditEvent: staleEvent,
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConcurrentModification);
    expect(error).toMatchObject({ code: 'CONCURRENT_MODIFICATION', expectedVersion: 1, foundVersion: 2 });
    expect(await snapshot(stage)).toEqual(before);
    expect(await auditRecorded(staleEvent)).toBe(false);
  });

  test('a license that was never issued → LicenseNotFound, and nothing written', async () => {
    const license = await newDemoLicense(stage, card, { serial: 'MISSING1' });
    const before = await snapshot(stage);
    await expect(
      stage.repository.changeStatus({
        licenseId: license.id,
        expectedVersion: 1,
        history: [],
        change: suspend('valid', { actor: agency, at, reason: '挂失' }),
        statusSlot: license.statusSlot,
        auditEvent: auditEventFor('license.suspended', { licenseId: license.id }),
      }),
    ).rejects.toBeInstanceOf(LicenseNotFound);
    expect(await snapshot(stage)).toEqual(before);
  });

  test('a status-list slot that is not the license’s own → StatusSlotMismatch, and nothing written', async () => {
    const license = await issued('WRONGSLOT1');
    const other = await issued('WRONGSLOT2');
    const before = await snapshot(stage);
    await expect(
      stage.repository.changeStatus({
        licenseId: license.id,
        expectedVersion: 1,
        history: license.history,
        change: revoke('valid', { actor: agency, at, reason: '吊销' }),
        statusSlot: other.statusSlot,
        auditEvent: auditEventFor('license.revoked', { licenseId: license.id }),
      }),
    ).rejects.toBeInstanceOf(StatusSlotMismatch);
    expect(await snapshot(stage)).toEqual(before);
  });

  test('20 concurrent writers on one license version: exactly one wins, 19 get ConcurrentModification', async () => {
    const license = await issued('RACE1');
    const events = Array.from({ length: 20 }, () =>
      auditEventFor('license.revoked', { licenseId: license.id }),
    );

    const outcomes = await Promise.allSettled(
      events.map((auditEvent, writer) =>
        stage.repository.changeStatus({
          licenseId: license.id,
          expectedVersion: 1,
          history: license.history,
          change: revoke('valid', { actor: agency, at, reason: `writer ${writer}` }),
          statusSlot: license.statusSlot,
          auditEvent,
        }),
      ),
    );

    const won = outcomes.flatMap((o, writer) => (o.status === 'fulfilled' ? [writer] : []));
    const lost = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const reason of lost) expect(reason).toBeInstanceOf(ConcurrentModification);
    const stored = await stage.repository.get(license.id);
    expect(stored).toMatchObject({ status: 'revoked', version: 2 });
    expect(stored?.history).toHaveLength(1);
    expect(stored?.history[0]?.reason).toBe(`writer ${won[0]}`);
    const recorded = await Promise.all(events.map(auditRecorded));
    expect(recorded.filter(Boolean)).toHaveLength(1);
    expect(recorded[won[0]!]).toBe(true);
  });
});

describe('reissue', () => {
  test('supersedes the old version and stores the next one, with both slots, holder index, listing and audit', async () => {
    const old = await issued('REISSUE1');
    const { change, newId } = reissue(old, { actor: agency, at, reason: '换领' });
    const next = await newDemoLicense(stage, card, { serial: 'REISSUE1', version: '002' });
    expect(next.id).toBe(newId);
    const event = auditEventFor('license.reissued', { licenseId: newId });

    const result = await stage.repository.reissue({ current: old, change, next, auditEvent: event });

    expect(result.superseded).toEqual({ version: 2 });
    expect(result.current).toMatchObject({ id: newId, licenseVersion: '002', status: 'valid', version: 1 });
    expect(await stage.repository.get(old.id)).toMatchObject({
      status: 'superseded',
      supersededBy: newId,
      version: 2,
    });
    expect(await stage.repository.getCurrent(licenseKeyOf(old.id))).toEqual(result.current);
    expect(await slotValue(old)).toBe(1);
    expect(await slotValue(next)).toBe(0);
    expect(await stage.repository.listByHolder(old.holderIndex, card!.typeCode)).toContainEqual(
      expect.objectContaining({ licenseKey: licenseKeyOf(old.id), licenseId: newId }),
    );
    expect(await auditRecorded(event)).toBe(true);
    expect((await stage.repository.listVersions(licenseKeyOf(old.id))).map((r) => [r.id, r.status])).toEqual([
      [old.id, 'superseded'],
      [newId, 'valid'],
    ]);
  });

  test(`after more than ${MAX_KEPT_STATUS_CHANGES} changes, the superseded version keeps the last ${MAX_KEPT_STATUS_CHANGES}, the supersede last`, async () => {
    const old = await issued('REISSUEKEPT');
    await toggleStatus(stage, old.id, MAX_KEPT_STATUS_CHANGES + 2, {
      actor: agency,
      at,
      reasonOf: (n) => `change ${n}`,
    });
    const current = (await stage.repository.get(old.id))!;
    const { change } = reissue(current, { actor: agency, at, reason: '换领' });
    const next = await newDemoLicense(stage, card, { serial: 'REISSUEKEPT', version: '002' });

    await stage.repository.reissue({
      current,
      change,
      next,
      auditEvent: auditEventFor('license.reissued', { licenseId: next.id }),
    });

    const superseded = (await stage.repository.get(old.id))!;
    expect(superseded).toMatchObject({ status: 'superseded', supersededBy: next.id });
    expect(superseded.history).toEqual([...current.history.slice(1), change]);
  });

  test('to another holder: the earlier holder keeps a former entry naming their last version, listed only when asked', async () => {
    const old = await issued('REISSUE2');
    const { change } = reissue(old, { actor: agency, at });
    const next = {
      ...(await newDemoLicense(stage, card, { serial: 'REISSUE2', version: '002' })),
      holderIndex: blindIndexOf('111', '330106198511202461'),
    };

    await stage.repository.reissue({
      current: old,
      change,
      next,
      auditEvent: auditEventFor('license.reissued', { licenseId: next.id }),
    });

    const key = licenseKeyOf(old.id);
    expect(
      await rawItem(stage, stage.tables.holderIndex, `H#${old.holderIndex}`, `T#${card!.typeCode}#${key}`),
    ).toMatchObject({ licenseKey: key, licenseId: old.id, issuedAt: old.issuedAt, former: true });
    expect(await stage.repository.listByHolder(next.holderIndex)).toEqual([
      expect.objectContaining({ licenseKey: key, licenseId: next.id }),
    ]);
    expect((await stage.repository.listByHolder(next.holderIndex))[0]).not.toHaveProperty('former');
    const held = await stage.repository.listByHolder(old.holderIndex, card!.typeCode);
    expect(held.some((entry) => entry.licenseKey === key)).toBe(false);
    const withFormer = await stage.repository.listByHolder(old.holderIndex, card!.typeCode, {
      includeFormer: true,
    });
    expect(withFormer.filter((entry) => entry.licenseKey === key)).toEqual([
      {
        licenseKey: key,
        licenseId: old.id,
        typeCode: card!.typeCode,
        issuerCode: card!.issuer,
        dataDomain: old.dataDomain,
        issuedAt: old.issuedAt,
        former: true,
      },
    ]);
  });

  test('back to the earlier holder: their entry is current again, the one in between keeps a former one', async () => {
    const first = await issued('REISSUEBACK');
    const other = blindIndexOf('111', '330106198511202461');
    const second = {
      ...(await newDemoLicense(stage, card, { serial: 'REISSUEBACK', version: '002' })),
      holderIndex: other,
    };
    const away = await stage.repository.reissue({
      current: first,
      change: reissue(first, { actor: agency, at }).change,
      next: second,
      auditEvent: auditEventFor('license.reissued', { licenseId: second.id }),
    });
    const third = await newDemoLicense(stage, card, { serial: 'REISSUEBACK', version: '003' });
    expect(third.holderIndex).toBe(first.holderIndex);

    await stage.repository.reissue({
      current: away.current,
      change: reissue(away.current, { actor: agency, at }).change,
      next: third,
      auditEvent: auditEventFor('license.reissued', { licenseId: third.id }),
    });

    const key = licenseKeyOf(first.id);
    const mine = (holder: string) =>
      stage.repository
        .listByHolder(holder, card!.typeCode, { includeFormer: true })
        .then((entries) => entries.filter((entry) => entry.licenseKey === key));
    expect(await mine(first.holderIndex)).toEqual([expect.not.objectContaining({ former: true })]);
    expect((await mine(first.holderIndex))[0]?.licenseId).toBe(third.id);
    expect(await mine(other)).toEqual([expect.objectContaining({ licenseId: second.id, former: true })]);
  });

  test('from a stale read, or to a version already stored, is refused with nothing written', async () => {
    const old = await issued('REISSUE3');
    await stage.repository.changeStatus({
      licenseId: old.id,
      expectedVersion: 1,
      history: old.history,
      change: suspend('valid', { actor: agency, at, reason: '挂失' }),
      statusSlot: old.statusSlot,
      auditEvent: auditEventFor('license.suspended', { licenseId: old.id }),
    });
    const { change } = reissue(old, { actor: agency, at });
    const next = await newDemoLicense(stage, card, { serial: 'REISSUE3', version: '002' });
    const before = await snapshot(stage);

    await expect(
      stage.repository.reissue({
        current: old,
        change,
        next,
        auditEvent: auditEventFor('license.reissued', { licenseId: next.id }),
      }),
    ).rejects.toBeInstanceOf(ConcurrentModification);
    expect(await snapshot(stage)).toEqual(before);

    // Version 002 stored by another path (an import) while the caller's read of 001 is fresh.
    const fresh = (await stage.repository.get(old.id))!;
    const taken = await newDemoLicense(stage, card, { serial: 'REISSUE3', version: '002' });
    await stage.repository.issue(taken, auditEventFor('license.issued', { licenseId: taken.id }));
    const beforeSecond = await snapshot(stage);
    await expect(
      stage.repository.reissue({
        current: fresh,
        change: reissue(fresh, { actor: agency, at }).change,
        next,
        auditEvent: auditEventFor('license.reissued', { licenseId: next.id }),
      }),
    ).rejects.toBeInstanceOf(LicenseAlreadyExists);
    expect(await snapshot(stage)).toEqual(beforeSecond);
  });

  test('refuses a next version that is not the license’s version + 1', async () => {
    const old = await issued('REISSUE4');
    const { change } = reissue(old, { actor: agency, at });
    const skipped = await newDemoLicense(stage, card, { serial: 'REISSUE4', version: '003' });
    await expect(
      stage.repository.reissue({
        current: old,
        change: { ...change, supersededBy: skipped.id },
        next: skipped,
        auditEvent: auditEventFor('license.reissued', { licenseId: skipped.id }),
      }),
    ).rejects.toThrow(/expected the next version/);
    expect(idOf(card!, '003', 'REISSUE4')).toBe(skipped.id);
  });
});
