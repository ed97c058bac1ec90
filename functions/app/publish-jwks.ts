import { sealKeysOf } from '#core/catalog/agency.ts';
import type { PublicJwk } from '#core/jws.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import { type SigningKeys, usableKey } from '#ports/signer.ts';
import { RecordCache, type RecordCacheOptions } from './record-cache.ts';

/** A published key: the JWK plus whose it is (RFC 7517 allows members of one's own). */
export type PublishedJwk = PublicJwk & {
  use: 'sig';
  alg: 'ES256';
  owner: 'platform' | 'agency';
  agency?: string;
};

/**
 * The platform's JWKS: every agency's seal keys — the current one and those rotation replaced,
 * which licenses signed before the rotation still name — and the platform's own key. A key the
 * operator withdrew, or the key service no longer uses (disabled, pending deletion), is left out:
 * nothing verifies with it.
 */
export async function publishJwks(deps: {
  config: Pick<ConfigStore, 'listAgencies'>;
  keys: SigningKeys;
}): Promise<{ keys: PublishedJwk[] }> {
  const published: PublishedJwk[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.config.listAgencies(cursor ? { cursor } : {});
    for (const { value: agency } of page.items) {
      for (const seal of sealKeysOf(agency)) {
        // Withdrawn by the operator: left out at once, however long a container caches the key.
        if (seal.withdrawn !== undefined) continue;
        // One agency's withdrawn key must not take every other agency's keys off the JWKS.
        const key = await usableKey(deps.keys, seal.keyRef);
        if (key === undefined) continue;
        published.push({ ...key.publicJwk, use: 'sig', alg: 'ES256', owner: 'agency', agency: agency.uscc });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  const platform = await deps.keys.platformKey();
  published.push({ ...platform.publicJwk, use: 'sig', alg: 'ES256', owner: 'platform' });
  return { keys: published };
}

/** How long a CDN or verifier may keep the JWKS (its Cache-Control max-age), in seconds. */
export const JWKS_MAX_AGE_SECONDS = 60;

/**
 * The JWKS as a container built it within the maximum age, one build at a time (callers during a
 * build share it). Building reads every agency of the registry — one partition, which the
 * issuance path reads too — and anyone may ask for it: built per request, a few requests a second
 * would take that partition's whole throughput. A failed build is not kept.
 */
export class CachedJwks {
  readonly #builds: RecordCache<{ keys: PublishedJwk[] }>;

  constructor(
    build: () => Promise<{ keys: PublishedJwk[] }>,
    options: Pick<RecordCacheOptions, 'maxAgeMs' | 'now'>,
  ) {
    this.#builds = new RecordCache(build, options);
  }

  async get(): Promise<{ keys: PublishedJwk[] }> {
    return (await this.#builds.get('jwks'))!;
  }
}
