// Tampering with the stored audit log and catching it: events written through the real writer
// and sealed with the local vault's platform key are then edited, deleted, inserted and
// reordered directly in DynamoDB, and verifyAuditLog — and `elicense audit verify` run as a
// child process — name each altered event precisely.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { auditLogIdOf } from '#adapters/aws/audit-seal-groups.ts';
import { DynamoAuditSealStore } from '#adapters/aws/audit-seal-store.ts';
import { localBucketName } from '#adapters/aws/buckets.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { sealAuditLog } from '#app/seal-audit-log.ts';
import { type AuditLogReport, judgeArchivedBeyondHead, verifyAuditLog } from '#app/verify-audit-log.ts';
import { canonicalJsonBytes } from '#core/audit/canonical.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { PublicJwk } from '#core/jws.ts';
import { writeLocalEndpoints } from '#dev/local-endpoints.ts';
import { auditEvent } from '../unit/audit/fixtures.ts';
import { provisionStoreStage, type StoreStage } from './stores/stage.ts';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../bin/elicense');
const T0 = Date.parse('2025-03-01T08:00:00.000Z');
const FROM = new Date(T0 - 60_000);
const TO = new Date(T0 + 3_600_000);

let stage: StoreStage;
let dataDir: string;
let s3: S3Client;
let seals: DynamoAuditSealStore;
let writer: DynamoAuditLogWriter;
let publicJwks: PublicJwk[];
let untouched: Record<string, unknown>[];

const events: AuditEvent[] = Array.from({ length: 12 }, (_, n) => auditEvent(n));

beforeAll(async () => {
  stage = await provisionStoreStage('it-tamper');
  dataDir = await mkdtemp(join(tmpdir(), 'elicense-tamper-'));
  s3 = new S3Client({ forcePathStyle: true });
  const logId = auditLogIdOf(stage.name);
  seals = new DynamoAuditSealStore({
    documents: stage.documents,
    table: stage.table('audit-seals'),
    logId,
    archive: { s3, bucket: localBucketName(stage.name, { name: 'audit-archive' }) },
  });
  const vault = await LocalKeyVault.open({ dir: join(dataDir, 'keys') });
  publicJwks = [(await vault.platformKey()).publicJwk];
  writer = new DynamoAuditLogWriter(stage.documents, stage.table('audit'));
  for (const event of events) await writer.record(event);

  const sealed = await sealAuditLog({
    log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
    seals,
    keys: vault,
    logId,
    now: () => TO,
    settleSeconds: 60,
    batchSize: 5,
    maxBatchSize: 5,
    runSeconds: 40,
    maxBatchesPerRun: 10,
    origin: () => FROM,
  });
  expect(sealed.batches.map((b) => b.events)).toEqual([5, 5, 2]);
  untouched = await auditItems();
  // What `npm start` leaves in its data folder, pointing at this suite's emulators.
  await writeLocalEndpoints(dataDir, {
    stage: stage.name,
    env: process.env as Record<string, string>,
    keyVaultDir: join(dataDir, 'keys'),
  });
});

