// The audit seal store over the wire (DynamoDB Local, moto S3): sealed batches are archived and
// indexed, read back by time range with their anchor, and two sealers racing on one head never
// fork the chain.

import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { auditLogIdOf } from '#adapters/aws/audit-seal-groups.ts';
import { DynamoAuditSealStore } from '#adapters/aws/audit-seal-store.ts';
import { localBucketName } from '#adapters/aws/buckets.ts';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { type AuditSealing, sealAuditLog } from '#app/seal-audit-log.ts';
import { canonicalEventBytes } from '#core/audit/canonical.ts';
import { checkpointHash, verifyCheckpoint } from '#core/audit/checkpoint.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { verifyAuditRange } from '#core/audit/verify-range.ts';
import { type AuditSealStore, SealChainMoved, type SealHead } from '#ports/audit-seal-store.ts';
import { auditEvent } from '../../unit/audit/fixtures.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

const signer = new SoftwareEs256Signer('platform-it');
const T0 = Date.parse('2025-03-01T08:00:00.000Z');

let stage: StoreStage;
let s3: S3Client;
let bucket: string;

function storeFor(logId: string): DynamoAuditSealStore {
  return new DynamoAuditSealStore({
    documents: stage.documents,
    table: stage.table('audit-seals'),
    logId,
    archive: { s3, bucket },
  });
}

function sealing(seals: AuditSealStore, logId: string): AuditSealing {
  return {
    log: new DynamoAuditLogReader(stage.documents, stage.table('audit')),
    seals,
    keys: { platformKey: async () => ({ keyRef: 'local:platform', signer, publicJwk: signer.publicJwk }) },
    logId,
    now: () => new Date(T0 + 3_600_000),
    settleSeconds: 60,
    batchSize: 4,
    maxBatchSize: 4,
    runSeconds: 40,
    maxBatchesPerRun: 10,
    origin: () => new Date(T0 - 60_000),
  };
}

