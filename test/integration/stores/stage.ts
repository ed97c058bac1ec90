// A stage of its own per test file: the stage's singleton tables created from tables.ts on the
// suite's DynamoDB, a DocumentClient on them, and a log of the DynamoDB operations it sends
// (to hold a store to its request budget).

import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { physicalTableName, singletonTables } from '#adapters/aws/tables.ts';
import { provisionStage } from '#dev/provision.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

export interface StoreStage {
  /** The stage name, for names derived from it (buckets). */
  name: string;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  /** Physical table name of a logical table (`config`, `grants`, …). */
  table(logicalName: string): string;
  /** Operation names sent since the last reset, e.g. `GetItemCommand`. */
  operations: string[];
  dispose(): Promise<void>;
}

export async function provisionStoreStage(prefix: string): Promise<StoreStage> {
  useSuiteAwsEnv();
  const stage = `${prefix}-${randomUUID().slice(0, 8)}`;
  await provisionStage({ stage, shardsPerDomain: {}, env: process.env as Record<string, string> });
  const client = new DynamoDBClient({});
  const operations: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      operations.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countOperations' },
  );
  const documents = DynamoDBDocumentClient.from(client);
  return {
    name: stage,
    client,
    documents,
    table: (logicalName) => physicalTableName(stage, { name: logicalName }),
    operations,
    async dispose() {
      await Promise.all(
        singletonTables.map((t) =>
          client.send(new DeleteTableCommand({ TableName: physicalTableName(stage, t) })),
        ),
      );
      client.destroy();
    },
  };
}
