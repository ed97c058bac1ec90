// A store the platform cannot reach, over the wire: the SDK's own retries spent, the route answers
// 503 dependency-unavailable — something the caller may retry — not a 500, and hands out nothing.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { expect, test } from 'vitest';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import type { RouteSpec } from '#http/route-spec.ts';
import { createRouter } from '#http/router.ts';
import { closedPort } from '../../fixtures/closed-port.ts';

test('a route whose audit table cannot be reached answers 503 dependency-unavailable', async () => {
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${await closedPort()}`,
    region: 'cn-north-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
  const writer = new DynamoAuditLogWriter(DynamoDBDocumentClient.from(client), 'elicense-it-audit');
  const table: RouteSpec[] = [
    {
      method: 'GET',
      path: '/holder/me',
      group: 'holder',
      operationId: 'me',
      summary: '',
      auth: { kind: 'none' },
      responses: {},
    },
  ];
  const logged: unknown[] = [];
  const router = createRouter(
    'holder',
    {
      me: async () => {
        await writer.record({
          id: 'evt-unreachable',
          time: new Date().toISOString(),
          actor: { kind: 'holder', id: 'acct-1' },
          action: 'holder.account_read',
          outcome: 'success',
        });
        return { statusCode: 200, body: '{"secret":"profile"}' };
      },
    },
    { onUnexpectedError: (error) => logged.push(error) },
    table,
  );
  const response = await router(
    { httpMethod: 'GET', resource: '/holder/me', requestContext: {} } as unknown as APIGatewayProxyEvent,
    { awsRequestId: 'r-1' } as Context,
  );
  client.destroy();
  expect(response.statusCode).toBe(503);
  expect(JSON.parse(response.body)).toMatchObject({ type: 'urn:elicense:problem:dependency-unavailable' });
  expect(response.body).not.toContain('profile');
  expect(response.body).not.toContain('127.0.0.1');
  // The SDK's own error, after its retries, is what was logged.
  expect((logged[0] as { code?: string }).code).toBe('ECONNREFUSED');
});