afterEach(async () => {
  // Put the log back as sealed: remove every item, write the untouched ones again.
  const now = await auditItems();
  for (const item of now) {
    await stage.documents.send(
      new DeleteCommand({ TableName: stage.table('audit'), Key: { pk: item.pk, sk: item.sk } }),
    );
  }
  for (let i = 0; i < untouched.length; i += 25) {
    await stage.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [stage.table('audit')]: untouched.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
});

afterAll(async () => {
  s3.destroy();
  await stage.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

async function auditItems(): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await stage.documents.send(
    new ScanCommand({ TableName: stage.table('audit'), ConsistentRead: true }),
  );
  return Items;
}

function key(event: AuditEvent) {
  return { pk: auditPartitionKey(event.time, event.id), sk: `${event.time}#${event.id}` };
}

async function item(event: AuditEvent): Promise<Record<string, unknown>> {
  const { Item } = await stage.documents.send(
    new GetCommand({ TableName: stage.table('audit'), Key: key(event), ConsistentRead: true }),
  );
  return Item!;
}

async function setEventText(event: AuditEvent, text: unknown): Promise<void> {
  await stage.documents.send(
    new PutCommand({ TableName: stage.table('audit'), Item: { ...(await item(event)), event: text } }),
  );
}

function unreadable(event: AuditEvent, paths: string[]) {
  const { pk, sk } = key(event);
  return {
    kind: 'stored-item-unreadable',
    key: `${pk} / ${sk}`,
    issues: paths.map((path) => expect.objectContaining({ path })),
  };
}

/** A value as the sealer spells it: the RFC 8785 text an edit must match to read as an event. */
function canonicalText(value: unknown): string {
  return new TextDecoder().decode(canonicalJsonBytes(value));
}

function verify(): Promise<AuditLogReport> {
  return verifyAuditLog(
    { from: FROM, to: TO },
    {
      log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
      seals,
      logId: auditLogIdOf(stage.name),
      publicJwks,
    },
  );
}

describe('tampering with the stored audit log', () => {
  test('an untouched log verifies clean', async () => {
    expect(await verify()).toMatchObject({ ok: true, eventsChecked: 12, batchesChecked: 3, findings: [] });
  });

  test('an edited event is named changed, at its sealed position', async () => {
    const edited = { ...events[6]!, outcome: 'denied' };
    await setEventText(events[6]!, canonicalText(edited));
    const report = await verify();
    expect(report.findings).toEqual([
      { kind: 'event-changed', eventId: 'evt-00006', seq: 1, leafIndex: 1, storedPosition: 6 },
    ]);
  });

  test('a deleted event is named dropped', async () => {
    await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit'), Key: key(events[3]!) }));
    const report = await verify();
    expect(report.findings).toEqual([
      { kind: 'event-dropped', eventId: 'evt-00003', time: events[3]!.time, seq: 0, leafIndex: 3 },
    ]);
  });

  test('an event inserted among sealed ones is named inserted', async () => {
    const forged: AuditEvent = { ...auditEvent(500), time: new Date(T0 + 7_500).toISOString() };
    await writer.record(forged);
    const report = await verify();
    expect(report.findings).toEqual([
      {
        kind: 'event-inserted',
        eventId: 'evt-00500',
        storedPosition: 8,
        detail: 'id not in any sealed batch',
      },
    ]);
  });

  test('two events whose contents were swapped are each named unreadable where they lie, and dropped', async () => {
    const [a, b] = [events[2]!, events[9]!];
    const [textA, textB] = [(await item(a)).event, (await item(b)).event];
    await setEventText(a, textB);
    await setEventText(b, textA);
    const report = await verify();
    // Each text names an id, time and action its item's copies do not, and a license key its
    // item is not indexed under: not an event at that place.
    const copies = ['event.id', 'event.time', 'event.action', 'licenseKey'];
    expect(report.findings).toEqual([
      unreadable(a, copies),
      unreadable(b, copies),
      { kind: 'event-dropped', eventId: 'evt-00002', time: a.time, seq: 0, leafIndex: 2 },
      { kind: 'event-dropped', eventId: 'evt-00009', time: b.time, seq: 1, leafIndex: 4 },
    ]);
  });

  test('an item whose by-license key was removed or points at another license is named unreadable', async () => {
    // Removed, evt-00000 would vanish from its holder's access history; given to evt-00005, a
    // retrieval of another license would be listed in it.
    const issued = await item(events[0]!);
    const key = issued.licenseKey;
    expect(key).toEqual(expect.any(String));
    const { licenseKey: _, ...withoutKey } = issued;
    await stage.documents.send(new PutCommand({ TableName: stage.table('audit'), Item: withoutKey }));
    await stage.documents.send(
      new PutCommand({
        TableName: stage.table('audit'),
        Item: { ...(await item(events[5]!)), licenseKey: key },
      }),
    );
    const report = await verify();
    expect(report.findings).toEqual([
      unreadable(events[0]!, ['licenseKey']),
      unreadable(events[5]!, ['licenseKey']),
      { kind: 'event-dropped', eventId: 'evt-00000', time: events[0]!.time, seq: 0, leafIndex: 0 },
      { kind: 'event-dropped', eventId: 'evt-00005', time: events[5]!.time, seq: 1, leafIndex: 0 },
    ]);
  });

  test('an item whose action copy differs from its event, or whose keys moved off its event’s time, is named unreadable', async () => {
    await stage.documents.send(
      new PutCommand({
        TableName: stage.table('audit'),
        Item: { ...(await item(events[6]!)), action: 'license.verified' },
      }),
    );
    // The same id a few hundred milliseconds later, in the same partition, its text untouched.
    const moved = await item(events[8]!);
    const time = new Date(Date.parse(events[8]!.time) + 500).toISOString();
    await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit'), Key: key(events[8]!) }));
    await stage.documents.send(
      new PutCommand({
        TableName: stage.table('audit'),
        Item: { ...moved, time, sk: `${time}#${events[8]!.id}` },
      }),
    );
    const report = await verify();
    expect(report.findings).toEqual([
      unreadable(events[6]!, ['event.action']),
      { ...unreadable(events[8]!, ['event.time']), key: `${String(moved.pk)} / ${time}#${events[8]!.id}` },
      { kind: 'event-dropped', eventId: 'evt-00006', time: events[6]!.time, seq: 1, leafIndex: 1 },
      { kind: 'event-dropped', eventId: 'evt-00008', time: events[8]!.time, seq: 1, leafIndex: 3 },
    ]);
  });

  test('event text that parses to the sealed event but is spelled otherwise is named unreadable', async () => {
    // A duplicate key whose first occurrence lies, another number form, an escape: JSON.parse
    // reads the sealed value, a person or a first-key-wins tool reads a denial.
    const text = String((await item(events[3]!)).event);
    await setEventText(
      events[3]!,
      `{"outcome":"denied","details":{"attempt":1.0000000000000001,"channel":"\\u0061pi"},${text.slice(1)}`,
    );
    const report = await verify();
    expect(report.findings).toEqual([
      unreadable(events[3]!, ['event']),
      { kind: 'event-dropped', eventId: 'evt-00003', time: events[3]!.time, seq: 0, leafIndex: 3 },
    ]);
  });

  test('an event item moved out of its place is named unreadable, and the events after it are still compared', async () => {
    const moved: Record<string, unknown> = { ...(await item(events[3]!)), id: 'evt-99999' };
    await stage.documents.send(new PutCommand({ TableName: stage.table('audit'), Item: moved }));
    const report = await verify();
    expect(report.findings).toEqual([
      {
        kind: 'stored-item-unreadable',
        key: `${String(moved.pk)} / ${String(moved.sk)}`,
        // The id it now claims hashes to another shard: its partition is wrong too.
        issues: [expect.objectContaining({ path: 'sk' }), expect.objectContaining({ path: 'pk' })],
      },
      { kind: 'event-dropped', eventId: 'evt-00003', time: events[3]!.time, seq: 0, leafIndex: 3 },
    ]);
    expect(report.eventsChecked).toBe(11);
  });

  test('elicense audit verify --local reports each kind of tampering as JSON and exits 1, and 0 when clean', async () => {
    const args = [
      'audit',
      'verify',
      '--local',
      dataDir,
      '--from',
      FROM.toISOString(),
      '--to',
      TO.toISOString(),
    ];
    const clean = await run(cli, args);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, eventsChecked: 12 });

    await setEventText(events[0]!, canonicalText({ ...events[0]!, actor: { kind: 'system', id: 'forger' } }));
    await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit'), Key: key(events[11]!) }));
    await writer.record({ ...auditEvent(700), time: new Date(T0 + 4_200).toISOString() });

    const failure = await run(cli, args).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const report = JSON.parse(failure!.stdout) as AuditLogReport;
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'event-changed', eventId: 'evt-00000', seq: 0, leafIndex: 0 }),
        expect.objectContaining({ kind: 'event-dropped', eventId: 'evt-00011', seq: 2, leafIndex: 1 }),
        expect.objectContaining({ kind: 'event-inserted', eventId: 'evt-00700' }),
      ]),
    );
    expect(report.findings).toHaveLength(3);
  }, 60_000);
});

