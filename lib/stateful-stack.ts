import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { awsBucketName, type BucketDefinition, buckets } from '../functions/adapters/aws/buckets.ts';
import { allTables, physicalTableName, type TableDefinition } from '../functions/adapters/aws/tables.ts';
import type { StageConfig } from './stage-config.ts';

export interface StatefulStackProps extends StackProps {
  config: StageConfig;
}

/**
 * Everything that holds data: tables, buckets, keys. Retained on delete and kept apart from
 * the functions so that a redeploy of code never touches data.
 */
export class StatefulStack extends Stack {
  /** Tables by logical name (see functions/adapters/aws/tables.ts). */
  readonly tables: ReadonlyMap<string, TableV2>;
  readonly buckets: Readonly<Record<BucketDefinition['name'], Bucket>>;
  readonly dataKey: Key;
  /** Envelope key of sensitive license fields (AWS Encryption SDK keyring) and the blind-index key. */
  readonly fieldKey: Key;
  /** The platform's own ES256 key: status lists, annotated copies, audit checkpoints. */
  readonly platformSigningKey: Key;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.dataKey = new Key(this, 'DataKey', {
      description: `elicense ${config.stage}: encrypts layout documents and audit archives at rest`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.fieldKey = new Key(this, 'FieldKey', {
      description: `elicense ${config.stage}: envelope key of sensitive license fields and the blind-index key`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Asymmetric keys cannot rotate automatically; a new platform key is rolled by publishing
    // both in the JWKS until every list and checkpoint signed with the old one has expired.
    this.platformSigningKey = new Key(this, 'PlatformSigningKey', {
      description: `elicense ${config.stage}: platform signatures (status lists, annotated copies, audit checkpoints)`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.tables = new Map(
      allTables(config.shardsPerDomain).map((definition) => [
        definition.name,
        this.table(config.stage, definition),
      ]),
    );

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED, // S3 server access logging cannot write to SSE-KMS buckets
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(config.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket; logging it into itself would loop.',
    });

    this.buckets = Object.fromEntries(
      buckets.map((definition) => [
        definition.name,
        new Bucket(this, pascal(definition.name), {
          bucketName: awsBucketName(config.stage, definition, this.account),
          // The public bucket holds what anyone may read (signed status lists, JWKS): S3-managed
          // keys, so neither CloudFront nor the functions need a KMS grant for it.
          ...(definition.name === 'public'
            ? { encryption: BucketEncryption.S3_MANAGED }
            : { encryption: BucketEncryption.KMS, encryptionKey: this.dataKey, bucketKeyEnabled: true }),
          enforceSSL: true,
          blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
          versioned: true,
          serverAccessLogsBucket: accessLogs,
          serverAccessLogsPrefix: `${definition.name}/`,
          removalPolicy: RemovalPolicy.RETAIN,
          // A presigned upload stays tagged pending until its digest is checked; one never
          // completed is removed after a day (functions/adapters/aws/document-store.ts).
          ...(definition.name === 'documents'
            ? {
                lifecycleRules: [
                  { tagFilters: { 'elicense-upload': 'pending' }, expiration: Duration.days(1) },
                ],
              }
            : {}),
        }),
      ]),
    ) as Record<BucketDefinition['name'], Bucket>;
  }

  private table(stage: string, definition: TableDefinition): TableV2 {
    const attribute = (a: { name: string; type: 'S' | 'N' | 'B' }) => ({
      name: a.name,
      type:
        a.type === 'S' ? AttributeType.STRING : a.type === 'N' ? AttributeType.NUMBER : AttributeType.BINARY,
    });
    return new TableV2(this, `Table${pascal(definition.name)}`, {
      tableName: physicalTableName(stage, definition),
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      globalSecondaryIndexes: definition.globalIndexes?.map((index) => ({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
      })),
      billing: Billing.onDemand(),
      // AWS-managed KMS key: readers need no kms:Decrypt of their own, so the public route
      // group can read status data without any decrypt permission. Sensitive fields are
      // envelope-encrypted under the field-encryption key before they reach a table.
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      contributorInsightsSpecification: { enabled: definition.hot ?? false },
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
      ...(definition.stream ? { dynamoStream: StreamViewType.NEW_IMAGE } : {}),
    });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
