// Issuing and verifying through the API, end to end: the local platform (started here, in this process, on
// DynamoDB Local and the S3 server, as `npm start` runs it) answering POST /licenses from 16
// concurrent SDK clients — signed requests, Idempotency-Key, validation, seal signature, sealed
// content, one transaction — against a plain loop of the same DynamoDB calls at the same
// concurrency on the same DynamoDB Local.
//
// The storage loop makes, per issue, what one API issue makes: the API-key read and the nonce
// claim of request authentication, the idempotency record's conditional put and its completion,
// the type and agency reads, a status-list slot (a block claim per 256), and the repository's
// issue transaction (license, holder index, slot, issuer listing, audit event). The ratio is what
// HTTP, signature checks, JSON, validation, SD-JWT signing and field encryption cost on top.
//
// Client and server share this one process (and core): the figures are a floor for the server.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { shardsFromTableBindings } from '#adapters/aws/license-shards.ts';
import { DynamoNonceStore } from '#adapters/aws/nonce-store.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import { DynamoDbStatusReader } from '#adapters/aws/status-reader.ts';
import { addYears } from '#core/civil-date.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import {
  DEMO_HOLDERS,
  DEMO_LICENSE_TYPES,
  DEMO_LICENSES,
  DEMO_TYPE_CODE,
  DEMO_USCC,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import { startPlatform } from '#dev/platform.ts';
import { createAgencyClient } from '../sdk/agency-client.ts';
import { createIssuerClient, type IssueLicenseRequest } from '../sdk/issuer.ts';
import type { Figure } from './run.ts';

const CONCURRENCY = 16;
const WARMUP = 100;
const PER_ROUND = 300;
const ROUNDS = 3;

const today = chinaCalendarDate(new Date());
const holder = DEMO_HOLDERS.zhangWeiming;
const REQUEST: IssueLicenseRequest = {
  typeCode: DEMO_TYPE_CODE.residentIdentityCard,
  holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
  data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: today, until: addYears(today, 20) } },
};