describe('removing a whole sealed batch', () => {
  async function batchItem(seq: number): Promise<Record<string, unknown>> {
    const { Items = [] } = await stage.documents.send(
      new ScanCommand({ TableName: stage.table('audit-seals'), ConsistentRead: true }),
    );
    return Items.find((i) => String(i.pk).startsWith('B#') && i.seq === seq)!;
  }

  /** Deletes a batch's item and the events it sealed; puts the item back after the test. */
  async function removeBatch(seq: number, sealed: AuditEvent[]): Promise<() => Promise<void>> {
    const removed = await batchItem(seq);
    expect(removed).toBeDefined();
    await stage.documents.send(
      new DeleteCommand({ TableName: stage.table('audit-seals'), Key: { pk: removed.pk, sk: removed.sk } }),
    );
    for (const event of sealed) {
      await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit'), Key: key(event) }));
    }
    return async () => {
      await stage.documents.send(new PutCommand({ TableName: stage.table('audit-seals'), Item: removed }));
    };
  }

  test('at the end of a range, with its events, is caught by the next checkpoint', async () => {
    const restore = await removeBatch(1, events.slice(5, 10));
    try {
      const to = new Date(Date.parse(events[9]!.time) + 1);
      const report = await verifyAuditLog(
        { from: FROM, to },
        {
          log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
          seals,
          logId: auditLogIdOf(stage.name),
          publicJwks,
        },
      );
      // The checkpoint after the range is seq 2, where seq 1 should follow the range's last batch.
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 1, expectedSeq: 1, foundSeq: 2 },
      ]);
    } finally {
      await restore();
    }
  });

  test('with its events, over a range no other batch touches, is caught from the batch before it', async () => {
    const restore = await removeBatch(1, events.slice(5, 10));
    try {
      const report = await verifyAuditLog(
        {
          from: new Date(Date.parse(events[4]!.time) + 500),
          to: new Date(Date.parse(events[9]!.time) + 500),
        },
        {
          log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
          seals,
          logId: auditLogIdOf(stage.name),
          publicJwks,
        },
      );
      expect(report).toMatchObject({ ok: false, eventsChecked: 0, batchesChecked: 0 });
      // Batch 0 (the anchor) is followed by seq 2, not seq 1.
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 0, expectedSeq: 1, foundSeq: 2 },
      ]);
    } finally {
      await restore();
    }
  });

  test('at the head of the chain, with its events, over a range no other batch touches, is caught by the head', async () => {
    const restore = await removeBatch(2, events.slice(10, 12));
    try {
      const report = await verifyAuditLog(
        { from: new Date(Date.parse(events[9]!.time) + 500), to: TO },
        {
          log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
          seals,
          logId: auditLogIdOf(stage.name),
          publicJwks,
        },
      );
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 0, expectedSeq: 2, foundSeq: 1 },
      ]);
    } finally {
      await restore();
    }
  });

  test('a seal head or batch item that does not read back is a finding, and the CLI exits 1', async () => {
    const { Items = [] } = await stage.documents.send(
      new ScanCommand({ TableName: stage.table('audit-seals'), ConsistentRead: true }),
    );
    const head = Items.find((i) => String(i.pk).startsWith('H#'))!;
    const batch = await batchItem(1);
    const put = (Item: Record<string, unknown>) =>
      stage.documents.send(new PutCommand({ TableName: stage.table('audit-seals'), Item }));
    try {
      await put({ ...batch, firstEvent: 'none' });
      expect((await verify()).findings).toEqual([
        expect.objectContaining({ kind: 'stored-item-unreadable', key: `${batch.pk} / ${batch.sk}` }),
      ]);
      await put(batch);
      await put({ ...head, version: 'x' });
      const args = [
        'audit',
        'verify',
        '--local',
        dataDir,
        '--from',
        FROM.toISOString(),
        '--to',
        TO.toISOString(),
      ];
      const failure = await run(cli, args).then(
        () => undefined,
        (error: { code: number; stdout: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(JSON.parse(failure!.stdout)).toMatchObject({
        ok: false,
        findings: [{ kind: 'stored-item-unreadable', key: `${head.pk} / ${head.sk}` }],
      });
    } finally {
      await put(batch);
      await put(head);
    }
  }, 60_000);

  test('at the head of the chain, with its events, is caught by the head', async () => {
    const restore = await removeBatch(2, events.slice(10, 12));
    try {
      const report = await verify();
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 2, expectedSeq: 2, foundSeq: 1 },
      ]);
    } finally {
      await restore();
    }
  });

  test('at the head of the chain, with its events and the head moved back, is found by the sealer’s look past the head', async () => {
    const { Items = [] } = await stage.documents.send(
      new ScanCommand({ TableName: stage.table('audit-seals'), ConsistentRead: true }),
    );
    const head = Items.find((i) => String(i.pk).startsWith('H#'))!;
    const before = await batchItem(1);
    const restore = await removeBatch(2, events.slice(10, 12));
    const put = (Item: Record<string, unknown>) =>
      stage.documents.send(new PutCommand({ TableName: stage.table('audit-seals'), Item }));
    const sealerCheck = () =>
      judgeArchivedBeyondHead({
        log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
        seals,
        logId: auditLogIdOf(stage.name),
        publicJwks,
      });
    try {
      expect(await sealerCheck()).toEqual({ beyondHead: 0, checked: 0, findings: [] });
      // The head set back to batch 1, as the sealer would have left it: the tables agree.
      await put({
        ...head,
        seq: 1,
        checkpoint: before.checkpoint,
        lastEvent: before.lastEvent,
        through: (before.lastEvent as { time: string }).time,
      });
      expect((await verify()).findings.map((f) => f.kind)).toEqual(['archived-checkpoint-beyond-head']);

      const judged = await sealerCheck();

      expect(judged).toMatchObject({ beyondHead: 1, checked: 1 });
      expect(judged.findings).toEqual(
        events.slice(10, 12).map((event) => ({
          kind: 'archived-event-missing',
          seq: 2,
          checkpointHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          eventId: event.id,
          time: event.time,
        })),
      );
    } finally {
      await put(head);
      await restore();
    }
  });
});
