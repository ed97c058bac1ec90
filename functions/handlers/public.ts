import { dynamoDbTableProbe, s3BucketProbe } from '#adapters/aws/probes.ts';
import { checkHealth } from '#app/check-health.ts';
import { buildOpenApi } from '#http/openapi.ts';
import { jsonResponse } from '#http/responses.ts';
import { createRouter } from '#http/router.ts';
import { dynamodb, s3 } from './aws-clients.ts';
import { environment } from './environment.ts';
import { logger, withPowertools } from './observability.ts';

// Public route group: no caller authentication; holds no decrypt or sign permission.
const probes = [
  dynamoDbTableProbe(dynamodb, environment.tables.config),
  s3BucketProbe(s3, environment.buckets.documents),
];
const openApi = JSON.stringify(buildOpenApi(undefined, environment.version));

const router = createRouter(
  'public',
  {
    async getHealth() {
      const report = await checkHealth(probes);
      if (report.status !== 'ok') logger.warn('dependency unreachable', { report });
      return jsonResponse(report.status === 'ok' ? 200 : 503, report);
    },
    async getOpenApi() {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: openApi };
    },
  },
  { onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }) },
);

export const handler = withPowertools(router);
