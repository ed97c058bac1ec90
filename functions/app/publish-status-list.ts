import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import { isStatusListId } from '#core/status-list.ts';
import { signStatusListToken } from '#core/status-list-token.ts';
import { StatusListNotFound } from '#core/storage-errors.ts';
import type { SigningKeys } from '#ports/signer.ts';
import type { PublishedStatusList, StatusListCache } from '#ports/status-list-cache.ts';
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
  /** Waits between looks for another container's republished copy (setTimeout by default). */
  wait?: (ms: number) => Promise<void>;
}

/**
 * A round of claims to republish an expired copy lasts this long: within the first, the
 * containers that lost the claim serve the expired copy meanwhile; in later ones (a list nobody
 * asked for since, or a claimant that died) they wait for the claimant's copy. Beyond any rebuild
 * (the status function's timeout is 25 s), so a claimant that died holds the others back no
 * longer than a round.
 */
export const REBUILD_GRACE_SECONDS = 60;

/** How long a container that lost a later round's claim waits for the claimant's copy, then rebuilds itself. */
const AWAIT_CLAIMANT_MS = 10_000;
const AWAIT_CLAIMANT_POLL_MS = 250;

/**
 * The current signed Status List Token of a list: the published one while it is younger than
 * its `ttl`, else the list read from storage, signed with the platform key and published —
 * so signing happens at most once per list and `ttl`, however many verifiers ask. Once the
 * published copy has expired, one container (the first to claim it, per round of
 * REBUILD_GRACE_SECONDS) rebuilds it; in the first round the others answer with the expired copy,
 * uncacheable (max-age 0), in later ones they wait for the claimant's copy (then rebuild
 * themselves): a list read from storage costs up to ~19,000 read units, and every container
 * rebuilding at once on a busy list would throttle its partition. An id no list can have, or one
 * naming no stored list, fails with StatusListNotFound.
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
    return served(cached, now, deps.ttlSeconds);
  }
  if (cached && age >= 0) {
    const round = Math.floor((age - deps.ttlSeconds) / REBUILD_GRACE_SECONDS);
    // A claim the store fails to answer counts as lost in the first round (the store failing under
    // every container's claim at once is no reason for them all to rebuild) and as won after it,
    // so a store that keeps failing delays a list by one round, not for good.
    const claimed = await deps.cache.claimRebuild(listId, cached.issuedAt, round).catch(() => round > 0);
    if (!claimed && round === 0) return { token: cached.token, maxAgeSeconds: 0 };
    if (!claimed) {
      const republished = await claimantsCopy(listId, cached.issuedAt, deps);
      if (republished) return republished;
    }
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

/** The copy another container republishes after `of`, once it is there, within AWAIT_CLAIMANT_MS. */
async function claimantsCopy(
  listId: string,
  of: Date,
  deps: StatusListPublishing,
): Promise<{ token: string; maxAgeSeconds: number } | undefined> {
  const wait = deps.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let waited = 0; waited < AWAIT_CLAIMANT_MS; waited += AWAIT_CLAIMANT_POLL_MS) {
    await wait(AWAIT_CLAIMANT_POLL_MS);
    const copy = await deps.cache.get(listId);
    if (copy && copy.issuedAt.getTime() > of.getTime()) return served(copy, deps.now(), deps.ttlSeconds);
  }
  return undefined;
}

/** A published copy as served at `now`: cacheable for what is left of its ttl. */
function served(copy: PublishedStatusList, now: Date, ttlSeconds: number) {
  const age = Math.max(0, (now.getTime() - copy.issuedAt.getTime()) / 1000);
  return { token: copy.token, maxAgeSeconds: Math.max(0, Math.floor(ttlSeconds - age)) };
}

/**
 * The published lists remembered in the container while they are younger than their ttl, in
 * front of the store where they are kept (the public bucket): a busy list is then one read of
 * that store per container and ttl, not one per request (S3 serves one key some thousands of
 * reads a second). An expired copy is read again from the store each time — another container
 * may have republished it. At most `limit` lists are remembered; the oldest remembered goes first.
 */
export class RememberedStatusLists implements StatusListCache {
  readonly #store: StatusListCache;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  readonly #limit: number;
  readonly #lists = new Map<string, PublishedStatusList>();

  constructor(store: StatusListCache, options: { ttlSeconds: number; now: () => Date; limit?: number }) {
    this.#store = store;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#now = options.now;
    this.#limit = options.limit ?? 1000;
  }

  async get(listId: string): Promise<PublishedStatusList | undefined> {
    const remembered = this.#lists.get(listId);
    if (remembered && this.#fresh(remembered)) return remembered;
    const stored = await this.#store.get(listId);
    if (stored) this.#remember(listId, stored);
    return stored;
  }

  async put(listId: string, published: PublishedStatusList): Promise<void> {
    await this.#store.put(listId, published);
    this.#remember(listId, published);
  }

  claimRebuild(listId: string, of: Date, round: number): Promise<boolean> {
    return this.#store.claimRebuild(listId, of, round);
  }

  #fresh(published: PublishedStatusList): boolean {
    const age = this.#now().getTime() - published.issuedAt.getTime();
    return age >= 0 && age < this.#ttlMs;
  }

  #remember(listId: string, published: PublishedStatusList): void {
    this.#lists.delete(listId);
    if (this.#lists.size >= this.#limit) this.#lists.delete(this.#lists.keys().next().value!);
    this.#lists.set(listId, published);
  }
}