async function text(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

const events: AuditEvent[] = Array.from({ length: 10 }, (_, n) => auditEvent(n));

beforeAll(async () => {
  stage = await provisionStoreStage('it-seal');
  s3 = new S3Client({ forcePathStyle: true });
  bucket = localBucketName(stage.name, { name: 'audit-archive' });
  const writer = new DynamoAuditLogWriter(stage.documents, stage.table('audit'));
  for (const event of events) await writer.record(event);
});

afterAll(async () => {
  s3.destroy();
  await stage.dispose();
});

describe('DynamoAuditSealStore', () => {
  test('archives each batch write-once and reads batches of a time range back with their anchor', async () => {
    const logId = 'it-log-range';
    const seals = storeFor(logId);
    const run = await sealAuditLog(sealing(seals, logId));
    expect(run.batches.map((b) => [b.seq, b.events])).toEqual([
      [0, 4],
      [1, 4],
      [2, 2],
    ]);

    const head = await seals.readHead();
    expect(head).toMatchObject({ version: 3, seq: 2, lastEvent: { id: 'evt-00009', time: events[9]!.time } });

    // Events 5–6 lie in batch 1: it comes back whole, anchored on batch 0's checkpoint.
    const range = await seals.batchesCovering({
      from: new Date(events[5]!.time),
      to: new Date(events[7]!.time),
    });
    expect(range.batches.map((b) => b.seq)).toEqual([1]);
    expect(range.batches[0]!.manifest.map((l) => l.id)).toEqual([
      'evt-00004',
      'evt-00005',
      'evt-00006',
      'evt-00007',
    ]);
    const all = await seals.batchesCovering({ from: new Date(T0), to: new Date(T0 + 3_600_000) });
    expect(range.anchor).toBe(all.batches[0]!.checkpoint);
    expect(all.anchor).toBeNull();
    expect(
      verifyAuditRange({
        logId,
        events: events.slice(4, 8),
        batches: range.batches,
        publicJwks: [signer.publicJwk],
        anchor: range.anchor,
      }).ok,
    ).toBe(true);

    // The archive: checkpoint, manifest and the events' RFC 8785 bytes under the checkpoint's hash.
    const first = all.batches[0]!;
    const prefix = `${logId}/000000000000/${checkpointHash(first.checkpoint)}`;
    expect(await text(`${prefix}/checkpoint.jws`)).toBe(first.checkpoint);
    expect(JSON.parse(await text(`${prefix}/manifest.json`))).toEqual(first.manifest);
    const decoder = new TextDecoder();
    expect(await text(`${prefix}/events.jsonl`)).toBe(
      `${events
        .slice(0, 4)
        .map((e) => decoder.decode(canonicalEventBytes(e)))
        .join('\n')}\n`,
    );
  });

  test('anchors a range on the batch item before its first, whatever that first item’s seq copy says', async () => {
    const logId = 'it-log-seq-copy';
    const seals = storeFor(logId);
    await sealAuditLog(sealing(seals, logId));
    const { Items = [] } = await stage.documents.send(
      new QueryCommand({
        TableName: stage.table('audit-seals'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `B#${logId}` },
      }),
    );
    const [zero, one] = Items;
    // The item's seq is not signed: batch 1 claiming to be the chain's first must not drop the
    // anchor that shows the chain goes on from batch 0.
    await stage.documents.send(
      new PutCommand({ TableName: stage.table('audit-seals'), Item: { ...one, seq: 0 } }),
    );
    const range = await seals.batchesCovering({
      from: new Date(events[5]!.time),
      to: new Date(events[7]!.time),
    });
    expect(range.batches.map((b) => b.checkpoint)).toEqual([one!.checkpoint]);
    expect(range.anchor).toBe(zero!.checkpoint);
  });

  test('refuses an append over a head that moved, writing nothing to the chain', async () => {
    const logId = 'it-log-stale';
    const seals = storeFor(logId);
    const stale: SealHead = await seals.readHead();
    await seals.append({ expected: stale, through: events[0]!.time });
    await expect(seals.append({ expected: stale, through: events[1]!.time })).rejects.toBeInstanceOf(
      SealChainMoved,
    );
    expect(await seals.readHead()).toMatchObject({ version: 1, through: events[0]!.time });
  });

  test('two sealers that read the same head never fork the chain: one appends, the other gets SealChainMoved', async () => {
    const logId = 'it-log-race';
    const real = storeFor(logId);
    // Both sealers read the head before either appends.
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((done) => {
      release = done;
    });
    const racing: AuditSealStore = {
      async readHead() {
        const head = await real.readHead();
        arrived += 1;
        if (arrived === 2) release();
        await bothRead;
        return head;
      },
      append: (input) => real.append(input),
      batchesCovering: (range) => real.batchesCovering(range),
      archivedCheckpointsBetween: (fromSeq, toSeq, options) =>
        real.archivedCheckpointsBetween(fromSeq, toSeq, options),
      archivedCheckpoint: (seq, hash) => real.archivedCheckpoint(seq, hash),
      archivedManifest: (seq, hash) => real.archivedManifest(seq, hash),
    };

    const outcomes = await Promise.allSettled([
      sealAuditLog(sealing(racing, logId)),
      sealAuditLog(sealing(racing, logId)),
    ]);

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((o) => (o as PromiseRejectedResult).reason)).toEqual([expect.any(SealChainMoved)]);

    // One chain: seq 0, 1, 2, each linked to the one before, covering every event once.
    const { Items = [] } = await stage.documents.send(
      new QueryCommand({
        TableName: stage.table('audit-seals'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `B#${logId}` },
      }),
    );
    expect(Items.map((i) => i.seq)).toEqual([0, 1, 2]);
    const covering = await real.batchesCovering({ from: new Date(T0), to: new Date(T0 + 3_600_000) });
    const report = verifyAuditRange({
      logId,
      events,
      batches: covering.batches,
      publicJwks: [signer.publicJwk],
      anchor: null,
    });
    expect(report).toMatchObject({ ok: true, eventsChecked: 10, batchesChecked: 3 });
    const bodies = covering.batches.map((b) => verifyCheckpoint(b.checkpoint, [signer.publicJwk]));
    expect(bodies.every((b) => b.ok)).toBe(true);

    // The loser's archived batch 0 is an orphan under its own hash; the table names the winner's.
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${logId}/000000000000/` }),
    );
    const hashes = new Set((listed.Contents ?? []).map((o) => o.Key!.split('/')[2]));
    expect(hashes.size).toBe(2);
    expect(hashes).toContain(checkpointHash(covering.batches[0]!.checkpoint));
    // The listing names both, by their checkpoint objects; nothing is archived past the head.
    expect(new Set((await real.archivedCheckpointsBetween(0, 0)).get(0))).toEqual(hashes);
    expect((await real.archivedCheckpointsBetween(3, 3)).get(3)).toBeUndefined();
    // One listing over a span of sequence numbers: the fork at 0, one batch at 1 and 2, none past.
    const between = await real.archivedCheckpointsBetween(0, 5);
    expect([...between.keys()]).toEqual([0, 1, 2]);
    expect(new Set(between.get(0))).toEqual(hashes);
    expect(between.get(2)).toEqual([checkpointHash(covering.batches[2]!.checkpoint)]);
    expect([...(await real.archivedCheckpointsBetween(1, 1)).keys()]).toEqual([1]);
    // Only the numbers archived more than once, when asked so.
    expect([...(await real.archivedCheckpointsBetween(0, 5, { forksOnly: true })).keys()]).toEqual([0]);
    // Each archived batch reads back by seq and hash, the loser's too, as it was sealed.
    for (const hash of hashes) {
      const checkpoint = await real.archivedCheckpoint(0, hash!);
      expect(checkpointHash(checkpoint!)).toBe(hash);
      expect(verifyCheckpoint(checkpoint!, [signer.publicJwk]).body?.seq).toBe(0);
      const manifest = await real.archivedManifest(0, hash!);
      expect(manifest.map((leaf) => leaf.id)).toEqual(covering.batches[0]!.manifest.map((l) => l.id));
    }
    expect(await real.archivedCheckpoint(1, [...hashes][0]!)).toBeUndefined();
    expect(await real.archivedManifest(1, [...hashes][0]!)).toEqual([]);
  });

  test('gives the head of a log never sealed as version 0 with nothing sealed', async () => {
    expect(await storeFor(auditLogIdOf('never')).readHead()).toEqual({
      version: 0,
      checkpoint: null,
      seq: null,
      lastEvent: null,
      through: null,
      started: null,
    });
  });

  test('keeps the first run’s through as the chain’s start, and gives a head written without one its through then', async () => {
    const logId = auditLogIdOf('started');
    const store = storeFor(logId);
    const first = await store.append({
      expected: await store.readHead(),
      through: '2025-03-01T08:00:00.000Z',
    });
    expect(first.started).toBe('2025-03-01T08:00:00.000Z');
    await store.append({ expected: first, through: '2025-03-01T08:01:00.000Z' });
    expect(await store.readHead()).toMatchObject({
      through: '2025-03-01T08:01:00.000Z',
      started: '2025-03-01T08:00:00.000Z',
    });

    // A head as written before `started` was kept: its next append takes its through then.
    const old = { pk: `H#${logId}-old`, sk: 'HEAD', version: 3, through: '2025-03-01T07:00:00.000Z' };
    await stage.documents.send(new PutCommand({ TableName: stage.table('audit-seals'), Item: old }));
    const oldStore = storeFor(`${logId}-old`);
    const read = await oldStore.readHead();
    expect(read.started).toBeNull();
    await oldStore.append({ expected: read, through: '2025-03-01T07:01:00.000Z' });
    expect((await oldStore.readHead()).started).toBe('2025-03-01T07:00:00.000Z');
  });
});
