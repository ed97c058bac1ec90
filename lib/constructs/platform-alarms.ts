import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TableDefinition } from '../../functions/adapters/aws/tables.ts';
import { physicalTableName } from '../../functions/adapters/aws/tables.ts';
import type { ApiFunction } from './api-function.ts';

export interface PlatformAlarmsProps {
  stage: string;
  api: RestApi;
  functions: ReadonlyMap<string, ApiFunction>;
  /** Tables whose throttling is alarmed: the hot ones (license shards, indexes, nonces, audit). */
  hotTables: readonly TableDefinition[];
  /** The scheduled audit sealer: its errors, throttles, lag and dead letters are alarmed. */
  sealer: { fn: ApiFunction; deadLetterQueue: IQueue };
  /** The daily sweep of documents nothing holds: its dead letters (a failed run) are alarmed. */
  documentSweeper: { fn: ApiFunction; deadLetterQueue: IQueue };
  alarmEmail?: string;
}

/**
 * KMS request quotas whose use is alarmed, each with the `Resource` under which KMS publishes
 * its calls in AWS/Usage. KMS counts cryptographic operations per shared quota, not per
 * operation (a Resource named `Sign` or `Decrypt` has no data): the symmetric quota takes
 * Decrypt, Encrypt, GenerateDataKey(WithoutPlaintext) — field encryption, document and blind
 * index keys — and the ECC quota (1,000/s by default, SM2 included) takes Sign with the seal
 * keys and the platform key.
 */
export const KMS_ALARMED_QUOTAS = [
  { name: 'Symmetric', label: 'symmetric', resource: 'CryptographicOperationsSymmetric' },
  { name: 'Ecc', label: 'ECC', resource: 'CryptographicOperationsEcc' },
] as const;

/** Alarm when a quota's average rate over a minute reaches this share of it. */
export const KMS_QUOTA_ALARM_PERCENT = 80;

/** Alarm when the oldest unsealed audit event is this old (five settle periods). */
export const SEAL_LAG_ALARM_SECONDS = 300;

/**
 * What the operators watch: a 5xx rate and a p99 latency alarm on the API, errors and
 * throttles of every route group's function and of the sealer, throttling of the hot tables,
 * KMS use against its quotas, the sealer's lag and dead letters — all to one encrypted SNS
 * topic — and a dashboard of the same figures.
 */
