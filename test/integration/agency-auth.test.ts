// Agency request authentication over the real stores: the middleware reading keys from the
// DynamoDB registry (demo agencies stored) and claiming nonces in the DynamoDB nonce table,
// where a replay is refused even when both copies arrive at the same moment.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { DynamoNonceStore, nonceKey } from '#adapters/aws/nonce-store.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { lambdaContext } from '#dev/api-gateway-event.ts';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { agencyAuthentication, authenticatedAgency } from '#http/agency-auth.ts';
import { type SignedAgencyRequest, signAgencyRequest } from '../../sdk/agency-client.ts';
import { apiGatewayEvent } from '../unit/http-signatures/fakes.ts';
import { provisionStoreStage, type StoreStage } from './stores/stage.ts';

const ENDPOINT = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod';
const SKEW = 300;

let stage: StoreStage;
let config: DynamoConfigStore;
let nonces: DynamoNonceStore;
let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
let served = 0;

beforeAll(async () => {
  stage = await provisionStoreStage('it-agency-auth');
  config = new DynamoConfigStore(stage.documents, stage.table('config'));
  nonces = new DynamoNonceStore(stage.documents, stage.table('nonces'));
  for (const agency of DEMO_AGENCIES) await config.createAgency(agency);
  const wrapped = middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    served += 1;
    return { statusCode: 200, body: JSON.stringify(authenticatedAgency(event)) };
  }).use(
    agencyAuthentication({ config, nonces, skewSeconds: SKEW, requiredRole: 'issuer', demoData: 'allowed' }),
  );
  handler = (event) => wrapped(event, lambdaContext('it-agency-auth', event.requestContext.requestId));
});

afterAll(async () => {
  await stage.dispose();
});

function signed(
  keyId: string,
  algorithm: 'ecdsa-p256-sha256' | 'ed25519',
  body?: unknown,
): SignedAgencyRequest {
  return signAgencyRequest(
    {
      method: 'POST',
      url: `${ENDPOINT}/licenses`,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(body)) }),
    },
    { keyId, algorithm, privateKey: demoPrivateKey(keyId, algorithm) },
  );
}

function eventOf(request: SignedAgencyRequest): APIGatewayProxyEvent {
  return apiGatewayEvent({
    method: request.method,
    url: request.url,
    headers: Object.entries(request.headers),
    ...(request.body ? { body: request.body } : {}),
  });
}

const nonceOf = (request: SignedAgencyRequest) =>
  /nonce="([^"]+)"/.exec(request.headers['signature-input']!)![1]!;

