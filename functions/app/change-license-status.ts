import { reinstate, revoke, type StatusChange, type StoredStatus, suspend } from '#core/lifecycle.ts';
import { withinRerunWindow } from '#core/request-window.ts';
import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { ChangeKeyReused } from './issuer-errors.ts';
import {
  agencyActor,
  type IssuanceDeps,
  type IssuerCaller,
  issuerAuditEvent,
  ownLicense,
  stillIssuerOf,
  storedLicense,
} from './license-issuance.ts';
import { requestDigest } from './request-digest.ts';
import { predecessorServed } from './succession.ts';

export type StatusAction = 'suspend' | 'reinstate' | 'revoke';

export interface StatusChangeRequest {
  /** Full GB/T 36904 identifier of the version to change. */
  licenseId: string;
  action: StatusAction;
  /** Required to suspend and to revoke. */
  reason?: string | undefined;
  /** The issuer's Idempotency-Key: the change keeps its digest, so a re-run meets it as its own. */
  requestKey?: string | undefined;
}

/** A license version after a status change. */
export interface ChangedLicense {
  licenseId: string;
  version: string;
  status: StoredStatus;
  statusList: { uri: string; idx: number };
}

export interface StatusChangeDeps
  extends Pick<IssuanceDeps, 'publicBaseUrl' | 'now' | 'newEventId' | 'blindIndex'> {
  licenses: Pick<LicenseRepository, 'get' | 'changeStatus'>;
  /**
   * Whether the agency may still issue the type (asked to reinstate only), and, for a license of
   * another agency, whether the caller is that agency's successor.
   */
  config: Pick<IssuanceDeps['config'], 'getLicenseType' | 'getAgency'>;
}

const TRANSITIONS = { suspend, reinstate, revoke } as const;
const DONE: Record<StatusAction, 'suspended' | 'reinstated' | 'revoked'> = {
  suspend: 'suspended',
  reinstate: 'reinstated',
  revoke: 'revoked',
};
const AUDIT_ACTIONS: Record<StatusAction, string> = {
  suspend: 'license.suspended',
  reinstate: 'license.resumed',
  revoke: 'license.revoked',
};

/**
 * 暂停 / 恢复 / 吊销: only the issuing agency, or the successor (承继机关) the operator designated
 * for it (succession.ts), whose audit events name whom it acts for — to reinstate, one still
 * registered for the type (IssuerNotRegistered); one removed from its issuers may still suspend
 * and revoke, and so withdraw, the licenses it issued or succeeded to — the core lifecycle decides
 * whether the change is legal (IllegalTransition, ReasonRequired); status, status-list entry and
 * audit event are written together on condition that nobody changed the license since it was read
 * (ConcurrentModification). Every copy ever handed out then reads the new status. Under a request
 * key the change keeps its digest in the license's history: the same request run again after its
 * idempotency record was lost meets it there and is answered as it was ({@link changedBefore}),
 * not refused as a change the status no longer allows.
 */
export async function changeLicenseStatus(
  request: StatusChangeRequest,
  caller: IssuerCaller,
  deps: StatusChangeDeps,
): Promise<ChangedLicense> {
  const asSuccessorOf = await predecessorServed(deps.config, caller, request.licenseId);
  const license =
    asSuccessorOf === undefined
      ? await ownLicense(deps.licenses, caller, request.licenseId)
      : await storedLicense(deps.licenses, request.licenseId);
  const digest =
    request.requestKey === undefined
      ? undefined
      : await requestDigest(
          {
            agency: caller.agency,
            operation: request.action,
            licenseId: license.id,
            requestKey: request.requestKey,
          },
          deps.blindIndex,
        );
  const now = deps.now();
  const made = digest === undefined ? undefined : changedBefore(license, digest, request, now);
  if (made !== undefined) return changedLicense(license, made, deps);
  if (request.action === 'reinstate') await stillIssuerOf(deps.config, caller.agency, license.typeCode);
  const change: StatusChange = {
    ...TRANSITIONS[request.action](license.status, {
      actor: agencyActor(caller),
      at: now.toISOString(),
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
    }),
    ...(digest === undefined ? {} : { requestDigest: digest }),
  };
  await deps.licenses.changeStatus({
    licenseId: license.id,
    expectedVersion: license.version,
    history: license.history,
    change,
    statusSlot: license.statusSlot,
    auditEvent: issuerAuditEvent(
      deps,
      caller,
      AUDIT_ACTIONS[request.action],
      now,
      { licenseId: license.id, typeCode: license.typeCode },
      {
        from: change.from,
        to: change.to,
        reason: change.reason ?? null,
        ...(asSuccessorOf === undefined ? {} : { asSuccessorOf }),
      },
    ),
  });
  return changedLicense(license, change, deps);
}

/**
 * The change this request's first run made, kept in the license's history with the request's
 * digest (any of the changes the record keeps, not only the last: a repeat from the idempotency
 * record answers the first run's answer whatever happened since, and so does this — though one
 * pushed out by MAX_KEPT_STATUS_CHANGES since is not found, and the request runs again); undefined
 * when none is, or when it was made longer ago than the key's idempotency record lasts: the key
 * reused then is a new request, as the record's absence makes it. The same digest with another
 * reason is another request under the key: ChangeKeyReused.
 */
function changedBefore(
  license: LicenseRecord,
  digest: string,
  request: StatusChangeRequest,
  now: Date,
): StatusChange | undefined {
  const made = license.history.findLast((change) => change.requestDigest === digest);
  if (made === undefined || !withinRerunWindow(made.at, now)) return undefined;
  // The lifecycle keeps a reason trimmed, and none for one left blank (transition).
  if (made.reason !== (request.reason?.trim() || undefined)) {
    throw new ChangeKeyReused(license.id, { changed: DONE[request.action] });
  }
  return made;
}

/**
 * The answer to a change: the license and the status it moved to. Given again for a re-run that
 * met its change, nothing is written and no event recorded: the change was audited when it was
 * made, and the answer carries nothing of the license's content (no field, no copy), so its read
 * is not one to audit, unlike a re-issue's re-run, which hands out the signed copy again.
 */
function changedLicense(
  license: LicenseRecord,
  change: StatusChange,
  deps: StatusChangeDeps,
): ChangedLicense {
  return {
    licenseId: license.id,
    version: license.licenseVersion,
    status: change.to,
    statusList: {
      uri: statusListUri(deps.publicBaseUrl, license.statusSlot.listId),
      idx: license.statusSlot.index,
    },
  };
}
