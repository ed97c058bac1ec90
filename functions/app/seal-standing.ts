import { sealKeyWithKid } from '#core/catalog/agency.ts';
import { decodeJwsHeader } from '#core/jws.ts';
import type { ConfigStore } from '#ports/config-store.ts';

// Whether a stored license's seal still verifies. A license carries the kid of the seal key that
// signed it in its issuer JWT's header; once the operator withdraws that key (withdraw-seal-key.ts)
// every verification of the license fails, so whatever hands the license out — retrieval, the
// holder's reads, presentations, the issuer's copy — says so instead of passing it on as sound.
//
// Asking costs a registry read of the issuer agency. Retrieval and the holder's reads are hot
// paths that otherwise never read the agency, so the answer comes from a short-lived cache of
// agency records per container: a withdrawal may go unflagged there for up to its maximum age
// (SEAL_STANDING_MAX_AGE_MS), never longer. Verification itself reads the record every time and
// fails at once; the flag is advice to whoever holds the license, not the check.
//
// Two rules keep the cache from saying less than the registry did:
// - a key once seen withdrawn stays withdrawn in the container (withdrawal is for good), whatever
//   a later read in flight or an older cached record says;
// - a kid a cached record does not hold is read again, uncached, before it counts as gone: the
//   record may predate the rotation that made the key. A fresh record without it means the agency
//   let go of it — only withdrawn keys are let go — so the license names no published key. Lookups
//   made together share that fresh read (one per agency, not one per license of a listing).

/** How long a container trusts an agency record it read for the flag: a withdrawal shows within this. */
export const SEAL_STANDING_MAX_AGE_MS = 60_000;

/** The flag on a license answer whose seal key is withdrawn: it fails verification until re-issued. */
export interface SealWithdrawn {
  /** The seal key's kid, as the license's issuer JWT names it. */
  kid: string;
  /** When the operator withdrew it; absent when the agency has since let go of the key. */
  since?: string;
  /** What follows, in words: the license fails verification until its issuer re-issues it. */
  detail: string;
}

/** What the registry says of one seal key: undefined while it verifies. */
export interface SealKeyWithdrawal {
  since?: string;
}

export interface SealStandings {
  /** Undefined while the agency's key of this kid verifies; its withdrawal otherwise. */
  withdrawalOf(issuerUscc: string, kid: string): Promise<SealKeyWithdrawal | undefined>;
}

/** The kid a license's issuer JWT names (`<header>.<payload>.<signature>`); undefined when none. */
export function sealKidOf(issuerJwt: string): string | undefined {
  // The header only: this runs for every license handed out, and the payload is most of the JWT.
  const { kid } = decodeJwsHeader(issuerJwt);
  return typeof kid === 'string' ? kid : undefined;
}

/**
 * The flag for a license of this issuer whose issuer JWT (or whole SD-JWT) is given; undefined
 * while its seal verifies. A license without a kid names no key anything could verify it with.
 */
export async function sealWithdrawnOf(
  license: { issuerCode: string; issuerJwt: string },
  seals: SealStandings,
): Promise<SealWithdrawn | undefined> {
  const kid = sealKidOf(license.issuerJwt.split('~', 1)[0]!);
  const withdrawal = kid === undefined ? {} : await seals.withdrawalOf(license.issuerCode, kid);
  if (withdrawal === undefined) return undefined;
  const key = `key ${JSON.stringify(kid ?? '')} of issuer ${license.issuerCode}`;
  const what =
    withdrawal.since === undefined
      ? `${key} was withdrawn and is no longer published`
      : `${key} is withdrawn since ${withdrawal.since}`;
  return {
    kid: kid ?? '',
    ...(withdrawal.since === undefined ? {} : { since: withdrawal.since }),
    detail: `${what}: the license fails verification until its issuer re-issues it (POST /licenses/{id}/reissue), which seals it with the agency's current key`,
  };
}

interface CachedAgency {
  read: Promise<Awaited<ReturnType<ConfigStore['getAgency']>>>;
  at: number;
}

/**
 * SealStandings over the agency registry, with a per-container cache of the records read (one per
 * agency, for `maxAgeMs`) and a memory of every key seen withdrawn. Create one per container.
 */
export class CachedSealStandings implements SealStandings {
  readonly #config: Pick<ConfigStore, 'getAgency'>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #agencies = new Map<string, CachedAgency>();
  readonly #withdrawn = new Map<string, SealKeyWithdrawal>();
  /** Per agency, the fresh read under way and the number of lookups begun before it was asked. */
  readonly #freshReads = new Map<string, { read: CachedAgency['read']; after: number }>();
  #lookups = 0;

  constructor(
    config: Pick<ConfigStore, 'getAgency'>,
    options: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    this.#config = config;
    this.#maxAgeMs = options.maxAgeMs ?? SEAL_STANDING_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  async withdrawalOf(issuerUscc: string, kid: string): Promise<SealKeyWithdrawal | undefined> {
    const lookup = ++this.#lookups;
    const known = `${issuerUscc} ${kid}`;
    const seen = this.#withdrawn.get(known);
    if (seen !== undefined) return seen;
    let seal = sealKeyWithKid((await this.#agency(issuerUscc)) ?? {}, kid);
    if (seal === undefined) seal = sealKeyWithKid((await this.#freshAgency(issuerUscc, lookup)) ?? {}, kid);
    if (seal !== undefined && seal.withdrawn === undefined) return undefined;
    const withdrawal = seal?.withdrawn === undefined ? {} : { since: seal.withdrawn.at };
    this.#withdrawn.set(known, withdrawal);
    return withdrawal;
  }

  async #agency(uscc: string) {
    const cached = this.#agencies.get(uscc);
    if (cached !== undefined && this.#now() - cached.at < this.#maxAgeMs) return (await cached.read)?.value;
    return (await this.#read(uscc))?.value;
  }

  /**
   * The record read after lookup number `lookup` began, so after the license it checks was read:
   * it holds the key that sealed it unless that key was let go. Lookups made together (a holder's
   * listing checks every version at once) share one such read per agency; a read asked before a
   * lookup began is not shared with it — it may predate the rotation that made the lookup's kid,
   * and a kid missing from it would be remembered withdrawn for good.
   */
  async #freshAgency(uscc: string, lookup: number) {
    const underWay = this.#freshReads.get(uscc);
    if (underWay !== undefined && underWay.after >= lookup) return (await underWay.read)?.value;
    const fresh = { read: this.#read(uscc), after: this.#lookups };
    this.#freshReads.set(uscc, fresh);
    const done = () => {
      if (this.#freshReads.get(uscc) === fresh) this.#freshReads.delete(uscc);
    };
    fresh.read.then(done, done);
    return (await fresh.read)?.value;
  }

  /** Reads the agency record, and caches it for the lookups that follow. */
  #read(uscc: string): CachedAgency['read'] {
    const read = this.#config.getAgency(uscc);
    const cached = { read, at: this.#now() };
    this.#agencies.set(uscc, cached);
    // A failed read is asked again by the next caller, not remembered.
    read.catch(() => {
      if (this.#agencies.get(uscc) === cached) this.#agencies.delete(uscc);
    });
    return read;
  }
}
