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
// Stages may share an account and region, and a metric's dimensions are what tell them apart:
// every metric carries its stage, so one stage's figures never feed another's alarms
// (lib/constructs/platform-alarms.ts). ELICENSE_STAGE is set on every function by the stack.
const stage = process.env.ELICENSE_STAGE;
export const metrics = new Metrics({
  namespace: 'elicense',
  serviceName: 'elicense',
  ...(stage ? { defaultDimensions: { stage } } : {}),
});
export const tracer = new Tracer({ serviceName: 'elicense' });

/**
 * The handler's X-Ray subsegment (cold start, service, errors) without its response: Powertools
 * would put the whole result into the trace's metadata — licenses, holders' names and ID numbers,
 * a one-time usage key's value — where X-Ray keeps it outside the encrypted stores and open to
 * anyone who may read traces. Errors are still recorded: the routers answer every route error
 * as a problem (logged, never thrown here), so what reaches this is a failure of the wrapper or
 * of the sealer (storage, KMS, chain), whose messages name ids, not personal data.
 */
export const traceHandler = () => captureLambdaHandler(tracer, { captureResponse: false });

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
  return middy(counted).use(traceHandler()).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
