// The running platform's idempotency table as stored, for tests that check what a remembered
// answer keeps: Powertools' records (id, status, expiration, the response in `data`), read
// straight from DynamoDB — and lose, as a record is lost when the work fails part way, expires
// at the function's deadline or is never saved.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { physicalTableName } from '#adapters/aws/tables.ts';

/** Every stored idempotency record (as its JSON text) that mentions `text` anywhere. */
export async function idempotencyRecordsMentioning(text: string): Promise<string[]> {
  return (await recordsMentioning(text, () => Promise.resolve())).map((item) => JSON.stringify(item));
}

/** Deletes every stored idempotency record that mentions `text`; answers how many there were. */
export async function loseIdempotencyRecordsMentioning(text: string): Promise<number> {
  return (
    await recordsMentioning(text, (documents, item) =>
      documents.send(new DeleteCommand({ TableName: TABLE, Key: { id: item.id } })).then(() => undefined),
    )
  ).length;
}

const TABLE = physicalTableName('local', { name: 'idempotency' });

async function recordsMentioning(
  text: string,
  each: (documents: DynamoDBDocumentClient, item: Record<string, unknown>) => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({
    endpoint: inject('platformEndpoints').dynamodb!,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const documents = DynamoDBDocumentClient.from(client);
    const found: Record<string, unknown>[] = [];
    for await (const page of paginateScan({ client: documents }, { TableName: TABLE })) {
      for (const item of page.Items ?? []) {
        if (!JSON.stringify(item).includes(text)) continue;
        await each(documents, item);
        found.push(item);
      }
    }
    return found;
  } finally {
    client.destroy();
  }
}
