import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  AUDIT_SEAL_GROUPS_ENV,
  type AuditSealGroupCount,
  parseAuditSealGroupCount,
} from '#adapters/aws/audit-seal-groups.ts';
import { sealLayoutStores } from '#adapters/aws/audit-seal-store.ts';
import { type SealRun, sealedLayoutsBesides } from '#app/seal-audit-log.ts';
import { sdkConfig } from './provision.ts';

// The audit sealer of the local platform: the Lambda's own code (functions/handlers/sealer.ts)
// run in-process on an interval instead of by an EventBridge schedule. The interval is
// ELICENSE_AUDIT_SEAL_INTERVAL_SECONDS (default 60; 0: only when asked), the other settings are
// the sealer's own variables (settle window, batch size, seal groups). Each run seals every seal
// group, the groups side by side, as their schedules do on AWS. `sealNow` runs one at once, for
// tests that need sealing to have happened before they look.

export interface LocalSealer {
  /**
   * One run now (after any run in progress): a run per seal group, in group order; undefined for a
   * group whose chain another sealer moved first.
   */
  sealNow(): Promise<(SealRun | undefined)[]>;
  stop(): Promise<void>;
}

export async function startLocalSealer(log: (line: string) => void): Promise<LocalSealer> {
  const intervalSeconds = Number(process.env.ELICENSE_AUDIT_SEAL_INTERVAL_SECONDS ?? 60);
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0) {
    throw new Error(`expected ELICENSE_AUDIT_SEAL_INTERVAL_SECONDS ≥ 0, found ${intervalSeconds}`);
  }
  // Imported only now: the handler reads its environment when first loaded, as a Lambda does.
  const { sealNow, sealGroups } = await import('#handlers/sealer.ts');
  let running: Promise<(SealRun | undefined)[]> = Promise.resolve([]);
  let busy = false;
  const run = (): Promise<(SealRun | undefined)[]> => {
    running = running
      .catch(() => [])
      .then(async () => {
        busy = true;
        try {
          return await Promise.all(sealGroups.map((group) => sealNow(group.index)));
        } finally {
          busy = false;
        }
      });
    return running;
  };
  const timer =
    intervalSeconds === 0
      ? undefined
      : setInterval(() => {
          // A tick that finds a run still going skips: the next run seals what it would have.
          if (busy) return;
          run().catch((error: unknown) => log(`audit sealing failed: ${(error as Error).message}`));
        }, intervalSeconds * 1000);
  timer?.unref();
  if (intervalSeconds > 0) {
    // One run at start: a platform restarted on old data catches up with what arrived while it
    // was stopped (and /health stops reporting that lag) without waiting a whole interval.
    run().catch((error: unknown) => log(`audit sealing failed: ${(error as Error).message}`));
  }
  log(
    intervalSeconds === 0
      ? `audit sealer (${sealGroups.length} seal groups): on demand only`
      : `audit sealer (${sealGroups.length} seal groups): now, then every ${intervalSeconds} s`,
  );
  return {
    sealNow: run,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}

/**
 * The seal-group count a local platform runs with: ELICENSE_AUDIT_SEAL_GROUPS when set, else the
 * count its data folder's log is already sealed as (a stage's count is fixed once it has sealed:
 * a folder from before seal groups keeps its one chain), else two — as the dev stage, so every
 * path meets more than one chain.
 */
export async function localSealGroupCount(options: {
  env: Record<string, string>;
  stage: string;
  sealsTable: string;
}): Promise<AuditSealGroupCount> {
  const configured = process.env[AUDIT_SEAL_GROUPS_ENV];
  if (configured !== undefined && configured !== '') return parseAuditSealGroupCount(configured);
  const client = new DynamoDBClient(sdkConfig(options.env, 'DYNAMODB'));
  try {
    const documents = DynamoDBDocumentClient.from(client);
    const [sealed] = await sealedLayoutsBesides(
      sealLayoutStores(documents, options.sealsTable, options.stage),
    );
    return sealed ?? 2;
  } finally {
    client.destroy();
  }
}
