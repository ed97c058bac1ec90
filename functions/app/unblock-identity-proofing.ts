import { checkClaimedIdentity } from '#core/holders/identity.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { HolderStore } from '#ports/holder-store.ts';
import { type AdminChangeDeps, adminChangeEvent, type OperatorActor } from './admin-change.ts';
import { ProofingRequestInvalid } from './proof-identity.ts';

// The other side of the per-identity attempt limit (proof-identity.ts): ten failed proofings
// claiming one identity block it for a day for everyone, its rightful owner too, and anyone who
// knows a citizen's ID number can cause that. The platform operator, once the citizen has proved
// who they are another way (in person, at a service counter), forgets the failed claims against
// the identity; the failures stay recorded with the accounts that made them, and each account's
// own limit stands. The decision is audited with its reason, never with the ID number.

export interface UnblockIdentityDeps extends AdminChangeDeps {
  store: Pick<HolderStore, 'clearFailedClaims'>;
  blindIndex: BlindIndexer;
}

export interface UnblockIdentityRequest {
  identity: { codeType: string; code: string };
  /** Why: e.g. the counter and case where the citizen proved their identity. */
  reason: string;
}

export async function unblockIdentityProofing(
  request: UnblockIdentityRequest,
  operator: OperatorActor,
  deps: UnblockIdentityDeps,
): Promise<{ cleared: number }> {
  const reason = request.reason.trim();
  if (reason === '') throw new ProofingRequestInvalid('reason: expected why the identity is unblocked');
  const checked = checkClaimedIdentity(request.identity, deps.now());
  if (!checked.ok) throw new ProofingRequestInvalid(`identity.code: ${checked.reason}`);
  const { identity } = checked;
  // The reason goes into the sealed, permanent audit log: no identity number, and not the code it
  // is about either, of whichever type, however it is written.
  refuseIdentityNumbers({ reason }, [identity.code]);
  const holderIndex = await deps.blindIndex.tokenFor(identity.codeType, identity.code);
  const cleared = await deps.store.clearFailedClaims(holderIndex, (count) =>
    adminChangeEvent(deps, operator, 'holder.identity_proofing_unblocked', {
      // The blind index, not the number: it links this decision to the identity's later
      // proofings and binding for whoever investigates, without saying whose identity it is.
      details: { codeType: identity.codeType, holderIndex, cleared: count, reason },
    }),
  );
  return { cleared };
}
