import { type Agency, nextSealKeyGeneration } from '#core/catalog/agency.ts';
import { SealKeyNotRotatable } from '#core/catalog/registration-errors.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner } from '#ports/seal-key-provisioner.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
  withNewSealKey,
} from './admin-change.ts';

export interface RotateSealKeyRequest {
  uscc: string;
  /** When given, the rotation applies only to this version of the agency (`If-Match`). */
  expectedVersion?: number;
}

export interface RotateSealKeyDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency' | 'updateAgency'>;
  sealKeys: SealKeyProvisioner;
}

/**
 * Gives an agency a new seal key: licenses are signed with it from the write on. The key it
 * replaces moves to the front of the agency's previous seal keys, still published and still
 * accepted for the licenses it signed, which stay valid.
 */
export async function rotateSealKey(
  { uscc, expectedVersion }: RotateSealKeyRequest,
  operator: OperatorActor,
  deps: RotateSealKeyDeps,
): Promise<Versioned<Agency>> {
  const current = atExpectedVersion('agency', uscc, await deps.config.getAgency(uscc), expectedVersion);
  const agency = current.value;
  const replaced = agency.sealKey;
  if (replaced === undefined) throw new SealKeyNotRotatable(uscc, agency.roles);
  return withNewSealKey(
    deps.sealKeys,
    { agency: uscc, generation: nextSealKeyGeneration(agency) },
    (sealKey) =>
      deps.config.updateAgency(
        { ...agency, sealKey, previousSealKeys: [replaced, ...(agency.previousSealKeys ?? [])] },
        current.version,
        adminChangeEvent(deps, operator, 'agency.seal_key_rotated', {
          details: {
            agency: uscc,
            version: current.version + 1,
            sealKid: sealKey.kid,
            replacedKid: replaced.kid,
          },
        }),
      ),
  );
}
