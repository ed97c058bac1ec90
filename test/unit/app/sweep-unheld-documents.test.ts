import { describe, expect, test } from 'vitest';
import {
  newestSweepableDay,
  SweepDayTooRecent,
  type SweepDeps,
  sweepDocumentsOfDay,
  sweepUnheldDocuments,
} from '#app/sweep-unheld-documents.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import type { HeldAttachments } from '#ports/application-store.ts';
import type { DocumentRecord, DocumentSweepStore, ListedDocument } from '#ports/document-store.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import type { Page, PageRequest } from '#ports/page.ts';

const TYPE = '11100000000013338W032';
const ISSUER = '11100000000013338W';
const idOf = (serial: string, version = '001') =>
  buildLicenseId({ typeCode: TYPE, issuerCode: ISSUER, serial, version });
const SHA = 'x'.repeat(43);
/** Day 2025-06-01 is sweepable from 2025-06-04T00:00Z (48 h after its end). */
const DAY = '2025-06-01';
const RUN_AT = new Date('2025-06-04T03:00:00.000Z');

/** Documents under keys of their day, each with what its put recorded; a journal of every change. */
class MemorySweepStore implements DocumentSweepStore {
  readonly objects = new Map<string, DocumentRecord>();
  readonly journal: string[];
  failDeletes = false;
  failDescribe = new Set<string>();
  pageSize = 2;

  constructor(journal: string[]) {
    this.journal = journal;
  }

  add(day: string, name: string, record: Partial<DocumentRecord> = {}): string {
    const key = `documents/${day}/${name}`;
    this.objects.set(key, { size: 100, sha256: SHA, ...record });
    return key;
  }

  async listWrittenOn(day: string, page: PageRequest = {}): Promise<Page<ListedDocument>> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(`documents/${day}/`)).sort();
    const from = page.cursor === undefined ? 0 : keys.indexOf(page.cursor);
    const items = keys.slice(from, from + this.pageSize).map((key) => ({ key, size: 100 }));
    const next = keys[from + this.pageSize];
    return next === undefined ? { items } : { items, cursor: next };
  }

  async describe(key: string): Promise<DocumentRecord | undefined> {
    if (this.failDescribe.has(key)) throw new Error('S3 unavailable');
    return this.objects.get(key);
  }

  async delete(key: string): Promise<void> {
    if (this.failDeletes) throw new Error('S3 unavailable');
    this.journal.push(`delete ${key}`);
    this.objects.delete(key);
  }
}

function version(id: string, documentKey?: string): LicenseRecord {
  const content = {
    format: 'elicense/license-content/v1',
    ...(documentKey === undefined ? {} : { document: { key: documentKey } }),
  };
  return { id, licenseKey: licenseKeyOf(id), content } as unknown as LicenseRecord;
}

function world(now = RUN_AT) {
  const journal: string[] = [];
  const documents = new MemorySweepStore(journal);
  const versions = new Map<string, LicenseRecord[]>();
  /** Licenses in a shard other than the one the sweeper's shard map chooses (a shard count that differs). */
  const elsewhere = new Map<string, LicenseRecord[]>();
  let failEveryShard = false;
  /** Applications by id: their type and the keys of the attachments they list. */
  const applications = new Map<string, HeldAttachments>();
  const events: AuditEvent[] = [];
  let failAudit = false;
  let n = 0;
  const deps: SweepDeps = {
    documents,
    licenses: {
      async listVersions(licenseKey) {
        if (licenseKey.endsWith('.BROKEN')) throw new Error('DynamoDB unavailable');
        return versions.get(licenseKey) ?? [];
      },
      async listVersionsInEveryShard(licenseKey) {
        if (failEveryShard) throw new Error('DynamoDB unavailable');
        return [...(versions.get(licenseKey) ?? []), ...(elsewhere.get(licenseKey) ?? [])];
      },
    },
    applications: {
      async heldAttachments(applicationId) {
        if (applicationId === 'unreadable') throw new Error('DynamoDB unavailable');
        return applications.get(applicationId);
      },
    },
    audit: {
      async record(event) {
        if (failAudit) throw new Error('audit table unavailable');
        journal.push(`event ${String(event.details?.documentKey)}`);
        events.push(event);
      },
    },
    now: () => now,
    newEventId: () => `evt-${++n}`,
  };
  const issue = (...records: LicenseRecord[]) => {
    for (const r of records) versions.set(r.licenseKey, [...(versions.get(r.licenseKey) ?? []), r]);
  };
  const issueInAnotherShard = (...records: LicenseRecord[]) => {
    for (const r of records) elsewhere.set(r.licenseKey, [...(elsewhere.get(r.licenseKey) ?? []), r]);
  };
  return {
    deps,
    documents,
    applications,
    events,
    journal,
    issue,
    issueInAnotherShard,
    failEveryShard: () => {
      failEveryShard = true;
    },
    failAudit: () => {
      failAudit = true;
    },
  };
}

