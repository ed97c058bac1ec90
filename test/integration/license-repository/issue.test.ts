// Issuing over the wire: one transaction writes license, holder index, status slot, issuer
// listing and audit event at their documented keys, or — on any failed condition — nothing.

import { beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { canonicalEventBytes } from '#core/audit/canonical.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { stableShard } from '#core/stable-shard.ts';
import { AuditEventExists, LicenseAlreadyExists, StatusSlotTaken } from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import {
  auditEventFor,
  idOf,
  LISTING_SUBKEYS,
  newDemoLicense,
  provisionTestStage,
  rawItem,
  SHARDS,
  type Stage,
  snapshot,
} from './support.ts';

let stage: Stage;
const [card] = DEMO_LICENSES;

beforeAll(async () => {
  stage = await provisionTestStage('lr-issue');
});

function diff(before: Record<string, string[]>, after: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([table, items]) => [table, items.filter((item) => !before[table]!.includes(item))] as const)
      .filter(([, added]) => added.length > 0),
  );
}

describe('issue', () => {
  test('writes the five items at their documented keys, and nothing else', async () => {
    const license = await newDemoLicense(stage, card, {
      serial: 'ISSUE1',
      issuedAt: '2025-03-01T08:00:00.000Z',
    });
    const event = auditEventFor('license.issued', { licenseId: license.id }, '2025-03-01T08:00:00.000Z');
    const before = await snapshot(stage);

    const record = await stage.repository.issue(license, event);

    const key = licenseKeyOf(license.id);
    expect(record).toMatchObject({
      id: license.id,
      licenseKey: key,
      licenseVersion: '001',
      dataDomain: 'person',
      status: 'valid',
      version: 1,
      history: [],
      statusSlot: license.statusSlot,
    });
    const shard = stableShard(key, SHARDS.person);
    const licenseItem = await rawItem(stage, stage.tables.license('person', shard), `L#${key}`, 'V#001');
    expect(licenseItem).toMatchObject({
      id: license.id,
      status: 'valid',
      version: 1,
      content: license.content,
    });
    expect(
      await rawItem(stage, stage.tables.license('person', 1 - shard), `L#${key}`, 'V#001'),
    ).toBeUndefined();
    expect(
      await rawItem(
        stage,
        stage.tables.holderIndex,
        `H#${license.holderIndex}`,
        `T#${card!.typeCode}#${key}`,
      ),
    ).toMatchObject({ licenseId: license.id, dataDomain: 'person', issuedAt: license.issuedAt });
    expect(
      await rawItem(
        stage,
        stage.tables.statusLists,
        `SL#${license.statusSlot.listId}`,
        `I#${String(license.statusSlot.index).padStart(10, '0')}`,
      ),
    ).toMatchObject({ status: 0, licenseId: license.id });
    const subKey = stableShard(key, LISTING_SUBKEYS);
    expect(
      await rawItem(
        stage,
        stage.tables.issuerListing,
        `I#${card!.issuer}#${card!.typeCode}#202503#${subKey}`,
        `2025-03-01T08:00:00.000Z#${license.id}`,
      ),
    ).toMatchObject({ licenseId: license.id });
    const shardOfEvent = String(stableShard(event.id, 32)).padStart(2, '0');
    expect(auditPartitionKey(event.time, event.id)).toBe(`A#2025030108#${shardOfEvent}`);
    const audit = await rawItem(
      stage,
      stage.tables.audit,
      `A#2025030108#${shardOfEvent}`,
      `${event.time}#${event.id}`,
    );
    expect(audit).toEqual({
      pk: `A#2025030108#${shardOfEvent}`,
      sk: `${event.time}#${event.id}`,
      id: event.id,
      time: event.time,
      action: 'license.issued',
      event: new TextDecoder().decode(canonicalEventBytes(event)),
      licenseKey: key,
    });
    const added = diff(before, await snapshot(stage));
    expect(Object.values(added).flat()).toHaveLength(5);
  });

  test('reads back by full id and as the current version by license key', async () => {
    const license = await newDemoLicense(stage, card, { serial: 'READ1' });
    const issued = await stage.repository.issue(
      license,
      auditEventFor('license.issued', { licenseId: license.id }),
    );

    expect(await stage.repository.get(license.id)).toEqual(issued);
    expect(await stage.repository.getCurrent(licenseKeyOf(license.id))).toEqual(issued);
    expect(await stage.repository.get(idOf(card!, '001', 'NEVERISSUED'))).toBeUndefined();
    expect(await stage.repository.get(idOf(card!, '002', 'READ1'))).toBeUndefined();
    expect(
      await stage.repository.getCurrent(licenseKeyOf(idOf(card!, '001', 'NEVERISSUED'))),
    ).toBeUndefined();
  });

  test('routes every demo license to its domain shard and reads it back from there', async () => {
    for (const demo of DEMO_LICENSES) {
      const license = await newDemoLicense(stage, demo, { serial: `${demo.serial}R` });
      await stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
      const key = licenseKeyOf(license.id);
      const domain = demo.holder.kind === 'person' ? 'person' : 'legal-entity';
      const shard = stableShard(key, SHARDS[domain]);
      expect(await rawItem(stage, stage.tables.license(domain, shard), `L#${key}`, 'V#001')).toBeDefined();
      expect(
        await rawItem(stage, stage.tables.license(domain, 1 - shard), `L#${key}`, 'V#001'),
      ).toBeUndefined();
      expect((await stage.repository.get(license.id))?.dataDomain).toBe(domain);
    }
  });
});

