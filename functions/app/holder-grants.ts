// 用证授权 by the holder: the holder lets a relying agency use one of their own licenses, or their
// licenses of a type, through the same use cases an operator used before (create-grant,
// revoke-grant), with the holder as the actor. A license or grant of another holder reads as
// one that does not exist.
import type { Grant } from '#core/grants/grant.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { GrantStore } from '#ports/grant-store.ts';
import type { HolderIdentityReader } from '#ports/holder-identity.ts';
import type { Page, PageRequest, Versioned } from '#ports/page.ts';
import { type CreatedGrantResult, type CreateGrantDeps, createGrant } from './create-grant.ts';
import { heldLicense } from './holder-licenses.ts';
import { recordHolderRead } from './holder-read-event.ts';
import { requireBinding } from './proof-identity.ts';
import { type RevokeGrantDeps, revokeGrant } from './revoke-grant.ts';

export interface HolderGrantRequest {
  account: string;
  /** One of the holder's licenses (identifier or license key), or the holder's licenses of a type. */
  scope: { licenseId: string } | { typeCode: string };
  relyingAgency: string;
  purpose: string;
  fields: readonly string[];
  expiresAt: string;
  maxUses: number;
}

export interface HolderGrantDeps extends CreateGrantDeps {
  identity: HolderIdentityReader;
}

/** Records the holder's grant with its audit event; the authorisation code is returned this once. */
export async function createHolderGrant(
  request: HolderGrantRequest,
  deps: HolderGrantDeps,
): Promise<CreatedGrantResult> {
  const binding = await requireBinding(deps.identity, request.account);
  // The holder's own code of any type, not only a citizen identity number's shape: createGrant
  // knows the holder by index only.
  refuseIdentityNumbers({ purpose: request.purpose }, [binding.code]);
  const { account, scope, ...terms } = request;
  // The grant is made of the record found to be the holder's, not of a second read: a re-issue to
  // another holder in between would otherwise lend the grant that holder's index.
  return createGrant(
    {
      actor: { kind: 'holder', id: account },
      scope:
        'licenseId' in scope
          ? { license: await heldLicense(binding, scope.licenseId, deps) }
          : { typeCode: scope.typeCode, holder: { codeType: binding.codeType, code: binding.code } },
      ...terms,
    },
    deps,
  );
}

export interface ListHolderGrantsDeps {
  identity: HolderIdentityReader;
  grants: Pick<GrantStore, 'listByHolder'>;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

/**
 * The holder's grants, newest first, a page at a time; audited (holder.grants_listed) before it is
 * answered, since they name whom the holder trusts, with the event's id in the answer.
 */
export async function listHolderGrants(
  request: { account: string; page?: PageRequest },
  deps: ListHolderGrantsDeps,
): Promise<Page<Versioned<Grant>> & { auditEventId: string }> {
  const binding = await requireBinding(deps.identity, request.account);
  const page = await deps.grants.listByHolder(binding.holderIndex, request.page);
  const auditEventId = await recordHolderRead(
    request.account,
    'holder.grants_listed',
    { grants: page.items.length },
    deps,
  );
  return { ...page, auditEventId };
}

export interface RevokeHolderGrantDeps extends RevokeGrantDeps {
  identity: HolderIdentityReader;
}

/** Revokes one of the holder's grants; GrantNotFound for another holder's, GrantAlreadyRevoked twice. */
export async function revokeHolderGrant(
  request: { account: string; grantId: string; reason?: string },
  deps: RevokeHolderGrantDeps,
): Promise<Versioned<Grant>> {
  const binding = await requireBinding(deps.identity, request.account);
  refuseIdentityNumbers({ reason: request.reason }, [binding.code]);
  return revokeGrant(
    {
      actor: { kind: 'holder', id: request.account },
      grantId: request.grantId,
      holderIndex: binding.holderIndex,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    },
    deps,
  );
}
