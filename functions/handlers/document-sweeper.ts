import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { DynamoApplicationStore } from '#adapters/aws/application-store.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import { type DaySweep, sweepUnheldDocuments } from '#app/sweep-unheld-documents.ts';
import { documents, s3 } from './aws-clients.ts';
import { dataDomainOf } from './data-domains.ts';
import { bucket, shardsPerDomain, table } from './environment.ts';
import { logger, metrics, traceHandler } from './observability.ts';

// The sweep of documents nothing holds, invoked once a day (EventBridge) on AWS and on an interval
// by the local platform (dev/document-sweeper.ts). It lists the documents of the last
// ELICENSE_DOCUMENT_SWEEP_DAYS days past their grace (default 3: two missed runs are made up),
// reads each one's owner (HeadObject: no KMS, so never the bytes), the versions of that license or
// the attachment list of that application (read only), and removes what nothing holds, its audit
// event appended first. It stops a
// minute before its time runs out; what is left of a day is swept by the next run.
//
// DocumentsDiscarded, DocumentsUndecided (kept for doubt: a read that failed) and
// DocumentSweepIncomplete (namespace `elicense`) say what a run did.

const days = z.coerce
  .number()
  .int()
  .min(1)
  .max(31)
  .default(3)
  .parse(process.env.ELICENSE_DOCUMENT_SWEEP_DAYS || undefined);
const config = new DynamoConfigStore(documents, table('config'));
const shards = shardsPerDomain();
// Only license versions are read: the tables the repository would write are not bound, and
// stand in as names no DynamoDB call would accept.
const tables = stageTablesFromEnvironment(
  {
    TABLE_HOLDER_INDEX: 'unbound:holder-index',
    TABLE_ISSUER_LISTING: 'unbound:issuer-listing',
    TABLE_STATUS_LISTS: 'unbound:status-lists',
    TABLE_GRANTS: 'unbound:grants',
    ...process.env,
  },
  shards,
);
const sweeping = {
  documents: new S3DocumentStore(s3, {
    bucket: bucket('documents'),
    // The sweep never writes a document, so never names the documents key.
    kmsKeyId: 'unused-by-the-sweep',
  }),
  licenses: new DynamoDbLicenseRepository({
    client: documents,
    tables,
    shards,
    domainOf: dataDomainOf(config),
  }),
  // Read only: the sweep asks an application which attachments it lists, and writes nothing there.
  applications: new DynamoApplicationStore(documents, {
    applications: table('applications'),
    audit: table('audit'),
  }),
  audit: new DynamoAuditLogWriter(documents, table('audit')),
  now: () => new Date(),
};

/** One sweep now; `timeIsUp` stops it between pages. */
export async function sweepDocumentsNow(timeIsUp?: () => boolean): Promise<DaySweep[]> {
  const sweeps = await sweepUnheldDocuments({ ...sweeping, ...(timeIsUp ? { timeIsUp } : {}) }, days);
  const total = (count: (sweep: DaySweep) => number) => sweeps.reduce((sum, s) => sum + count(s), 0);
  metrics.addMetric(
    'DocumentsDiscarded',
    MetricUnit.Count,
    total((s) => s.discarded),
  );
  metrics.addMetric(
    'DocumentsUndecided',
    MetricUnit.Count,
    total((s) => s.undecided + s.failed),
  );
  metrics.addMetric(
    'DocumentSweepIncomplete',
    MetricUnit.Count,
    sweeps.length < days || sweeps.some((s) => !s.complete) ? 1 : 0,
  );
  logger.info('documents swept', { sweeps });
  return sweeps;
}

/** A minute to spare: a page of documents is decided well within it. */
const STOP_BEFORE_MS = 60_000;

export const handler = middy(async (_event: unknown, context: Context) => {
  await sweepDocumentsNow(() => context.getRemainingTimeInMillis() < STOP_BEFORE_MS);
})
  .use(traceHandler())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
