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
 * Some of an agency's old usage keys could not be taken off the plan (API Gateway failing past
 * the SDK's own retries): they still work. The new key was taken off again, so nobody holds a
 * working key whose value was never shown; asking again lists what is left and finishes.
 */
export class UsageKeysStillActive extends Error {
  readonly code = 'USAGE_KEYS_STILL_ACTIVE';
  readonly agency: string;
  /** Ids of the agency's keys still on the plan that the change was to take off. */
  readonly stillActive: readonly string[];
  /** Ids taken off the plan before it stopped, the new key among them when it could be. */
  readonly withdrawn: readonly string[];
  /** RFC 9457 extension members of the 503 (domain-problems.ts): what to do next, by machine. */
  readonly problemMembers: { stillActive: readonly string[]; withdrawn: readonly string[] };
  constructor(agency: string, stillActive: string[], withdrawn: string[], options: { cause: unknown }) {
    super(
      `usage keys ${stillActive.join(', ')} of agency ${agency} could not be taken off the usage plan ` +
        `and still work; the new key is not handed out${withdrawn.length > 0 ? ` (taken off: ${withdrawn.join(', ')})` : ''}. ` +
        'Ask again: it lists the keys still on the plan and replaces them.',
      options,
    );
    this.name = 'UsageKeysStillActive';
    this.agency = agency;
    this.stillActive = stillActive;
    this.withdrawn = withdrawn;
    this.problemMembers = { stillActive, withdrawn };
  }
}

/**
 * Gives a registered agency a new usage key and withdraws the ones it had: for agencies
 * registered before the stage had a usage plan, and for a key that leaked or was lost. Two audit
 * events, each written when what it says is so: `agency.usage_key_issued` once the new key is on
 * the plan and before any old key is touched (if it cannot be written the new key is withdrawn
 * again and the old ones stay), then `agency.usage_keys_withdrawn` once the old keys are off.
 *
 * When an old key cannot be withdrawn, the call fails (UsageKeysStillActive, a 503 naming the
 * keys still working) and the new key is withdrawn again, rather than answering the new key beside
 * a note: the operator asks for a new key because the old one must stop working, and an answer
 * that hands over a key while a leaked one still works reads as done. Asking again is the same
 * request, which lists whatever is still on the plan. This is how the other admin changes that
 * reach beyond the registry end half-done (admin-change.ts withNewSealKey, withdraw-seal-key.ts):
 * a new key whose change did not go through is given up, and the failure is finished by asking
 * again. No retry loop here: the AWS SDK already retries throttling and passing failures with
 * backoff before a withdrawal fails.
 *
 * Two calls at the same moment each list the old keys before either issues, so both new keys stay
 * on the plan (each answered to its caller); the next call withdraws the extra one.
 */
export async function issueUsageKey(
  { uscc }: { uscc: string },
  operator: OperatorActor,
  deps: IssueUsageKeyDeps,
): Promise<IssuedUsageKey> {
  if (!(await deps.config.getAgency(uscc))) throw new ConfigRecordNotFound('agency', uscc);
  const previous = await deps.usageKeys.list(uscc);
  const usageKey = await deps.usageKeys.issue(uscc);
  if (!usageKey) throw new UsagePlanNotEnabled(deps.stage);
  try {
    await deps.audit.record(
      adminChangeEvent(deps, operator, 'agency.usage_key_issued', {
        details: { agency: uscc, usageKey: usageKey.id },
      }),
    );
  } catch (error) {
    // No key works without its record: even when the write's fate is unknown, the key goes.
    await deps.usageKeys.withdraw(usageKey.id).catch(() => {});
    throw error;
  }
  if (previous.length === 0) return { agency: uscc, usageKey, replaced: [] };

  // Each key is tried even after one fails: as many leaked keys as can be stop working.
  const withdrawn: string[] = [];
  const stillActive: string[] = [];
  let failure: unknown;
  const withdraw = async (keyId: string) => {
    try {
      await deps.usageKeys.withdraw(keyId);
      withdrawn.push(keyId);
    } catch (error) {
      stillActive.push(keyId);
      failure ??= error;
    }
  };
  for (const keyId of previous) await withdraw(keyId);
  const replaced = [...withdrawn];
  if (stillActive.length > 0) await withdraw(usageKey.id);

  // Written after the withdrawals, so it names only keys that are off. Should this write fail,
  // they are off unrecorded here (API Gateway's CloudTrail log has each removal) and the write's
  // error is answered; the new key, recorded, stays on the plan unless it was taken off again,
  // and asking again replaces it.
  await deps.audit.record({
    ...adminChangeEvent(deps, operator, 'agency.usage_keys_withdrawn', {
      details: {
        agency: uscc,
        usageKey: usageKey.id,
        withdrawn,
        ...(stillActive.length > 0 ? { stillActive } : {}),
      },
    }),
    outcome: stillActive.length > 0 ? 'failed' : 'success',
  });
  if (stillActive.length > 0)
    throw new UsageKeysStillActive(uscc, stillActive, withdrawn, { cause: failure });
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
