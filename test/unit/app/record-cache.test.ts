// The per-container read-through cache of catalog records: at most one read per key per maximum
// age (a burst on a cold container included), a short life for "no such record", a size bounded
// by the registry whatever keys requests name, and seal keys seen withdrawn kept withdrawn.
import { describe, expect, it } from 'vitest';
import { CATALOG_MAX_AGE_MS, CachedCatalog } from '#app/cached-catalog.ts';
import { RecordCache, UNKNOWN_RECORD_MAX_AGE_MS } from '#app/record-cache.ts';
import { CachedSealStandings, UNHELD_KID_RECHECK_MS } from '#app/seal-standing.ts';
import type { Agency } from '#core/catalog/agency.ts';
import { DEMO_AGENCIES, DEMO_LICENSE_TYPES, DEMO_USCC } from '#dev/demo/catalog.ts';

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

/** A registry of records by key that counts its reads per key; `failing` fails the next read. */
function store(records: Record<string, string>) {
  const reads = new Map<string, number>();
  const state = { failing: false };
  const read = async (key: string) => {
    reads.set(key, (reads.get(key) ?? 0) + 1);
    if (state.failing) {
      state.failing = false;
      throw new Error('ProvisionedThroughputExceededException');
    }
    return records[key];
  };
  return { records, reads, state, read, readsOf: (key: string) => reads.get(key) ?? 0 };
}

describe('RecordCache', () => {
  it('reads a record once per maximum age, and again once it is older', async () => {
    const registry = store({ a: 'first' });
    const { time, now } = clock();
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000, now });
    expect(await cache.get('a')).toBe('first');
    registry.records.a = 'changed';
    time.now += 59_999;
    expect(await cache.get('a')).toBe('first');
    expect(registry.readsOf('a')).toBe(1);
    time.now += 1;
    expect(await cache.get('a')).toBe('changed');
    expect(registry.readsOf('a')).toBe(2);
  });

  it('makes one read for a burst of lookups on a cold cache', async () => {
    const registry = store({ a: 'record' });
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('a')));
    expect(new Set(answers)).toEqual(new Set(['record']));
    expect(registry.readsOf('a')).toBe(1);
  });

  it('keeps "no such record" briefly, so a record registered just now shows within a second', async () => {
    const registry = store({});
    const { time, now } = clock();
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000, now });
    expect(await cache.get('new')).toBeUndefined();
    registry.records.new = 'registered';
    expect(await cache.get('new')).toBeUndefined();
    expect(registry.readsOf('new')).toBe(1);
    time.now += UNKNOWN_RECORD_MAX_AGE_MS;
    expect(await cache.get('new')).toBe('registered');
    // Found, it is now kept for the full maximum age.
    time.now += UNKNOWN_RECORD_MAX_AGE_MS * 10;
    expect(await cache.get('new')).toBe('registered');
    expect(registry.readsOf('new')).toBe(2);
  });

  it('does not grow with the keys requests name: unknown keys are bounded, records by the registry', async () => {
    const registry = store({ a: 'A', b: 'B' });
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000, maxUnknown: 10 });
    await cache.get('a');
    await cache.get('b');
    for (let i = 0; i < 5_000; i += 1) await cache.get(`random-${i}`);
    expect(cache.size).toBe(2 + 10);
    // The records read stay cached through the flood.
    await cache.get('a');
    expect(registry.readsOf('a')).toBe(1);
  });

  it('keeps at most maxRecords records, letting the oldest read go first', async () => {
    const registry = store({ a: 'A', b: 'B', c: 'C' });
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000, maxRecords: 2 });
    for (const key of ['a', 'b', 'c', 'c', 'b']) await cache.get(key);
    expect(cache.size).toBe(2);
    expect([registry.readsOf('b'), registry.readsOf('c')]).toEqual([1, 1]);
    await cache.get('a');
    expect(registry.readsOf('a')).toBe(2);
  });

  it('lets no read of a key not known to name a record evict a record: unknown keys make reads, not evictions', async () => {
    const registry = store({ a: 'A', b: 'B', c: 'C', d: 'D' });
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000, maxRecords: 3 });
    for (const key of ['a', 'b', 'c']) await cache.get(key);
    // Under way together with a lookup of a cached record, and answered: neither evicts one.
    const [unknown, cached] = await Promise.all([cache.get('no-such-key'), cache.get('a')]);
    expect([unknown, cached]).toEqual([undefined, 'A']);
    for (let i = 0; i < 10; i += 1) await cache.get(`random-${i}`);
    for (const key of ['a', 'b', 'c']) await cache.get(key);
    expect(['a', 'b', 'c'].map(registry.readsOf)).toEqual([1, 1, 1]);
    // A key found to name a record joins them, and the oldest read goes.
    expect(await cache.get('d')).toBe('D');
    await cache.get('a');
    expect(['a', 'b', 'c', 'd'].map(registry.readsOf)).toEqual([2, 1, 1, 1]);
  });

  it('forgets a failed read: the next lookup reads again', async () => {
    const registry = store({ a: 'A' });
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000 });
    registry.state.failing = true;
    await expect(cache.get('a')).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(await cache.get('a')).toBe('A');
    expect(registry.readsOf('a')).toBe(2);
  });

  it('answers freshAfter with a read asked after the lookup began, never one asked before', async () => {
    const registry = store({ a: 'old' });
    const cache = new RecordCache(registry.read, { maxAgeMs: 60_000 });
    await cache.get('a');
    const lookup = cache.lookup();
    registry.records.a = 'new';
    expect(await cache.get('a')).toBe('old');
    expect(await cache.freshAfter('a', lookup)).toBe('new');
    // Read since the lookup began: shared, by this lookup and every one begun before it.
    expect(await cache.freshAfter('a', lookup)).toBe('new');
    expect(registry.readsOf('a')).toBe(2);
    // And it is the cached record now.
    expect(await cache.get('a')).toBe('new');
    expect(registry.readsOf('a')).toBe(2);
  });
});