export class PlatformAlarms extends Construct {
  readonly topic: Topic;
  /** Encrypts the topic; CloudWatch of this account may use it to publish alarms. */
  readonly topicKey: Key;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    // A key of its own: CloudWatch publishes an alarm to an encrypted topic only if the key's
    // policy lets it generate and read data keys, and the AWS-managed alias/aws/sns key's policy
    // cannot be changed — under it no alarm would ever be delivered. Only this account's alarms.
    this.topicKey = new Key(this, 'TopicKey', {
      description: `elicense ${props.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: `elicense ${props.stage} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarm = (
      name: string,
      metric: Metric | MathExpression,
      threshold: number,
      description: string,
      missing: TreatMissingData = TreatMissingData.NOT_BREACHING,
      /** Two of three periods by default: one noisy minute does not page anyone. */
      evaluation = { periods: 3, datapoints: 2 },
    ) => {
      const created = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: evaluation.periods,
        datapointsToAlarm: evaluation.datapoints,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: missing,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    const period = Duration.minutes(1);
    const api = (metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: props.api.restApiName, Stage: props.api.deploymentStage.stageName },
        statistic,
        period,
      });
    const serverErrorRate = new MathExpression({
      expression: '100 * errors / MAX([requests, 1])',
      usingMetrics: { errors: api('5XXError', 'Sum'), requests: api('Count', 'Sum') },
      label: '5xx rate (%)',
      period,
    });
    alarm('Api5xxRate', serverErrorRate, 1, 'More than 1% of API requests answered 5xx');
    alarm('ApiLatencyP99', api('Latency', 'p99'), 3_000, 'API p99 latency at or above 3 s');

    for (const [group, fn] of [...props.functions, ['sealer', props.sealer.fn] as const]) {
      const name = group[0]!.toUpperCase() + group.slice(1);
      // The sealer runs once a minute and is not retried: one failed run is the most a minute
      // can show, so it is what alarms — in one minute, not the 2 of 3 the others need.
      if (group === 'sealer') {
        alarm(
          `${name}Errors`,
          fn.function.metricErrors({ period }),
          1,
          'A sealer run failed',
          TreatMissingData.NOT_BREACHING,
          { periods: 1, datapoints: 1 },
        );
      } else {
        alarm(
          `${name}Errors`,
          fn.function.metricErrors({ period }),
          5,
          `The ${group} function failed 5 or more times a minute`,
        );
      }
      alarm(
        `${name}Throttles`,
        fn.function.metricThrottles({ period }),
        1,
        `The ${group} function was throttled`,
      );
    }

    // Metric ids are unique per table: the dashboard graphs every table's expression together.
    const throttles = (table: TableDefinition, n: number) =>
      new MathExpression({
        // A metric with no data in a period makes the sum empty: count it as none throttled.
        expression: `FILL(reads${n}, 0) + FILL(writes${n}, 0)`,
        usingMetrics: Object.fromEntries(
          (['ReadThrottleEvents', 'WriteThrottleEvents'] as const).map((metricName, i) => [
            `${i === 0 ? 'reads' : 'writes'}${n}`,
            new Metric({
              namespace: 'AWS/DynamoDB',
              metricName,
              dimensionsMap: { TableName: physicalTableName(props.stage, table) },
              statistic: 'Sum',
              period,
            }),
          ]),
        ),
        label: `${table.name} throttled requests`,
        period,
      });
    props.hotTables.forEach((table, n) => {
      const name = table.name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
      alarm(`${name}Throttles`, throttles(table, n), 1, `DynamoDB throttled requests on ${table.name}`);
    });

    // Sealing lag, from the sealer's own metric (Powertools, namespace `elicense`, which gives
    // every metric the stage as a dimension: stages may share an account and region); a sealer
    // that stops running publishes nothing, so missing data counts as breaching. Every seal
    // group's run publishes this one metric (no group dimension): the Maximum is the slowest
    // group's lag, so one group falling behind alarms however well the others keep up; and every
    // run reports another group's lag when longer (reportedSealLagSeconds), so a group whose runs
    // stopped or never began alarms too while the others report.
    const sealLag = new Metric({
      namespace: 'elicense',
      metricName: 'AuditSealLagSeconds',
      dimensionsMap: { service: 'elicense', stage: props.stage },
      statistic: 'Maximum',
      period,
    });
    alarm(
      'AuditSealLag',
      sealLag,
      SEAL_LAG_ALARM_SECONDS,
      `The oldest unsealed audit event is ${SEAL_LAG_ALARM_SECONDS} s old or the sealer stopped reporting`,
      TreatMissingData.BREACHING,
    );
    // Sealed events the log no longer holds as sealed, found past a chain's head by a sealer run
    // before it seals (functions/handlers/sealer.ts): the trace of the chain's end dropped with its
    // events and the head moved back. One run sees it once (it then seals past), so one datapoint
    // alarms.
    alarm(
      'AuditArchiveMismatch',
      new Metric({
        namespace: 'elicense',
        metricName: 'AuditArchiveMismatches',
        dimensionsMap: { service: 'elicense', stage: props.stage },
        statistic: 'Maximum',
        period,
      }),
      1,
      'The audit archive holds sealed events the log no longer holds as sealed: run elicense audit verify over the time they name',
      TreatMissingData.NOT_BREACHING,
      { periods: 1, datapoints: 1 },
    );
    alarm(
      'SealerDeadLetters',
      props.sealer.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      1,
      'A sealer run failed and its event is in the dead-letter queue',
    );
    // The sweeper runs once a day, so its Errors metric shows one datapoint a day, too few for
    // these alarms' 2 of 3 minutes; a failed run's event stays in the dead-letter queue, whose
    // depth is breaching for as long as it is there. The next run makes up what a failed one
    // left, but one failing every day leaves unheld personal data in place.
    alarm(
      'DocumentSweeperDeadLetters',
      props.documentSweeper.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period,
        statistic: 'Maximum',
      }),
      1,
      'A document sweep run failed and its event is in the dead-letter queue',
    );

    // KMS publishes no throttling metric of its own. Its calls per shared quota are in AWS/Usage,
    // and SERVICE_QUOTA() gives the account's per-second quota for them: alarming at 80 % of the
    // quota warns before requests are refused, where a filter on ThrottlingException in the logs
    // would only report refusals already made (those surface as function errors, also alarmed).
    // A minute's average can hide a one-second burst; the reserved concurrency of the issuer
    // group is what bounds bursts. A minute without calls publishes no datapoint: not breaching.
    const kmsUsage = KMS_ALARMED_QUOTAS.map(({ name, label, resource }) => {
      const calls = new Metric({
        namespace: 'AWS/Usage',
        metricName: 'CallCount',
        dimensionsMap: { Service: 'KMS', Type: 'API', Resource: resource, Class: 'None' },
        statistic: 'Sum',
        period,
      });
      const id = `calls${name}`; // unique per quota: the dashboard graphs them together
      const share = new MathExpression({
        expression: `100 * (${id} / 60) / SERVICE_QUOTA(${id})`,
        usingMetrics: { [id]: calls },
        label: `KMS ${label} operations: % of quota`,
        period,
      });
      alarm(
        `Kms${name}Quota`,
        share,
        KMS_QUOTA_ALARM_PERCENT,
        `KMS ${label} cryptographic operations (${resource}) at ${KMS_QUOTA_ALARM_PERCENT}% or more of the account's quota`,
      );
      return share;
    });

    new Dashboard(this, 'Dashboard', {
      dashboardName: `elicense-${props.stage}`,
      widgets: [
        [
          new GraphWidget({
            title: 'API requests and errors',
            left: [api('Count', 'Sum'), api('4XXError', 'Sum'), api('5XXError', 'Sum')],
          }),
          new GraphWidget({ title: 'API latency', left: [api('Latency', 'p50'), api('Latency', 'p99')] }),
        ],
        [
          new GraphWidget({
            title: 'Function errors and throttles',
            left: [...props.functions.values()].flatMap((fn) => [
              fn.function.metricErrors({ period }),
              fn.function.metricThrottles({ period }),
            ]),
          }),
          new GraphWidget({
            title: 'DynamoDB throttled requests (hot tables)',
            left: props.hotTables.map(throttles),
          }),
        ],
        [
          new GraphWidget({ title: 'KMS use (% of quota)', left: kmsUsage }),
          new GraphWidget({ title: 'Audit sealing lag (s)', left: [sealLag] }),
        ],
      ],
    });
  }
}
