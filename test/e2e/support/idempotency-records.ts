// The running platform's idempotency table as stored, for tests that check what a remembered
// answer keeps: Powertools' records (id, status, expiration, the response in `data`), read
// straight from DynamoDB.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { physicalTableName } from '#adapters/aws/tables.ts';

/** Every stored idempotency record (as its JSON text) that mentions `text` anywhere. */
export async function idempotencyRecordsMentioning(text: string): Promise<string[]> {
  const client = new DynamoDBClient({
    endpoint: inject('platformEndpoints').dynamodb!,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const found: string[] = [];
    const pages = paginateScan(
      { client: DynamoDBDocumentClient.from(client) },
      { TableName: physicalTableName('local', { name: 'idempotency' }) },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const stored = JSON.stringify(item);
        if (stored.includes(text)) found.push(stored);
      }
    }
    return found;
  } finally {
    client.destroy();
  }
}
