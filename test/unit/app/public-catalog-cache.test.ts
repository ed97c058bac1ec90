import { describe, expect, it } from 'vitest';
import { CachedCatalog, CachedTypeListing, MAX_CACHED_TYPE_PAGES } from '#app/cached-catalog.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { InvalidCursor, type Page, type PageRequest, type Versioned } from '#ports/page.ts';

/** A registry listing of two pages that counts its reads and refuses a cursor it did not hand out. */
function registry() {
  const reads: PageRequest[] = [];
  let version = 1;
  const type = (code: string) => ({ value: { code } as LicenseType, version });
  return {
    reads,
    bump() {
      version += 1;
    },
    async listLicenseTypes(page: PageRequest = {}): Promise<Page<Versioned<LicenseType>>> {
      reads.push(page);
      if (page.cursor !== undefined && page.cursor !== 'next') throw new InvalidCursor('not one of ours');
      return page.cursor === undefined
        ? { items: [type('A'), type('B')], cursor: 'next' }
        : { items: [type('C')] };
    },
  };
}

describe('CachedTypeListing', () => {
  it('reads a page of the catalog once per maximum age, each page size and cursor its own', async () => {
    let now = 0;
    const source = registry();
    const listing = new CachedTypeListing(source, { maxAgeMs: 5_000, now: () => now });

    const first = await Promise.all([listing.list({ limit: 100 }), listing.list({ limit: 100 })]);
    expect(first[0]).toBe(first[1]);
    expect(first[0].items.map((t) => t.value.code)).toEqual(['A', 'B']);
    await listing.list({ limit: 100, cursor: 'next' });
    await listing.list({ limit: 2 });
    expect(source.reads).toEqual([{ limit: 100 }, { limit: 100, cursor: 'next' }, { limit: 2 }]);

    // A change shows once the page is older than the maximum age.
    source.bump();
    now = 4_999;
    expect((await listing.list({ limit: 100 })).items[0]!.version).toBe(1);
    now = 5_000;
    expect((await listing.list({ limit: 100 })).items[0]!.version).toBe(2);
    expect(source.reads).toHaveLength(4);
  });

  it('keeps no refusal: a cursor refused is read, and refused, again', async () => {
    const source = registry();
    const listing = new CachedTypeListing(source, { maxAgeMs: 5_000 });
    await expect(listing.list({ limit: 10, cursor: 'forged' })).rejects.toThrow(InvalidCursor);
    await expect(listing.list({ limit: 10, cursor: 'forged' })).rejects.toThrow(InvalidCursor);
    expect(source.reads).toHaveLength(2);
  });

  it('holds at most its bound of pages, whatever cursors the requests name: the oldest go first', async () => {
    let reads = 0;
    const listing = new CachedTypeListing(
      {
        listLicenseTypes: async () => {
          reads += 1;
          return { items: [] };
        },
      },
      { maxAgeMs: 60_000 },
    );
    for (let n = 0; n <= MAX_CACHED_TYPE_PAGES; n++) await listing.list({ limit: 10, cursor: `c${n}` });
    expect(reads).toBe(MAX_CACHED_TYPE_PAGES + 1);
    await listing.list({ limit: 10, cursor: `c${MAX_CACHED_TYPE_PAGES}` });
    expect(reads).toBe(MAX_CACHED_TYPE_PAGES + 1);
    await listing.list({ limit: 10, cursor: 'c0' });
    expect(reads).toBe(MAX_CACHED_TYPE_PAGES + 2);
  });
});

describe('CachedCatalog.freshLicenseType', () => {
  it('answers from a read at most the given age old, where a plain read may be as old as the maximum age', async () => {
    let now = 0;
    let version = 1;
    let reads = 0;
    const catalog = new CachedCatalog(
      {
        getLicenseType: async (code) => {
          reads += 1;
          return { value: { code } as LicenseType, version };
        },
        getAgency: async () => undefined,
      },
      { maxAgeMs: 5_000, now: () => now },
    );
    expect((await catalog.getLicenseType('T'))!.version).toBe(1);
    version = 2; // the operator's update lands
    now = 999;
    expect((await catalog.freshLicenseType('T', 1_000))!.version).toBe(1); // read under a second ago
    now = 1_000;
    const fresh = await Promise.all([
      catalog.freshLicenseType('T', 1_000),
      catalog.freshLicenseType('T', 1_000),
    ]);
    expect(fresh.map((t) => t!.version)).toEqual([2, 2]);
    expect(reads).toBe(2); // the two asking together shared one read
    // The fresher read serves the plain reads after it too.
    expect((await catalog.getLicenseType('T'))!.version).toBe(2);
    expect(reads).toBe(2);
  });
});
