// Idempotency-Key records over the wire: Powertools' DynamoDB persistence layer on the stage's
// idempotency table, with the platform's settings — an answer the work says not to remember
// leaves no record, so the same key runs the work again.

import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { idempotencySettings } from '#adapters/aws/idempotency.ts';
import { lambdaContext } from '#dev/api-gateway-event.ts';
import { AnswerNotRemembered, type IdempotentRunner, idempotentRequests } from '#http/idempotency.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let idempotent: IdempotentRunner;

beforeAll(async () => {
  stage = await provisionStoreStage('it-idempotency');
  const { persistence, config } = idempotencySettings(stage.table('idempotency'), stage.client);
  idempotent = idempotentRequests({
    persistenceStore: new DynamoDBPersistenceLayer(persistence),
    config,
    keyPrefix: 'issuer',
    bodyDigest: async (body) => `digest-of-${body.length}`,
  });
});

afterAll(async () => {
  await stage.dispose();
});

const batch = {
  httpMethod: 'POST',
  path: '/licenses/batch',
  resource: '/licenses/batch',
  body: '{"items":[]}',
  isBase64Encoded: false,
  headers: { 'Idempotency-Key': 'batch-unsettled-1' },
  requestContext: {
    authorizer: {
      agency: '11330100D0000011XM',
      keyId: 'k',
      keyThumbprint: 'thumbprint-of-k',
      roles: ['issuer'],
    },
  },
} as unknown as APIGatewayProxyEvent;

const records = async () =>
  (await stage.documents.send(new ScanCommand({ TableName: stage.table('idempotency') }))).Items ?? [];

test('an answer not to be remembered leaves no record, and the same key runs the work again, then remembered', async () => {
  let runs = 0;
  const answer = (remember: boolean) => async () => {
    runs += 1;
    const response = { statusCode: 200, body: JSON.stringify({ run: runs }) };
    if (!remember) throw new AnswerNotRemembered(response);
    return response;
  };

  const first = await idempotent(batch, lambdaContext('issuer', 'r-1'), answer(false));
  expect(first).toEqual({ statusCode: 200, body: '{"run":1}' });
  expect(await records()).toEqual([]);

  const second = await idempotent(batch, lambdaContext('issuer', 'r-2'), answer(true));
  expect(second.body).toBe('{"run":2}');
  expect((await records()).map((r) => r.status)).toEqual(['COMPLETED']);

  const third = await idempotent(batch, lambdaContext('issuer', 'r-3'), answer(true));
  expect(third.body).toBe('{"run":2}');
  expect(runs).toBe(2);
});
