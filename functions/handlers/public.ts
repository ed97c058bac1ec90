import { randomUUID } from 'node:crypto';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { AUDIT_SEAL_GROUPS_ENV, parseAuditSealGroupCount } from '#adapters/aws/audit-seal-groups.ts';
import { sealLayoutStores } from '#adapters/aws/audit-seal-store.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { dynamoDbTableProbe, s3BucketProbe } from '#adapters/aws/probes.ts';
import { DynamoDbStatusReader } from '#adapters/aws/status-reader.ts';
import { tableEnvVar } from '#adapters/aws/tables.ts';
import { CachedCatalog, CachedTypeListing } from '#app/cached-catalog.ts';
import { checkHealth } from '#app/check-health.ts';
import { CachedJwks, JWKS_MAX_AGE_SECONDS, publishJwks } from '#app/publish-jwks.ts';
import { auditSealLagSeconds } from '#app/seal-audit-log.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import { verifyLicense } from '#app/verify-license.ts';
import { buildOpenApi } from '#http/openapi.ts';
import { HttpProblem } from '#http/problem.ts';
import { asksNoCache, header, parseJsonBody, parseQuery } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import { createRouter } from '#http/router.ts';
import { PageQuerySchema } from '#http/schemas/paging.ts';
import { VerifyRequestSchema } from '#http/schemas.ts';
import { documents, dynamodb, s3 } from './aws-clients.ts';
import { bucket, catalogCacheOptions, environment, table } from './environment.ts';
import { signingKeys } from './key-material.ts';
import { logger, withPowertools } from './observability.ts';
import { parseMaxSealLagSeconds } from './sealer-settings.ts';

// Public route group: no caller authentication. It reads the catalog and status entries and
// the public halves of keys, and appends an audit event per verification; it holds no decrypt
// and no sign permission.
const configTable = table('config');
const config = new DynamoConfigStore(documents, configTable);
// Every POST /verify looks up its issuer's seal key: read from the registry each time, one
// issuer's agency item would throttle under its licenses' verifications. Read through the
// container's cache instead, a withdrawal fails verification within SEAL_STANDING_MAX_AGE_MS
// (seal-standing.ts). The public catalog reads (GET /license-types by page, and
// /license-types/{code}) go through the same kind of cache: anyone may send them, and read from
// the registry each time a flood of them would keep hot the type items every other path's cache
// refreshes from. A GET of one type asking `Cache-Control: no-cache` — as the operator SDK does
// before an update, whose If-Match must name the current version — is answered from a read at
// most FRESH_TYPE_READ_MS old: at most one such read of a type per second per container.
const catalogOptions = catalogCacheOptions();
const catalog = new CachedCatalog(config, catalogOptions);
const typeListing = new CachedTypeListing(config, catalogOptions);
const sealKeys = new CachedSealStandings(catalog);
const FRESH_TYPE_READ_MS = Math.min(1_000, catalogOptions.maxAgeMs);
// The JWKS reads every agency: built at most once per catalog age, as the catalog reads are.
const jwks = new CachedJwks(() => publishJwks({ config, keys: signingKeys }), catalogOptions);
const statuses = new DynamoDbStatusReader(documents, table('status-lists'));
const verification = {
  sealKeys,
  keys: signingKeys,
  statuses,
  audit: new DynamoAuditLogWriter(documents, table('audit')),
  publicBaseUrl: environment.publicBaseUrl,
  now: () => new Date(),
  newEventId: () => `verify-${randomUUID()}`,
};
const probes = [dynamoDbTableProbe(dynamodb, configTable), s3BucketProbe(s3, bucket('documents'))];
// The sealing lag, when the audit-seals table is bound (RO) to this function: one read per check.
const sealsTable = process.env[tableEnvVar({ name: 'audit-seals' })];
/** The head of every seal group's chain: the slowest decides the lag. */
const sealHeads = sealsTable
  ? sealLayoutStores(documents, sealsTable, environment.stage, [
      parseAuditSealGroupCount(process.env[AUDIT_SEAL_GROUPS_ENV]),
    ])[0]!.chains
  : [];
const sealLag = sealsTable
  ? {
      maxLagSeconds: parseMaxSealLagSeconds(process.env),
      lagSeconds: () => auditSealLagSeconds({ seals: sealHeads, now: () => new Date() }),
    }
  : undefined;
const openApi = JSON.stringify(buildOpenApi(undefined, environment.version));

const router = createRouter(
  'public',
  {
    async getHealth() {
      const onFailure = (check: string, error: unknown) =>
        logger.warn('health check failed', { check, error });
      const report = await checkHealth(probes, { onFailure, ...(sealLag ? { sealLag } : {}) });
      if (report.status !== 'ok') logger.warn('platform degraded', { report });
      return jsonResponse(report.status === 'ok' ? 200 : 503, report);
    },
    async getOpenApi() {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: openApi };
    },
    async getJwks() {
      // A key withdrawn or registered shows in this container's copy within the catalog's maximum
      // age, and in the copies the CDN and verifiers keep once their max-age runs out.
      return jsonResponse(200, await jwks.get(), {
        'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
      });
    },
    async listLicenseTypes(event) {
      const { limit = 100, cursor } = parseQuery(event, PageQuerySchema);
      const page = await typeListing.list({ limit, ...(cursor === undefined ? {} : { cursor }) });
      return jsonResponse(200, {
        items: page.items.map((t) => t.value),
        ...(page.cursor ? { cursor: page.cursor } : {}),
      });
    },
    async getLicenseType(event) {
      const code = event.pathParameters?.code ?? '';
      const type = await (asksNoCache(event)
        ? catalog.freshLicenseType(code, FRESH_TYPE_READ_MS)
        : catalog.getLicenseType(code));
      if (!type) throw new HttpProblem('not-found', `no license type ${code}`);
      // Its version, which the operator's PUT /license-types/{code} names in If-Match.
      return jsonResponse(200, type.value, { etag: `"${type.version}"` });
    },
    async verifyLicense(event) {
      const request = parseJsonBody(event, VerifyRequestSchema);
      const sourceIp = event.requestContext.identity?.sourceIp;
      const userAgent = event.requestContext.identity?.userAgent ?? header(event, 'user-agent');
      const result = await verifyLicense(
        {
          presentation: request.presentation,
          ...(request.audience && request.nonce
            ? { keyBinding: { audience: request.audience, nonce: request.nonce } }
            : {}),
          verifier: { ...(sourceIp ? { sourceIp } : {}), ...(userAgent ? { userAgent } : {}) },
        },
        verification,
      );
      return jsonResponse(200, result);
    },
  },
  { onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }) },
);

export const handler = withPowertools(router);
