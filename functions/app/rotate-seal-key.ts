import {
  type Agency,
  MAX_PREVIOUS_SEAL_KEYS,
  nextSealKeyGeneration,
  roomForPreviousSealKey,
} from '#core/catalog/agency.ts';
import { SealKeyLimitReached, SealKeyNotRotatable } from '#core/catalog/registration-errors.ts';
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
 * accepted for the licenses it signed, which stay valid. An agency holding MAX_PREVIOUS_SEAL_KEYS
 * previous keys makes room as a withdrawal of its current key does: the oldest withdrawn one is
 * let go, and with none withdrawn the rotation is refused (SealKeyLimitReached).
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
  // Refused before a key is made: one made for a record that cannot take it would be discarded.
  const room = roomForPreviousSealKey(agency.previousSealKeys ?? []);
  if (room === undefined) {
    throw new SealKeyLimitReached(
      uscc,
      MAX_PREVIOUS_SEAL_KEYS,
      agency.previousSealKeys?.at(-1)?.kid ?? replaced.kid,
    );
  }
  const letGoKids = room.dropped.map((key) => key.kid);
  const letGo = (agency.sealKeysLetGo ?? 0) + room.dropped.length;
  return withNewSealKey(deps, { agency: uscc, generation: nextSealKeyGeneration(agency) }, (sealKey) =>
    deps.config.updateAgency(
      {
        ...agency,
        sealKey,
        previousSealKeys: [replaced, ...room.kept],
        ...(letGo > 0 ? { sealKeysLetGo: letGo } : {}),
      },
      current.version,
      adminChangeEvent(deps, operator, 'agency.seal_key_rotated', {
        details: {
          agency: uscc,
          version: current.version + 1,
          sealKid: sealKey.kid,
          replacedKid: replaced.kid,
          ...(letGoKids.length > 0 ? { letGoKids } : {}),
        },
      }),
    ),
  );
}
