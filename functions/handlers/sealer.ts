import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { auditLogIdOf } from '#adapters/aws/audit-seal-groups.ts';
import { DynamoAuditSealStore } from '#adapters/aws/audit-seal-store.ts';
import { AuditSealHeadAhead, type SealRun, sealAuditLog } from '#app/seal-audit-log.ts';
import { SealChainMoved } from '#ports/audit-seal-store.ts';
import { documents, s3 } from './aws-clients.ts';
import { bucket, environment, table } from './environment.ts';
import { signingKeys } from './key-material.ts';
import { logger, metrics, traceHandler } from './observability.ts';
import { parseSealerSettings } from './sealer-settings.ts';

// The audit sealer, invoked on a schedule (EventBridge, every minute) rather than by the audit
// table's stream: the stream would hand it events in shard order, per partition, and at the
// pace of writes, where sealing needs them in seal order (time, id) across all 32 partitions
// and only once they have settled; a scheduled run reads exactly that from the table, and a
// backlog (a run that failed, a burst) is worked off by the next runs without replay logic.
// Runs may overlap (a slow run, a retry): the seal store's conditional append lets only one
// of them extend the chain; the other ends with SealChainMoved, which is not a failure.
//
// AuditSealLagSeconds (namespace `elicense`) is the age of the oldest event not yet sealed
// after the run; an alarm on it — and on its absence, a sealer that no longer runs — says
// when sealing falls behind.

const settings = parseSealerSettings(process.env);
const sealing = {
  log: new DynamoAuditLogReader(documents, table('audit')),
  seals: new DynamoAuditSealStore({
    documents,
    table: table('audit-seals'),
    archive: { s3, bucket: bucket('audit-archive') },
    logId: auditLogIdOf(environment.stage),
  }),
  keys: signingKeys,
  logId: auditLogIdOf(environment.stage),
  now: () => new Date(),
  ...settings,
};

/** One sealing run; undefined when another sealer appended first (it seals these events). */
export async function sealNow(): Promise<SealRun | undefined> {
  let run: SealRun;
  try {
    run = await sealAuditLog(sealing);
  } catch (error) {
    // The run fails (no lag metric, so the lag alarm fires); the log says why.
    if (error instanceof AuditSealHeadAhead) logger.error('audit sealing stopped', { error });
    if (!(error instanceof SealChainMoved)) throw error;
    logger.info('another sealer moved the audit chain first', { error: error.message });
    return undefined;
  }
  const events = run.batches.reduce((sum, b) => sum + b.events, 0);
  metrics.addMetric('AuditSealLagSeconds', MetricUnit.Seconds, run.lagSeconds);
  metrics.addMetric('AuditEventsSealed', MetricUnit.Count, events);
  logger.info('audit sealed', {
    batches: run.batches.map((b) => b.seq),
    events,
    through: run.through,
    lagSeconds: run.lagSeconds,
    stopped: run.stopped,
  });
  return run;
}

export const handler = middy(async () => {
  await sealNow();
})
  .use(traceHandler())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