describe('over the DynamoDB registry and nonce table', () => {
  test.each([
    ['demo-psb-1', 'ecdsa-p256-sha256', DEMO_USCC.publicSecurityBureau],
    ['demo-vehicle-1', 'ed25519', DEMO_USCC.vehicleAdministration],
  ] as const)('a request signed with %s (%s) is accepted for its agency', async (keyId, algorithm, uscc) => {
    const result = await handler(eventOf(signed(keyId, algorithm, { typeCode: '11100000D00000013G001' })));
    expect(result.statusCode).toBe(200);
    const { publicJwk } = DEMO_AGENCIES.flatMap((a) => a.apiKeys).find((k) => k.keyId === keyId)!;
    expect(JSON.parse(result.body)).toEqual({
      agency: uscc,
      keyId,
      keyThumbprint: jwkThumbprint(publicJwk),
      roles: ['issuer'],
    });
  });

  test('the nonce is stored under the key until created is no longer accepted (created + skew + 1 s), the TTL attribute in epoch seconds', async () => {
    const request = signed('demo-amr-1', 'ecdsa-p256-sha256');
    expect((await handler(eventOf(request))).statusCode).toBe(200);
    const created = Number(/created=(\d+)/.exec(request.headers['signature-input']!)![1]);
    const { Item } = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('nonces'),
        Key: { pk: nonceKey('demo-amr-1', nonceOf(request)) },
      }),
    );
    expect(Item).toEqual({ pk: `demo-amr-1#${nonceOf(request)}`, expiresAt: created + SKEW + 1 });
  });

  describe('a captured request replayed at any instant its created is still accepted', () => {
    // Now, to the second: DynamoDB Local really deletes items whose TTL has passed, so nonces
    // claimed in a fixed past could vanish between the claim and its replay.
    const T = Math.floor(Date.now() / 1000);
    let clock = T * 1000;
    let clocked: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

    beforeAll(() => {
      const store = new DynamoNonceStore(stage.documents, stage.table('nonces'), { now: () => clock });
      const wrapped = middy(
        async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => ({
          statusCode: 200,
          body: JSON.stringify(authenticatedAgency(event)),
        }),
      ).use(
        agencyAuthentication({
          config,
          nonces: store,
          skewSeconds: SKEW,
          requiredRole: 'issuer',
          demoData: 'allowed',
          now: () => new Date(clock),
        }),
      );
      clocked = (event) => wrapped(event, lambdaContext('it-agency-auth', event.requestContext.requestId));
    });

    /** The answer (200, or the failed check) to the same event at each offset from T, in seconds. */
    async function answersAt(event: APIGatewayProxyEvent, offsets: number[]): Promise<(number | string)[]> {
      const answers: (number | string)[] = [];
      for (const offset of offsets) {
        clock = (T + offset) * 1000;
        const result = await clocked(event);
        answers.push(result.statusCode === 200 ? 200 : (JSON.parse(result.body) as { check: string }).check);
      }
      return answers;
    }

    const request = (created: number) =>
      eventOf(
        signAgencyRequest(
          { method: 'POST', url: `${ENDPOINT}/licenses`, created: new Date(created * 1000) },
          {
            keyId: 'demo-psb-1',
            algorithm: 'ecdsa-p256-sha256',
            privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256'),
          },
        ),
      );

    test('signed at T: accepted once, a replay refused up to the last instant of T + 300, then too old', async () => {
      expect(await answersAt(request(T), [0, 1, 299, 300, 300.9, 301])).toEqual([
        200,
        'nonce',
        'nonce',
        'nonce',
        'nonce',
        'created',
      ]);
    });

    test('signed 300 s ahead of the clock: accepted once, a replay refused until created + 300 has passed', async () => {
      expect(await answersAt(request(T + 300), [0, 300, 599, 600, 600.9, 601])).toEqual([
        200,
        'nonce',
        'nonce',
        'nonce',
        'nonce',
        'created',
      ]);
    });
  });

  test('of ten copies of one signed request arriving together, exactly one is accepted', async () => {
    const request = signed('demo-psb-1', 'ecdsa-p256-sha256', { batch: [1, 2, 3] });
    const before = served;
    const results = await Promise.all(Array.from({ length: 10 }, () => handler(eventOf(request))));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    for (const refused of results.filter((r) => r.statusCode === 401)) {
      expect(JSON.parse(refused.body)).toMatchObject({ check: 'nonce' });
    }
    expect(served - before).toBe(1);
  });

  test('a request with a bad signature stores no nonce', async () => {
    const request = signed('demo-vehicle-1', 'ed25519');
    const forged = { ...eventOf(request), httpMethod: 'DELETE' };
    const result = await handler(forged);
    expect(JSON.parse(result.body)).toMatchObject({ check: 'signature' });
    const { Item } = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('nonces'),
        Key: { pk: nonceKey('demo-vehicle-1', nonceOf(request)) },
      }),
    );
    expect(Item).toBeUndefined();
  });

  test('once the operator revokes a key, its requests fail like an unknown key', async () => {
    const stored = (await config.getAgency(DEMO_USCC.marketRegulationBureau))!;
    await config.updateAgency(
      { ...stored.value, apiKeys: stored.value.apiKeys.map((k) => ({ ...k, status: 'revoked' as const })) },
      stored.version,
    );
    const revoked = JSON.parse((await handler(eventOf(signed('demo-amr-1', 'ecdsa-p256-sha256')))).body);
    const unknown = JSON.parse((await handler(eventOf(signed('demo-nobody-1', 'ed25519')))).body);
    expect(revoked).toMatchObject({ status: 401, check: 'signature' });
    expect(unknown).toEqual(revoked);
  });

  test('an agency without the issuer role is refused with 403', async () => {
    const result = await handler(eventOf(signed('demo-hpf-1', 'ecdsa-p256-sha256')));
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body)).toMatchObject({ check: 'role' });
  });
});
