import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

// Created once per container and imported everywhere. Service name, namespace, log level and
// whether tracing or metrics are on come from the POWERTOOLS_* variables the stack (or the
// local server) sets.
export const logger = new Logger({ serviceName: 'elicense' });
export const metrics = new Metrics({ namespace: 'elicense', serviceName: 'elicense' });
export const tracer = new Tracer({ serviceName: 'elicense' });

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Wraps an API handler with tracing, structured logging with the Lambda context, and metrics. */
export function withPowertools(handler: ApiHandler) {
  const counted: ApiHandler = async (event, context) => {
    const result = await handler(event, context);
    // One outcome per request feeds the 5xx-rate and 4xx-rate alarms.
    const outcome =
      result.statusCode >= 500 ? 'ServerError' : result.statusCode >= 400 ? 'ClientError' : 'Success';
    metrics.addMetric(outcome, MetricUnit.Count, 1);
    return result;
  };
  return middy(counted)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
