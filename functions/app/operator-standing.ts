// Why a change that can take away an operator's access checks the caller's own record in its
// write: each such write is conditioned on its target's version only, so two operators revoking
// each other's keys (or roles) at the same moment would both succeed, each against a target the
// other did not touch, and leave the platform with no active operator key. Conditioning the write
// also on the caller's own record — as read here, with its signing key active and its operator
// role held — makes the two writes conflict: whichever commits first moves the other's caller
// record, and the other is refused (OperatorRecordChanged, 409) writing nothing. Since no operator
// may revoke its own signing key or drop its own operator role (OperatorSelfLockout), the caller's
// key is still an active operator key when such a write commits: the last one cannot go.
// Writes that grant operator access — registering an operator agency, granting the role, adding a
// key to an operator agency — carry the same condition for another reason: a request authenticated
// just before its operator's key was revoked (or its role removed) must not complete afterwards and
// plant a new operator agency or key.
import type { Agency } from '#core/catalog/agency.ts';
import { type ConfigStore, OperatorRecordChanged, type OperatorStanding } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import type { OperatorActor } from './admin-change.ts';

/**
 * The caller's standing for a change that could take away an operator's access: its own agency
 * record (`own` when already read, as the target of the change), which must still hold the
 * operator role and the signing key active; OperatorRecordChanged when it no longer does.
 */
export async function operatorStanding(
  operator: OperatorActor,
  config: Pick<ConfigStore, 'getAgency'>,
  own?: Versioned<Agency>,
): Promise<OperatorStanding> {
  const record = own ?? (await config.getAgency(operator.agency));
  if (record === undefined || !record.value.roles.includes('operator')) {
    throw new OperatorRecordChanged(operator.agency, 'it no longer holds the operator role');
  }
  const key = record.value.apiKeys.find((held) => held.keyId === operator.keyId);
  if (key?.status !== 'active') {
    throw new OperatorRecordChanged(operator.agency, `its key ${operator.keyId} is no longer active`);
  }
  return { agency: operator.agency, version: record.version };
}
