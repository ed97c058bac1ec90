import { resolve } from 'node:path';
import {
  ArnFormat,
  type CfnElement,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type { UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import {
  AccountRootPrincipal,
  Effect,
  Policy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  Alias,
  Architecture,
  Code,
  type IFunction,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BLIND_INDEX_KEY_CONTEXT } from '../../functions/adapters/aws/blind-indexer.ts';
import { awsBucketName, bucketEnvVar } from '../../functions/adapters/aws/buckets.ts';
import { SEAL_KEY_STAGE_TAG_KEY, SEAL_KEY_TAG } from '../../functions/adapters/aws/kms-seal-keys.ts';
import {
  APPLICATION_ATTACHMENT_ATTRIBUTES,
  physicalTableName,
  type TableDefinition,
  tableEnvVar,
} from '../../functions/adapters/aws/tables.ts';
import { API_FUNCTION_TIMEOUT_SECONDS } from '../../functions/core/request-window.ts';
import { BUNDLE_FILE, bundleHandler } from '../bundling.ts';

const repositoryRoot = resolve(import.meta.dirname, '../..');

export interface ApiFunctionProps {
  /** Handler module relative to the repository root, e.g. `functions/handlers/public.ts`. */
  entry: string;
  stage: string;
  logRetention: RetentionDays;
  description: string;
  memorySize?: number;
  timeout?: Duration;
  /** Reserved concurrency: the most instances this function may run at once. */
  reservedConcurrency?: number;
  /** Instances kept initialised (an alias `live` that callers invoke); none when 0 or absent. */
  provisionedConcurrency?: number;
  /** Encrypts the function's log group (log events carry request ids, agencies and errors). */
  logKey: IKey;
  /** Where asynchronous invocations that failed go (scheduled functions); none for API functions. */
  deadLetterQueue?: IQueue;
}

/**
 * A Lambda function with the platform's defaults baked in: Node 24 on ARM64, bundled
 * locally with esbuild (never Docker), source maps, X-Ray, Powertools settings, its own
 * log group with retention, and a role that may write only to that log group. Tables and
 * buckets are bound with `bindTable`/`bindBucket`, which set the environment variable and
 * the grant together.
 */
export class ApiFunction extends Construct {
  readonly function: LambdaFunction;
  /** What callers invoke: the `live` alias when concurrency is provisioned, else the function. */
  readonly target: IFunction;
  readonly role: Role;
  /**
   * What the function does with the stage's agency seal keys (kms:GetPublicKey, kms:Sign,
   * kms:ScheduleKeyDeletion, kms:DisableKey), as its role allows by their tags: `sealKeyPolicy` grants the same
   * in each new seal key's own policy, which applies at once where the tags may take minutes.
   */
  readonly sealKeyActions = new Set<string>();
  readonly #stage: string;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);
    this.#stage = props.stage;
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: least privilege, granted by binding`,
    });
    // Scoped to this function's own log group instead of AWSLambdaBasicExecutionRole's `*`.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );

    this.function = new LambdaFunction(this, 'Function', {
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: `${BUNDLE_FILE.replace(/\.mjs$/, '')}.handler`,
      code: Code.fromAsset(repositoryRoot, {
        bundling: {
          // Required by the API but never pulled: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
          // Never run; it names the entry so that CDK's bundling cache (keyed on these
          // options, not on the local bundler) tells one function's bundle from another's.
          command: ['esbuild', props.entry],
          local: {
            tryBundle(outputDir: string) {
              bundleHandler(props.entry, outputDir);
              return true;
            },
          },
        },
      }),
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(API_FUNCTION_TIMEOUT_SECONDS),
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      // A failed scheduled run is not retried by Lambda (the next run a minute later picks up
      // where it stopped); its event is kept in the dead-letter queue, whose depth is alarmed.
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue, retryAttempts: 0 } : {}),
      logGroup,
      role: this.role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ELICENSE_STAGE: props.stage,
        POWERTOOLS_SERVICE_NAME: 'elicense',
        POWERTOOLS_METRICS_NAMESPACE: 'elicense',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Never a result in the traces (they would carry licenses, names, usage-key values):
        // the handlers' middleware already says so; this covers any other traced method too.
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      },
    });
    this.target =
      (props.provisionedConcurrency ?? 0) > 0
        ? new Alias(this, 'Live', {
            aliasName: 'live',
            version: this.function.currentVersion,
            provisionedConcurrentExecutions: props.provisionedConcurrency,
          })
        : this.function;
    Validations.of(this.function).acknowledge(
      ...(props.deadLetterQueue
        ? []
        : [
            {
              id: 'NIST.800.53.R5-LambdaDLQ',
              reason:
                'API Gateway invokes the function synchronously: a failure is answered to the caller at once (problem+json 5xx), alarmed, and never retried by Lambda, so there is no asynchronous event a dead-letter queue could keep.',
            },
          ]),
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason:
          'The functions reach only regional AWS service endpoints (DynamoDB, S3, KMS, X-Ray, CloudWatch) over TLS with SigV4 and IAM, and no private resource; a VPC would add NAT or six interface endpoints per AZ and cold-start cost without narrowing what the role may do. Egress control is by IAM and resource policies.',
      },
    );
    const logGroupId = Stack.of(this).getLogicalId(logGroup.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions: AWS requires Resource "*" for them.',
      },
      {
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason:
          'Each function has its own role with its own policy, used by nothing else (IAM guidance: inline policies for a strict one-to-one relationship). A customer-managed policy would allow 6,144 characters instead of 10,240, which the per-shard table ARNs of large stages outgrow.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${logGroupId}.Arn>:*]`,
        reason:
          'Log streams are created at run time under this function’s own log group; the wildcard covers only them.',
      },
    );
  }

  /**
   * Gives the function a table: its name in `TABLE_<NAME>` and the access asked for, as named
   * actions on the table's ARN derived from its name, so that no CloudFormation export ties this
   * stack to the data stack:
   * - `DESCRIBE`: existence only, for health checks;
   * - `APPEND`: new items only — PutItem (also inside TransactWriteItems, which IAM authorises
   *   per item action), no update or delete and no read action: the audit log of a function that
   *   never reads it. Not no read at all: a PutItem its condition refuses can hand back the item
   *   it met (ReturnValuesOnConditionCheckFailure, which the audit writer uses to know its own
   *   retried event), so whoever holds the role and knows an item's keys can learn that item;
   * - `READ_APPEND`: reads (the table and its indexes) and new items, no update or delete: the
   *   audit log of a function that also reads it;
   * - `RO`: reads;
   * - `READ_PUT_UPDATE`: reads, PutItem and UpdateItem (each also inside a transaction), no
   *   delete: for a function whose code never deletes there, so a stolen role cannot either
   *   (though a put still replaces an item of the same key);
   * - `RW`: reads, puts, updates and DeleteItem, where the function's code deletes.
   * No level grants BatchWriteItem: no code batch-writes.
   */
  bindTable(
    table: TableDefinition,
    access: 'DESCRIBE' | 'APPEND' | 'READ_APPEND' | 'RO' | 'READ_PUT_UPDATE' | 'RW',
  ): this {
    const name = physicalTableName(this.#stage, table);
    this.function.addEnvironment(tableEnvVar(table), name);
    const stack = Stack.of(this);
    const arn = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
    const reads = access !== 'DESCRIBE' && access !== 'APPEND';
    const read = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
    ];
    const writes: Record<typeof access, string[]> = {
      DESCRIBE: [],
      RO: [],
      APPEND: ['dynamodb:PutItem'],
      READ_APPEND: ['dynamodb:PutItem'],
      READ_PUT_UPDATE: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      RW: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    };
    const actions = [
      'dynamodb:DescribeTable', // the health check tells "reachable" from "missing"
      ...(reads ? read : []),
      ...writes[access],
    ];
    const indexes = reads && (table.globalIndexes?.length ?? 0) > 0;
    this.role.addToPolicy(
      new PolicyStatement({ actions, resources: indexes ? [arn, `${arn}/index/*`] : [arn] }),
    );
    if (indexes) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:dynamodb:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:table/${name}/index/*]`,
        reason: `The global secondary indexes of the ${table.name} table only (${table.globalIndexes!.map((i) => i.name).join(', ')}).`,
      });
    }
    return this;
  }

  #allowOnSealKeys(actions: string[]): void {
    for (const action of actions) this.sealKeyActions.add(action);
    this.role.addToPolicy(onSealKeys(Stack.of(this), this.#stage, actions));
  }

  /**
   * Lets the function read public keys: the platform key (its id in ELICENSE_PLATFORM_KEY_ID)
   * and, unless `sealKeys` is false, the stage's agency seal keys, which the operator creates
   * tagged `elicense-role=seal` and `elicense-stage=<stage>`.
   * kms:GetPublicKey only — no sign, no decrypt.
   *
   * `sealKeys: false` for a function that signs with the platform key and verifies nothing an
   * agency signed (status lists, the audit sealer): no tag statement, and `sealKeyPolicy` names
   * its role in no seal key's policy.
   */
  bindPublicKeys(platformKey: IKey, options: { sealKeys?: boolean } = {}): this {
    this.function.addEnvironment('ELICENSE_PLATFORM_KEY_ID', platformKey.keyArn);
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [platformKey.keyArn] }),
    );
    if (options.sealKeys === false) return this;
    const stack = Stack.of(this);
    this.#allowOnSealKeys(['kms:GetPublicKey']);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:kms:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:key/*]`,
      reason:
        'Agency seal keys are created at run time by the operator flow, so their ARNs are not known at deploy time; statements on key/* are limited by attribute-based access to keys tagged elicense-role=seal and this stage in elicense-stage (kms:GetPublicKey, and kms:Sign for the issuer group only).',
    });
    return this;
  }

  /** Where the function finds the field key and the blind-index key blob. */
  #fieldKeyEnvironment(fieldKey: IKey, blindIndexKeyBlob: string | undefined): void {
    this.function.addEnvironment('ELICENSE_FIELD_KEY_ARN', fieldKey.keyArn);
    if (blindIndexKeyBlob) this.function.addEnvironment('ELICENSE_BLIND_INDEX_KEY_BLOB', blindIndexKeyBlob);
  }

  /**
   * The blind index alone, without field encryption: kms:Decrypt on the field key only for a
   * ciphertext bound to the blind-index purpose — the key blob, never a sealed field.
   */
  bindBlindIndexKey(fieldKey: IKey, blindIndexKeyBlob: string | undefined): this {
    this.#fieldKeyEnvironment(fieldKey, blindIndexKeyBlob);
    const conditions = Object.fromEntries(
      Object.entries(BLIND_INDEX_KEY_CONTEXT).map(([name, value]) => [
        `kms:EncryptionContext:${name}`,
        value,
      ]),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [fieldKey.keyArn],
        conditions: { StringEquals: conditions },
      }),
    );
    return this;
  }

  /**
   * Of the holders table, the items under identities (`I#…`: owners, failed-claim markers, locks)
   * only, to read and delete: what unblocking an identity's proofing needs, and no binding, sealed
   * code or device key.
   */
  bindIdentityClaims(table: TableDefinition): this {
    const name = physicalTableName(this.#stage, table);
    this.function.addEnvironment(tableEnvVar(table), name);
    const arn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [arn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['I#*'] } },
      }),
    );
    return this;
  }

  /**
   * The field-encryption key: `encrypt` (GenerateDataKey, for sealing fields, plus Decrypt of
   * the blind-index key blob) or `decrypt` (opening sealed fields and the blob). The blob is the
   * stage's `blindIndexKeyBlob` (README: deploying).
   */
  bindFieldKey(fieldKey: IKey, use: 'encrypt' | 'decrypt', blindIndexKeyBlob: string | undefined): this {
    this.#fieldKeyEnvironment(fieldKey, blindIndexKeyBlob);
    const actions = use === 'encrypt' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'];
    this.role.addToPolicy(new PolicyStatement({ actions, resources: [fieldKey.keyArn] }));
    return this;
  }

  /**
   * Identity proofing by face match (holder group): Amazon Rekognition CompareFaces, and reading
   * the registered ID photos under `reference-photos/` of the given bucket.
   */
  bindFaceMatchProofing(referencePhotoBucket: string, similarityThreshold: number): this {
    const stack = Stack.of(this);
    this.function.addEnvironment('ELICENSE_PROOFING_PROVIDERS', 'rekognition-compare-faces');
    this.function.addEnvironment('ELICENSE_REFERENCE_PHOTO_BUCKET', referencePhotoBucket);
    this.function.addEnvironment('ELICENSE_FACE_SIMILARITY_THRESHOLD', String(similarityThreshold));
    this.role.addToPolicy(new PolicyStatement({ actions: ['rekognition:CompareFaces'], resources: ['*'] }));
    const photos = stack.formatArn({
      service: 's3',
      region: '',
      account: '',
      resource: referencePhotoBucket,
      resourceName: 'reference-photos/*',
    });
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [photos] }));
    // Without ListBucket, S3 answers a missing photo with 403 AccessDenied rather than 404: the
    // proofing would fail as an outage (500, no attempt counted) instead of as "no photo". Granted
    // on the bucket without an s3:prefix condition: AWS documents that ListBucket on the bucket
    // decides 404 against 403, not whether that implicit check carries the key as s3:prefix, and
    // a grant that may not count there fails every identity without a photo. The keys are blind
    // indexes, and GetObject stays within reference-photos/.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [
          stack.formatArn({ service: 's3', region: '', account: '', resource: referencePhotoBucket }),
        ],
      }),
    );
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'rekognition:CompareFaces defines no resource types: it can only be granted on *. It compares two images the function sends and touches no stored data.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:s3:::${referencePhotoBucket}/reference-photos/*]`,
        reason:
          'Registered ID photos only, one object per holder identity (keyed by its blind index), read-only.',
      },
    );
    return this;
  }

  /** kms:Sign with the stage's agency seal keys only (tagged `elicense-role=seal`, `elicense-stage=<stage>`), never the platform key. */
  bindSealSigning(): this {
    this.#allowOnSealKeys(['kms:Sign']);
    return this;
  }

  /**
   * Creating agency seal keys (operator group): kms:CreateKey only for SIGN_VERIFY keys of the
   * stage's seal key spec (in ELICENSE_SEAL_KEY_SPEC) that carry the seal tags and no others, and
   * scheduling the deletion of a seal key a refused registration left behind.
   *
   * Tags given to CreateKey are authorised as kms:TagResource, which KMS requires in an IAM
   * policy covering every key of the account and region ("Controlling access to tags", KMS
   * developer guide): it cannot be tied to the key being created. So the same grant would let
   * the operator tag an existing key `elicense-role=seal` — and a key of the seal spec would then
   * be signed with by the issuer function and scheduled for deletion by this one. Denied here:
   * any tagging or untagging of the stacks' own keys (`stackKeys`, by ARN), and tagging any key
   * that already carries an `elicense-role` other than seal (every stage's platform key is
   * tagged `elicense-role=platform`). What remains: an untagged key of the seal spec made outside
   * these stacks in the same account and region could still be made a seal key; keep such keys
   * in another account, or tag them with their role.
   */
  bindSealKeyProvisioning(
    tagKeys: readonly string[],
    keySpec: 'ECC_NIST_P256' | 'SM2',
    stackKeys: readonly IKey[],
  ): this {
    const stack = Stack.of(this);
    this.function.addEnvironment('ELICENSE_SEAL_KEY_SPEC', keySpec);
    const sealTags = {
      [`aws:RequestTag/${SEAL_KEY_TAG.TagKey}`]: SEAL_KEY_TAG.TagValue,
      [`aws:RequestTag/${SEAL_KEY_STAGE_TAG_KEY}`]: this.#stage,
    };
    const sealKey = { 'kms:KeySpec': keySpec, 'kms:KeyUsage': 'SIGN_VERIFY' };
    const onlySealTagKeys = { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...tagKeys] } };
    const anyKey = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['kms:CreateKey'],
        resources: ['*'],
        conditions: { StringEquals: { ...sealTags, ...sealKey }, ...onlySealTagKeys },
      }),
    );
    // KMS documents kms:KeySpec and kms:KeyUsage for CreateKey's request and for the key an
    // operation uses, not for the TagResource that authorises CreateKey's tags (no key exists
    // yet): required there, the grant might never match and no seal key could be created. So
    // they hold only where present — tagging an existing key, which must be of the seal spec.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['kms:TagResource'],
        resources: [anyKey],
        conditions: { StringEquals: sealTags, StringEqualsIfExists: sealKey, ...onlySealTagKeys },
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['kms:TagResource', 'kms:UntagResource'],
        resources: stackKeys.map((key) => key.keyArn),
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['kms:TagResource'],
        resources: [anyKey],
        // Both must hold: a key with no role tag (a key being created) is not refused here.
        conditions: {
          Null: { 'aws:ResourceTag/elicense-role': 'false' },
          StringNotEquals: { 'aws:ResourceTag/elicense-role': 'seal' },
        },
      }),
    );
    // Nor a key of another stage: retagging its seal key into this stage would hand it to this
    // stage's issuer function.
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['kms:TagResource'],
        resources: [anyKey],
        conditions: {
          Null: { [`aws:ResourceTag/${SEAL_KEY_STAGE_TAG_KEY}`]: 'false' },
          StringNotEquals: { [`aws:ResourceTag/${SEAL_KEY_STAGE_TAG_KEY}`]: this.#stage },
        },
      }),
    );
    // A refused registration's new key is scheduled away; a key the operator withdraws is disabled.
    this.#allowOnSealKeys(['kms:ScheduleKeyDeletion', 'kms:DisableKey']);
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `kms:CreateKey names no resource (the key does not exist yet); the statement is limited by conditions to ${keySpec} SIGN_VERIFY keys tagged elicense-role=seal and elicense-stage=${this.#stage} with only the seal tag keys.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:kms:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:key/*]`,
        reason:
          'Tags given to kms:CreateKey are authorised as kms:TagResource on every key of the account and region (KMS requires it); limited to the seal tags and spec, and denied on the stacks’ own keys and on keys tagged for another role.',
      },
    );
    return this;
  }

  /**
   * Per-agency API keys on the stage's usage plan (operator group): create a key
   * (POST /apikeys), add it to this plan, list this plan's keys by name and take keys off this
   * plan — nothing on any other plan, no reading of key values, no deleting of keys.
   *
   * The plan's id cannot be in the function's environment: the plan depends on the API's stage,
   * the stage on the deployment, the deployment on the methods and the methods on this function
   * (a CloudFormation cycle). So the function gets the plan's name (ELICENSE_USAGE_PLAN_NAME) and
   * finds its id at run time (GET /usageplans), and the statements that name the plan are a
   * policy of their own, which the function does not wait for.
   */
  bindUsageKeys(usagePlan: UsagePlan, name: string): this {
    const stack = Stack.of(this);
    this.function.addEnvironment('ELICENSE_USAGE_PLAN_NAME', name);
    const apigateway = (path: string) =>
      stack.formatArn({
        service: 'apigateway',
        account: '',
        resource: path,
        arnFormat: ArnFormat.NO_RESOURCE_NAME,
      });
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['apigateway:GET'], resources: [apigateway('/usageplans')] }),
    );
    const planKeys = apigateway(`/usageplans/${usagePlan.usagePlanId}/keys`);
    const policy = new Policy(this, 'UsageKeys', {
      roles: [this.role],
      statements: [
        new PolicyStatement({ actions: ['apigateway:POST'], resources: [apigateway('/apikeys'), planKeys] }),
        new PolicyStatement({ actions: ['apigateway:GET'], resources: [planKeys] }),
        new PolicyStatement({ actions: ['apigateway:DELETE'], resources: [`${planKeys}/*`] }),
      ],
    });
    const planLogicalId = stack.getLogicalId(usagePlan.node.defaultChild as CfnElement);
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:apigateway:${nagName(stack.region, 'AWS::Region')}::/usageplans/<${planLogicalId}>/keys/*]`,
        reason:
          'Taking an agency’s replaced key off the stage’s usage plan (DELETE /usageplans/{plan}/keys/{keyId}): key ids are made at run time; the wildcard covers the keys of this one plan only.',
      },
      {
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason:
          'A policy of this function’s role alone, kept apart from its default policy because it names the usage plan, which depends (through the API stage and deployment) on the function itself.',
      },
    );
    return this;
  }

  /** kms:Sign with the platform key (annotated copies, status lists, audit checkpoints). */
  bindPlatformSigning(platformKey: IKey): this {
    this.role.addToPolicy(new PolicyStatement({ actions: ['kms:Sign'], resources: [platformKey.keyArn] }));
    return this;
  }

  /**
   * Gives the function a bucket: its name in `BUCKET_<NAME>` and the access asked for, as
   * named actions (not the `s3:GetObject*`-style wildcards of `grantRead`) on the ARN derived
   * from the bucket's name: `LIST` (existence, for health checks), `RO` (read objects), `APPEND`
   * (read and put objects, no delete or tagging: a put replaces an object of the same key, except
   * in the Object-Locked audit archive, which keeps every version), `READ_PUT_DELETE` (read, put
   * and delete objects, no tagging: for a function that presigns no upload) or `RW` (read, write,
   * delete and tag objects: presigned uploads are tagged pending until verified), plus the bucket
   * key's use of its KMS key.
   */
  bindBucket(
    bucket: 'documents' | 'audit-archive' | 'public',
    access: 'LIST' | 'RO' | 'APPEND' | 'READ_PUT_DELETE' | 'RW',
    encryptionKey?: IKey,
  ): this {
    const stack = Stack.of(this);
    const name = awsBucketName(this.#stage, { name: bucket }, stack.account);
    this.function.addEnvironment(bucketEnvVar({ name: bucket }), name);
    const arn = stack.formatArn({ service: 's3', region: '', account: '', resource: name });
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [arn] }));
    if (access === 'LIST') return this;
    const objectActions = {
      RO: ['s3:GetObject'],
      APPEND: ['s3:GetObject', 's3:PutObject'],
      READ_PUT_DELETE: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      RW: [
        's3:GetObject',
        's3:PutObject',
        's3:DeleteObject',
        's3:PutObjectTagging',
        's3:DeleteObjectTagging',
      ],
    }[access];
    this.role.addToPolicy(new PolicyStatement({ actions: objectActions, resources: [`${arn}/*`] }));
    if (encryptionKey) {
      const keyActions = access === 'RO' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey'];
      this.role.addToPolicy(new PolicyStatement({ actions: keyActions, resources: [encryptionKey.keyArn] }));
    }
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:s3:::elicense-${this.#stage}-${bucket}-${nagName(stack.account, 'AWS::AccountId')}/*]`,
      reason: `Objects of the ${bucket} bucket only, under keys made at run time (random document keys, status-list ids); the actions are named one by one.`,
    });
    return this;
  }
  /**
   * The sweep of documents nothing holds (functions/app/sweep-unheld-documents.ts): the
   * documents bucket's name, listing it, and on objects under `documents/` HeadObject
   * (which IAM names s3:GetObject) and DeleteObject. No KMS: a HeadObject of an SSE-KMS object needs
   * none, so the sweeper cannot read a document's bytes, only what was recorded with them.
   */
  bindDocumentSweep(): this {
    const stack = Stack.of(this);
    const name = awsBucketName(this.#stage, { name: 'documents' }, stack.account);
    this.function.addEnvironment(bucketEnvVar({ name: 'documents' }), name);
    const arn = stack.formatArn({ service: 's3', region: '', account: '', resource: name });
    // On the bucket, without an s3:prefix condition (the sweep lists under documents/ anyway): a
    // HeadObject of a key removed meanwhile must answer 404 ("gone") rather than 403, and S3 does so
    // for a caller allowed ListBucket, with no documented s3:prefix in that check (bindFaceMatchProofing).
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [arn] }));
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [`${arn}/${DOCUMENTS_PREFIX}`],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${nagName(stack.partition, 'AWS::Partition')}:s3:::elicense-${this.#stage}-documents-${nagName(stack.account, 'AWS::AccountId')}/${DOCUMENTS_PREFIX}]`,
      reason:
        'Documents only (keys made at run time, documents/<day>/<random>): read their metadata and delete those nothing holds.',
    });
    return this;
  }

  /**
   * The sweep's read of applications (DynamoApplicationStore.heldAttachments): GetItem on the
   * applications table alone (no Query, no index), conditioned as AWS's fine-grained access
   * example is on the attributes it names: its key, type and attachment list, so the sweeper is
   * not granted an application's sealed content or history. (Untested: DynamoDB Local enforces
   * no IAM.)
   */
  bindApplicationAttachments(table: TableDefinition): this {
    const name = physicalTableName(this.#stage, table);
    this.function.addEnvironment(tableEnvVar(table), name);
    const arn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [arn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...APPLICATION_ATTACHMENT_ATTRIBUTES] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    return this;
  }
}