describe('CachedCatalog', () => {
  it('reads a license type and an agency once per CATALOG_MAX_AGE_MS', async () => {
    const type = DEMO_LICENSE_TYPES[0]!;
    const agency = DEMO_AGENCIES[0]!;
    const reads = { types: 0, agencies: 0 };
    const { time, now } = clock();
    const catalog = new CachedCatalog(
      {
        getLicenseType: async (code) => {
          reads.types += 1;
          return code === type.code ? { value: type, version: reads.types } : undefined;
        },
        getAgency: async (uscc) => {
          reads.agencies += 1;
          return uscc === agency.uscc ? { value: agency, version: reads.agencies } : undefined;
        },
      },
      { now },
    );
    for (let i = 0; i < 3; i += 1) {
      expect((await catalog.getLicenseType(type.code))?.version).toBe(1);
      expect((await catalog.getAgency(agency.uscc))?.version).toBe(1);
    }
    time.now += CATALOG_MAX_AGE_MS;
    expect((await catalog.getLicenseType(type.code))?.version).toBe(2);
    expect((await catalog.getAgency(agency.uscc))?.version).toBe(2);
    expect(reads).toEqual({ types: 2, agencies: 2 });
  });
});

describe('seal keys for verification (CachedSealStandings.sealKeyOf)', () => {
  const PSB = DEMO_USCC.publicSecurityBureau;
  const BASE = DEMO_AGENCIES.find((a) => a.uscc === PSB)!;
  const KID = BASE.sealKey!.kid;
  const WITHDRAWAL = {
    at: '2025-05-31T08:00:00.000Z',
    reason: '备份介质遗失',
    operator: DEMO_USCC.platformOperator,
  };
  const rotated = (kid: string, withdrawn?: typeof WITHDRAWAL): Agency => ({
    ...BASE,
    sealKey: { keyRef: `${BASE.sealKey!.keyRef}-${kid}`, kid },
    previousSealKeys: [{ ...BASE.sealKey!, ...(withdrawn ? { withdrawn } : {}) }],
  });

  function registry(agency: Agency) {
    const state = { agency, reads: 0 };
    const config = {
      getAgency: async (uscc: string) => {
        state.reads += 1;
        return uscc === state.agency.uscc ? { value: state.agency, version: state.reads } : undefined;
      },
    };
    return { state, config };
  }

  it('fails a withdrawn key within the maximum age, and keeps it withdrawn whatever an older record says', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { now });
    expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toBeUndefined();
    state.agency = rotated('seal-2', WITHDRAWAL);
    // Within the bound the cached record still answers…
    expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toBeUndefined();
    time.now += CATALOG_MAX_AGE_MS;
    // …past it, the withdrawal shows,
    expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toEqual(WITHDRAWAL);
    // and stays, even if a record without it were read again.
    state.agency = BASE;
    time.now += CATALOG_MAX_AGE_MS;
    expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toEqual(WITHDRAWAL);
  });

  it('reads again for a kid the cached record lacks only once that record is a second old: one read per agency per second, whatever kids are posted', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { maxAgeMs: 5_000, now });
    await seals.sealKeyOf(PSB, KID);
    expect(state.reads).toBe(1);
    // Kids nobody holds, as anyone may post, one after another: nothing remembered, and the record
    // read less than a second ago answers them.
    const forged = async (from: number) => {
      for (let i = from; i < from + 10; i += 1)
        expect(await seals.sealKeyOf(PSB, `forged-${i}`)).toBeUndefined();
    };
    await forged(0);
    expect(state.reads).toBe(1);
    // Older than a second (yet within the maximum age): the first of them reads again, the rest share it…
    time.now += 2_000;
    await forged(10);
    expect(state.reads).toBe(2);
    time.now += UNHELD_KID_RECHECK_MS - 1;
    await forged(20);
    expect(state.reads).toBe(2);
    // …and a second later, one more.
    time.now += 1;
    await forged(30);
    expect(state.reads).toBe(3);
    // A burst at once shares one read too.
    time.now += UNHELD_KID_RECHECK_MS;
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => seals.sealKeyOf(PSB, `burst-${i}`)));
    expect(burst.every((seal) => seal === undefined)).toBe(true);
    expect(state.reads).toBe(4);
  });

  it('keeps "no such agency" for a second: lookups naming an unknown issuer read it once a second', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { maxAgeMs: 5_000, now });
    for (let i = 0; i < 5; i += 1) expect(await seals.sealKeyOf('91330100MA00000000', KID)).toBeUndefined();
    expect(state.reads).toBe(1);
    time.now += UNKNOWN_RECORD_MAX_AGE_MS;
    for (let i = 0; i < 5; i += 1) expect(await seals.sealKeyOf('91330100MA00000000', KID)).toBeUndefined();
    expect(state.reads).toBe(2);
  });

  it('finds a key rotated in within a second: at once when the cached record is older, else once it is', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { maxAgeMs: 5_000, now });
    await seals.sealKeyOf(PSB, KID);
    // Rotated 0.4 s after the container read the record: a license of the new key fails for the
    // rest of that record's second, and verifies from then on.
    time.now += 400;
    state.agency = rotated('seal-2');
    expect(await seals.sealKeyOf(PSB, 'seal-2')).toBeUndefined();
    time.now += UNHELD_KID_RECHECK_MS - 400;
    expect((await seals.sealKeyOf(PSB, 'seal-2'))?.keyRef).toBe(`${BASE.sealKey!.keyRef}-seal-2`);
    expect(state.reads).toBe(2);
    // Rotated when the cached record is older than a second: found at once.
    time.now += 2_000;
    state.agency = {
      ...BASE,
      sealKey: { keyRef: `${BASE.sealKey!.keyRef}-seal-3`, kid: 'seal-3' },
      previousSealKeys: [state.agency.sealKey!, BASE.sealKey!],
    };
    expect((await seals.sealKeyOf(PSB, 'seal-3'))?.keyRef).toBe(`${BASE.sealKey!.keyRef}-seal-3`);
    expect(state.reads).toBe(3);
  });

  it('keeps a key withdrawn once a re-read showed it so, though the record answering it later does not', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { maxAgeMs: 5_000, now });
    expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toBeUndefined();
    // Withdrawn with a replacement; a license of the replacement makes the container read again.
    state.agency = rotated('seal-2', WITHDRAWAL);
    time.now += UNHELD_KID_RECHECK_MS;
    expect((await seals.sealKeyOf(PSB, 'seal-2'))?.withdrawn).toBeUndefined();
    expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toEqual(WITHDRAWAL);
    state.agency = BASE;
    for (const step of [UNHELD_KID_RECHECK_MS, 5_000]) {
      time.now += step;
      await seals.sealKeyOf(PSB, 'forged');
      expect((await seals.sealKeyOf(PSB, KID))?.withdrawn).toEqual(WITHDRAWAL);
    }
    expect(state.reads).toBe(4);
  });
});
