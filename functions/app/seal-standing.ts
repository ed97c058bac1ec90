import { type Agency, type SealKeyRef, sealKeyWithKid } from '#core/catalog/agency.ts';
import { decodeJwsHeader } from '#core/jws.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import { CATALOG_MAX_AGE_MS, CachedCatalog } from './cached-catalog.ts';
import { RecordCache } from './record-cache.ts';
import type { IssuerSealKeys } from './verify-license.ts';

// Whether a stored license's seal still verifies. A license carries the kid of the seal key that
// signed it in its issuer JWT's header; once the operator withdraws that key (withdraw-seal-key.ts)
// every verification of the license fails, so whatever hands the license out — retrieval, the
// holder's reads, presentations, the issuer's copy — says so instead of passing it on as sound.
//
// Asking costs a registry read of the issuer agency. Retrieval and the holder's reads are hot
// paths that otherwise never read the agency, so the answer comes from a short-lived cache of
// agency records per container: a withdrawal may go unflagged there for up to its maximum age
// (SEAL_STANDING_MAX_AGE_MS), never longer. Public verification (POST /verify) reads the issuer's
// seal key through the same cache and rules (sealKeyOf), so it fails a license of a withdrawn key
// within its bound too (5 s on AWS).
//
// Two rules keep the cache from saying less than the registry did:
// - a key once seen withdrawn stays withdrawn in the container (withdrawal is for good), whatever
//   a later read in flight or an older cached record says;
// - a kid a cached record does not hold is read again before it counts as gone: the record may
//   predate the rotation that made the key. For the flag (withdrawalOf), which remembers the
//   answer, the read is one asked after the lookup began: a record without the kid then means the
//   agency let go of it — only withdrawn keys are let go — so the license names no published key.
//   Lookups made together share that read (one per agency, not one per license of a listing).
//   Verification (sealKeyOf) remembers nothing of a kid it did not find, and its kids come from
//   whoever posts: a kid forged for a real issuer must not cost a read of that agency's item each
//   (spread out, they would throttle it, and issuance reads that item too). So it reads again only
//   when the record it has is UNHELD_KID_RECHECK_MS old — at most one read per agency per second
//   per container — and a license sealed with a key rotated in just now may fail verification for
//   up to that second (the record read just before the rotation answers it), never longer.

/** How long a container trusts an agency record it read for the flag: a withdrawal shows within this. */
export const SEAL_STANDING_MAX_AGE_MS = CATALOG_MAX_AGE_MS;

/**
 * How old an agency record may be and still answer verification that it holds no key of a kid:
 * a rotation shows in POST /verify within this, and kids no key holds cost at most one read of
 * their agency per this time per container.
 */
export const UNHELD_KID_RECHECK_MS = 1_000;

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

/**
 * SealStandings over the agency registry, with a per-container cache of the records read (one per
 * agency, for `maxAgeMs`, or the CachedCatalog's agencies when given one) and a memory of every
 * key seen withdrawn. It also answers verification's seal-key lookups (IssuerSealKeys) under the
 * same two rules. Create one per container.
 */
export class CachedSealStandings implements SealStandings, IssuerSealKeys {
  readonly #agencies: RecordCache<Versioned<Agency>>;
  readonly #withdrawn = new Map<string, SealKeyWithdrawal>();
  /** The seal keys seen withdrawn in a record, by `<uscc> <kid>`: as many as the registry withdrew. */
  readonly #withdrawnKeys = new Map<string, SealKeyRef>();

  constructor(
    config: Pick<ConfigStore, 'getAgency'> | CachedCatalog,
    options: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    this.#agencies =
      config instanceof CachedCatalog
        ? config.agencies
        : new RecordCache((uscc) => config.getAgency(uscc), {
            maxAgeMs: options.maxAgeMs ?? SEAL_STANDING_MAX_AGE_MS,
            ...(options.now ? { now: options.now } : {}),
          });
  }

  async withdrawalOf(issuerUscc: string, kid: string): Promise<SealKeyWithdrawal | undefined> {
    // Taken before the cached record is: see freshAfter.
    const lookup = this.#agencies.lookup();
    const known = `${issuerUscc} ${kid}`;
    const seen = this.#withdrawn.get(known);
    if (seen !== undefined) return seen;
    const seal = await this.#sealKey(issuerUscc, kid, () => this.#agencies.freshAfter(issuerUscc, lookup));
    if (seal !== undefined && seal.withdrawn === undefined) return undefined;
    const withdrawal = seal?.withdrawn === undefined ? {} : { since: seal.withdrawn.at };
    this.#withdrawn.set(known, withdrawal);
    return withdrawal;
  }

  /**
   * The agency's seal key of this kid, for verification: withdrawn once seen withdrawn. A kid the
   * cached record lacks is looked for in a record read less than UNHELD_KID_RECHECK_MS ago (so
   * also an unknown agency is read at most once a second); one no such record holds is undefined,
   * not remembered — verification's kids come from whoever posts.
   */
  async sealKeyOf(issuerUscc: string, kid: string): Promise<SealKeyRef | undefined> {
    return this.#sealKey(issuerUscc, kid, () => this.#agencies.readWithin(issuerUscc, UNHELD_KID_RECHECK_MS));
  }

  /**
   * The key as the cached record holds it; one it lacks as the record `fresher` gives holds it
   * (withdrawalOf: a record read after its lookup began, shared by lookups made together, a
   * holder's listing checking every version at once; sealKeyOf: one less than a second old).
   */
  async #sealKey(
    uscc: string,
    kid: string,
    fresher: () => Promise<Versioned<Agency> | undefined>,
  ): Promise<SealKeyRef | undefined> {
    const known = `${uscc} ${kid}`;
    const seen = this.#withdrawnKeys.get(known);
    if (seen !== undefined) return seen;
    let seal = sealKeyWithKid((await this.#agencies.get(uscc))?.value ?? {}, kid);
    if (seal === undefined) seal = sealKeyWithKid((await fresher())?.value ?? {}, kid);
    // Withdrawal is for good: whatever an older record, cached or read in flight, says later.
    if (seal?.withdrawn !== undefined) this.#withdrawnKeys.set(known, seal);
    return this.#withdrawnKeys.get(known) ?? seal;
  }
}
