import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import { ConfigRecordNotFound, type ConfigStore } from '#ports/config-store.ts';
import type { UsageKey, UsageKeys } from '#ports/usage-keys.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  isCertainRefusal,
  type OperatorActor,
} from './admin-change.ts';

// Agencies' usage keys: the API keys by which the stage's usage plan throttles and caps each
// agency at API Gateway. They meter only; request signatures still authenticate.

/** The stage meters agencies by no usage plan, so there is no usage key to issue. */
export class UsagePlanNotEnabled extends Error {
  constructor(stage: string) {
    super(`stage ${stage} meters agencies by no usage plan (agencyUsagePlan), so it issues no usage keys`);
    this.name = 'UsagePlanNotEnabled';
  }
}

export interface IssueUsageKeyDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency'>;
  usageKeys: UsageKeys;
  audit: AuditLogWriter;
}

export interface IssuedUsageKey {
  agency: string;
  /** The new key; its value is shown this once. */
  usageKey: UsageKey;
  /** Ids of the keys it replaced, now off the plan. */
  replaced: string[];
}

/**
 * Gives a registered agency a new usage key and withdraws the ones it had: for agencies
 * registered before the stage had a usage plan, and for a key that leaked or was lost. The
 * new key is recorded (its id, never its value) before the old ones stop working; if the
 * record cannot be written the new key is withdrawn again and the old ones stay.
 */
export async function issueUsageKey(
  { uscc }: { uscc: string },
  operator: OperatorActor,
  deps: IssueUsageKeyDeps,
): Promise<IssuedUsageKey> {
  if (!(await deps.config.getAgency(uscc))) throw new ConfigRecordNotFound('agency', uscc);
  const replaced = await deps.usageKeys.list(uscc);
  const usageKey = await deps.usageKeys.issue(uscc);
  if (!usageKey) throw new UsagePlanNotEnabled(deps.stage);
  try {
    await deps.audit.record(
      adminChangeEvent(deps, operator, 'agency.usage_key_issued', {
        details: { agency: uscc, usageKey: usageKey.id, replaced },
      }),
    );
  } catch (error) {
    // No key works without its record: even when the write's fate is unknown, the key goes.
    await deps.usageKeys.withdraw(usageKey.id).catch(() => {});
    throw error;
  }
  for (const keyId of replaced) await deps.usageKeys.withdraw(keyId);
  return { agency: uscc, usageKey, replaced };
}

/**
 * Issues an agency's usage key (when there are usage keys) and runs the registry write that
 * records it. When the registry refuses the write for certain, the key is withdrawn again; on
 * any other failure the write may have happened, so the key is kept.
 */
export async function withNewUsageKey<T>(
  usageKeys: UsageKeys | undefined,
  agency: string,
  write: (usageKey: UsageKey | undefined) => Promise<T>,
): Promise<T> {
  const usageKey = await usageKeys?.issue(agency);
  try {
    return await write(usageKey);
  } catch (error) {
    if (usageKey && isCertainRefusal(error)) await usageKeys!.withdraw(usageKey.id).catch(() => {});
    throw error;
  }
}
