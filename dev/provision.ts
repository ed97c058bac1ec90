import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type BucketDefinition, bucketEnvVar, buckets, localBucketName } from '#adapters/aws/buckets.ts';
import { allTables, physicalTableName, type TableDefinition, tableEnvVar } from '#adapters/aws/tables.ts';

// Creates a local stage's tables and buckets from the same definitions the CDK stateful
// stack uses, and returns the environment variables that bind handlers to them.

export interface ProvisionOptions {
  stage: string;
  shardsPerDomain: Record<string, number>;
  /** Environment of the SDK clients (endpoints, region, credentials). */
  env: Record<string, string>;
  /** Whether to create the buckets too (default true); false needs no S3 endpoint, e.g. a DynamoDB-only bench. */
  buckets?: boolean;
}

export async function provisionStage({
  stage,
  shardsPerDomain,
  env,
  buckets: createBuckets = true,
}: ProvisionOptions): Promise<Record<string, string>> {
  const dynamodb = new DynamoDBClient(sdkConfig(env, 'DYNAMODB'));
  const s3 = new S3Client({
    ...sdkConfig(env, 'S3'),
    forcePathStyle: env.ELICENSE_S3_FORCE_PATH_STYLE === 'true',
  });
  const tables = allTables(shardsPerDomain);
  try {
    await Promise.all(tables.map((table) => createTable(dynamodb, physicalTableName(stage, table), table)));
    if (createBuckets) {
      await Promise.all(buckets.map((bucket) => createBucket(s3, localBucketName(stage, bucket))));
    }
  } finally {
    dynamodb.destroy();
    s3.destroy();
  }
  return stageEnvironment(stage, tables, createBuckets ? buckets : []);
}

/** The variables a handler reads to find its tables and buckets (what `bindTable` sets on AWS). */
export function stageEnvironment(
  stage: string,
  tables: readonly TableDefinition[],
  bucketDefinitions: readonly BucketDefinition[],
): Record<string, string> {
  return {
    ELICENSE_STAGE: stage,
    // The local platform seeds the demo catalog; its operator routes take demo records and keys.
    ELICENSE_DEMO_DATA: 'allowed',
    ...Object.fromEntries(tables.map((t) => [tableEnvVar(t), physicalTableName(stage, t)])),
    ...Object.fromEntries(bucketDefinitions.map((b) => [bucketEnvVar(b), localBucketName(stage, b)])),
  };
}

function tableInput(name: string, table: TableDefinition): CreateTableCommandInput {
  const keys = [
    table.partitionKey,
    table.sortKey,
    ...(table.globalIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  const attributes = new Map(keys.filter((k) => k !== undefined).map((k) => [k.name, k.type]));
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.globalIndexes?.length
      ? {
          GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection:
              index.projection === undefined
                ? { ProjectionType: 'ALL' as const }
                : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection] },
          })),
        }
      : {}),
  };
}

async function createTable(client: DynamoDBClient, name: string, table: TableDefinition): Promise<void> {
  try {
    await client.send(new CreateTableCommand(tableInput(name, table)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    return; // kept from an earlier run of the local platform
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: name });
  if (table.timeToLiveAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
}

async function createBucket(client: S3Client, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    const code = (error as { name?: string }).name;
    if (
      error instanceof BucketAlreadyOwnedByYou ||
      code === 'BucketAlreadyExists' ||
      code === 'BucketAlreadyOwnedByYou'
    ) {
      return;
    }
    throw error;
  }
}

/** SDK client settings taken from an environment map rather than process.env. */
export function sdkConfig(env: Record<string, string>, service: 'DYNAMODB' | 'S3' | 'KMS') {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return {
    ...(endpoint ? { endpoint } : {}),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } }
      : {}),
  };
}