/** Where the document store keeps every layout document (functions/adapters/aws/document-key.ts). */
const DOCUMENTS_PREFIX = 'documents/*';

/**
 * `actions` on the stage's agency seal keys only: created at run time, their ARNs are unknown at
 * deploy time, so the statement names every key and admits those tagged `elicense-role=seal` and
 * `elicense-stage=<stage>` — stages may share an account, and one stage's functions must not sign
 * with (or delete) another's seal keys.
 */
function onSealKeys(stack: Stack, stage: string, actions: string[]): PolicyStatement {
  return new PolicyStatement({
    actions,
    resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
    conditions: {
      StringEquals: {
        [`aws:ResourceTag/${SEAL_KEY_TAG.TagKey}`]: SEAL_KEY_TAG.TagValue,
        [`aws:ResourceTag/${SEAL_KEY_STAGE_TAG_KEY}`]: stage,
      },
    },
  });
}

/**
 * The key policy every new agency seal key of the stage is created with (the operator function's
 * ELICENSE_SEAL_KEY_POLICY): each function's role is granted by ARN what it does with seal keys.
 * The roles' tag-conditioned IAM statements (`onSealKeys`) allow the same, but KMS may take up to
 * five minutes to honour a new key's tags — the operator's own GetPublicKey right after
 * CreateKey, and the first issuance signed with a new key, would be refused meanwhile. A key
 * policy applies from the key's creation.
 *
 * The account statement is KMS's default one: it keeps the IAM policies in force (the tag grants,
 * and the account's administrators, so no key becomes unmanageable). The operator function gets
 * no kms:PutKeyPolicy: it creates keys with this policy and the lockout safety check bypassed,
 * as that check asks the caller to be able to change the policy later, which it must not.
 */
export function sealKeyPolicy(stack: Stack, functions: readonly ApiFunction[]): string {
  const rolesBy = new Map<string, string[]>();
  for (const fn of functions) {
    for (const action of fn.sealKeyActions)
      rolesBy.set(action, [...(rolesBy.get(action) ?? []), fn.role.roleArn]);
  }
  const statements = [
    {
      Sid: 'AccountIamPolicies',
      Effect: 'Allow',
      Principal: { AWS: new AccountRootPrincipal().arn },
      Action: 'kms:*',
      Resource: '*',
    },
    ...[...rolesBy].map(([action, roles]) => ({
      Sid: action.replace('kms:', 'StageFunctions'),
      Effect: 'Allow',
      Principal: { AWS: roles },
      Action: action,
      Resource: '*',
    })),
  ];
  return stack.toJsonString({ Version: '2012-10-17', Statement: statements });
}

/** How cdk-nag names a value in a finding: the literal, or `<Pseudo>` while it is unresolved. */
function nagName(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}
