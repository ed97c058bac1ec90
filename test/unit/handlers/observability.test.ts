import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { Segment } from 'aws-xray-sdk-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { traceHandler, tracer, withPowertools } from '#handlers/observability.ts';

// Outside Lambda the tracer is off; these tests turn it on and keep the active segment in a
// variable (instead of X-Ray's context, which only Lambda provides), so the real middleware
// writes into a real X-Ray segment.
function traceInto(root: Segment): void {
  let current: unknown = root;
  vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
  vi.spyOn(tracer.provider, 'getSegment').mockImplementation(() => current as Segment);
  vi.spyOn(tracer.provider, 'setSegment').mockImplementation((segment) => {
    current = segment;
  });
}

const event = { httpMethod: 'GET', resource: '/x', requestContext: {} } as unknown as APIGatewayProxyEvent;
const context = { awsRequestId: 'r-1', functionName: 'f' } as Context;

describe('withPowertools', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('traces the handler but never puts its response (personal data, usage-key values) into the trace', async () => {
    const root = new Segment('elicense');
    traceInto(root);
    const body = JSON.stringify({ holderName: 'Zhang San', usageKey: 'uk-secret-value' });
    const handler = withPowertools(async () => ({ statusCode: 200, body }));

    const response = await handler(event, context);

    expect(response.body).toBe(body);
    const trace = JSON.stringify(root);
    expect(trace).toContain('ColdStart'); // the handler's subsegment was written
    expect(trace).not.toContain('uk-secret-value');
    expect(trace).not.toContain('Zhang San');
  });

  it('traces the sealer’s handler the same way: its result stays out, a failure is recorded', async () => {
    const root = new Segment('elicense');
    traceInto(root);
    const sealed = middy(async () => ({ through: 'uk-secret-value' })).use(traceHandler());
    await sealed(undefined, context);
    expect(JSON.stringify(root)).not.toContain('uk-secret-value');

    const failed = middy(async () => {
      throw new Error('audit-seals unreachable');
    }).use(traceHandler());
    await expect(failed(undefined, context)).rejects.toThrow('audit-seals unreachable');
    expect(JSON.stringify(root)).toContain('audit-seals unreachable');
  });
});

describe('metrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('carry the stage as a dimension: stages sharing an account and region never feed each other’s alarms', async () => {
    vi.stubEnv('ELICENSE_STAGE', 'prod');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'elicense');
    vi.resetModules();
    const fresh = await import('#handlers/observability.ts');
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });

    await fresh.withPowertools(async () => ({ statusCode: 200, body: '{}' }))(event, context);
    fresh.metrics.addMetric('AuditSealLagSeconds', 'Seconds', 12);
    fresh.metrics.publishStoredMetrics();

    const records = written
      .flatMap((text) => text.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } } & Record<
            string,
            unknown
          >,
      );
    const names = records.flatMap((r) =>
      Object.keys(r).filter((k) => k === 'Success' || k === 'AuditSealLagSeconds'),
    );
    expect(names.sort()).toEqual(['AuditSealLagSeconds', 'Success']);
    for (const record of records) {
      expect(record._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'stage']]);
      expect(record).toMatchObject({ service: 'elicense', stage: 'prod' });
    }
  });
});
