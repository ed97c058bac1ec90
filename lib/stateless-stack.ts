import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { SEAL_KEY_TAG_KEYS } from '../functions/adapters/aws/kms-seal-keys.ts';
import { allTables } from '../functions/adapters/aws/tables.ts';
import {
  binaryMediaTypes,
  handlerEntry,
  type RouteGroup,
  routeGroups,
  routes,
} from '../functions/http/routes.ts';
import { ApiFunction } from './constructs/api-function.ts';
import { PlatformAlarms } from './constructs/platform-alarms.ts';
import type { StageConfig } from './stage-config.ts';
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

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const logRetention = retention(config.logRetentionDays);

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
        }),
      );
    }
    this.functions = functions;
    // Every function knows the stage's public URL, its shard map and its platform key (whose
    // presence also selects KMS over the local key vault).
    for (const fn of functions.values()) {
      fn.function.addEnvironment('ELICENSE_PUBLIC_BASE_URL', config.publicBaseUrl);
      fn.function.addEnvironment('ELICENSE_SHARDS_PER_DOMAIN', JSON.stringify(config.shardsPerDomain));
    }
    const definitions = new Map(allTables(config.shardsPerDomain).map((t) => [t.name, t]));
    const table = (name: string) => definitions.get(name)!;
    const licenseTables = [...definitions.keys()].filter((name) => name.startsWith('license-'));

    // public: health, catalog, JWKS, verification. It reads the catalog and status entries and
    // the public halves of keys — no decrypt, no sign.
    functions
      .get('public')
      ?.bindTable(table('config'), 'RO')
      .bindTable(table('status-lists'), 'RO')
      .bindBucket('documents', 'LIST', data.dataKey)
      .bindPublicKeys(data.platformSigningKey);

    // status: serves signed status lists — reads status entries, signs with the platform key at
    // most once per list and ttl, keeps the signed lists in the public bucket.
    functions
      .get('status')
      ?.bindTable(table('status-lists'), 'RO')
      .bindBucket('public', 'RW')
      .bindPublicKeys(data.platformSigningKey)
      .bindPlatformSigning(data.platformSigningKey);

    // The agency groups authenticate every request: the registry (read) and nonces (write),
    // and every change they make is audited.
    for (const group of ['issuer', 'retrieval', 'operator'] as const) {
      functions
        .get(group)
        ?.bindTable(table('config'), group === 'operator' ? 'RW' : 'RO')
        .bindTable(table('nonces'), 'RW')
        .bindTable(table('audit'), 'RW')
        .bindPublicKeys(data.platformSigningKey);
    }

    // operator: registers agencies, types and agreements; creates agency seal keys.
    functions.get('operator')?.bindSealKeyProvisioning(SEAL_KEY_TAG_KEYS);

    // issuer: writes licenses, their indexes and status entries; seals fields; signs with
    // agency seal keys (never the platform key); stores layout documents.
    const issuer = functions.get('issuer');
    if (issuer) {
      for (const name of licenseTables) issuer.bindTable(table(name), 'RW');
      issuer
        .bindTable(table('holder-index'), 'RW')
        .bindTable(table('issuer-listing'), 'RW')
        .bindTable(table('status-lists'), 'RW')
        .bindTable(table('idempotency'), 'RW')
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
        .bindTable(table('grants'), 'RW')
        .bindBucket('documents', 'RO', data.dataKey)
        .bindFieldKey(data.fieldKey, 'decrypt', config.blindIndexKeyBlob)
        .bindPlatformSigning(data.platformSigningKey);
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention });
    this.api = new RestApi(this, 'Api', {
      restApiName: `elicense-${config.stage}`,
      description: 'elicense: electronic license sharing platform',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
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
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    for (const route of routes) {
      const resource = this.api.root.resourceForPath(route.path);
      resource.addMethod(route.method, new LambdaIntegration(functions.get(route.group)!.function), {
        operationName: route.operationId,
        requestValidator: validator,
      });
    }

    this.alarms = new PlatformAlarms(this, 'Alarms', {
      stage: config.stage,
      api: this.api,
      functions,
      hotTables: [...definitions.values()].filter((t) => t.hot),
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    const webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: `elicense-${config.stage}`,
        sampledRequestsEnabled: true,
      },
      rules: [
        managedRule('AWSManagedRulesCommonRuleSet', 0),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 1),
        {
          name: 'RateLimitPerIp',
          priority: 2,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: config.wafRateLimitPer5Min, aggregateKeyType: 'IP' } },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'RateLimitPerIp',
            sampledRequestsEnabled: true,
          },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
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
          'Holder routes will use a Cognito authorizer; the routes present today are public or agency-signed, where a user pool does not apply.',
      },
    );
  }
}

function managedRule(name: string, priority: number): CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
  };
}

function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  const match = allowed.filter((d) => d >= days).sort((a, b) => a - b)[0];
  if (match === undefined)
    throw new Error(`log retention of ${days} days exceeds what CloudWatch Logs offers`);
  return match as RetentionDays;
}
