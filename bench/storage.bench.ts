// The license repository on DynamoDB Local (started here, stopped at the end): issuance
// throughput through the repository against raw TransactWriteItems of the same items at the
// same concurrency, and the capacity units DynamoDB reports per issuance and per retrieval.
//
// Both sides write the same five items per issuance (license, holder index entry, status slot,
// issuer listing entry, audit event) with the same conditions; the raw side has them built
// before the clock starts, so the ratio is what the repository adds: slot allocation (a block
// claim per 256 issues), validation, audit canonicalisation, routing. Rounds alternate raw and
// repository so that DynamoDB Local slowing as its tables grow weighs on both alike.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { auditItem } from '#adapters/aws/audit-items.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import {
  describeNewLicense,
  holderItem,
  listingItem,
  newLicenseItem,
  slotItem,
} from '#adapters/aws/license-items.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import type { CapacityMeter, TransactItem } from '#adapters/aws/transact-write.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { DEMO_LICENSE_TYPES, DEMO_LICENSES } from '#dev/demo/catalog.ts';
import { startLocalServices } from '#dev/emulators/index.ts';
import { provisionStage } from '#dev/provision.ts';
import type { NewLicense } from '#ports/license-repository.ts';
import type { Figure } from './run.ts';

const CONCURRENCY = 16;
const WARMUP = 200;
const PER_ROUND = 800;
const ROUNDS = 2;
const RETRIEVALS = 500;
const SHARDS = { person: 4, 'legal-entity': 2 } as const;

// What an issued license stores besides its keys, at realistic sizes: the issuer-signed JWT of
// the SD-JWT VC (digests only, ~12 claims), the sensitive fields and disclosures sealed in one
// AWS Encryption SDK message (field-cipher.ts measures ~550 bytes for 5 fields; disclosures
// double it), base64url; the layout document reference and the validity period.
const CONTENT = {
  signedJwt: 'e'.repeat(900),
  sealed: 's'.repeat(1_400),
  document: { key: `documents/${'k'.repeat(43)}`, sha256: 'd'.repeat(43), mediaType: 'application/pdf' },
  validity: { from: '2025-03-01', until: '2045-03-01' },
};

class SummingMeter implements CapacityMeter {
  read = 0;
  write = 0;
  record(kind: 'read' | 'write', units: number): void {
    this[kind] += units;
  }
  reset(): void {
    this.read = 0;
    this.write = 0;
  }
}

const card = DEMO_LICENSES[0]!;
const domains = new Map(DEMO_LICENSE_TYPES.map((t) => [t.code, t.dataDomain]));
let serial = 0;

function nextLicenseId(): string {
  serial += 1;
  return buildLicenseId({
    typeCode: card.typeCode,
    issuerCode: card.issuer,
    serial: `B${process.pid}X${serial}`,
    version: '001',
  });
}

function eventFor(licenseId: string): AuditEvent {
  return {
    id: `evt-${randomUUID()}`,
    time: new Date().toISOString(),
    actor: { kind: 'agency', id: card.issuer },
    action: 'license.issued',
    subject: { licenseId, typeCode: card.typeCode, licenseVersion: '001' },
    outcome: 'success',
  };
}

