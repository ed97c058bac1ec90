// `elicense bootstrap operator --usage-plan` over the wire: the CLI as a child process, with
// the suite's DynamoDB Local for the registry and moto's API Gateway (AWS_ENDPOINT_URL_API_GATEWAY)
// for the stage's usage plan. The operator's key lands on the plan, its id in the audit event and
// its value in the key file; a write the registry refuses takes the key off the plan again; a
// plan that does not exist registers nothing.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
} from '@aws-sdk/client-api-gateway';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { newKey, testUscc } from '../unit/app/operator/fakes.ts';
import { useSuiteAwsEnv } from './aws-env.ts';
import { provisionStoreStage, type StoreStage } from './stores/stage.ts';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../bin/elicense');
const OPERATOR = testUscc(911);

const suite = useSuiteAwsEnv();
// moto serves every service on one port, the one the suite's KMS endpoint names.
const moto = suite.AWS_ENDPOINT_URL_KMS;
if (!moto) throw new Error('the integration setup gave no moto endpoint (AWS_ENDPOINT_URL_KMS)');
const apiGateway = new APIGatewayClient({ endpoint: moto });

let stage: StoreStage;
let refusedStage: StoreStage;
let missingPlanStage: StoreStage;
let dir: string;
const planIds = new Map<StoreStage, string>();

beforeAll(async () => {
  [stage, refusedStage, missingPlanStage] = await Promise.all([
    provisionStoreStage('it-boot-uk'),
    provisionStoreStage('it-boot-uk-refused'),
    provisionStoreStage('it-boot-uk-noplan'),
  ]);
  // The plans as the stack names them; the stage names are unique, so moto may outlive a run.
  for (const s of [stage, refusedStage]) {
    const plan = await apiGateway.send(new CreateUsagePlanCommand({ name: `elicense-${s.name}-agencies` }));
    planIds.set(s, plan.id!);
  }
  dir = await mkdtemp(join(tmpdir(), 'elicense-bootstrap-uk-'));
});

afterAll(async () => {
  await Promise.all([stage.dispose(), refusedStage.dispose(), missingPlanStage.dispose()]);
  apiGateway.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command with the suite's environment and moto as API Gateway. */
async function bootstrap(
  on: StoreStage,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(cli, ['bootstrap', 'operator', '--stage', on.name, ...args], {
    env: { ...process.env, AWS_ENDPOINT_URL_API_GATEWAY: moto },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

const operatorArgs = (uscc: string, keyId: string) => [
  '--uscc',
  uscc,
  '--name',
  '省大数据管理局',
  '--area-code',
  '330000',
  '--key-id',
  keyId,
];

async function planKeyIds(on: StoreStage): Promise<string[]> {
  const { items = [] } = await apiGateway.send(
    new GetUsagePlanKeysCommand({ usagePlanId: planIds.get(on)! }),
  );
  return items.map((k) => k.id!);
}

async function auditEvents(on: StoreStage): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await on.documents.send(
    new ScanCommand({ TableName: on.table('audit'), ConsistentRead: true }),
  );
  return Items.map((item) => JSON.parse(String(item.event)));
}

describe('elicense bootstrap operator --usage-plan', () => {
  test('issues the operator a key on the stack’s plan: value printed once and in the key file, id in the audit event', async () => {
    const keyFile = join(dir, 'op-1.jwk.json');
    const result = await bootstrap(stage, [
      ...operatorArgs(OPERATOR, 'op-uk-1'),
      '--generate-key',
      keyFile,
      '--usage-plan',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      agency: OPERATOR,
      roles: ['operator'],
      keyFile,
      usagePlan: `elicense-${stage.name}-agencies`,
      usageKey: { id: expect.any(String), value: expect.any(String) },
    });
    const { id, value } = output.usageKey as { id: string; value: string };

    expect(await planKeyIds(stage)).toEqual([id]);
    const stored = await apiGateway.send(new GetApiKeyCommand({ apiKey: id, includeValue: true }));
    expect(stored).toMatchObject({ name: `elicense-${stage.name}-${OPERATOR}`, enabled: true, value });

    const written = JSON.parse(await readFile(keyFile, 'utf8'));
    expect(written).toMatchObject({ agency: OPERATOR, apiKey: value, jwk: { kid: 'op-uk-1' } });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const events = await auditEvents(stage);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { kind: 'system', id: 'bootstrap' },
      action: 'agency.registered',
      details: { agency: OPERATOR, apiKeys: ['op-uk-1'], usageKey: id, bootstrap: true },
    });
    expect(JSON.stringify(events)).not.toContain(value);
    const config = new DynamoConfigStore(stage.documents, stage.table('config'));
    expect(JSON.stringify(await config.getAgency(OPERATOR))).not.toContain(value);
  }, 60_000);

  test('a write the registry refuses (a key id another agency holds) takes the key off the plan again', async () => {
    const holder = testUscc(912);
    const config = new DynamoConfigStore(refusedStage.documents, refusedStage.table('config'));
    await config.createAgency({
      uscc: holder,
      name: '演示市测试局',
      roles: ['relying'],
      areaCode: '330100',
      apiKeys: [{ ...newKey('taken-1'), status: 'active', created: new Date().toISOString() }],
    });
    const keyFile = join(dir, 'refused.jwk.json');
    const result = await bootstrap(refusedStage, [
      ...operatorArgs(OPERATOR, 'taken-1'),
      '--generate-key',
      keyFile,
      '--usage-plan',
      `elicense-${refusedStage.name}-agencies`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('refused, nothing changed');
    expect(result.stdout).toBe('');
    // The key was made and put on the plan before the write, and taken off after its refusal.
    const { items = [] } = await apiGateway.send(
      new GetUsagePlanKeysCommand({ usagePlanId: planIds.get(refusedStage)! }),
    );
    expect(items).toEqual([]);
    const made = await apiGateway.send(
      new GetApiKeysCommand({ nameQuery: `elicense-${refusedStage.name}-${OPERATOR}` }),
    );
    expect(made.items).toHaveLength(1);
    expect(await config.getAgency(OPERATOR)).toBeUndefined();
    expect(await auditEvents(refusedStage)).toEqual([]);
    await expect(stat(keyFile)).rejects.toThrow(/ENOENT/);
  }, 60_000);

  test('a plan that does not exist is refused with exit 2 and nothing registered', async () => {
    const keyFile = join(dir, 'noplan.jwk.json');
    const result = await bootstrap(missingPlanStage, [
      ...operatorArgs(OPERATOR, 'op-noplan'),
      '--generate-key',
      keyFile,
      '--usage-plan',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `could not issue the usage key on plan elicense-${missingPlanStage.name}-agencies: UsagePlanNotFound: expected one usage plan named elicense-${missingPlanStage.name}-agencies, found 0; nothing registered`,
    );
    const config = new DynamoConfigStore(missingPlanStage.documents, missingPlanStage.table('config'));
    expect(await config.getAgency(OPERATOR)).toBeUndefined();
    expect(await auditEvents(missingPlanStage)).toEqual([]);
    await expect(stat(keyFile)).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
