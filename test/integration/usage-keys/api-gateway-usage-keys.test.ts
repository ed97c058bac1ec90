// Agency usage keys over the wire against moto's API Gateway: a key is created under the
// agency's name with a value, put on the stage's plan (found by name), listed by agency, and
// taken off the plan again. moto serves every service on one port, the one the suite's KMS
// endpoint names.
import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  GetApiKeyCommand,
  GetUsagePlanKeysCommand,
} from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiGatewayUsageKeys } from '#adapters/aws/api-gateway-usage-keys.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

const env = useSuiteAwsEnv();
const endpoint = env.AWS_ENDPOINT_URL_KMS;
if (!endpoint) throw new Error('the integration setup gave no moto endpoint (AWS_ENDPOINT_URL_KMS)');
const client = new APIGatewayClient({ endpoint });
const AGENCY = '11330100D0000011XM';
const OTHER = '11330100D0000022XM';
const suffix = Math.random().toString(36).slice(2, 8); // moto outlives one run when given
let planId: string;
let otherPlanId: string;

beforeAll(async () => {
  planId = (await client.send(new CreateUsagePlanCommand({ name: `elicense-it-${suffix}-agencies` }))).id!;
  otherPlanId = (await client.send(new CreateUsagePlanCommand({ name: `elicense-it-${suffix}-other` }))).id!;
});
afterAll(() => client.destroy());

const planKeyIds = async (usagePlanId: string) =>
  ((await client.send(new GetUsagePlanKeysCommand({ usagePlanId }))).items ?? []).map((k) => k.id).sort();

describe('ApiGatewayUsageKeys', () => {
  test('creates an enabled key named for the agency and stage, with a value, on the plan found by name', async () => {
    const name = `elicense-it-${suffix}-byname`;
    const plans = await client.send(new CreateUsagePlanCommand({ name }));
    const keys = new ApiGatewayUsageKeys({ client, stage: 'it', usagePlan: { name } });
    const issued = await keys.issue(AGENCY);

    expect(issued.value.length).toBeGreaterThanOrEqual(20);
    const stored = await client.send(new GetApiKeyCommand({ apiKey: issued.id, includeValue: true }));
    expect(stored).toMatchObject({ name: `elicense-it-${AGENCY}`, enabled: true, value: issued.value });
    expect(await planKeyIds(plans.id!)).toEqual([issued.id]);
  });

  test('lists only the agency’s keys on this plan, and withdraws one from this plan', async () => {
    const keys = new ApiGatewayUsageKeys({ client, stage: 'it', usagePlan: { id: planId } });
    const elsewhere = new ApiGatewayUsageKeys({ client, stage: 'it', usagePlan: { id: otherPlanId } });
    const first = await keys.issue(AGENCY);
    const second = await keys.issue(AGENCY);
    const other = await keys.issue(OTHER);
    await elsewhere.issue(AGENCY);

    expect((await keys.list(AGENCY)).sort()).toEqual([first.id, second.id].sort());
    expect(await keys.list(OTHER)).toEqual([other.id]);

    await keys.withdraw(first.id);
    expect(await keys.list(AGENCY)).toEqual([second.id]);
    expect(await planKeyIds(planId)).toEqual([second.id, other.id].sort());
    expect(await elsewhere.list(AGENCY)).toHaveLength(1);
  });

  test('fails naming the plan when no plan has the name', async () => {
    const keys = new ApiGatewayUsageKeys({ client, stage: 'it', usagePlan: { name: 'elicense-nowhere' } });
    await expect(keys.issue(AGENCY)).rejects.toThrow(
      'expected one usage plan named elicense-nowhere, found 0',
    );
  });
});
