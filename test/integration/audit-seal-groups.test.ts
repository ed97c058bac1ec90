// The audit log sealed as several chains (seal groups) over DynamoDB Local and moto's S3: each
// group's sealer reads only its group's shards and extends only its own chain, side by side;
// the chains together seal every event once; verifyAuditLogGroups — and `elicense audit
// verify`, which finds the layout a stage has — judges each chain by itself and names the chain
// of every finding.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPartitionKey } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { type AuditSealGroup, auditSealGroups } from '#adapters/aws/audit-seal-groups.ts';
import { DynamoAuditSealStore } from '#adapters/aws/audit-seal-store.ts';
import { localBucketName } from '#adapters/aws/buckets.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import {
  type AuditSealing,
  AuditSealLayoutChanged,
  sealAuditLog,
  sealedLayoutsBesides,
} from '#app/seal-audit-log.ts';
import { verifyAuditLogGroups } from '#app/verify-audit-log.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { PublicJwk } from '#core/jws.ts';
import { runCli } from '../../bin/cli.ts';
import { auditEvent } from '../unit/audit/fixtures.ts';
import { provisionStoreStage, type StoreStage } from './stores/stage.ts';

const T0 = Date.parse('2025-03-01T08:00:00.000Z');
const FROM = new Date(T0 - 60_000);
const TO = new Date(T0 + 3_600_000);
const GROUPS = 4;

let stage: StoreStage;
let dataDir: string;
let s3: S3Client;
let vault: LocalKeyVault;
let publicJwks: PublicJwk[];
let groups: AuditSealGroup[];

// 40 events an hour apart from none: one hour bucket, spread over the 32 shards by their ids.
const events: AuditEvent[] = Array.from({ length: 40 }, (_, n) => auditEvent(n));
const shardOf = (event: AuditEvent) => Number(auditPartitionKey(event.time, event.id).slice(-2));
const groupOf = (event: AuditEvent) => shardOf(event) % GROUPS;

function chain(group: AuditSealGroup) {
  return {
    logId: group.logId,
    log: new DynamoAuditLogReader(stage.documents, stage.table('audit'), { shards: group.shards }),
    seals: new DynamoAuditSealStore({
      documents: stage.documents,
      table: stage.table('audit-seals'),
      logId: group.logId,
      archive: { s3, bucket: localBucketName(stage.name, { name: 'audit-archive' }) },
    }),
  };
}

/** A sealer run of one group at TO (or as `overrides` say), reading from FROM. */
function seal(group: AuditSealGroup, overrides: Partial<Pick<AuditSealing, 'now' | 'origin'>> = {}) {
  return sealAuditLog({
    ...chain(group),
    keys: vault,
    now: () => TO,
    settleSeconds: 60,
    batchSize: 4,
    maxBatchSize: 8,
    runSeconds: 40,
    maxBatchesPerRun: 100,
    origin: () => FROM,
    ...overrides,
  });
}

const verify = () => verifyAuditLogGroups({ from: FROM, to: TO }, { chains: groups.map(chain), publicJwks });

beforeAll(async () => {
  stage = await provisionStoreStage('it-seal-groups');
  dataDir = await mkdtemp(join(tmpdir(), 'elicense-seal-groups-'));
  s3 = new S3Client({ forcePathStyle: true });
  vault = await LocalKeyVault.open({ dir: join(dataDir, 'keys') });
  publicJwks = [(await vault.platformKey()).publicJwk];
  groups = auditSealGroups(stage.name, GROUPS);
  const writer = new DynamoAuditLogWriter(stage.documents, stage.table('audit'));
  for (const event of events) await writer.record(event);
  // Every group has events, so every chain below has batches to judge.
  expect(new Set(events.map(groupOf)).size).toBe(GROUPS);
});

