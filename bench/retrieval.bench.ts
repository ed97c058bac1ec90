// Retrieval through the local platform (`npm start`'s process on DynamoDB Local and s3rver, on
// a throw-away data folder): signed POST /retrievals requests from 16 concurrent clients, on a
// duty basis and on holder grants, as requests per second with p50/p99 latency — and each as a
// ratio to a plain loop of the storage calls the same retrieval makes, at the same concurrency,
// from this process against the same DynamoDB Local.
//
// The storage calls of one retrieval, through the adapters the handler uses:
//   both bases   API-key lookup (GetItem), nonce claim (conditional PutItem), license (GetItem)
//   duty         agreements of the agency and type (Query), audit event (conditional PutItem)
//   grant        code lookup and grant (2 GetItems), use + audit event (TransactWriteItems)
// What the ratio leaves out is the platform's own work: HTTP, signature verification, opening
// the sealed disclosures, presenting, signing the annotated copy.
import { randomUUID } from 'node:crypto';
import { DynamoGrantStore } from '#adapters/aws/grant-store.ts';
import { DynamoNonceStore } from '#adapters/aws/nonce-store.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { DEMO_LICENSES, DEMO_SERVICE_ITEM, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { createRetrievalClient, type RetrieveRequest } from '../sdk/retrieval.ts';
import { startPlatformProcess } from '../test/e2e/support/platform-process.ts';
import { PlatformStorage, type StoredLicense } from '../test/e2e/support/stored-licenses.ts';
import type { Figure } from './run.ts';

const CONCURRENCY = 16;
const LICENSES = 64;
const WARMUP = 200;
const REQUESTS = 1_000;
const duty = {
  serviceItemCode: DEMO_SERVICE_ITEM.code,
  caseNumber: 'BENCH-0001',
  operatorId: 'bench-operator',
};

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `count` tasks on CONCURRENCY workers; per-task latencies in ms and tasks per second. */
async function measure(count: number, task: (n: number) => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < count; n = next++) {
        const began = process.hrtime.bigint();
        await task(n);
        latencies.push(Number(process.hrtime.bigint() - began) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: count / seconds, p50: at(0.5), p99: at(0.99) };
}

function event(licenseId: string): AuditEvent {
  return {
    id: `bench-${randomUUID()}`,
    time: new Date().toISOString(),
    actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
    action: 'license.retrieved',
    subject: { licenseId },
    basis: {
      purpose: '核验提取申请人身份',
      caseNumber: duty.caseNumber,
      serviceItemCode: duty.serviceItemCode,
    },
    outcome: 'success',
  };
}

export async function run(): Promise<Record<string, Figure>> {
  const platform = await startPlatformProcess();
  const storage = await PlatformStorage.open(platform);
  try {
    const client = (keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519') =>
      createRetrievalClient({
        endpoint: platform.url,
        keyId,
        privateKey: demoPrivateKey(keyId, algorithm),
        algorithm,
      });
    const fundCentre = client('demo-hpf-1', 'ecdsa-p256-sha256');
    const licenses: StoredLicense[] = [];
    for (let i = 0; i < LICENSES; i += 1) licenses.push(await storage.issue(DEMO_LICENSES[0]!));
    // Grants go straight into the store (as a holder's POST /holder/grants stores them): the bench
    // measures retrievals, and the licenses' holders have no proofed accounts to grant with.
    const grantStore = new DynamoGrantStore(storage.documents, 'elicense-local-grants', {
      auditTable: 'elicense-local-audit',
    });
    const grants: { code: string }[] = [];
    for (const license of licenses) {
      grants.push(
        await grantStore.create({
          scope: { kind: 'license', licenseId: license.record.licenseKey },
          relyingAgency: DEMO_USCC.housingProvidentFundCentre,
          holderIndex: license.record.holderIndex,
          purpose: '办理住房公积金提取',
          fields: ['姓名', '公民身份号码'],
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          maxUses: 10_000,
        }),
      );
    }
    const idOf = (n: number) => licenses[n % LICENSES]!.record.id;
    const byDuty = (n: number): RetrieveRequest => ({ licenseId: idOf(n), basis: { duty } });
    const byGrant = (n: number): RetrieveRequest => ({
      licenseId: idOf(n),
      basis: { grant: { code: grants[n % LICENSES]!.code } },
    });
    const retrieve = (request: (n: number) => RetrieveRequest) => async (n: number) => {
      await fundCentre.retrieve(request(n));
    };

    // The same calls from this process, through the adapters the handler wires.
    const nonces = new DynamoNonceStore(storage.documents, 'elicense-local-nonces');
    const authenticate = async () => {
      await storage.config.findApiKey('demo-hpf-1');
      await nonces.claim('demo-hpf-1', randomUUID(), new Date(Date.now() + 600_000));
    };
    // As the use case: the basis, the type's disclosable fields, the license, and the event
    // written on condition that the license is the version read.
    const typeCode = DEMO_LICENSES[0]!.typeCode;
    const dutyStorage = async (n: number) => {
      await authenticate();
      await storage.config.listSharingAgreementsOfAgency(DEMO_USCC.housingProvidentFundCentre, { typeCode });
      await storage.config.getLicenseType(typeCode);
      const license = await storage.licenses.get(idOf(n));
      await storage.licenses.recordRetrieval(event(idOf(n)), {
        licenseId: idOf(n),
        version: license!.version,
      });
    };
    const grantStorage = async (n: number) => {
      await authenticate();
      const grant = await grantStore.findByCode(grants[n % LICENSES]!.code);
      await storage.config.getLicenseType(typeCode);
      const license = await storage.licenses.get(idOf(n));
      await storage.licenses.recordGrantUse(grant!.value.id, new Date().toISOString(), event(idOf(n)), {
        licenseId: idOf(n),
        version: license!.version,
      });
    };

    await measure(WARMUP, retrieve(byDuty));
    await measure(WARMUP, dutyStorage);
    const dutyApi = await measure(REQUESTS, retrieve(byDuty));
    const dutyPlain = await measure(REQUESTS, dutyStorage);
    await measure(WARMUP, retrieve(byGrant));
    const grantApi = await measure(REQUESTS, retrieve(byGrant));
    const grantPlain = await measure(REQUESTS, grantStorage);

    return {
      e2e_retrieve_duty_per_s: { value: dutyApi.perSecond, unit: 'req/s' },
      e2e_retrieve_duty_p50_ms: { value: dutyApi.p50, unit: 'ms' },
      e2e_retrieve_duty_p99_ms: { value: dutyApi.p99, unit: 'ms' },
      e2e_retrieve_grant_per_s: { value: grantApi.perSecond, unit: 'req/s' },
      e2e_retrieve_grant_p50_ms: { value: grantApi.p50, unit: 'ms' },
      e2e_retrieve_grant_p99_ms: { value: grantApi.p99, unit: 'ms' },
      storage_retrieve_duty_per_s: { value: dutyPlain.perSecond, unit: 'loops/s' },
      storage_retrieve_grant_per_s: { value: grantPlain.perSecond, unit: 'loops/s' },
      e2e_retrieve_ratio_to_storage: {
        value: dutyApi.perSecond / dutyPlain.perSecond,
        unit: 'ratio',
        target: '≥ 0.5',
      },
      e2e_retrieve_grant_ratio_to_storage: {
        value: grantApi.perSecond / grantPlain.perSecond,
        unit: 'ratio',
        target: '≥ 0.5',
      },
    };
  } finally {
    storage.close();
    await platform.stop();
  }
}
