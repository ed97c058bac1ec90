import {
  Annotations,
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RequestValidator,
  RestApi,
  SecurityPolicy,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { InterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import { type CfnRule, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import { AUDIT_SEAL_GROUPS_ENV } from '../functions/adapters/aws/audit-seal-groups.ts';
import { SEAL_KEY_TAG_KEYS } from '../functions/adapters/aws/kms-seal-keys.ts';
import { allTables } from '../functions/adapters/aws/tables.ts';
import { STATUS_FUNCTION_TIMEOUT_SECONDS } from '../functions/core/request-window.ts';
import {
  binaryMediaTypes,
  handlerEntry,
  type RouteGroup,
  routeGroups,
  routes,
} from '../functions/http/routes.ts';
import { ApiFunction, sealKeyPolicy } from './constructs/api-function.ts';
import { addGatewayProblems } from './constructs/gateway-problems.ts';
import { PlatformAlarms } from './constructs/platform-alarms.ts';
import { PublicCdn } from './constructs/public-cdn.ts';
import {
  DOCUMENT_SWEEPER_RESERVED_CONCURRENCY,
  isChinaRegion,
  type StageConfig,
  sealerReservedConcurrency,
} from './stage-config.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  data: StatefulStack;
}

/** The API and the functions behind it, one per route group; holds no data of its own. */
export class StatelessStack extends Stack {
  readonly api: RestApi;
  readonly functions: ReadonlyMap<RouteGroup, ApiFunction>;
  readonly alarms: PlatformAlarms;
  /** Encrypts every log group of the stack. */
  readonly logKey: Key;
  readonly cdn: PublicCdn | undefined;
  /** Per-agency throttling and quotas (the stage's `agencyUsagePlan`); none when not enabled. */
  readonly agencyUsagePlan: UsagePlan | undefined;
  /** The scheduled audit sealer and the queue its failed runs land in. */
  readonly sealer: { fn: ApiFunction; deadLetterQueue: Queue };
  /** The daily sweep of documents nothing holds, and the queue its failed runs land in. */
  readonly documentSweeper: { fn: ApiFunction; deadLetterQueue: Queue };

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const logRetention = retention(config.logRetentionDays);

    // Log events carry request ids, agency codes and error details: every log group is encrypted
    // under this key, which only CloudWatch Logs of this account and region may use.
    this.logKey = new Key(this, 'LogKey', {
      description: `elicense ${config.stage}: encrypts the API stack's CloudWatch log groups`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${this.region}.${this.urlSuffix}`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    const functions = new Map<RouteGroup, ApiFunction>();
    for (const group of routeGroups) {
      functions.set(
        group,
        new ApiFunction(this, `${group[0]!.toUpperCase()}${group.slice(1)}Function`, {
          entry: handlerEntry(group),
          stage: config.stage,
          logRetention,
          description: `elicense ${config.stage}: ${group} routes`,
          reservedConcurrency: config.reservedConcurrency[group],
          provisionedConcurrency: config.provisionedConcurrency[group] ?? 0,
          logKey: this.logKey,
          // The status group rebuilds a list from its changed slots on the request path: a list
          // of 2^20 every license of which was re-issued is ≈ 19,000 RCU from one partition
          // (≈ 6.5 s) and a million items to decode. One whole vCPU, and time up to API
          // Gateway's 29 s integration limit.
          ...(group === 'status'
            ? { memorySize: 1769, timeout: Duration.seconds(STATUS_FUNCTION_TIMEOUT_SECONDS) }
            : {}),
        }),
      );
    }
    this.functions = functions;
    // Every function knows the stage's public URL, its shard map and its platform key (whose
    // presence also selects KMS over the local key vault), and whether the stage takes demo
    // data: the operator refuses demo records without it, and every agency route group refuses
    // requests signed with a demo key (functions/http/agency-auth.ts).
    const commonEnvironment: Record<string, string> = {
      ELICENSE_PUBLIC_BASE_URL: config.publicBaseUrl,
      ELICENSE_SHARDS_PER_DOMAIN: JSON.stringify(config.shardsPerDomain),
      ...(config.demoData ? { ELICENSE_DEMO_DATA: 'allowed' } : {}),
    };
    for (const fn of functions.values()) {
      for (const [name, value] of Object.entries(commonEnvironment)) fn.function.addEnvironment(name, value);
    }
    // Issuance (a type's issuers, signed into a legally binding license) and public verification
    // (a withdrawn seal key) trust a cached type or agency for 5 s, not the 60 s of the reading
    // paths: their load on one item stays containers ÷ 5 reads a second (CachedCatalog).
    for (const group of ['issuer', 'public'] as const) {
      functions.get(group)?.function.addEnvironment('ELICENSE_CATALOG_MAX_AGE_SECONDS', '5');
    }
    // The health answer reports the sealing lag of every seal group's chain head.
    functions.get('public')?.function.addEnvironment(AUDIT_SEAL_GROUPS_ENV, String(config.auditSealGroups));
    const definitions = new Map(allTables(config.shardsPerDomain).map((t) => [t.name, t]));
    const table = (name: string) => definitions.get(name)!;
    const licenseTables = [...definitions.keys()].filter((name) => name.startsWith('license-'));

    // public: health, catalog, JWKS, verification. It reads the catalog and status entries and
    // the public halves of keys — no decrypt, no sign — and appends one audit event per
    // verification: PutItem only, so an anonymous route can neither read the log nor change it.
    functions
      .get('public')
      ?.bindTable(table('config'), 'RO')
      .bindTable(table('status-lists'), 'RO')
      .bindTable(table('audit-seals'), 'RO') // the health answer reports the sealing lag
      .bindTable(table('audit'), 'APPEND')
      .bindBucket('documents', 'LIST', data.dataKey)
      .bindPublicKeys(data.platformSigningKey);

    // status: serves signed status lists — reads status entries, signs with the platform key at
    // most once per list and ttl, keeps the signed lists in the public bucket (gets the one
    // published and puts its successor over it; never deletes or tags). It reads no seal key.
    functions
      .get('status')
      ?.bindTable(table('status-lists'), 'RO')
      .bindBucket('public', 'APPEND')
      .bindPublicKeys(data.platformSigningKey, { sealKeys: false })
      .bindPlatformSigning(data.platformSigningKey);

    // The agency groups authenticate every request: the registry (read) and nonces (claimed by
    // a conditional Put, read by nothing, left to TTL: append only), and every change they make
    // is audited — appended only (conditional Puts, alone or in the change's transaction): none
    // of them reads the log, and none may rewrite or delete an event before the sealer seals it.
    for (const group of ['issuer', 'retrieval', 'operator'] as const) {
      functions
        .get(group)
        ?.bindTable(table('config'), group === 'operator' ? 'RW' : 'RO')
        .bindTable(table('nonces'), 'APPEND')
        .bindTable(table('audit'), 'APPEND')
        .bindPublicKeys(data.platformSigningKey);
    }

    // operator: registers agencies, types and agreements; creates agency seal keys; forgets the
    // failed proofings claimed against an identity (the holders table, found by blind index).
    functions
      .get('operator')
      ?.bindSealKeyProvisioning(SEAL_KEY_TAG_KEYS, config.sealAlgorithm === 'SM2' ? 'SM2' : 'ECC_NIST_P256', [
        data.platformSigningKey,
        data.fieldKey,
        data.dataKey,
        this.logKey,
      ])
      .bindIdentityClaims(table('holders'))
      .bindBlindIndexKey(data.fieldKey, config.blindIndexKeyBlob);

    // issuer: writes licenses, their indexes and status entries; seals fields; signs with
    // agency seal keys (never the platform key); stores layout documents.
    const issuer = functions.get('issuer');
    if (issuer) {
      // No delete but in the idempotency table, where Powertools removes a failed request's record.
      for (const name of licenseTables) issuer.bindTable(table(name), 'READ_PUT_UPDATE');
      issuer
        .bindTable(table('holder-index'), 'READ_PUT_UPDATE')
        .bindTable(table('issuer-listing'), 'READ_PUT_UPDATE')
        .bindTable(table('status-lists'), 'READ_PUT_UPDATE')
        .bindTable(table('idempotency'), 'RW')
        .bindTable(table('applications'), 'READ_PUT_UPDATE')
        // A holder's device key becomes the license's cnf; RO includes ConditionCheckItem, with
        // which the license's write checks the key is still active.
        .bindTable(table('holders'), 'RO')
        .bindBucket('documents', 'RW', data.dataKey)
        .bindFieldKey(data.fieldKey, 'encrypt', config.blindIndexKeyBlob)
        .bindSealSigning();
      issuer.function.addEnvironment('ELICENSE_DOCUMENTS_KEY_ID', data.dataKey.keyArn);
    }

    // retrieval: reads licenses, counts grant uses, opens sealed fields, signs annotated copies
    // with the platform key, presigns layout-document downloads.
    const retrieval = functions.get('retrieval');
    if (retrieval) {
      for (const name of licenseTables) retrieval.bindTable(table(name), 'RO');
      retrieval
        .bindTable(table('holder-index'), 'RO')
        .bindTable(table('grants'), 'READ_PUT_UPDATE')
        .bindBucket('documents', 'RO', data.dataKey)
        .bindFieldKey(data.fieldKey, 'decrypt', config.blindIndexKeyBlob)
        .bindPlatformSigning(data.platformSigningKey);
    }

    // holder: a holder's own licenses, grants, applications and access history, authenticated
    // by OIDC tokens of the stage's holder identity provider (Cognito or external).
    const holder = functions.get('holder');
    if (holder) {
      for (const name of licenseTables) holder.bindTable(table(name), 'RO');
      holder
        .bindTable(table('holders'), 'RW') // unlocking proofing, consuming device-key challenges
        .bindTable(table('applications'), 'READ_PUT_UPDATE')
        .bindTable(table('grants'), 'READ_PUT_UPDATE')
        // The access history reads the by-license index; its own reads are appended as events.
        .bindTable(table('audit'), 'READ_APPEND')
        .bindTable(table('config'), 'RO')
        .bindTable(table('holder-index'), 'RO')
        // Application attachments are stored (and removed again when their step is not
        // recorded); license documents are presigned for download. No presigned upload: no tagging.
        .bindBucket('documents', 'READ_PUT_DELETE', data.dataKey)
        // Seals application data, proofed holder codes and presentation references; opens licenses.
        .bindFieldKey(data.fieldKey, 'encrypt', config.blindIndexKeyBlob)
        .bindPublicKeys(data.platformSigningKey);
      holder.function.addEnvironment('ELICENSE_DOCUMENTS_KEY_ID', data.dataKey.keyArn);
      holder.function.addEnvironment('ELICENSE_HOLDER_ISSUER', data.holderTokens.issuer);
      holder.function.addEnvironment('ELICENSE_HOLDER_AUDIENCE', data.holderTokens.audience);
      if (data.holderTokens.jwksUri)
        holder.function.addEnvironment('ELICENSE_HOLDER_JWKS_URI', data.holderTokens.jwksUri);
      const faceMatch = config.holderProofing.faceMatch;
      if (faceMatch)
        holder.bindFaceMatchProofing(faceMatch.referencePhotoBucket, faceMatch.similarityThreshold);
    }

    // A function run on a schedule, with the shared environment and a dead-letter queue (alarmed)
    // that both its failed runs and the rules' failed invocations land in. A rule per entry of
    // `rules`, on the same schedule, each with its own description and, if given, the constant
    // event its runs get.
    const scheduled = (
      id: string,
      props: {
        entry: string;
        /** Who fails, in the queue's acknowledgement: "the sealer's failed runs". */
        runner: string;
        what: string;
        reservedConcurrency: number;
        timeout: Duration;
        memorySize?: number;
        schedule: Schedule;
        rules: readonly { description: string; input?: Record<string, unknown> }[];
      },
    ) => {
      const deadLetterQueue = new Queue(this, `${id}DeadLetters`, {
        // SSE-SQS, not alias/aws/sqs: EventBridge sends the rule's failed invocations as
        // events.amazonaws.com, which that AWS-managed key's fixed policy (principals of the
        // account only) refuses, so they would be dropped unseen. SSE-SQS needs no key policy.
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself the dead-letter queue of the ${props.runner}’s failed runs.`,
      });
      const fn = new ApiFunction(this, `${id}Function`, {
        entry: props.entry,
        stage: config.stage,
        logRetention,
        description: `elicense ${config.stage}: ${props.what} (scheduled)`,
        reservedConcurrency: props.reservedConcurrency,
        timeout: props.timeout,
        ...(props.memorySize === undefined ? {} : { memorySize: props.memorySize }),
        logKey: this.logKey,
        deadLetterQueue,
      });
      for (const [name, value] of Object.entries(commonEnvironment)) fn.function.addEnvironment(name, value);
      // The queue is the rules' dead-letter queue by one policy statement for all of them, on
      // their common name prefix: given to each target, it would add a statement per rule, and
      // SQS takes at most 20 statements and 8 KB (32 seal groups' rules would not deploy).
      // `_` after the stage: stage names cannot hold one, so the prefix (the dead-letter policy's
      // condition) names this stage's rules only — `elicense-x-sealer-` would also match the
      // rules of a stage called `x-sealer`.
      const ruleNamePrefix = `elicense-${config.stage}_${id.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase()}-`;
      props.rules.forEach(({ description, input }, n) => {
        // The first rule keeps the id of the one rule there was.
        const rule = new Rule(this, `${id}Schedule${n === 0 ? '' : n}`, {
          ruleName: `${ruleNamePrefix}${n}`,
          description: `elicense ${config.stage}: ${description}`,
          schedule: props.schedule,
          targets: [
            new LambdaTarget(fn.function, {
              retryAttempts: 0,
              ...(input ? { event: RuleTargetInput.fromObject(input) } : {}),
            }),
          ],
        });
        (rule.node.defaultChild as CfnRule).addPropertyOverride(
          'Targets.0.DeadLetterConfig.Arn',
          deadLetterQueue.queueArn,
        );
      });
      deadLetterQueue.addToResourcePolicy(
        new PolicyStatement({
          sid: 'ScheduleRulesFailedInvocations',
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [deadLetterQueue.queueArn],
          conditions: {
            ArnLike: {
              'aws:SourceArn': this.formatArn({
                service: 'events',
                resource: 'rule',
                resourceName: `${ruleNamePrefix}*`,
              }),
            },
          },
        }),
      );
      return { fn, deadLetterQueue };
    };

    // The audit sealer: every minute it seals settled audit events into signed, hash-chained
    // batches (audit-seals table, and manifests in the Object-Locked archive) with the platform key.
    // The log is sealed as G chains (the stage's auditSealGroups): one function, one rule per
    // group, whose run gets `{"group": k}` and seals that group's chain only.
    const sealGroups = config.auditSealGroups;
    const sealerRun = scheduled('Sealer', {
      entry: 'functions/handlers/sealer.ts',
      runner: 'sealer',
      what: 'audit sealer',
      // A group's runs may overlap (the seal store lets one of them extend its chain): two per
      // group; more is waste.
      reservedConcurrency: sealerReservedConcurrency(sealGroups),
      timeout: Duration.minutes(5),
      // One whole vCPU (Lambda gives one at 1,769 MB): a chain is sealed batch after batch, so
      // its pace is one core's (≈ 40,000 events per CPU-second, bench/audit-sealing.bench.ts).
      memorySize: 1769,
      schedule: Schedule.rate(Duration.minutes(1)),
      rules: Array.from({ length: sealGroups }, (_, group) => ({
        description: `run the audit sealer for seal group ${group} of ${sealGroups}`,
        input: { group },
      })),
    });
    const sealer = sealerRun.fn
      .bindTable(table('audit'), 'RO')
      .bindTable(table('audit-seals'), 'READ_PUT_UPDATE')
      .bindBucket('audit-archive', 'APPEND', data.dataKey)
      .bindPublicKeys(data.platformSigningKey, { sealKeys: false })
      .bindPlatformSigning(data.platformSigningKey);
    sealer.function.addEnvironment(AUDIT_SEAL_GROUPS_ENV, String(sealGroups));
    this.sealer = { fn: sealer, deadLetterQueue: sealerRun.deadLetterQueue };

    // The document sweeper: once a day it removes document bytes nothing holds (a layout document
    // written for a license write that never landed, an attachment for an application step that
    // never landed), from days past a 48 h grace, each removal audited first. It reads licenses
    // (and the catalog, for a type's data domain) and the attachment lists of applications, and
    // appends to the log; of the documents bucket it lists, reads metadata and deletes under
    // documents/ only.
    const sweeperRun = scheduled('DocumentSweeper', {
      entry: 'functions/handlers/document-sweeper.ts',
      runner: 'document sweeper',
      what: 'sweep of documents nothing holds',
      reservedConcurrency: DOCUMENT_SWEEPER_RESERVED_CONCURRENCY,
      // It stops a minute before its time is up; what is left is swept by the next day's run.
      timeout: Duration.minutes(15),
      // 03:00 UTC (11:00 Beijing time): past the night's batch issuance, before the day's peak.
      schedule: Schedule.cron({ minute: '0', hour: '3' }),
      rules: [{ description: 'sweep documents nothing holds' }],
    });
    const documentSweeper = sweeperRun.fn;
    for (const name of licenseTables) documentSweeper.bindTable(table(name), 'RO');
    documentSweeper
      .bindTable(table('config'), 'RO')
      .bindTable(table('audit'), 'APPEND')
      .bindApplicationAttachments(table('applications'))
      .bindDocumentSweep();
    // Selects the KMS mode of the shared function environment; the sweeper is granted no key.
    documentSweeper.function.addEnvironment('ELICENSE_PLATFORM_KEY_ID', data.platformSigningKey.keyArn);
    this.documentSweeper = sweeperRun;

    // Lambda refuses an environment over 4 KB, but only at deploy (after the data stack is made):
    // every license shard is a TABLE_LICENSE_* variable of three functions, so too many shards
    // are refused here, at synth. Measured on the finished environments, at their longest.
    this.node.addValidation({
      validate: () => {
        const [largest] = [...functions.values(), sealer, documentSweeper]
          .map((fn) => ({ fn, bytes: longestEnvironmentBytes(this, fn) }))
          .sort((a, b) => b.bytes - a.bytes);
        if (!largest || largest.bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return [];
        const shards = Object.values(config.shardsPerDomain).reduce((a, b) => a + b, 0);
        return [
          `stages.${config.stage}.shardsPerDomain: ${shards} license shards give the ${largest.fn.node.id} an environment of ${largest.bytes} bytes at its longest, over Lambda's 4 KB (${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes): each shard is a TABLE_LICENSE_* variable; use fewer shards`,
        ];
      },
    });

    // Each new seal key names, in its own policy, the roles that read, sign with or discard it.
    functions
      .get('operator')
      ?.function.addEnvironment(
        'ELICENSE_SEAL_KEY_POLICY',
        sealKeyPolicy(this, [...functions.values(), sealer]),
      );

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      encryptionKey: this.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const vpcEndpointId = config.privateEndpoint?.vpcEndpointId;
    this.api = new RestApi(this, 'Api', {
      restApiName: `elicense-${config.stage}`,
      description: 'elicense: electronic license sharing platform',
      endpointConfiguration: vpcEndpointId
        ? {
            types: [EndpointType.PRIVATE],
            vpcEndpoints: [
              InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(this, 'ApiVpcEndpoint', {
                vpcEndpointId,
                port: 443,
              }),
            ],
          }
        : { types: [EndpointType.REGIONAL] },
      // A private API answers only requests that arrive through the stage's VPC endpoint.
      ...(vpcEndpointId ? { policy: privateApiPolicy(vpcEndpointId) } : {}),
      cloudWatchRole: true,
      binaryMediaTypes: [...binaryMediaTypes],
      deployOptions: {
        stageName: config.stage,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // request bodies carry personal data: never log them
        tracingEnabled: true,
        metricsEnabled: true,
      },
    });
    addGatewayProblems(this.api);
    // API Gateway's trace segment records the request URL, and a presentation's is a bearer
    // value (GET /presentations/<reference>, live for minutes): such requests are never traced.
    // A sampling rule is the only switch X-Ray offers per path; it names this stage's API only.
    new CfnSamplingRule(this, 'NoTracesOfPresentationReferences', {
      samplingRule: {
        ruleName: `eli-${config.stage}-norefs`, // at most 32 characters
        priority: 1,
        fixedRate: 0,
        reservoirSize: 0,
        serviceName: `elicense-${config.stage}/${config.stage}`,
        serviceType: '*',
        host: '*',
        httpMethod: '*',
        urlPath: '*/presentations/*',
        resourceArn: '*',
        version: 1,
      },
    });
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // With the usage plan on, agency-signed routes also require the agency's API key (header
    // x-api-key): API Gateway meters and throttles per key, the function still authenticates
    // the signature. Holder and public routes are not metered per caller.
    const usagePlan = config.agencyUsagePlan.enabled ? config.agencyUsagePlan : undefined;
    // One invoke permission per function for the whole API, not two per method (the method's
    // and its test invocation's): a function's resource policy is capped at 20 KB, and the
    // holder function's 20 routes made ≈18 KB of it. The function routes by path itself and only
    // this API's methods integrate it, so the wider scope lets nobody else in.
    const integrations = new Map(
      [...functions].map(([group, fn]) => [
        group,
        new LambdaIntegration(fn.target, { scopePermissionToMethod: false }),
      ]),
    );
    for (const route of routes) {
      const resource = this.api.root.resourceForPath(route.path);
      resource.addMethod(route.method, integrations.get(route.group)!, {
        operationName: route.operationId,
        requestValidator: validator,
        ...(usagePlan && route.auth.kind === 'agency' ? { apiKeyRequired: true } : {}),
      });
    }
    const usagePlanName = `elicense-${config.stage}-agencies`;
    this.agencyUsagePlan = usagePlan
      ? this.api.addUsagePlan('AgencyUsagePlan', {
          name: usagePlanName,
          description: `elicense ${config.stage}: per-agency throttle and daily quota (one API key per agency)`,
          throttle: { rateLimit: usagePlan.rateLimit, burstLimit: usagePlan.burstLimit },
          quota: { limit: usagePlan.quotaPerDay, period: Period.DAY },
          apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
        })
      : undefined;
    if (this.agencyUsagePlan) {
      functions.get('operator')?.bindUsageKeys(this.agencyUsagePlan, usagePlanName);
      new CfnOutput(this, 'AgencyUsagePlanId', {
        description:
          'The usage plan agency API keys are added to (the first operator’s key: README, deploying)',
        value: this.agencyUsagePlan.usagePlanId,
      });
    }

    this.alarms = new PlatformAlarms(this, 'Alarms', {
      stage: config.stage,
      api: this.api,
      functions,
      hotTables: [...definitions.values()].filter((t) => t.hot),
      sealer: this.sealer,
      documentSweeper: this.documentSweeper,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    const webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      // No request sampling, here or on any rule: WAF would keep a sample of every request,
      // allowed ones too, with its URI and every header for three hours, and the log's
      // redaction does not reach samples — holder tokens, API keys and presentation references
      // readable to anyone allowed wafv2:GetSampledRequests.
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: `elicense-${config.stage}`,
        sampledRequestsEnabled: false,
      },
      rules: [
        // SizeRestrictions_BODY blocks every body over 8 KB (fixed by AWS): batches, base64
        // documents, attachments and selfies would never reach a function. It only counts here;
        // sizes are bounded by API Gateway (10 MB), Lambda (6 MB) and each route's schema.
        // The body-pattern rules only count too, and the rule after them blocks on their labels
        // except for an attached layout document, whose body is a PDF or OFD file: its bytes
        // (XML metadata, compressed streams) are not the text those patterns were made for,
        // and the function accepts nothing but those two formats.
        managedRule('AWSManagedRulesCommonRuleSet', 0, [
          'SizeRestrictions_BODY',
          ...CORE_BODY_PATTERN_RULES.map((rule) => `${rule}_BODY`),
        ]),
        {
          name: 'CoreRuleSetBodyOutsideDocuments',
          priority: 1,
          action: { block: {} },
          statement: {
            andStatement: {
              statements: [
                {
                  orStatement: {
                    statements: CORE_BODY_PATTERN_RULES.map((rule) => ({
                      labelMatchStatement: {
                        scope: 'LABEL',
                        key: `awswaf:managed:aws:core-rule-set:${rule}_Body`,
                      },
                    })),
                  },
                },
                {
                  notStatement: {
                    statement: {
                      regexMatchStatement: {
                        // With or without the stage in front (execute-api URL or custom domain).
                        regexString: '/licenses/[^/]+/document$',
                        fieldToMatch: { uriPath: {} },
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  },
                },
              ],
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'CoreRuleSetBodyOutsideDocuments',
            sampledRequestsEnabled: false,
          },
        },
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 2),
        // Per client address, at least what one agency may send under its usage plan (stage
        // config). Behind CloudFront (`cdn`) the address is an edge server's, shared by many
        // viewers; X-Forwarded-For (FORWARDED_IP) would name the viewer, but WAF reads its first
        // address, which the client writes, and the API is reachable without CloudFront too, so
        // keying on it would let anyone escape the limit. A per-viewer limit belongs in a
        // CloudFront web ACL (us-east-1; not built — README).
        {
          name: 'RateLimitPerIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: config.wafRateLimitPer5Min, aggregateKeyType: 'IP' } },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'RateLimitPerIp',
            sampledRequestsEnabled: false,
          },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // WAF logs what it blocked and why, and nothing else: an allowed request's URI may carry a
    // presentation reference (a short-lived bearer value), and the access log has the rest. The
    // Authorization header (holder tokens), cookies and API keys are redacted.
    const wafLogs = new LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-elicense-${config.stage}`, // WAF requires the aws-waf-logs- prefix
      retention: logRetention,
      encryptionKey: this.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [
        this.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Raw CloudFormation (the property is untyped JSON in CDK): keep blocked requests, drop the rest.
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
          },
        ],
      },
      // The path and query too: a blocked GET /presentations/<reference> left its reference
      // unused, so still live, in the log.
      redactedFields: [
        { uriPath: {} },
        { queryString: {} },
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'cookie' } },
        // Agencies' usage-plan API keys, where the stage has the plan.
        ...(usagePlan ? [{ singleHeader: { Name: 'x-api-key' } }] : []),
      ],
    });

    if (config.customDomain) {
      const domain = this.api.addDomainName('CustomDomain', {
        domainName: config.customDomain.domainName,
        certificate: Certificate.fromCertificateArn(
          this,
          'ApiCertificate',
          config.customDomain.certificateArn,
        ),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new CfnOutput(this, 'ApiDomainTarget', {
        description: `DNS: CNAME (or alias) ${config.customDomain.domainName} to this name`,
        value: domain.domainNameAliasDomainName,
      });
    }
    this.cdn = config.cdn
      ? new PublicCdn(this, 'Cdn', { stage: config.stage, api: this.api, ...config.cdn })
      : undefined;
    if (this.cdn) {
      new CfnOutput(this, 'CdnDomainTarget', {
        description: `DNS: CNAME (or alias) ${config.cdn!.domainName} — the host of publicBaseUrl — to this name`,
        value: this.cdn.distribution.distributionDomainName,
      });
    }

    warnOfWhatDeployCannotDo(this, config);

    new CfnOutput(this, 'ApiUrl', {
      description: 'Where agencies send (and sign) their requests',
      value: config.customDomain ? `https://${config.customDomain.domainName}/` : this.api.url,
    });
    new CfnOutput(this, 'JwksUrl', {
      description: 'Public keys of the platform and every agency seal',
      value: `${config.publicBaseUrl.replace(/\/+$/, '')}/.well-known/jwks.json`,
    });
    new CfnOutput(this, 'StatusListBaseUrl', {
      description: 'Status-list URIs in licenses start with this',
      value: `${config.publicBaseUrl.replace(/\/+$/, '')}/status-lists/`,
    });

    Validations.of(this.api.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'API Gateway’s account-level CloudWatch role uses AmazonAPIGatewayPushToCloudWatchLogs, the AWS-managed policy made for it; it is required for execution logging.',
    });
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Public routes (health, OpenAPI, and later JWKS, status lists, verify) are open by design; agency routes authenticate every request by RFC 9421 HTTP Message Signatures inside the function, which API Gateway authorizers cannot check against the body digest.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Holder routes check OIDC tokens in the holder function (issuer, audience, expiry and signature against the issuer’s JWKS), because the holder identity provider is Cognito or, in China regions where Cognito user pools are not offered, an external OIDC provider that a Cognito authorizer cannot check; every other route is public or agency-signed.',
      },
      {
        id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
        reason:
          'No API cache: responses are per caller and carry personal data (licenses, grants), and a stage cache would keep them outside the encrypted tables. What is the same for everyone (status lists, JWKS) is cached by CloudFront where the stage enables it.',
      },
      {
        id: 'NIST.800.53.R5-APIGWSSLEnabled',
        reason:
          'A client certificate authenticates API Gateway to an HTTP backend; every integration here is a Lambda proxy integration, invoked through IAM with SigV4 over TLS, which has no use for one.',
      },
    );
  }
}

