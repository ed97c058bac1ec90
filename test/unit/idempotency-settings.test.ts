import { getHashes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from 'vitest';
import {
  AUTHENTICATED_AGENCY_PATH,
  IDEMPOTENCY_KEY_HEADER,
  idempotencySettings,
} from '#adapters/aws/idempotency.ts';
import { singletonTables } from '#adapters/aws/tables.ts';

describe('idempotency settings', () => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const { persistence, config } = idempotencySettings('elicense-test-idempotency', client);

  test('point Powertools at the idempotency table as tables.ts defines it', () => {
    const table = singletonTables.find((t) => t.name === 'idempotency')!;
    expect(persistence).toMatchObject({
      tableName: 'elicense-test-idempotency',
      keyAttr: table.partitionKey.name,
      expiryAttr: table.timeToLiveAttribute,
    });
    expect(table.sortKey).toBeUndefined();
    expect(persistence.awsSdkV3Client).toBe(client);
  });

  test('key records on agency, route and Idempotency-Key, and require the key', () => {
    const selected = config.eventKeyJmesPath.split(' && ').at(-1);
    expect(selected).toBe(
      `[${AUTHENTICATED_AGENCY_PATH}, httpMethod, resource, headers."${IDEMPOTENCY_KEY_HEADER}"]`,
    );
    expect(config.throwOnNoIdempotencyKey).toBe(true);
  });

  test('validate the body with a hash Node provides, so another body under the same key is refused', () => {
    expect(config.payloadValidationJmesPath).toBe('body');
    expect(getHashes()).toContain(config.hashFunction);
    expect(config.useLocalCache).toBe(false);
  });
});