describe('the sweep of documents nothing holds', () => {
  test('keeps a document the current version holds and one only an older version holds', async () => {
    const w = world();
    const current = w.documents.add(DAY, 'current', { owner: `license:${idOf('A1')}` });
    const older = w.documents.add(DAY, 'older', { owner: `license:${idOf('B1')}` });
    w.issue(version(idOf('A1'), current));
    // Re-issued with new data: version 002 carries no document, 001 still holds its own.
    w.issue(version(idOf('B1'), older), version(idOf('B1', '002')));

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ listed: 2, held: 2, discarded: 0, complete: true });
    expect([...w.documents.objects.keys()]).toEqual([current, older]);
    expect(w.events).toEqual([]);
  });

  test('keeps a document written for a version that a later version carries on', async () => {
    const w = world();
    // Written for 002, whose write never landed; 001 holds nothing, yet 003 (a later run) holds it.
    const key = w.documents.add(DAY, 'carried', { owner: `license:${idOf('C1', '002')}` });
    w.issue(version(idOf('C1')), version(idOf('C1', '003'), key));

    expect(await sweepDocumentsOfDay(DAY, w.deps)).toMatchObject({ held: 1, discarded: 0 });
    expect(w.documents.objects.has(key)).toBe(true);
  });

  test('removes the bytes of a license that does not exist, its audit event written first', async () => {
    const w = world();
    const key = w.documents.add(DAY, 'orphan', { owner: `license:${idOf('D1')}`, size: 1234 });

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ listed: 1, discarded: 1 });
    expect(w.documents.objects.has(key)).toBe(false);
    expect(w.journal).toEqual([`event ${key}`, `delete ${key}`]);
    expect(w.events).toEqual([
      {
        id: 'evt-1',
        time: RUN_AT.toISOString(),
        actor: { kind: 'system', id: 'document-sweeper' },
        action: 'license.document_discarded',
        subject: { licenseId: idOf('D1'), typeCode: TYPE },
        outcome: 'success',
        details: { documentKey: key, writtenOn: DAY, reason: 'license-not-found', size: 1234, sha256: SHA },
      },
    ]);
  });

  test('concludes a license does not exist only after every shard of its domain: one in another shard keeps its document', async () => {
    const w = world();
    const held = w.documents.add(DAY, 'moved-held', { owner: `license:${idOf('M1')}` });
    const unheld = w.documents.add(DAY, 'moved-unheld', { owner: `license:${idOf('M1')}` });
    w.issueInAnotherShard(version(idOf('M1'), held));

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ held: 1, discarded: 1 });
    expect([...w.documents.objects.keys()]).toEqual([held]);
    expect(w.events.map((e) => [e.details?.documentKey, e.details?.reason])).toEqual([
      [unheld, 'held-by-no-version'],
    ]);
  });

  test('keeps a document whose license is in no shard it was routed to when the other shards cannot be read', async () => {
    const w = world();
    const key = w.documents.add(DAY, 'unsure', { owner: `license:${idOf('M2')}` });
    w.failEveryShard();

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ undecided: 1, discarded: 0 });
    expect([...w.documents.objects.keys()]).toEqual([key]);
    expect(w.events).toEqual([]);
  });

  test('removes bytes no version of an existing license holds (its write was lost, another attempt landed)', async () => {
    const w = world();
    const lost = w.documents.add(DAY, 'lost', { owner: `license:${idOf('E1')}` });
    const landed = w.documents.add(DAY, 'landed', { owner: `license:${idOf('E1')}` });
    w.issue(version(idOf('E1'), landed));

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ held: 1, discarded: 1 });
    expect([...w.documents.objects.keys()]).toEqual([landed]);
    expect(w.events.map((e) => e.details?.reason)).toEqual(['held-by-no-version']);
    expect(w.events[0]?.details?.documentKey).toBe(lost);
  });

  test('keeps, and counts, what it cannot decide: no owner, an owner naming no license, an unreadable license', async () => {
    const w = world();
    const keys = [
      w.documents.add(DAY, 'a-no-owner', { owner: undefined }),
      w.documents.add(DAY, 'b-grant', { owner: 'grant:42' }),
      w.documents.add(DAY, 'c-bad-id', { owner: 'license:1.2.156.3005.2.nonsense' }),
      w.documents.add(DAY, 'd-unreadable-record', { owner: `license:${idOf('F1')}` }),
      w.documents.add(DAY, 'e-head-fails', { owner: `license:${idOf('G1')}` }),
    ];
    w.documents.failDescribe.add(keys[4]!);
    // A version whose content is of a shape this code does not know.
    w.issue({ ...version(idOf('F1')), content: { format: 'elicense/license-content/v9' } });

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ listed: 5, unowned: 3, undecided: 2, discarded: 0, complete: true });
    expect([...w.documents.objects.keys()]).toEqual(keys);
    expect(w.events).toEqual([]);
  });

  test('keeps an attachment its application lists, and removes one it does not, audited first', async () => {
    const w = world();
    const held = w.documents.add(DAY, 'a-held', { owner: 'application:app-1' });
    const lost = w.documents.add(DAY, 'b-lost', { owner: 'application:app-1', size: 777 });
    // A later step's attachment: the application lists every step's.
    const later = w.documents.add(DAY, 'c-later', { owner: 'application:app-1' });
    w.applications.set('app-1', { typeCode: TYPE, keys: [held, later] });

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ listed: 3, held: 2, discarded: 1, unowned: 0, undecided: 0 });
    expect([...w.documents.objects.keys()]).toEqual([held, later]);
    expect(w.journal).toEqual([`event ${lost}`, `delete ${lost}`]);
    expect(w.events).toEqual([
      {
        id: 'evt-1',
        time: RUN_AT.toISOString(),
        actor: { kind: 'system', id: 'document-sweeper' },
        action: 'application.attachment_discarded',
        subject: { typeCode: TYPE },
        outcome: 'success',
        details: {
          applicationId: 'app-1',
          documentKey: lost,
          writtenOn: DAY,
          reason: 'held-by-no-step',
          size: 777,
          sha256: SHA,
        },
      },
    ]);
  });

  test('removes the attachments of an application never written, and keeps those of one it cannot read', async () => {
    const w = world();
    const orphan = w.documents.add(DAY, 'a-orphan', {
      owner: 'application:never-written',
      sha256: undefined,
    });
    const unsure = w.documents.add(DAY, 'b-unsure', { owner: 'application:unreadable' });

    const sweep = await sweepDocumentsOfDay(DAY, w.deps);

    expect(sweep).toMatchObject({ listed: 2, discarded: 1, undecided: 1, held: 0 });
    expect([...w.documents.objects.keys()]).toEqual([unsure]);
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({ action: 'application.attachment_discarded' });
    expect(w.events[0]).not.toHaveProperty('subject');
    expect(w.events[0]?.details).toEqual({
      applicationId: 'never-written',
      documentKey: orphan,
      writtenOn: DAY,
      reason: 'application-not-found',
      size: 100,
    });
  });

  test('keeps the bytes when the audit event cannot be written', async () => {
    const w = world();
    const key = w.documents.add(DAY, 'orphan', { owner: `license:${idOf('H1')}` });
    w.failAudit();

    expect(await sweepDocumentsOfDay(DAY, w.deps)).toMatchObject({ undecided: 1, discarded: 0 });
    expect(w.documents.objects.has(key)).toBe(true);
  });

  test('a failed removal leaves its event; the next run writes another and removes the bytes', async () => {
    const w = world();
    const key = w.documents.add(DAY, 'orphan', { owner: `license:${idOf('J1')}` });
    w.documents.failDeletes = true;

    expect(await sweepDocumentsOfDay(DAY, w.deps)).toMatchObject({ failed: 1, discarded: 0 });
    expect(w.documents.objects.has(key)).toBe(true);
    expect(w.events).toHaveLength(1);

    w.documents.failDeletes = false;
    expect(await sweepDocumentsOfDay(DAY, w.deps)).toMatchObject({ discarded: 1 });
    expect(w.documents.objects.has(key)).toBe(false);
    expect(w.events.map((e) => e.id)).toEqual(['evt-1', 'evt-2']);
    // Swept once more, the day has nothing left to discard and writes nothing.
    expect(await sweepDocumentsOfDay(DAY, w.deps)).toMatchObject({ listed: 0, discarded: 0, complete: true });
    expect(w.events).toHaveLength(2);
  });

  test('never lists keys under the layout before keys carried their day', async () => {
    const w = world();
    const undated = `documents/${'a'.repeat(26)}`;
    w.documents.objects.set(undated, { owner: `license:${idOf('K1')}`, size: 1 });

    const sweeps = await sweepUnheldDocuments(w.deps, 30);

    expect(sweeps.every((s) => s.listed === 0)).toBe(true);
    expect(w.documents.objects.has(undated)).toBe(true);
  });

  test('refuses a day within its grace, to the millisecond', async () => {
    const early = world(new Date('2025-06-03T23:59:59.999Z'));
    early.documents.add(DAY, 'orphan', { owner: `license:${idOf('L1')}` });
    await expect(sweepDocumentsOfDay(DAY, early.deps)).rejects.toBeInstanceOf(SweepDayTooRecent);
    await expect(sweepDocumentsOfDay('2025-06-03', early.deps)).rejects.toThrow(
      "documents of 2025-06-03 may be swept from 2025-06-06T00:00:00.000Z (48 h after the day's end), not before",
    );
    expect(early.documents.objects.size).toBe(1);

    const onTime = world(new Date('2025-06-04T00:00:00.000Z'));
    onTime.documents.add(DAY, 'orphan', { owner: `license:${idOf('L1')}` });
    expect(await sweepDocumentsOfDay(DAY, onTime.deps)).toMatchObject({ discarded: 1 });
  });

  test('a daily run sweeps the last days past their grace, oldest first, and not the days after', async () => {
    const w = world();
    for (const day of ['2025-05-29', '2025-05-30', '2025-05-31', DAY, '2025-06-02', '2025-06-03']) {
      w.documents.add(day, 'orphan', { owner: `license:${idOf('M1')}` });
    }

    const sweeps = await sweepUnheldDocuments(w.deps, 3);

    expect(sweeps.map((s) => [s.day, s.discarded])).toEqual([
      ['2025-05-30', 1],
      ['2025-05-31', 1],
      [DAY, 1],
    ]);
    expect([...w.documents.objects.keys()].map((k) => k.slice(10, 20)).sort()).toEqual([
      '2025-05-29',
      '2025-06-02',
      '2025-06-03',
    ]);
    expect(newestSweepableDay(new Date('2025-06-03T23:59:59.999Z'))).toBe('2025-05-31');
    expect(newestSweepableDay(new Date('2025-06-04T00:00:00.000Z'))).toBe(DAY);
  });

  test('stops between pages when its time is up, the day marked incomplete', async () => {
    const w = world();
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      w.documents.add(DAY, name, { owner: `license:${idOf('N1')}` });
    let asked = 0;
    const sweep = await sweepDocumentsOfDay(DAY, { ...w.deps, timeIsUp: () => ++asked > 2 });

    expect(sweep).toMatchObject({ listed: 4, discarded: 4, complete: false });
    expect(w.documents.objects.size).toBe(1);
  });
});
