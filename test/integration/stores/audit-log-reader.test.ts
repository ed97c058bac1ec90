// Reading the audit log over the wire: events written in the agreed layout (hour buckets × 16
// shards) come back as one sequence in seal order, page by page, and as stored for the
// verifier, which then tells an untouched log from an altered one.

import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditItem } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { sealBatch } from '#core/audit/checkpoint.ts';
import { type AuditEvent, compareAuditEvents } from '#core/audit/event.ts';
import { verifyAuditRange } from '#core/audit/verify-range.ts';
import { DEMO_USCC } from '#dev/demo/catalog.ts';
import type { AuditLogReader, AuditTimeRange } from '#ports/audit-log.ts';
import { InvalidCursor, type Page, type PageRequest } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let reader: DynamoAuditLogReader;

const HOUR = 3_600_000;
const DAY = Date.parse('2025-03-01T00:00:00.000Z');

function event(n: number, time: number): AuditEvent {
  return {
    id: `evt-${String(n).padStart(4, '0')}`,
    time: new Date(time).toISOString(),
    actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
    action: n % 2 === 0 ? 'license.retrieved' : 'license.verified',
    subject: { typeCode: '11100000D00000013G001' },
    outcome: 'success',
    details: { n },
  };
}

/**
 * 90 events over hours 08, 09 and 11 (10 left empty), at pseudo-random milliseconds, with
 * runs of identical times so that ties are broken by id across shards.
 */
const events: AuditEvent[] = Array.from({ length: 90 }, (_, n) => {
  const hour = [8, 9, 11][n % 3]!;
  const offset = n % 10 === 0 ? 1_234_567 : (n * 7_919_993) % HOUR;
  return event(n, DAY + hour * HOUR + offset);
});
const inOrder = [...events].sort(compareAuditEvents);

async function write(items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    await stage.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [stage.table('audit')]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
}

beforeAll(async () => {
  stage = await provisionStoreStage('it-audit');
  reader = new DynamoAuditLogReader(stage.documents, stage.table('audit'));
  await write(events.map((e) => ({ ...auditItem(e) })));
});

afterAll(async () => {
  await stage.dispose();
});

async function readAll<T>(
  read: (page: PageRequest) => Promise<Page<T>>,
  limit: number,
): Promise<{ items: T[]; pages: Page<T>[] }> {
  const pages: Page<T>[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor === undefined ? { limit } : { limit, cursor });
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { items: pages.flatMap((p) => p.items), pages };
}

const range = (from: string, to: string): AuditTimeRange => ({ from: new Date(from), to: new Date(to) });
const wholeDay = range('2025-03-01T00:00:00.000Z', '2025-03-02T00:00:00.000Z');

describe('the test data', () => {
  test('spreads over several shards of each hour it uses', () => {
    const shardsByHour = new Map<string, Set<string>>();
    for (const e of events) {
      const { pk } = auditItem(e);
      const hour = pk.slice(0, 12);
      shardsByHour.set(hour, (shardsByHour.get(hour) ?? new Set()).add(pk));
    }
    expect([...shardsByHour.keys()].sort()).toEqual(['A#2025030108', 'A#2025030109', 'A#2025030111']);
    for (const shards of shardsByHour.values()) expect(shards.size).toBeGreaterThanOrEqual(8);
  });
});

describe('readRange', () => {
  test('returns every event of the range in (time, id) order across buckets and shards, page by page', async () => {
    const { items, pages } = await readAll((page) => reader.readRange(wholeDay, page), 7);
    expect(items).toEqual(inOrder);
    expect(pages.length).toBe(13);
    for (const page of pages) expect(page.items.length).toBeLessThanOrEqual(7);
  });

  test('returns the same sequence whatever the page size', async () => {
    for (const limit of [1, 16, 89, 90, 1000]) {
      expect((await readAll((page) => reader.readRange(wholeDay, page), limit)).items).toEqual(inOrder);
    }
  });

  test('ends without a cursor once the last bucket of the range is read to its end', async () => {
    const untilNoon = range('2025-03-01T00:00:00.000Z', '2025-03-01T12:00:00.000Z');
    const single = await reader.readRange(untilNoon, { limit: 90 });
    expect(single.items).toEqual(inOrder);
    expect(single.cursor).toBeUndefined();
    // Full page before the range's last bucket: more may follow, so a cursor; the next page is empty.
    const full = await reader.readRange(wholeDay, { limit: 90 });
    expect(full.cursor).toBeDefined();
    expect(await reader.readRange(wholeDay, { limit: 90, cursor: full.cursor })).toEqual({ items: [] });
  });

  test('is half-open: includes events at `from`, excludes events at `to`', async () => {
    const from = inOrder[10]!.time;
    const to = inOrder[60]!.time;
    const expected = inOrder.filter((e) => e.time >= from && e.time < to);
    expect(expected[0]).toEqual(inOrder[10]);
    const { items } = await readAll((page) => reader.readRange(range(from, to), page), 9);
    expect(items).toEqual(expected);
  });

  test('walks empty buckets a few at a time, returning empty pages that carry a cursor', async () => {
    const sparse = new DynamoAuditLogReader(stage.documents, stage.table('audit'), { maxBucketsPerPage: 1 });
    const { items, pages } = await readAll((page) => sparse.readRange(wholeDay, page), 50);
    expect(items).toEqual(inOrder);
    expect(pages.some((p) => p.items.length === 0 && p.cursor !== undefined)).toBe(true);
  });

  test('returns nothing for an empty or inverted range', async () => {
    expect(await reader.readRange(range('2025-03-01T10:00:00.000Z', '2025-03-01T11:00:00.000Z'))).toEqual({
      items: [],
    });
    expect(await reader.readRange(range('2025-03-02T00:00:00.000Z', '2025-03-01T00:00:00.000Z'))).toEqual({
      items: [],
    });
  });

  test('refuses a cursor that is not its own or lies outside the range', async () => {
    const page = await reader.readRange(wholeDay, { limit: 5 });
    await expect(reader.readRange(wholeDay, { cursor: 'bm90IGpzb24' })).rejects.toBeInstanceOf(InvalidCursor);
    await expect(
      reader.readRange(range('2025-03-01T12:00:00.000Z', '2025-03-02T00:00:00.000Z'), {
        cursor: page.cursor,
      }),
    ).rejects.toBeInstanceOf(InvalidCursor);
  });
});

