import { type Agency, type AgencyRole, nextSealKeyGeneration } from '#core/catalog/agency.ts';
import { changedMembers } from '#core/catalog/record-changes.ts';
import { OperatorSelfLockout } from '#core/catalog/registration-errors.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner } from '#ports/seal-key-provisioner.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
  refuseDemoData,
  withNewSealKey,
} from './admin-change.ts';
import { operatorStanding } from './operator-standing.ts';

/** What an update replaces; keys have routes of their own, seal keys change only by rotation. */
export interface AgencyChanges {
  name: string;
  roles: AgencyRole[];
  areaCode: string;
  demo?: true;
}

export interface UpdateAgencyRequest {
  uscc: string;
  /** The version the change was made against (the `If-Match` of the request). */
  expectedVersion: number;
  changes: AgencyChanges;
}

export interface UpdateAgencyDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency' | 'updateAgency'>;
  sealKeys: SealKeyProvisioner;
}

/**
 * Replaces an agency's name, roles, area and demo mark, if nobody changed it since the version
 * the operator read. An agency that becomes an issuer gets its seal key here; one that stops
 * being one keeps its seal keys, so the licenses it issued still verify. Taking the operator
 * role away, or granting it, holds only while the caller's own record is as this read it
 * (operator-standing.ts).
 */
export async function updateAgency(
  { uscc, expectedVersion, changes }: UpdateAgencyRequest,
  operator: OperatorActor,
  deps: UpdateAgencyDeps,
): Promise<Versioned<Agency>> {
  const current = atExpectedVersion('agency', uscc, await deps.config.getAgency(uscc), expectedVersion);
  refuseDemoData('agency', uscc, changes, deps);
  if (uscc === operator.agency && !changes.roles.includes('operator')) {
    throw new OperatorSelfLockout(
      `removing the operator role from ${uscc}, the agency signing this request,`,
    );
  }
  // Taking the operator role away, or granting it: either holds only while the caller still is one.
  const standing =
    current.value.roles.includes('operator') !== changes.roles.includes('operator')
      ? await operatorStanding(operator, deps.config, uscc === operator.agency ? current : undefined)
      : undefined;
  const { demo: _demo, ...kept } = current.value;
  const updated: Agency = {
    ...kept,
    name: changes.name,
    roles: changes.roles,
    areaCode: changes.areaCode,
    ...(changes.demo ? { demo: true } : {}),
  };
  const write = (agency: Agency) =>
    deps.config.updateAgency(
      agency,
      expectedVersion,
      adminChangeEvent(deps, operator, 'agency.updated', {
        details: {
          agency: uscc,
          version: expectedVersion + 1,
          changes: changedMembers(current.value, agency),
        },
      }),
      standing,
    );
  if (!changes.roles.includes('issuer') || updated.sealKey !== undefined) return write(updated);
  return withNewSealKey(deps, { agency: uscc, generation: nextSealKeyGeneration(updated) }, (sealKey) =>
    write({ ...updated, sealKey }),
  );
}