/** Runs `count` tasks on `CONCURRENCY` workers; returns issues per second. */
async function throughput(count: number, task: (n: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < count; n = next++) await task(n);
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function run(): Promise<Record<string, Figure>> {
  const services = await startLocalServices({ services: ['dynamodb'], mode: 'test' });
  const saved = Object.fromEntries(Object.keys(services.env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, services.env);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    const env = await provisionStage({
      stage: `bench-${randomUUID().slice(0, 8)}`,
      shardsPerDomain: { ...SHARDS },
      env: process.env as Record<string, string>,
      buckets: false,
    });
    const tables = stageTablesFromEnvironment(env, SHARDS);
    const meter = new SummingMeter();
    const statusLists = new DynamoDbStatusListStore({
      client: documents,
      table: tables.statusLists,
      sealer: unprotectedSecrets,
      meter,
    });
    const repository = new DynamoDbLicenseRepository({
      client: documents,
      tables,
      shards: SHARDS,
      domainOf: (code) => domains.get(code) ?? 'person',
      meter,
    });
    const holderIndex = 'h'.repeat(43);

    async function newLicense(): Promise<NewLicense> {
      const id = nextLicenseId();
      return {
        id,
        holderIndex,
        statusSlot: await statusLists.allocateSlot(card.issuer, card.typeCode, licenseKeyOf(id)),
        issuedAt: new Date().toISOString(),
        content: CONTENT,
      };
    }
    const issued: string[] = [];
    const issueOne = async (): Promise<void> => {
      const license = await newLicense();
      await repository.issue(license, eventFor(license.id));
      issued.push(license.id);
    };

    // Raw: the same five items and conditions, built beforehand (slots from a separate list range).
    let rawIndex = 0;
    function rawTransaction(): TransactItem[] {
      const id = nextLicenseId();
      const license: NewLicense = {
        id,
        holderIndex,
        statusSlot: { listId: 'raw-bench-list', index: rawIndex++ },
        issuedAt: new Date().toISOString(),
        content: CONTENT,
      };
      const parts = describeNewLicense(license);
      const table = tables.license('person', 0);
      const condition = 'attribute_not_exists(pk)';
      return [
        {
          Put: {
            TableName: table,
            Item: newLicenseItem(license, 'person', parts),
            ConditionExpression: condition,
          },
        },
        { Put: { TableName: tables.holderIndex, Item: holderItem(license, 'person', parts) } },
        {
          Put: {
            TableName: tables.statusLists,
            Item: slotItem(license.statusSlot, id, 0),
            ConditionExpression: condition,
          },
        },
        { Put: { TableName: tables.issuerListing, Item: listingItem(license, parts, 8) } },
        { Put: { TableName: tables.audit, Item: auditItem(eventFor(id)), ConditionExpression: condition } },
      ];
    }
    const rawOne = (prepared: TransactItem[][]) => async (n: number) => {
      await documents.send(new TransactWriteCommand({ TransactItems: prepared[n]! }));
    };

    // Warm-up: JIT, connections, table creation effects, the first block claims.
    await throughput(WARMUP, issueOne);
    const warm = Array.from({ length: WARMUP }, rawTransaction);
    await throughput(WARMUP, rawOne(warm));

    const raw: number[] = [];
    const repo: number[] = [];
    meter.reset();
    let repositoryIssues = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const prepared = Array.from({ length: PER_ROUND }, rawTransaction);
      raw.push(await throughput(PER_ROUND, rawOne(prepared)));
      repo.push(await throughput(PER_ROUND, issueOne));
      repositoryIssues += PER_ROUND;
    }
    const wcuPerIssuance = meter.write / repositoryIssues;
    const rcuPerIssuance = meter.read / repositoryIssues;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

    // Retrieval as the use case writes it: read the license version (consistent), then count the
    // grant use with its audit event on condition that the version read is still the license's
    // (a ConditionCheck on the license item, billed as a write of its size).
    await documents.send(
      new PutCommand({
        TableName: tables.grants,
        Item: {
          pk: 'G#bench',
          sk: 'GRANT',
          uses: 0,
          maxUses: 1_000_000,
          status: 'active',
          expiresAt: '2099-01-01T00:00:00.000Z',
          version: 1,
        },
      }),
    );
    meter.reset();
    for (let n = 0; n < RETRIEVALS; n += 1) {
      const id = issued[n]!;
      const record = await repository.get(id);
      if (record === undefined) throw new Error(`issued license ${id} not found`);
      await repository.recordGrantUse(
        'bench',
        new Date().toISOString(),
        { ...eventFor(id), action: 'license.retrieved', subject: { licenseId: id, grantId: 'bench' } },
        { licenseId: id, version: record.version },
      );
    }
    const rcuPerRetrieval = meter.read / RETRIEVALS;
    const wcuPerRetrieval = meter.write / RETRIEVALS;

    return {
      issuance_ratio_to_raw_transact: {
        value: mean(repo) / mean(raw),
        unit: `repository ÷ raw TransactWriteItems (5 items, concurrency ${CONCURRENCY}, DynamoDB Local)`,
        target: '≥ 0.7',
      },
      issuance_per_s_repository_local: { value: mean(repo), unit: 'issues/s (DynamoDB Local)' },
      issuance_per_s_raw_transact_local: { value: mean(raw), unit: 'transactions/s (DynamoDB Local)' },
      ddb_wcu_per_issuance: { value: wcuPerIssuance, unit: 'WCU (transactional, incl. block claims)' },
      ddb_rcu_per_issuance: { value: rcuPerIssuance, unit: 'RCU (list opening, amortised)' },
      ddb_rcu_per_retrieval: { value: rcuPerRetrieval, unit: 'RCU (consistent GetItem)' },
      ddb_wcu_per_retrieval: {
        value: wcuPerRetrieval,
        unit: 'WCU (grant use + audit event + license version check, transactional)',
      },
    };
  } finally {
    documents.destroy();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await services.stop();
  }
}
