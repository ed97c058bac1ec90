import { Duration } from 'aws-cdk-lib';
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
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
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
  alarmEmail?: string;
}

/**
 * What the operators watch: a 5xx rate and a p99 latency alarm on the API, errors and
 * throttles of every route group's function, throttling of the hot tables — all to one
 * encrypted SNS topic — and a dashboard of the same figures.
 */
export class PlatformAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: `elicense ${props.stage} alarms`,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarm = (name: string, metric: Metric | MathExpression, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
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

    for (const [group, fn] of props.functions) {
      const name = group[0]!.toUpperCase() + group.slice(1);
      alarm(
        `${name}Errors`,
        fn.function.metricErrors({ period }),
        5,
        `The ${group} function failed 5 or more times a minute`,
      );
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
        expression: `reads${n} + writes${n}`,
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
      ],
    });
  }
}