afterAll(async () => {
  s3.destroy();
  await stage.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

describe('an audit log sealed as four chains', () => {
  test('each group seals its own shards into its own chain, side by side, and together they seal every event once', async () => {
    const runs = await Promise.all(groups.map((group) => seal(group)));
    const sealedIds: string[][] = [];
    for (const [index, run] of runs.entries()) {
      expect(run.stopped).toBe('caught-up');
      const mine = events.filter((e) => groupOf(e) === index);
      expect(run.batches.reduce((n, b) => n + b.events, 0)).toBe(mine.length);
      const { batches } = await chain(groups[index]!).seals.batchesCovering({ from: FROM, to: TO });
      const ids = batches.flatMap((b) => b.manifest.map((leaf) => leaf.id));
      expect(ids).toEqual(mine.map((e) => e.id));
      sealedIds.push(ids);
    }
    expect(sealedIds.flat().sort()).toEqual(events.map((e) => e.id).sort());

    const report = await verify();
    expect(report).toMatchObject({
      ok: true,
      sealGroups: 4,
      eventsChecked: 40,
      pendingEvents: 0,
      findings: [],
    });
    expect(report.chains.map((c) => c.logId)).toEqual(groups.map((g) => g.logId));
    expect(report.chains.map((c) => c.eventsChecked)).toEqual(
      groups.map((g) => events.filter((e) => groupOf(e) === g.index).length),
    );
  });

  test('an event deleted from one group is found in that group’s chain, the others intact', async () => {
    const victim = events.find((e) => groupOf(e) === 1)!;
    const key = { pk: auditPartitionKey(victim.time, victim.id), sk: `${victim.time}#${victim.id}` };
    const { Item } = await stage.documents.send(
      new GetCommand({ TableName: stage.table('audit'), Key: key }),
    );
    await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit'), Key: key }));
    try {
      const report = await verify();
      expect(report.ok).toBe(false);
      expect(report.findings).toEqual([
        expect.objectContaining({ kind: 'event-dropped', eventId: victim.id, logId: groups[1]!.logId }),
      ]);
      expect(report.chains.map((c) => c.findings)).toEqual([0, 1, 0, 0]);
    } finally {
      await stage.documents.send(new PutCommand({ TableName: stage.table('audit'), Item: Item! }));
    }
  });

  test('an event moved into another group’s partition is dropped from its chain and unreadable in the other', async () => {
    const victim = events.find((e) => groupOf(e) === 0)!;
    const key = { pk: auditPartitionKey(victim.time, victim.id), sk: `${victim.time}#${victim.id}` };
    const { Item } = await stage.documents.send(
      new GetCommand({ TableName: stage.table('audit'), Key: key }),
    );
    const elsewhere = `${String(Item!.pk).slice(0, -2)}${String(groups[2]!.shards[0]).padStart(2, '0')}`;
    await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit'), Key: key }));
    await stage.documents.send(
      new PutCommand({ TableName: stage.table('audit'), Item: { ...Item!, pk: elsewhere } }),
    );
    try {
      const report = await verify();
      expect(report.findings).toEqual([
        expect.objectContaining({ kind: 'event-dropped', eventId: victim.id, logId: groups[0]!.logId }),
        expect.objectContaining({
          kind: 'stored-item-unreadable',
          logId: groups[2]!.logId,
          issues: [{ path: 'pk', message: `expected ${key.pk}, found ${elsewhere}` }],
        }),
      ]);
    } finally {
      await stage.documents.send(
        new DeleteCommand({ TableName: stage.table('audit'), Key: { pk: elsewhere, sk: key.sk } }),
      );
      await stage.documents.send(new PutCommand({ TableName: stage.table('audit'), Item: Item! }));
    }
  });

  test('elicense audit verify finds the four chains the stage has, through the archive too, and refuses a count not offered', async () => {
    const jwks = join(dataDir, 'jwks.json');
    await writeFile(jwks, JSON.stringify({ keys: publicJwks }));
    const args = [
      'audit',
      'verify',
      '--stage',
      stage.name,
      '--jwks',
      jwks,
      '--archive-bucket',
      localBucketName(stage.name, { name: 'audit-archive' }),
      '--from',
      FROM.toISOString(),
      '--to',
      TO.toISOString(),
    ];
    let out = '';
    let err = '';
    const io = {
      out: (s: string) => {
        out += s;
      },
      err: (s: string) => {
        err += s;
      },
    };
    expect(await runCli(args, io), err).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, sealGroups: 4, eventsChecked: 40 });

    // Read as one chain the log would have none sealed, every event pending and ok: a count the
    // stage has no chains of is refused, naming the ones it has.
    err = '';
    expect(await runCli([...args, '--seal-groups', '1'], io)).toBe(2);
    expect(err).toContain('the stage has no chains of 1 seal groups; it has chains of 4 seal groups');

    err = '';
    expect(await runCli([...args, '--seal-groups', '3'], io)).toBe(2);
    expect(err).toContain('expected one of 1, 2, 4, 8, 16, 32');

    // Every chain head deleted from the table: the write-once archive still names the four
    // chains, so the verifier reads them — and finds their heads gone — rather than reading one
    // chain that never was and calling every event pending.
    const heads = await Promise.all(
      groups.map(async ({ logId }) => {
        const key = { pk: `H#${logId}`, sk: 'HEAD' };
        const { Item } = await stage.documents.send(
          new GetCommand({ TableName: stage.table('audit-seals'), Key: key }),
        );
        await stage.documents.send(new DeleteCommand({ TableName: stage.table('audit-seals'), Key: key }));
        return Item!;
      }),
    );
    try {
      out = '';
      expect(await runCli(args, io)).toBe(1);
      const report = JSON.parse(out) as { sealGroups: number; findings: { kind: string; logId: string }[] };
      expect(report.sealGroups).toBe(4);
      expect(new Set(report.findings.map((f) => f.logId))).toEqual(new Set(groups.map((g) => g.logId)));
      expect(report.findings.map((f) => f.kind)).toContain('archived-checkpoint-beyond-head');
    } finally {
      for (const Item of heads) {
        await stage.documents.send(new PutCommand({ TableName: stage.table('audit-seals'), Item }));
      }
    }

    // The stage's count changed to two: the new chains' first runs refuse to start beside the
    // four, sealing nothing.
    const two = auditSealGroups(stage.name, 2);
    for (const group of two) {
      await expect(
        seal(group, {
          now: () => new Date(TO.getTime() + 120_000),
          origin: async () => {
            const sealed = await sealedLayoutsBesides([
              { count: 4, chains: groups.map((g) => chain(g).seals) },
            ]);
            if (sealed.length > 0) throw new AuditSealLayoutChanged(2, sealed);
            return FROM;
          },
        }),
      ).rejects.toThrow(
        "a stage's seal-group count is fixed once it has sealed; set auditSealGroups back to 4",
      );
      const { seals } = chain(group);
      expect((await seals.readHead()).through).toBeNull();
    }

    // Chains of two layouts (a stage sealed by code from before that refusal): the verifier asks
    // which to read rather than picking one.
    const strayRun = await seal(two[0]!);
    expect(strayRun.batches.length).toBeGreaterThan(0);
    err = '';
    expect(await runCli(args, io)).toBe(2);
    expect(err).toContain('the stage has chains of 2 and 4 seal groups');
    out = '';
    expect(await runCli([...args, '--seal-groups', '4'], io)).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, sealGroups: 4, eventsChecked: 40 });
  }, 60_000);
});