/** Runs `count` tasks on CONCURRENCY workers; per-task latencies (ms) and tasks per second. */
async function measure(
  count: number,
  task: () => Promise<void>,
): Promise<{ rps: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) {
        const began = performance.now();
        await task();
        latencies.push(performance.now() - began);
      }
    }),
  );
  return { rps: count / ((performance.now() - start) / 1000), latencies };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<Record<string, Figure>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'elicense-bench-'));
  const saved = { ...process.env };
  const platform = await startPlatform({ port: 0, dataDir });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    const issuer = createIssuerClient(
      createAgencyClient({
        endpoint: platform.url,
        keyId: 'demo-psb-1',
        privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256'),
        algorithm: 'ecdsa-p256-sha256',
      }),
    );
    const viaApi = async () => {
      await issuer.issueLicense(REQUEST);
    };

    // The storage loop, on the tables the platform provisioned.
    const env = process.env;
    const shards = shardsFromTableBindings(env);
    const config = new DynamoConfigStore(documents, env.TABLE_CONFIG!);
    const nonces = new DynamoNonceStore(documents, env.TABLE_NONCES!);
    const statusLists = new DynamoDbStatusListStore({
      client: documents,
      table: env.TABLE_STATUS_LISTS!,
      sealer: unprotectedSecrets,
    });
    const domains = new Map(DEMO_LICENSE_TYPES.map((t) => [t.code, t.dataDomain]));
    const repository = new DynamoDbLicenseRepository({
      client: documents,
      tables: stageTablesFromEnvironment(env, shards),
      shards,
      domainOf: (code) => domains.get(code) ?? 'person',
    });
    const issuerCode = DEMO_USCC.publicSecurityBureau;
    const content = { issuerJwt: 'e'.repeat(1_100), sealedDisclosures: 's'.repeat(1_600), validity: {} };
    const viaStorage = async () => {
      await config.findApiKey('demo-psb-1');
      await nonces.claim('demo-psb-1', randomUUID(), new Date(Date.now() + 600_000));
      const record = `bench#${randomUUID()}`;
      await documents.send(
        new PutCommand({
          TableName: env.TABLE_IDEMPOTENCY!,
          Item: { id: record, status: 'INPROGRESS', expiration: Math.floor(Date.now() / 1000) + 86_400 },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      await Promise.all([config.getLicenseType(REQUEST.typeCode), config.getAgency(issuerCode)]);
      const id = buildLicenseId({
        typeCode: REQUEST.typeCode,
        issuerCode,
        serial: randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
        version: '001',
      });
      const slot = await statusLists.allocateSlot(issuerCode, REQUEST.typeCode, licenseKeyOf(id));
      const time = new Date().toISOString();
      await repository.issue(
        { id, holderIndex: 'h'.repeat(43), statusSlot: slot, issuedAt: time, content },
        {
          id: randomUUID(),
          time,
          actor: { kind: 'agency', id: issuerCode },
          action: 'license.issued',
          subject: { licenseId: id, licenseVersion: '001', typeCode: REQUEST.typeCode },
          outcome: 'success',
        },
      );
      await documents.send(
        new UpdateCommand({
          TableName: env.TABLE_IDEMPOTENCY!,
          Key: { id: record },
          UpdateExpression: 'SET #s = :done, #d = :data',
          ExpressionAttributeNames: { '#s': 'status', '#d': 'data' },
          ExpressionAttributeValues: { ':done': 'COMPLETED', ':data': '{"statusCode":201}' },
        }),
      );
    };

    await measure(WARMUP, viaApi);
    await measure(WARMUP, viaStorage);
    const api: { rps: number; latencies: number[] }[] = [];
    const storage: number[] = [];
    // Alternating rounds, so DynamoDB Local slowing as its tables grow weighs on both alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      storage.push((await measure(PER_ROUND, viaStorage)).rps);
      api.push(await measure(PER_ROUND, viaApi));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const apiRps = mean(api.map((r) => r.rps));
    const storageRps = mean(storage);
    const latencies = api.flatMap((r) => r.latencies).sort((a, b) => a - b);

    // Verification through the API (public, unsigned): POST /verify of an issued license, against
    // a loop of its storage calls — the issuing agency's record and the license's status entry,
    // then its audit event (license.verified, written before the answer).
    const issued = await issuer.issueLicense(REQUEST);
    const statuses = new DynamoDbStatusReader(documents, env.TABLE_STATUS_LISTS!);
    const auditLog = new DynamoAuditLogWriter(documents, env.TABLE_AUDIT!);
    const listId = decodeURIComponent(issued.statusList.uri.split('/').at(-1)!);
    const verifyBody = JSON.stringify({ presentation: issued.sdJwt });
    const verifyViaApi = async () => {
      const response = await fetch(`${platform.url}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: verifyBody,
      });
      const result = (await response.json()) as { valid: boolean };
      if (!result.valid) throw new Error('the benchmark license did not verify');
    };
    const verifyViaStorage = async () => {
      await Promise.all([config.getAgency(issuerCode), statuses.statusOf(listId, issued.statusList.idx)]);
      await auditLog.record({
        id: `bench-verify-${randomUUID()}`,
        time: new Date().toISOString(),
        actor: { kind: 'system', id: 'public-verifier', name: 'unauthenticated verifier' },
        action: 'license.verified',
        subject: { licenseId: issued.licenseId },
        outcome: 'success',
        details: { disclosed: Object.keys(REQUEST.data), keyBound: false },
      });
    };
    await measure(WARMUP, verifyViaApi);
    await measure(WARMUP, verifyViaStorage);
    const verifyApi: { rps: number; latencies: number[] }[] = [];
    const verifyStorage: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      verifyStorage.push((await measure(PER_ROUND, verifyViaStorage)).rps);
      verifyApi.push(await measure(PER_ROUND, verifyViaApi));
    }
    const verifyRps = mean(verifyApi.map((r) => r.rps));
    const verifyStorageRps = mean(verifyStorage);
    const verifyLatencies = verifyApi.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      e2e_verify_rps: {
        value: verifyRps,
        unit: `verifies/s, POST /verify, ${CONCURRENCY} clients, local platform`,
      },
      e2e_verify_p50_ms: { value: percentile(verifyLatencies, 50), unit: 'ms per POST /verify' },
      e2e_verify_p99_ms: { value: percentile(verifyLatencies, 99), unit: 'ms per POST /verify' },
      storage_verify_loop_rps: {
        value: verifyStorageRps,
        unit: `loops/s, agency read + status entry read + audit event write, concurrency ${CONCURRENCY}`,
      },
      e2e_verify_ratio_to_storage: {
        value: verifyRps / verifyStorageRps,
        unit: 'API ÷ storage loop',
        target: '≥ 0.5',
      },
      e2e_issue_rps: {
        value: apiRps,
        unit: `issues/s, POST /licenses, ${CONCURRENCY} clients, local platform`,
      },
      e2e_issue_p50_ms: { value: percentile(latencies, 50), unit: 'ms per POST /licenses' },
      e2e_issue_p99_ms: { value: percentile(latencies, 99), unit: 'ms per POST /licenses' },
      storage_issue_loop_rps: {
        value: storageRps,
        unit: `issues/s, the same DynamoDB calls without the API, concurrency ${CONCURRENCY}`,
      },
      e2e_issue_ratio_to_storage: { value: apiRps / storageRps, unit: 'API ÷ storage loop', target: '≥ 0.5' },
    };
  } finally {
    documents.destroy();
    await platform.stop();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await rm(dataDir, { recursive: true, force: true });
  }
}