describe('the stored log and its verification', () => {
  const otherDay = range('2025-03-05T00:00:00.000Z', '2025-03-06T00:00:00.000Z');
  const day5 = Array.from({ length: 12 }, (_, n) =>
    event(500 + n, Date.parse('2025-03-05T08:00:00.000Z') + n * 61_000),
  );
  const signer = new SoftwareEs256Signer('audit-test');

  async function readStored(reading: AuditLogReader) {
    return (await readAll((page) => reading.readStoredRange(otherDay, page), 5)).items;
  }

  test('an untouched range reads back as sealed and verifies without findings', async () => {
    await write(day5.map((e) => ({ ...auditItem(e) })));
    const batch = await sealBatch(
      { logId: 'it', seq: 0, events: day5, previous: null, sealedAt: new Date() },
      signer,
    );
    const stored = await readStored(reader);

    expect(stored.map((s) => s.event)).toEqual(day5);
    const report = verifyAuditRange({
      logId: 'it',
      events: stored.map((s) => s.event),
      batches: [{ checkpoint: batch.checkpoint, manifest: batch.manifest }],
      publicJwks: [signer.publicJwk],
      anchor: null,
    });
    expect(report).toMatchObject({ ok: true, findings: [], eventsChecked: 12 });
  });

  test('an altered event is read as stored by readStoredRange, refused by readRange, and found by the verifier', async () => {
    const batch = await sealBatch(
      { logId: 'it', seq: 0, events: day5, previous: null, sealedAt: new Date() },
      signer,
    );
    const altered = { ...day5[4]!, outcome: 'denied' as const };
    await stage.documents.send(
      new PutCommand({ TableName: stage.table('audit'), Item: { ...auditItem(altered) } }),
    );
    const garbled = auditItem(day5[7]!);
    await stage.documents.send(
      new PutCommand({ TableName: stage.table('audit'), Item: { ...garbled, event: '{"id":' } }),
    );

    const stored = await readStored(reader);
    expect(stored[4]!.event).toEqual(altered);
    expect(stored[7]!.event).toBe('{"id":');
    await expect(readAll((page) => reader.readRange(otherDay, page), 5)).rejects.toBeInstanceOf(
      StoredItemInvalid,
    );

    const report = verifyAuditRange({
      logId: 'it',
      events: stored.map((s) => s.event),
      batches: [{ checkpoint: batch.checkpoint, manifest: batch.manifest }],
      publicJwks: [signer.publicJwk],
      anchor: null,
    });
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => f.kind)).toContain('event-changed');
  });

  test('an item whose key does not match its event is handed out as unreadable, and reading goes on past it', async () => {
    const item = auditItem(event(900, Date.parse('2025-03-05T08:03:30.000Z')));
    const sk = `${item.time}#evt-other`;
    await stage.documents.send(new PutCommand({ TableName: stage.table('audit'), Item: { ...item, sk } }));
    const stored = await readStored(reader);
    expect(stored.map((s) => s.id)).toEqual([
      ...day5.slice(0, 4).map((e) => e.id),
      'evt-other',
      ...day5.slice(4).map((e) => e.id),
    ]);
    expect(stored[4]).toMatchObject({
      time: item.time,
      unreadable: { key: `${item.pk} / ${sk}`, issues: [expect.objectContaining({ path: 'sk' })] },
    });
    expect(stored.filter((s) => s.unreadable !== undefined)).toHaveLength(1);
  });
});
