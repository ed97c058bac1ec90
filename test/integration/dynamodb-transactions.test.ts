// DynamoDB (Local, or whatever AWS_ENDPOINT_URL_DYNAMODB names) over the wire: a transaction
// is all or nothing, and says which of its actions failed.

import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  TransactionCanceledException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useSuiteAwsEnv } from './aws-env.ts';

useSuiteAwsEnv();
const client = new DynamoDBClient({});
const documents = DynamoDBDocumentClient.from(client);
const table = `it-transactions-${randomUUID()}`;

beforeAll(async () => {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: table });
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
});

/** Puts B and C, on condition that A is in `requiredState`. */
function putBAndCIfA(prefix: string, requiredState: string): TransactWriteCommand {
  return new TransactWriteCommand({
    TransactItems: [
      { Put: { TableName: table, Item: { pk: `${prefix}B`, value: 'b' } } },
      { Put: { TableName: table, Item: { pk: `${prefix}C`, value: 'c' } } },
      {
        ConditionCheck: {
          TableName: table,
          Key: { pk: `${prefix}A` },
          ConditionExpression: '#state = :required',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':required': requiredState },
        },
      },
    ],
  });
}

async function exists(pk: string): Promise<boolean> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }),
  );
  return Item !== undefined;
}

describe('TransactWriteItems', () => {
  test('writes nothing when one condition fails, and names that condition in the cancellation reasons', async () => {
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'failA', state: 'draft' } }));

    const error = await documents.send(putBAndCIfA('fail', 'issued')).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect(await exists('failB')).toBe(false);
    expect(await exists('failC')).toBe(false);
  });

  test('writes every item when all conditions hold', async () => {
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'passA', state: 'issued' } }));

    await documents.send(putBAndCIfA('pass', 'issued'));

    expect(await exists('passB')).toBe(true);
    expect(await exists('passC')).toBe(true);
  });
});
