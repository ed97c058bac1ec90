import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DependencyProbe } from '#ports/dependency-probe.ts';

export function dynamoDbTableProbe(client: DynamoDBClient, tableName: string): DependencyProbe {
  return {
    name: 'dynamodb',
    async check(abortSignal) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }), {
        abortSignal,
      });
      if (Table?.TableStatus !== 'ACTIVE')
        throw new Error(`table ${tableName} is ${Table?.TableStatus ?? 'unknown'}`);
    },
  };
}

export function s3BucketProbe(client: S3Client, bucket: string): DependencyProbe {
  return {
    name: 's3',
    async check(abortSignal) {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
    },
  };
}
