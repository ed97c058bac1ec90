// A license's audit events over the wire, for its holder's access history: the sparse
// `by-license` index of the audit table finds every event whose subject names the license, by
// version or by key, newest first, page by page with a position — and no event of another
// license or without one.

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditItem } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let reader: DynamoAuditLogReader;

const id = (serial: string, version: string) =>
  buildLicenseId({
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    issuerCode: DEMO_USCC.publicSecurityBureau,
    serial,
    version,
  });
const FIRST = id('HIST0001', '001');
const SECOND_VERSION = id('HIST0001', '002');
const OTHER = id('HIST0002', '001');
const KEY = licenseKeyOf(FIRST);
const START = Date.parse('2025-03-01T08:00:00.000Z');

function event(n: number, subject: AuditEvent['subject'], minutes: number): AuditEvent {
  return {
    id: `hist-${String(n).padStart(3, '0')}`,
    time: new Date(START + minutes * 60_000).toISOString(),
    actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
    action: 'license.retrieved',
    ...(subject === undefined ? {} : { subject }),
    basis: { purpose: '住房公积金提取', caseNumber: `CASE-${n}` },
    outcome: 'success',
  };
}

// Ten events of the license (versions 001 and 002, and one naming the key itself) over three
// hours, two sharing a time so the id breaks the tie; one of another license; one of none.
const mine: AuditEvent[] = [
  ...Array.from({ length: 8 }, (_, n) => event(n, { licenseId: n < 5 ? FIRST : SECOND_VERSION }, n * 23)),
  event(8, { licenseId: KEY }, 200),
  event(9, { licenseId: FIRST }, 200),
];
const newestFirst = [...mine].sort((a, b) =>
  a.time === b.time ? b.id.localeCompare(a.id) : b.time.localeCompare(a.time),
);

// A grant of a type names no license: its events are found by the grant; one naming a license
// as well is the license's.
const TYPE_GRANT = 'grant-of-a-type-0001';
const grantEvents: AuditEvent[] = [
  {
    ...event(40, { grantId: TYPE_GRANT, typeCode: DEMO_TYPE_CODE.residentIdentityCard }, 30),
    action: 'grant.created',
  },
  { ...event(41, { grantId: TYPE_GRANT }, 40), action: 'grant.revoked' },
  event(42, { grantId: TYPE_GRANT, licenseId: OTHER }, 35),
];

beforeAll(async () => {
  stage = await provisionStoreStage('audit-by-license');
  reader = new DynamoAuditLogReader(stage.documents, stage.table('audit'));
  for (const e of [...mine, event(20, { licenseId: OTHER }, 10), event(21, undefined, 11), ...grantEvents]) {
    await stage.documents.send(new PutCommand({ TableName: stage.table('audit'), Item: auditItem(e) }));
  }
});

afterAll(() => stage?.dispose());

describe('DynamoAuditLogReader.readByLicense', () => {
  test('returns every event of the license, of any version, newest first, and nothing else', async () => {
    const slice = await reader.readByLicense(KEY);

    expect(slice.events.map((e) => e.id)).toEqual(newestFirst.map((e) => e.id));
    expect(slice.events[0]).toEqual(newestFirst[0]);
    expect(slice.more).toBe(false);
  });

  test('continues strictly before a position, page by page, to the oldest', async () => {
    const seen: string[] = [];
    let before: { time: string; id: string } | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const slice = await reader.readByLicense(KEY, { limit: 3, ...(before ? { before } : {}) });
      seen.push(...slice.events.map((e) => e.id));
      const last = slice.events.at(-1);
      if (!slice.more || last === undefined) break;
      before = { time: last.time, id: last.id };
    }

    expect(seen).toEqual(newestFirst.map((e) => e.id));
  });

  test('finds nothing for a license without events', async () => {
    expect(await reader.readByLicense(licenseKeyOf(id('HIST0003', '001')))).toEqual({
      events: [],
      more: false,
    });
  });

  test('refuses a stored event that was altered, naming it', async () => {
    const altered = auditItem(event(30, { licenseId: id('HIST0004', '001') }, 5));
    await stage.documents.send(
      new PutCommand({
        TableName: stage.table('audit'),
        Item: { ...altered, action: 'license.verified' },
      }),
    );

    await expect(reader.readByLicense(licenseKeyOf(id('HIST0004', '001')))).rejects.toBeInstanceOf(
      StoredItemInvalid,
    );
  });

  test('refuses a limit outside 1–100', async () => {
    await expect(reader.readByLicense(KEY, { limit: 0 })).rejects.toThrow(/limit/);
    await expect(reader.readByLicense(KEY, { limit: 101 })).rejects.toThrow(/limit/);
  });
});

describe('DynamoAuditLogReader.readByGrant', () => {
  test('returns the events naming the grant but no license, newest first', async () => {
    const slice = await reader.readByGrant(TYPE_GRANT);

    expect(slice.events.map((e) => [e.id, e.action])).toEqual([
      ['hist-041', 'grant.revoked'],
      ['hist-040', 'grant.created'],
    ]);
    expect((await reader.readByLicense(licenseKeyOf(OTHER))).events.map((e) => e.id)).toContain('hist-042');
    expect(await reader.readByGrant('another-grant')).toEqual({ events: [], more: false });
  });
});
