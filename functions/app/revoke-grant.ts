// Revoking a holder grant: from then on its code retrieves nothing. Copies already handed out
// stay with their annotated copies, which say until when they may be used.
import type { Grant } from '#core/grants/grant.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import { GrantNotFound, type GrantStore } from '#ports/grant-store.ts';
import type { Versioned } from '#ports/page.ts';

export interface RevokeGrantRequest {
  actor: { kind: 'operator' | 'holder'; id: string; keyId?: string };
  grantId: string;
  reason?: string;
  /** A holder revoking: only a grant of this holder (blind index); another's reads as not found. */
  holderIndex?: string;
}

export interface RevokeGrantDeps {
  grants: Pick<GrantStore, 'get' | 'revoke'>;
  now: () => Date;
  newEventId: () => string;
}

/** How many times a revocation reads the grant; the last write is not conditioned on its version. */
const ATTEMPTS = 4;

/**
 * Revokes an active grant with its audit event in one write; GrantNotFound or GrantAlreadyRevoked
 * otherwise, IdentityNumberInText for a reason naming an identity number. The event's
 * `usesBefore` is the grant's count at the revocation: the write is conditioned on the grant as
 * read, and a use landing in between makes it read again. A relying agency retrieving steadily
 * under the grant could keep that up, and the holder must be able to cut it off all the same: the
 * last attempt is conditioned on the grant being active (and the holder's) only, and its event
 * says `usesAtLeast` instead, the count as read, which uses landing before the write may exceed.
 * (Uses stop once the grant is revoked, so the revoked grant's own count is exact.)
 */
export async function revokeGrant(
  request: RevokeGrantRequest,
  deps: RevokeGrantDeps,
): Promise<Versioned<Grant>> {
  refuseIdentityNumbers({ reason: request.reason });
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await revokeAsRead(request, deps, attempt < ATTEMPTS);
    } catch (error) {
      if (!(error instanceof ConcurrentModification) || attempt >= ATTEMPTS) throw error;
    }
  }
}

async function revokeAsRead(
  request: RevokeGrantRequest,
  deps: RevokeGrantDeps,
  atVersion: boolean,
): Promise<Versioned<Grant>> {
  const current = await deps.grants.get(request.grantId);
  if (
    current === undefined ||
    (request.holderIndex !== undefined && current.value.holderIndex !== request.holderIndex)
  ) {
    throw new GrantNotFound(request.grantId);
  }
  const { scope } = current.value;
  return deps.grants.revoke(request.grantId, {
    ...(request.holderIndex === undefined ? {} : { holderIndex: request.holderIndex }),
    ...(atVersion ? { asRead: current } : {}),
    auditEvent: {
      id: deps.newEventId(),
      time: deps.now().toISOString(),
      actor: { kind: request.actor.kind, id: request.actor.id },
      action: 'grant.revoked',
      subject: {
        grantId: request.grantId,
        ...(scope.kind === 'license' ? { licenseId: scope.licenseId } : { typeCode: scope.typeCode }),
      },
      outcome: 'success',
      details: {
        relyingAgency: current.value.relyingAgency,
        ...(atVersion ? { usesBefore: current.value.uses } : { usesAtLeast: current.value.uses }),
        ...(request.reason === undefined ? {} : { reason: request.reason }),
        ...(request.actor.keyId === undefined ? {} : { keyId: request.actor.keyId }),
      },
    },
  });
}
