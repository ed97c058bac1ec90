import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import {
  awsBucketName,
  type BucketDefinition,
  buckets,
  DOCUMENT_RECOVERY_DAYS,
} from '../functions/adapters/aws/buckets.ts';
import { DOCUMENT_KEY_PREFIX } from '../functions/adapters/aws/document-key.ts';
import { SEAL_KEY_STAGE_TAG_KEY } from '../functions/adapters/aws/kms-seal-keys.ts';
import { LISTS_PREFIX, REBUILD_CLAIMS } from '../functions/adapters/aws/status-list-cache.ts';
import { allTables, physicalTableName, type TableDefinition } from '../functions/adapters/aws/tables.ts';
import { HolderUserPool } from './constructs/holder-user-pool.ts';
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
  /**
   * Envelope key of sensitive license fields (AWS Encryption SDK keyring) and the blind-index
   * key; in the stage's CloudHSM key store when one is configured.
   */
  readonly fieldKey: IKey;
  /** The platform's own ES256 key: status lists, annotated copies, audit checkpoints. */
  readonly platformSigningKey: Key;
  /** Holder sign-in, when the stage uses Cognito (not offered in China regions). */
  readonly holderPool: HolderUserPool | undefined;
  /**
   * Issuer URL and audience of holder tokens (Cognito's or the external provider's), and the
   * provider's JWKS URI when it is not `<issuer>/.well-known/jwks.json`.
   */
  readonly holderTokens: { issuer: string; audience: string; jwksUri?: string };

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.dataKey = new Key(this, 'DataKey', {
      description: `elicense ${config.stage}: encrypts layout documents and audit archives at rest`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const fieldKeyDescription = `elicense ${config.stage}: envelope key of sensitive license fields and the blind-index key`;
    this.fieldKey = config.cloudHsmKeyStoreId
      ? this.keyInCloudHsm(config.cloudHsmKeyStoreId, fieldKeyDescription)
      : new Key(this, 'FieldKey', {
          description: fieldKeyDescription,
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        });
    new CfnOutput(this, 'FieldKeyArn', {
      description: 'The field-encryption key: create the blind-index key blob under it (README: deploying)',
      value: this.fieldKey.keyArn,
    });
    // Asymmetric keys cannot rotate automatically; a new platform key is rolled by publishing
    // both in the JWKS until every list and checkpoint signed with the old one has expired.
    this.platformSigningKey = new Key(this, 'PlatformSigningKey', {
      description: `elicense ${config.stage}: platform signatures (status lists, annotated copies, audit checkpoints)`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Of the seal keys' spec and usage, it says what it is: no stage's operator function may
    // tag a key with another elicense-role as a seal key (ApiFunction.bindSealKeyProvisioning).
    Tags.of(this.platformSigningKey).add('elicense-role', 'platform');
    Tags.of(this.platformSigningKey).add(SEAL_KEY_STAGE_TAG_KEY, config.stage);

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
      // No ACLs: log delivery is granted by bucket policy (FEATURE_FLAGS in lib/app.ts).
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      // Versioned, so an expiry only hides a log behind a delete marker: its noncurrent version
      // (requester IPs are personal data) is removed a day later, and the marker left alone after.
      lifecycleRules: [
        { expiration: Duration.days(config.logRetentionDays), noncurrentVersionExpiration: Duration.days(1) },
        { expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket; logging it into itself would loop.',
      },
      {
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason:
          'S3 server access logging delivers only to buckets whose default encryption is SSE-S3 (AES-256); SSE-KMS is not supported for the log destination.',
      },
    );

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
          // Sealed audit batches and checkpoints cannot be overwritten or deleted, by anyone, until
          // their retention ends (compliance mode unless the stage chooses governance).
          ...(definition.name === 'audit-archive'
            ? {
                objectLockEnabled: true,
                objectLockDefaultRetention:
                  config.auditArchiveLock.mode === 'COMPLIANCE'
                    ? ObjectLockRetention.compliance(Duration.days(config.auditArchiveLock.days))
                    : ObjectLockRetention.governance(Duration.days(config.auditArchiveLock.days)),
              }
            : {}),
          // A signed status list is put over its predecessor every ttl: the versions put over
          // (≈ 288 a day per list) go a day later. The claims to republish one
          // (functions/adapters/aws/status-list-cache.ts) matter for a minute: removed after a day,
          // their versions a day later — and, a Days rule removing expired delete markers too,
          // the markers with them.
          ...(definition.name === 'public'
            ? {
                lifecycleRules: [
                  { prefix: LISTS_PREFIX, noncurrentVersionExpiration: Duration.days(1) },
                  {
                    prefix: REBUILD_CLAIMS,
                    expiration: Duration.days(1),
                    noncurrentVersionExpiration: Duration.days(1),
                  },
                ],
              }
            : {}),
          // A presigned upload stays tagged pending until its digest is checked; one never
          // completed is removed after a day (functions/adapters/aws/document-store.ts).
          // The bucket is versioned, so a DeleteObject (the sweep's, a discarded attachment's, an
          // expired upload's) only lays a delete marker over the bytes: the version it hid is
          // removed DOCUMENT_RECOVERY_DAYS later — the window in which removing the marker undoes
          // a wrong delete — and the marker once nothing is left under it. No function may delete
          // a version itself (none is granted s3:DeleteObjectVersion).
          ...(definition.name === 'documents'
            ? {
                lifecycleRules: [
                  { tagFilters: { 'elicense-upload': 'pending' }, expiration: Duration.days(1) },
                  {
                    prefix: DOCUMENT_KEY_PREFIX,
                    noncurrentVersionExpiration: Duration.days(DOCUMENT_RECOVERY_DAYS),
                    expiredObjectDeleteMarker: true,
                  },
                ],
              }
            : {}),
        }),
      ]),
    ) as Record<BucketDefinition['name'], Bucket>;
    // Object Lock keeps every version of a sealed batch, but a plain DeleteObject is still allowed
    // on a versioned bucket: it lays a delete marker that hides the locked version from
    // ListObjectsV2 and GetObject — from the sealer's and the verifier's look at the archive
    // (functions/app/verify-audit-log.ts). No one needs it, so no one may: denied to every
    // principal. (Removing versions — emptying a governance-mode dev archive — is
    // s3:DeleteObjectVersion, which this leaves to Object Lock.)
    const archive = this.buckets['audit-archive'];
    archive.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject'],
        resources: [archive.arnForObjects('*')],
      }),
    );
    for (const bucket of [accessLogs, ...Object.values(this.buckets)]) {
      Validations.of(bucket).acknowledge({
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason:
          'Cross-region replication is a disaster-recovery choice that needs a bucket and key in a second region (cn-northwest-1 for cn-north-1) and is not built yet; within the region S3 keeps every object across at least three Availability Zones, versioning keeps every overwritten version, and the audit archive is under Object Lock.',
      });
    }
    Validations.of(this.buckets.public).acknowledge({
      id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      reason:
        'The public bucket holds only what anyone may read (signed status lists): SSE-S3 keeps the readers of public data free of any KMS grant. Everything with personal data is SSE-KMS under the data key.',
    });

    if (config.holderIdentity.kind === 'cognito') {
      this.holderPool = new HolderUserPool(this, 'Holders', {
        stage: config.stage,
        mfa: config.holderIdentity.mfa,
      });
      this.holderTokens = {
        issuer: this.holderPool.issuerUrl,
        audience: this.holderPool.client.userPoolClientId,
      };
      new CfnOutput(this, 'HolderIssuerUrl', {
        description: 'OIDC issuer of holder tokens (its JWKS: <issuer>/.well-known/jwks.json)',
        value: this.holderPool.issuerUrl,
      });
      new CfnOutput(this, 'HolderClientId', {
        description:
          'The holder app client id: the client_id of holder access tokens (ID tokens are refused)',
        value: this.holderPool.client.userPoolClientId,
      });
    } else {
      this.holderPool = undefined;
      const { issuer, audience, jwksUri } = config.holderIdentity;
      this.holderTokens = { issuer, audience, ...(jwksUri ? { jwksUri } : {}) };
    }
  }

  /**
   * A symmetric key in a CloudHSM custom key store. CloudFormation cannot create one (AWS::KMS::Key
   * refuses Origin AWS_CLOUDHSM), so a custom resource calls kms:CreateKey once; the key is never
   * deleted by the stack (as RETAIN for the other keys). Keys in a custom key store do not rotate
   * automatically: rotate by creating a new key and re-encrypting (the ESDK reads old messages
   * under any key the keyring is given).
   */
  private keyInCloudHsm(keyStoreId: string, description: string): IKey {
    const created = new AwsCustomResource(this, 'FieldKeyInCloudHsm', {
      onCreate: {
        service: 'KMS',
        action: 'CreateKey',
        parameters: {
          CustomKeyStoreId: keyStoreId,
          Origin: 'AWS_CLOUDHSM',
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          Description: description,
        },
        physicalResourceId: PhysicalResourceId.fromResponse('KeyMetadata.Arn'),
        outputPaths: ['KeyMetadata.Arn'],
      },
      policy: {
        statements: [
          new PolicyStatement({
            actions: ['kms:CreateKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:KeyOrigin': 'AWS_CLOUDHSM' } },
          }),
        ],
      },
      installLatestAwsSdk: false, // offline, deterministic synth; the runtime's SDK has CreateKey
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(created).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'kms:CreateKey names no resource (the key does not exist yet); the statement allows only keys whose origin is AWS_CLOUDHSM (condition kms:KeyOrigin).',
    });
    // The provider function CDK shares among AwsCustomResources of a stack: CloudFormation invokes
    // it synchronously, once per deploy of this resource.
    const provider = this.node.findChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The deploy-time provider of CDK’s AwsCustomResource writes only its own logs with this policy; it runs once per deploy, never on a request path.',
      },
      ...['LambdaConcurrency', 'LambdaDLQ', 'LambdaInsideVPC'].map((rule) => ({
        id: `NIST.800.53.R5-${rule}`,
        reason:
          'A deploy-time function invoked synchronously by CloudFormation, once per deploy: CloudFormation reports its failure and rolls back; it reaches only the KMS API.',
      })),
    );
    Validations.of(created).acknowledge({
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason:
        'The custom resource’s policy is used by its deploy-time provider alone (one-to-one, removed with it), the case IAM guidance keeps inline policies for.',
    });
    return Key.fromKeyArn(this, 'FieldKey', created.getResponseField('KeyMetadata.Arn'));
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
        ...(index.projection
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] }
          : {}),
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
    });
  }
}

/** The construct id of CDK's AwsCustomResource provider function (a fixed UUID in aws-cdk-lib). */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
