import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import { isStatusListId } from '#core/status-list.ts';
import { signStatusListToken } from '#core/status-list-token.ts';
import { StatusListNotFound } from '#core/storage-errors.ts';
import type { SigningKeys } from '#ports/signer.ts';
import type { StatusListCache } from '#ports/status-list-cache.ts';
import type { StatusListStore } from '#ports/status-list-store.ts';

export interface StatusListPublishing {
  lists: Pick<StatusListStore, 'loadStatusList'>;
  keys: Pick<SigningKeys, 'platformKey'>;
  cache: StatusListCache;
  publicBaseUrl: string;
  now: () => Date;
  /** How long a relying party may cache the list before fetching it again (`ttl`). */
  ttlSeconds: number;
  /** How long the signed list stays valid for offline verifiers (`exp` − `iat`). */
  validitySeconds: number;
}

/**
 * The current signed Status List Token of a list: the published one while it is younger than
 * its `ttl`, else the list read from storage, signed with the platform key and published —
 * so signing happens at most once per list and `ttl`, however many verifiers ask. An id no list
 * can have, or one naming no stored list, fails with StatusListNotFound.
 */
export async function currentStatusList(
  listId: string,
  deps: StatusListPublishing,
): Promise<{ token: string; maxAgeSeconds: number }> {
  // Checked before the cache, which cannot make an object key of such an id: the caller asked
  // for a list that does not exist, not for something the platform failed at.
  if (!isStatusListId(listId)) throw new StatusListNotFound(listId);
  const now = deps.now();
  const cached = await deps.cache.get(listId);
  const age = cached ? (now.getTime() - cached.issuedAt.getTime()) / 1000 : Number.POSITIVE_INFINITY;
  if (cached && age >= 0 && age < deps.ttlSeconds) {
    return { token: cached.token, maxAgeSeconds: Math.max(0, Math.floor(deps.ttlSeconds - age)) };
  }
  const { list } = await deps.lists.loadStatusList(listId);
  const { signer } = await deps.keys.platformKey();
  const token = await signStatusListToken(
    {
      uri: statusListUri(deps.publicBaseUrl, listId),
      list,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + deps.validitySeconds * 1000),
      ttlSeconds: deps.ttlSeconds,
    },
    signer,
  );
  await deps.cache.put(listId, { token, issuedAt: now });
  return { token, maxAgeSeconds: deps.ttlSeconds };
}