/** Lambda's limit on a function's environment: names and values together. */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * The size of a function's environment (names and values) with every value not known at synth
 * at the longest it can be: an IAM role ARN (the only attribute the functions' environments take)
 * is at most 98 characters in aws-cn (34 + a 64-character name); any other reference (a key ARN,
 * a pool id, the account) is taken as 128. The same measure as test/infra/stacks.test.ts.
 */
function longestEnvironmentBytes(stack: Stack, fn: ApiFunction): number {
  const rendered = stack.resolve((fn.function.node.defaultChild as CfnFunction).environment) as
    | { variables?: Record<string, unknown>; Variables?: Record<string, unknown> }
    | undefined;
  const longest = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].reduce((sum: number, part) => sum + longest(part), 0);
    return (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'] ? 98 : 128;
  };
  return Object.entries(rendered?.variables ?? rendered?.Variables ?? {}).reduce(
    (sum, [name, value]) => sum + name.length + longest(value),
    0,
  );
}

/** Allows execute-api:Invoke only through the given VPC endpoint; everything else is denied. */
function privateApiPolicy(vpcEndpointId: string): PolicyDocument {
  const invoke = {
    actions: ['execute-api:Invoke'],
    resources: ['execute-api:/*'],
    principals: [new AnyPrincipal()],
  };
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        ...invoke,
        effect: Effect.DENY,
        conditions: { StringNotEquals: { 'aws:SourceVpce': vpcEndpointId } },
      }),
      new PolicyStatement({ ...invoke, effect: Effect.ALLOW }),
    ],
  });
}

