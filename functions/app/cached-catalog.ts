import type { Agency } from '#core/catalog/agency.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { Page, Versioned } from '#ports/page.ts';
import { RecordCache, type RecordCacheOptions } from './record-cache.ts';

// License types and agencies as the hot read paths see them: read through a per-container cache
// (record-cache.ts), so a change the operator makes shows on those paths within CATALOG_MAX_AGE_MS
// — a narrowed list of disclosable fields, an issuer taken off a type, a relying role withdrawn —
// and a newly registered type or agency within a second. What reads it, and why staleness is
// acceptable there, is the handlers' choice (functions/handlers/license-reading.ts, issuer.ts,
// public.ts): the operator's own routes, and every write, read the registry itself, consistently;
// an issuance reads its issuer agency (the seal key it signs with) uncached.

/** How long a container trusts a license type or agency it read: a change shows within this. */
export const CATALOG_MAX_AGE_MS = 60_000;

/** The registry's type and agency reads through a per-container cache. Create one per container. */
export class CachedCatalog implements Pick<ConfigStore, 'getLicenseType' | 'getAgency'> {
  readonly types: RecordCache<Versioned<LicenseType>>;
  readonly agencies: RecordCache<Versioned<Agency>>;

  constructor(
    config: Pick<ConfigStore, 'getLicenseType' | 'getAgency'>,
    options: Partial<RecordCacheOptions> = {},
  ) {
    const settings = { maxAgeMs: CATALOG_MAX_AGE_MS, ...options };
    this.types = new RecordCache((code) => config.getLicenseType(code), settings);
    this.agencies = new RecordCache((uscc) => config.getAgency(uscc), settings);
  }

  /**
   * A license type read at most `ageMs` ago (a read under way is shared), however old the cached
   * one: for a caller that asked for a fresh answer (`Cache-Control: no-cache`), at most one read
   * of the type per `ageMs` per container however many ask.
   */
  freshLicenseType(code: string, ageMs: number): Promise<Versioned<LicenseType> | undefined> {
    return this.types.readWithin(code, ageMs);
  }

  // Bound, so a handler can hand them out as a ConfigStore's methods.
  getLicenseType = (code: string): Promise<Versioned<LicenseType> | undefined> => this.types.get(code);
  getAgency = (uscc: string): Promise<Versioned<Agency> | undefined> => this.agencies.get(uscc);
}

/** At most this many listing pages are kept per container (their keys come from requests). */
export const MAX_CACHED_TYPE_PAGES = 200;

/**
 * The public catalog listing (`GET /license-types`) read through the same kind of cache: every
 * type lives in one item collection, and a listing reads a page of them consistently, so a public
 * flood of listings would keep the most used types' items hot — the very items the hot paths'
 * caches refresh from. Through this, a container reads a page (by its size and cursor) at most
 * once per maximum age; a failed read (a cursor refused) is not kept.
 */
export class CachedTypeListing {
  readonly #pages: RecordCache<Page<Versioned<LicenseType>>>;

  constructor(config: Pick<ConfigStore, 'listLicenseTypes'>, options: Partial<RecordCacheOptions> = {}) {
    this.#pages = new RecordCache(
      (key) => {
        const { limit, cursor } = JSON.parse(key) as { limit: number; cursor?: string };
        return config.listLicenseTypes({ limit, ...(cursor === undefined ? {} : { cursor }) });
      },
      { maxAgeMs: CATALOG_MAX_AGE_MS, maxRecords: MAX_CACHED_TYPE_PAGES, ...options },
    );
  }

  list(page: { limit: number; cursor?: string }): Promise<Page<Versioned<LicenseType>>> {
    const key = JSON.stringify(page.cursor === undefined ? { limit: page.limit } : page);
    return this.#pages.get(key) as Promise<Page<Versioned<LicenseType>>>;
  }
}
