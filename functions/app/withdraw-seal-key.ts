import {
  type Agency,
  MAX_PREVIOUS_SEAL_KEYS,
  nextSealKeyGeneration,
  roomForPreviousSealKey,
  sealKeyWithKid,
  withSealKeyWithdrawn,
} from '#core/catalog/agency.ts';
import {
  SealKeyAlreadyWithdrawn,
  SealKeyLimitReached,
  SealKeyNotFound,
} from '#core/catalog/registration-errors.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import { ConfigRecordInvalid, type ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner } from '#ports/seal-key-provisioner.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
  withNewSealKey,
} from './admin-change.ts';

// Withdrawing a compromised seal key (电子印章密钥吊销). Rotation leaves the replaced key verifying
// whatever it signs, whenever — also what a thief signs with it. A withdrawal ends that: the
// agency record marks the key withdrawn (when, why, by whom) with its audit event, so the JWKS
// leaves it out and every verification of what it signed fails its signature check, naming the
// key as withdrawn; then the key service disables it, so it signs nothing more.
//
// The record decides, not the key service: a container that read a key's public part before
// its withdrawal keeps it (KmsSigningKeys caches it for the container's life), and verification
// reads the record through a cache of at most 5 s on AWS (CachedSealStandings, the public
// function's ELICENSE_CATALOG_MAX_AGE_SECONDS): a withdrawal fails POST /verify within that. Its licenses become verifiable again only by re-issue, which
// signs the new version with the agency's current key.
//
// An agency record keeps at most MAX_PREVIOUS_SEAL_KEYS previous keys. Withdrawing the current key
// of one that holds as many lets go of the oldest withdrawn one (its licenses fail verification
// already; they then name no published key, and the key service keeps it disabled). When none is
// withdrawn it is refused: a compromised current key still signs, but letting go of a key that
// still verifies its licenses would take them from their holders unasked — the operator withdraws
// the oldest first (SealKeyLimitReached says which), then the current one.
//
// When the withdrawn key is the one the agency signs with, the same change gives it a new key
// (as a rotation does), so the agency can go on issuing at once — refusing issuance until someone
// rotates would stop an agency's service for no gain in safety. Every request that reads the record
// after the write signs with the new key; one that read it just before may still sign with the
// withdrawn key until the key service disables it (its license fails verification as the rest),
// and is refused SealKeyUnusable after that (license-issuance.ts signLicense).

export interface WithdrawSealKeyRequest {
  uscc: string;
  kid: string;
  /** Why: e.g. the incident in which the key was found compromised. Kept for good. */
  reason: string;
  /** When given, the withdrawal applies only to this version of the agency (`If-Match`). */
  expectedVersion?: number;
}

export interface WithdrawSealKeyDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency' | 'updateAgency'>;
  sealKeys: SealKeyProvisioner;
}

/**
 * Withdraws one of an agency's seal keys, current or previous. SealKeyNotFound for a kid the
 * agency never held, SealKeyAlreadyWithdrawn for one withdrawn before; a reason that is empty or
 * names a citizen identity number is refused; nothing is changed by a refusal.
 */
export async function withdrawSealKey(
  request: WithdrawSealKeyRequest,
  operator: OperatorActor,
  deps: WithdrawSealKeyDeps,
): Promise<Versioned<Agency>> {
  const { uscc, kid, expectedVersion } = request;
  const reason = request.reason.trim();
  if (reason === '') {
    throw new ConfigRecordInvalid('agency', [
      { path: 'reason', message: 'expected why the key is withdrawn' },
    ]);
  }
  // The reason stays in the agency record and the sealed audit log for good.
  refuseIdentityNumbers({ reason });
  const stored = await deps.config.getAgency(uscc);
  const withdrawnBefore = stored && sealKeyWithKid(stored.value, kid);
  if (withdrawnBefore?.withdrawn !== undefined) {
    // A withdrawal whose key-service step failed after the record was written is finished by
    // asking again: the record already says so, and the key service is told once more (a no-op
    // when it was done). This comes before the If-Match comparison: the retry carries the
    // version read before the first attempt, which that very attempt moved on.
    await deps.sealKeys.withdraw(withdrawnBefore);
    throw new SealKeyAlreadyWithdrawn(uscc, kid, withdrawnBefore.withdrawn.at);
  }
  const current = atExpectedVersion('agency', uscc, stored, expectedVersion);
  const agency = current.value;
  const seal = sealKeyWithKid(agency, kid);
  if (seal === undefined) throw new SealKeyNotFound(uscc, kid);
  const isCurrent = agency.sealKey?.kid === kid;
  // Refused before a replacement key is made; the key let go is named in the audit event.
  const room = isCurrent ? roomForPreviousSealKey(agency.previousSealKeys ?? []) : undefined;
  if (isCurrent && room === undefined) {
    throw new SealKeyLimitReached(uscc, MAX_PREVIOUS_SEAL_KEYS, agency.previousSealKeys?.at(-1)?.kid ?? kid);
  }
  const letGoKids = room?.dropped.map((key) => key.kid) ?? [];
  const withdrawal = { at: deps.now().toISOString(), reason, operator: operator.agency };
  const write = (replacement?: Agency['sealKey']) =>
    deps.config.updateAgency(
      withSealKeyWithdrawn(agency, kid, withdrawal, replacement),
      current.version,
      adminChangeEvent(deps, operator, 'agency.seal_key_withdrawn', {
        details: {
          agency: uscc,
          version: current.version + 1,
          withdrawnKid: kid,
          reason,
          ...(replacement ? { sealKid: replacement.kid } : {}),
          ...(letGoKids.length > 0 ? { letGoKids } : {}),
        },
      }),
    );
  const saved = isCurrent
    ? await withNewSealKey(deps, { agency: uscc, generation: nextSealKeyGeneration(agency) }, write)
    : await write();
  await deps.sealKeys.withdraw(seal);
  return saved;
}
