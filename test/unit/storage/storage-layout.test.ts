import { describe, expect, it } from 'vitest';
import {
  auditHourBucket,
  auditItem,
  auditPartitionKey,
  auditPartitionKeys,
} from '#adapters/aws/audit-items.ts';
import { changedSlotItem, listingPk, monthOf, slotItem, slotSk } from '#adapters/aws/license-items.ts';
import { stageTablesFromEnvironment, stageTablesOf } from '#adapters/aws/stage-tables.ts';
import { allTables, tableEnvVar } from '#adapters/aws/tables.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { stableShard } from '#core/stable-shard.ts';

const event: AuditEvent = {
  id: 'evt-1',
  time: '2025-03-01T23:59:59.999Z',
  actor: { kind: 'agency', id: '11330100D0000011XM' },
  action: 'license.issued',
  subject: { licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001.001.M' },
  outcome: 'success',
};

describe('audit item layout', () => {
  it('keys an event by hour bucket and a stable shard of its id, sorted by time then id', () => {
    const item = auditItem(event);
    expect(auditHourBucket(event.time)).toBe('2025030123');
    expect(item.pk).toBe(`A#2025030123#${String(stableShard('evt-1', 32)).padStart(2, '0')}`);
    expect(item.sk).toBe('2025-03-01T23:59:59.999Z#evt-1');
    expect(item.licenseKey).toBe('1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001');
    // RFC 8785: keys sorted, no whitespace.
    expect(
      item.event.startsWith('{"action":"license.issued","actor":{"id":"11330100D0000011XM","kind":"agency"}'),
    ).toBe(true);
    expect(JSON.parse(item.event)).toEqual(event);
  });

  it('takes the license key from a subject naming the license across versions, and none from other text', () => {
    const key = '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001';
    expect(auditItem({ ...event, subject: { licenseId: key } }).licenseKey).toBe(key);
    expect(auditItem({ ...event, subject: { licenseId: 'legacy-42' } }).licenseKey).toBeUndefined();
    expect('licenseKey' in auditItem({ ...event, subject: { typeCode: '11100000D00000013G001' } })).toBe(
      false,
    );
  });

  it('keys an event naming a grant but no license by the grant, and one naming both by the license', () => {
    const key = '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001';
    expect(auditItem({ ...event, subject: { grantId: 'g1' } }).licenseKey).toBe('G#g1');
    expect(auditItem({ ...event, subject: { grantId: 'g1', licenseId: key } }).licenseKey).toBe(key);
  });

  it('lists the 32 partitions of an hour for readers, and refuses a time that is not UTC', () => {
    expect(auditPartitionKeys('2025030123')).toHaveLength(32);
    expect(auditPartitionKeys('2025030123')).toContain(auditPartitionKey(event.time, event.id));
    expect(() => auditHourBucket('2025-03-01T23:59:59.999+08:00')).toThrow(/RFC 3339 UTC/);
  });
});

describe('license item layout', () => {
  it('pads slot indices so they sort, and keys listings by compact month and sub-key', () => {
    expect(slotSk(42)).toBe('I#0000000042');
    expect(slotSk(2 ** 32 - 1)).toBe('I#4294967295');
    expect(monthOf('2025-03-01T00:00:00.000Z')).toBe('2025-03');
    expect(listingPk('ISSUER', 'TYPE', '2025-03', 7)).toBe('I#ISSUER#TYPE#202503#7');
  });

  it('keeps a changed slot apart from the slots of its list, under the same index key', () => {
    const slot = { listId: 'ISSUER-TYPE-0-0', index: 42 };
    expect(changedSlotItem(slot, 2)).toEqual({ pk: 'SLC#ISSUER-TYPE-0-0', sk: 'I#0000000042', status: 2 });
    expect(slotItem(slot, 'license', 0).pk).toBe('SL#ISSUER-TYPE-0-0');
  });
});

describe('stage tables', () => {
  const shards = { person: 2, 'legal-entity': 1 };

  it('resolves every table of the stage from the TABLE_* variables the stack sets', () => {
    const env = Object.fromEntries(allTables(shards).map((t) => [tableEnvVar(t), `phys-${t.name}`]));
    const tables = stageTablesFromEnvironment(env, shards);
    expect(tables.license('person', 1)).toBe('phys-license-person-1');
    expect(tables.license('legal-entity', 0)).toBe('phys-license-legal-entity-0');
    expect([
      tables.holderIndex,
      tables.issuerListing,
      tables.statusLists,
      tables.audit,
      tables.grants,
    ]).toEqual([
      'phys-holder-index',
      'phys-issuer-listing',
      'phys-status-lists',
      'phys-audit',
      'phys-grants',
    ]);
    expect(() => tables.license('person', 2)).toThrow(/found person shard 2/);
    expect(() => tables.license('vehicle', 0)).toThrow(RangeError);
  });

  it('names the variable that is missing', () => {
    expect(() => stageTablesFromEnvironment({}, shards)).toThrow(/TABLE_LICENSE_PERSON_0/);
    expect(stageTablesOf('dev', shards).audit).toBe('elicense-dev-audit');
  });
});
