import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import {
  AUDIT_SEAL_GROUP_COUNTS,
  AUDIT_SEAL_GROUPS_ENV,
  type AuditSealGroup,
  auditSealGroups,
  parseAuditSealGroupCount,
  sealGroupOfInvocation,
} from '#adapters/aws/audit-seal-groups.ts';
import { DynamoAuditSealStore, sealLayoutStores } from '#adapters/aws/audit-seal-store.ts';
import {
  AuditSealHeadAhead,
  AuditSealHeadMismatch,
  type AuditSealing,
  AuditSealLayoutChanged,
  reportedSealLagSeconds,
  type SealRun,
  sealAuditLog,
  sealedLayoutsBesides,
} from '#app/seal-audit-log.ts';
import { judgeArchivedBeyondHead } from '#app/verify-audit-log.ts';
import { SealChainMoved } from '#ports/audit-seal-store.ts';
import { documents, s3 } from './aws-clients.ts';
import { bucket, environment, table } from './environment.ts';
import { signingKeys } from './key-material.ts';
import { logger, metrics, traceHandler } from './observability.ts';
import { parseSealerSettings } from './sealer-settings.ts';

// The audit sealer, invoked on a schedule (EventBridge, every minute: one rule per seal group,
// each naming its group, audit-seal-groups.ts) rather than by the audit table's stream: the
// stream would hand it events in shard order, per partition, and at the pace of writes, where
// sealing needs them in seal order (time, id) across the group's partitions and only once they
// have settled; a scheduled run reads exactly that from the table, and a backlog (a run that
// failed, a burst) is worked off by the next runs without replay logic. Runs of one group may
// overlap (a slow run, a retry): the seal store's conditional append lets only one of them
// extend the group's chain; the other ends with SealChainMoved, which is not a failure.
//
// Each run first judges what the write-once archive holds past its chain's head
// (AuditArchiveMismatches: sealed events the log no longer holds as sealed, alarmed).
//
// AuditSealLagSeconds (namespace `elicense`) is the age of the oldest event of the run's group
// not yet sealed after the run, or another group's lag if longer (reportedSealLagSeconds: so a
// group whose runs stopped, or never began, shows in every other group's report); an alarm on
// its Maximum — and on its absence, a sealer that no longer runs at all — says when sealing falls
// behind.

const settings = parseSealerSettings(process.env);
const groups = auditSealGroups(
  environment.stage,
  parseAuditSealGroupCount(process.env[AUDIT_SEAL_GROUPS_ENV]),
);
const log = table('audit');
const archive = { s3, bucket: bucket('audit-archive') };
/** What one seal group's run works on: the group's shards of the log and its own chain. */
function sealingOf(
  group: AuditSealGroup,
): AuditSealing & { log: DynamoAuditLogReader; seals: DynamoAuditSealStore } {
  return {
    log: new DynamoAuditLogReader(documents, log, { shards: group.shards }),
    seals: new DynamoAuditSealStore({ documents, table: table('audit-seals'), archive, logId: group.logId }),
    keys: signingKeys,
    logId: group.logId,
    now: () => new Date(),
    ...settings,
    origin: originOf,
  };
}
const sealings = groups.map(sealingOf);

/**
 * Before a run seals: what the archive holds past its chain's head, judged
 * (judgeArchivedBeyondHead). Sealed events the log no longer holds as sealed are the trace of the
 * chain's end dropped with its events and the head moved back: AuditArchiveMismatches counts them
 * (alarmed at 1), and the error log names them. The run then seals on: the archive keeps the
 * evidence, and `elicense audit verify` names it over the range.
 */
async function checkArchiveBeyondHead(sealing: (typeof sealings)[number]): Promise<void> {
  const { publicJwk } = await sealing.keys.platformKey();
  const judged = await judgeArchivedBeyondHead({
    log: sealing.log,
    seals: sealing.seals,
    logId: sealing.logId,
    publicJwks: [publicJwk],
  });
  metrics.addMetric('AuditArchiveMismatches', MetricUnit.Count, judged.findings.length);
  if (judged.findings.length > 0) {
    logger.error('the audit archive holds sealed events the log no longer holds as sealed', {
      logId: sealing.logId,
      beyondHead: judged.beyondHead,
      checked: judged.checked,
      findings: judged.findings.slice(0, 20),
    });
  }
}

/**
 * Where a chain's first run begins: the configured origin — unless the stage's log is sealed as
 * chains of another count, which a changed `auditSealGroups` would start beside: refused.
 */
async function originOf(now: Date): Promise<Date> {
  const others = sealLayoutStores(
    documents,
    table('audit-seals'),
    environment.stage,
    AUDIT_SEAL_GROUP_COUNTS.filter((count) => count !== groups.length),
  );
  const sealed = await sealedLayoutsBesides(others);
  if (sealed.length > 0) throw new AuditSealLayoutChanged(groups.length, sealed);
  return settings.origin(now);
}

/** The stage's seal groups, in index order. */
export const sealGroups: readonly AuditSealGroup[] = groups;

/**
 * One sealing run of one seal group; undefined when another sealer appended to that group's
 * chain first (it seals these events).
 */
export async function sealNow(group: number): Promise<SealRun | undefined> {
  const sealing = sealings[group];
  if (sealing === undefined) throw new RangeError(`no seal group ${group} of ${groups.length}`);
  let run: SealRun;
  try {
    await checkArchiveBeyondHead(sealing);
    run = await sealAuditLog(sealing);
  } catch (error) {
    // The run fails (no lag metric, so the lag alarm fires); the log says why.
    if (
      error instanceof AuditSealHeadAhead ||
      error instanceof AuditSealHeadMismatch ||
      error instanceof AuditSealLayoutChanged
    ) {
      logger.error('audit sealing stopped', { error });
    }
    if (!(error instanceof SealChainMoved)) throw error;
    logger.info('another sealer moved the audit chain first', { logId: sealing.logId, error: error.message });
    return undefined;
  }
  const events = run.batches.reduce((sum, b) => sum + b.events, 0);
  const lagSeconds = await reportedSealLagSeconds(run, {
    seals: sealings.map((other) => other.seals),
    now: () => new Date(),
    settleSeconds: settings.settleSeconds,
  });
  metrics.addMetric('AuditSealLagSeconds', MetricUnit.Seconds, lagSeconds);
  metrics.addMetric('AuditEventsSealed', MetricUnit.Count, events);
  logger.info('audit sealed', {
    logId: sealing.logId,
    batches: run.batches.map((b) => b.seq),
    events,
    through: run.through,
    lagSeconds: run.lagSeconds,
    reportedLagSeconds: lagSeconds,
    stopped: run.stopped,
  });
  return run;
}

export const handler = middy(async (event: unknown) => {
  const group = sealGroupOfInvocation(event, groups.length);
  if (group === undefined) {
    logger.warn('a scheduled event naming no seal group: a rule from before seal groups; nothing sealed');
    return;
  }
  await sealNow(group);
})
  .use(traceHandler())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
