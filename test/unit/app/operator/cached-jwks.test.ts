// The public JWKS as each container serves it: built from the whole agency registry (one
// partition, anyone may ask), so built at most once per maximum age, builds under way shared, a
// failed build not kept, and a withdrawn key gone from the container's copy once the age has run.
import { describe, expect, it } from 'vitest';
import { CachedJwks, publishJwks } from '#app/publish-jwks.ts';
import { registerAgency } from '#app/register-agency.ts';
import { rotateSealKey } from '#app/rotate-seal-key.ts';
import { withdrawSealKey } from '#app/withdraw-seal-key.ts';
import { adminDeps, FakeSealKeys, InMemoryConfigStore, OPERATOR, testUscc } from './fakes.ts';

async function setup() {
  const config = new InMemoryConfigStore();
  const sealKeys = new FakeSealKeys();
  const deps = { ...adminDeps(), config, sealKeys };
  const uscc = testUscc(300);
  await registerAgency(
    { uscc, name: '演示市缓存颁证局', roles: ['issuer'], areaCode: '330100', apiKeys: [] },
    OPERATOR,
    deps,
  );
  await rotateSealKey({ uscc }, OPERATOR, deps);
  let listings = 0;
  let failNext = false;
  const counted = {
    listAgencies: (page?: { cursor?: string }) => {
      listings += 1;
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('throttled'));
      }
      return config.listAgencies(page);
    },
  };
  let now = 1_000_000;
  const jwks = new CachedJwks(() => publishJwks({ config: counted, keys: sealKeys.keys }), {
    maxAgeMs: 5_000,
    now: () => now,
  });
  const kids = async () => (await jwks.get()).keys.filter((k) => k.agency === uscc).map((k) => k.kid);
  return {
    deps,
    uscc,
    jwks,
    kids,
    listings: () => listings,
    failNextListing: () => {
      failNext = true;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('CachedJwks', () => {
  it('reads the registry once per maximum age, however many ask, concurrently or not', async () => {
    const { jwks, listings, advance } = await setup();

    const together = await Promise.all([jwks.get(), jwks.get(), jwks.get()]);
    advance(4_999);
    const later = await jwks.get();

    expect(listings()).toBe(1);
    expect(together[1]).toBe(together[0]);
    expect(later).toBe(together[0]);
    advance(1);
    await jwks.get();
    expect(listings()).toBe(2);
  });

  it('leaves a withdrawn key out once the age has run: kept until then, as the README says', async () => {
    const { deps, uscc, kids, advance } = await setup();
    const before = await kids();
    expect(before).toHaveLength(2);

    await withdrawSealKey({ uscc, kid: before[0]!, reason: '密钥泄露（演示）' }, OPERATOR, deps);
    expect(await kids()).toEqual(before);
    advance(5_000);

    expect(await kids()).not.toContain(before[0]);
  });

  it('keeps no failed build: the next request builds again', async () => {
    const { jwks, listings, failNextListing } = await setup();
    failNextListing();

    await expect(jwks.get()).rejects.toThrow('throttled');
    const built = await jwks.get();

    expect(listings()).toBe(2);
    expect(built.keys.length).toBeGreaterThan(0);
  });
});