/** Core rule set rules that look for attack patterns in the body (`<name>_BODY`, label `<name>_Body`). */
const CORE_BODY_PATTERN_RULES = ['CrossSiteScripting', 'GenericLFI', 'GenericRFI', 'EC2MetaDataSSRF'];

/** An AWS managed rule group, blocking as AWS ships it except for the rules named in `counted`. */
function managedRule(
  name: string,
  priority: number,
  counted: readonly string[] = [],
): CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(counted.length > 0
          ? { ruleActionOverrides: counted.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
          : {}),
      },
    },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
  };
}

function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  const match = allowed.filter((d) => d >= days).sort((a, b) => a - b)[0];
  if (match === undefined)
    throw new Error(`log retention of ${days} days exceeds what CloudWatch Logs offers`);
  return match as RetentionDays;
}

/**
 * What a deploy of this stage leaves the infrastructure team to do outside the stack, said at
 * synth (cdk prints warnings; they stop nothing): a stage that deploys cleanly and then answers
 * nobody, or names URLs in every license that nothing serves, is found out too late.
 */
function warnOfWhatDeployCannotDo(stack: Stack, config: StageConfig): void {
  if (isChinaRegion(config.region) && !config.privateEndpoint) {
    // API Gateway in the China regions processes requests to methods without an IAM or Cognito
    // authorizer only for accounts holding an ICP licence, and every custom domain needs one
    // (docs.amazonaws.cn, API Gateway): every method here authenticates in its function.
    Annotations.of(stack).addWarningV2(
      'elicense:icp-recordal',
      `API Gateway in ${config.region} answers methods without an IAM or Cognito authorizer (every route of this API: each function authenticates its callers itself) only for an account with an ICP licence (ICP 备案), and every custom domain needs one: without it every request is refused before any function runs. File the account's ICP recordal, and the custom domain's, before the first request; the Ningxia region may need its own whitelist.`,
    );
  }
  const host = new URL(config.publicBaseUrl).hostname;
  const served = [config.customDomain?.domainName, config.cdn?.domainName].includes(host);
  if (!served && !host.endsWith('.amazonaws.com') && !host.endsWith('.amazonaws.com.cn')) {
    Annotations.of(stack).addWarningV2(
      'elicense:public-base-url',
      `publicBaseUrl ${config.publicBaseUrl} is served by neither customDomain nor cdn of this stage: every license names its status list and its issuer's keys under it, for good. Before the first license, make ${host} reach this API (a gateway or proxy of your own), or set customDomain or cdn to it.`,
    );
  }
}
