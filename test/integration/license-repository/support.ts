// A stage of tables on the suite's DynamoDB, the repository and status-list store over it, and
// the demo licenses as NewLicense inputs — shared by the license repository's test files.

import { createHmac, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { type StageTables, stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import { allTables, tableEnvVar } from '#adapters/aws/tables.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { type Actor, reinstate, suspend } from '#core/lifecycle.ts';
import { DEMO_LICENSE_TYPES, DEMO_LICENSES, type DemoLicense } from '#dev/demo/catalog.ts';
import { provisionStage } from '#dev/provision.ts';
import type { NewLicense } from '#ports/license-repository.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

export const SHARDS = { person: 2, 'legal-entity': 2 } as const;
export const LISTING_SUBKEYS = 4;

const domains = new Map(DEMO_LICENSE_TYPES.map((t) => [t.code, t.dataDomain]));
export const domainOf = (typeCode: string): string => {
  const domain = domains.get(typeCode);
  if (domain === undefined) throw new Error(`no demo license type ${typeCode}`);
  return domain;
};

export interface Stage {
  documents: DynamoDBDocumentClient;
  tables: StageTables;
  physicalNames: string[];
  /** The physical name of any of the stage's tables, by its logical name (`applications`). */
  table(logical: string): string;
  repository: DynamoDbLicenseRepository;
  statusLists: DynamoDbStatusListStore;
}

/** Provisions a fresh stage (unique name, so a shared endpoint never meets an earlier run's items). */
export async function provisionTestStage(
  name: string,
  storeOptions: Partial<ConstructorParameters<typeof DynamoDbStatusListStore>[0]> = {},
): Promise<Stage> {
  useSuiteAwsEnv();
  const stage = `${name}-${randomUUID().slice(0, 8)}`;
  const env = await provisionStage({
    stage,
    shardsPerDomain: { ...SHARDS },
    env: process.env as Record<string, string>,
    buckets: false,
  });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const tables = stageTablesFromEnvironment(env, SHARDS);
  const physicalNames = allTables(SHARDS).map((t) => env[tableEnvVar(t)]!);
  return {
    documents,
    tables,
    physicalNames,
    table(logical) {
      const name = env[tableEnvVar({ name: logical })];
      if (name === undefined) throw new Error(`the test stage has no table ${logical}`);
      return name;
    },
    repository: new DynamoDbLicenseRepository({
      client: documents,
      tables,
      shards: SHARDS,
      domainOf,
      issuerListingSubKeys: LISTING_SUBKEYS,
    }),
    statusLists: new DynamoDbStatusListStore({
      client: documents,
      table: tables.statusLists,
      sealer: unprotectedSecrets,
      listSize: 4096,
      blockSize: 16,
      listsPerIssuerType: 2,
      ...storeOptions,
    }),
  };
}

/** Every item of every table of the stage, by table, in a stable order: "nothing written" compares two of these. */
export async function snapshot(stage: Stage): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const table of stage.physicalNames) {
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await stage.documents.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) items.push(JSON.stringify(item, Object.keys(item).sort()));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    result[table] = items.sort();
  }
  return result;
}

export async function rawItem(
  stage: Stage,
  table: string,
  pk: string,
  sk: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await stage.documents.send(
    new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }),
  );
  return Item;
}

/** A blind index as the platform computes it: HMAC-SHA256 of code type and code (test key). */
export function blindIndexOf(codeType: string, code: string): string {
  return createHmac('sha256', 'integration-test-blind-index-key')
    .update(`${codeType}:${code}`)
    .digest('base64url');
}

export function idOf(demo: DemoLicense, version = '001', serial = demo.serial): string {
  return buildLicenseId({ typeCode: demo.typeCode, issuerCode: demo.issuer, serial, version });
}

/** A NewLicense for a demo license (optionally another serial or version), with a freshly drawn slot. */
export async function newDemoLicense(
  stage: Stage,
  demo: DemoLicense = DEMO_LICENSES[0]!,
  options: { serial?: string; version?: string; issuedAt?: string } = {},
): Promise<NewLicense> {
  const id = idOf(demo, options.version ?? '001', options.serial ?? demo.serial);
  return {
    id,
    holderIndex: blindIndexOf(demo.holder.codeType, demo.holder.code),
    statusSlot: await stage.statusLists.allocateSlot(demo.issuer, demo.typeCode, licenseKeyOf(id)),
    issuedAt: options.issuedAt ?? new Date().toISOString(),
    content: { fields: { 姓名: 'enc:v1:…' }, sdJwt: 'eyJ…~', validity: demo.data.有效期限 ?? null },
  };
}

let eventCounter = 0;

/** An audit event about a license (or a grant), unique per call. */
export function auditEventFor(
  action: string,
  subject: { licenseId?: string; grantId?: string },
  time = new Date().toISOString(),
): AuditEvent {
  eventCounter += 1;
  return {
    id: `evt-${randomUUID()}-${eventCounter}`,
    time,
    actor: { kind: 'agency', id: '11330100D0000011XM' },
    action,
    subject,
    outcome: 'success',
  };
}

/**
 * Suspends and reinstates the license in turn, `times` changes, each written as the use case
 * writes it: against the version and history just read. `reasonOf(n)` gives the n-th reason.
 */
export async function toggleStatus(
  stage: Stage,
  licenseId: string,
  times: number,
  options: { actor: Actor; reasonOf: (n: number) => string; at?: string },
): Promise<void> {
  for (let n = 0; n < times; n += 1) {
    const read = (await stage.repository.get(licenseId))!;
    const input = {
      actor: options.actor,
      at: options.at ?? new Date().toISOString(),
      reason: options.reasonOf(n),
    };
    await stage.repository.changeStatus({
      licenseId,
      expectedVersion: read.version,
      history: read.history,
      change: read.status === 'valid' ? suspend(read.status, input) : reinstate(read.status, input),
      statusSlot: read.statusSlot,
      auditEvent: auditEventFor('license.suspended', { licenseId }),
    });
  }
}
