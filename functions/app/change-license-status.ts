import { reinstate, revoke, type StatusChange, type StoredStatus, suspend } from '#core/lifecycle.ts';
import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import {
  agencyActor,
  type IssuanceDeps,
  type IssuerCaller,
  issuerAuditEvent,
  ownLicense,
  stillIssuerOf,
  storedLicense,
} from './license-issuance.ts';
import { predecessorServed } from './succession.ts';

export type StatusAction = 'suspend' | 'reinstate' | 'revoke';

export interface StatusChangeRequest {
  /** Full GB/T 36904 identifier of the version to change. */
  licenseId: string;
  action: StatusAction;
  /** Required to suspend and to revoke. */
  reason?: string | undefined;
}

/** A license version after a status change. */
export interface ChangedLicense {
  licenseId: string;
  version: string;
  status: StoredStatus;
  statusList: { uri: string; idx: number };
}

export interface StatusChangeDeps extends Pick<IssuanceDeps, 'publicBaseUrl' | 'now' | 'newEventId'> {
  licenses: Pick<LicenseRepository, 'get' | 'changeStatus'>;
  /**
   * Whether the agency may still issue the type (asked to reinstate only), and, for a license of
   * another agency, whether the caller is that agency's successor.
   */
  config: Pick<IssuanceDeps['config'], 'getLicenseType' | 'getAgency'>;
}

const TRANSITIONS = { suspend, reinstate, revoke } as const;
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
 * (ConcurrentModification). Every copy ever handed out then reads the new status.
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
  if (request.action === 'reinstate') await stillIssuerOf(deps.config, caller.agency, license.typeCode);
  const now = deps.now();
  const change: StatusChange = TRANSITIONS[request.action](license.status, {
    actor: agencyActor(caller),
    at: now.toISOString(),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
  });
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