describe('issue refused, nothing written in any table', () => {
  test('the same id and version twice → LicenseAlreadyExists', async () => {
    const first = await newDemoLicense(stage, card, { serial: 'TWICE1' });
    await stage.repository.issue(first, auditEventFor('license.issued', { licenseId: first.id }));
    const again = await newDemoLicense(stage, card, { serial: 'TWICE1' });
    expect(again.statusSlot).not.toEqual(first.statusSlot);
    const before = await snapshot(stage);

    const error = await stage.repository
      .issue(again, auditEventFor('license.issued', { licenseId: again.id }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LicenseAlreadyExists);
    expect((error as LicenseAlreadyExists).code).toBe('LICENSE_ALREADY_EXISTS');
    expect(await snapshot(stage)).toEqual(before);
  });

  test('a status slot another license claimed → StatusSlotTaken', async () => {
    const first = await newDemoLicense(stage, card, { serial: 'SLOT1' });
    await stage.repository.issue(first, auditEventFor('license.issued', { licenseId: first.id }));
    const second = {
      ...(await newDemoLicense(stage, card, { serial: 'SLOT2' })),
      statusSlot: first.statusSlot,
    };
    const before = await snapshot(stage);

    await expect(
      stage.repository.issue(second, auditEventFor('license.issued', { licenseId: second.id })),
    ).rejects.toBeInstanceOf(StatusSlotTaken);
    expect(await snapshot(stage)).toEqual(before);
    expect(await stage.repository.get(second.id)).toBeUndefined();
  });

  test('an audit event recorded before → AuditEventExists', async () => {
    const first = await newDemoLicense(stage, card, { serial: 'AUDIT1' });
    const event = auditEventFor('license.issued', { licenseId: first.id });
    await stage.repository.issue(first, event);
    const second = await newDemoLicense(stage, card, { serial: 'AUDIT2' });
    const before = await snapshot(stage);

    await expect(stage.repository.issue(second, event)).rejects.toBeInstanceOf(AuditEventExists);
    expect(await snapshot(stage)).toEqual(before);
  });

  test('an issue time that does not sort as text, or an invalid audit event, is refused before writing', async () => {
    const license = await newDemoLicense(stage, card, { serial: 'BADTIME' });
    const before = await snapshot(stage);

    await expect(
      stage.repository.issue(
        { ...license, issuedAt: '2025-03-01T08:00:00Z' },
        auditEventFor('license.issued', { licenseId: license.id }),
      ),
    ).rejects.toThrow(/expected issuedAt as RFC 3339 UTC with milliseconds/);
    await expect(
      stage.repository.issue(license, { ...auditEventFor('license.issued', {}), action: 'Issued' }),
    ).rejects.toMatchObject({ code: 'AUDIT_EVENT_INVALID' });
    expect(await snapshot(stage)).toEqual(before);
  });
});
