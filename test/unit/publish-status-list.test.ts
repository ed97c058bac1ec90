import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import {
  currentStatusList,
  REBUILD_GRACE_SECONDS,
  RememberedStatusLists,
  type StatusListPublishing,
} from '#app/publish-status-list.ts';
import { StatusList } from '#core/status-list.ts';
import { verifyStatusListToken } from '#core/status-list-token.ts';
import { StatusListNotFound } from '#core/storage-errors.ts';
import type { PublishedStatusList } from '#ports/status-list-cache.ts';

const platform = new SoftwareEs256Signer('platform');

function deps(clock: { now: Date }) {
  const list = StatusList.create(16, 2);
  list.set(3, 1);
  const stored = new Map<string, PublishedStatusList>();
  const claims = new Set<string>();
  let loads = 0;
  const publishing: StatusListPublishing = {
    lists: {
      loadStatusList: async (listId) => {
        loads += 1;
        return {
          info: { listId, issuerCode: 'x', typeCode: 'y', shard: 0, generation: 0, size: 16 },
          list,
          allocated: 1,
        };
      },
    },
    keys: {
      platformKey: async () => ({
        keyRef: 'local:platform',
        signer: platform,
        publicJwk: platform.publicJwk,
      }),
    },
    cache: {
      get: async (id) => stored.get(id),
      put: async (id, p) => void stored.set(id, p),
      // As S3's If-None-Match: the first claim of a copy wins, across containers.
      claimRebuild: async (id, of, round) => {
        const claim = `${id}@${of.toISOString()}#${round}`;
        if (claims.has(claim)) return false;
        claims.add(claim);
        return true;
      },
    },
    publicBaseUrl: 'https://api.test',
    now: () => clock.now,
    ttlSeconds: 300,
    validitySeconds: 86_400,
  };
  return { publishing, list, claims, stored, loads: () => loads };
}

describe('currentStatusList', () => {
  it('signs the stored list with the platform key, under its own URI', async () => {
    const clock = { now: new Date('2026-11-27T08:00:00Z') };
    const { publishing } = deps(clock);
    const { token, maxAgeSeconds } = await currentStatusList('list-1', publishing);
    const verified = verifyStatusListToken(token, {
      publicJwk: platform.publicJwk,
      uri: 'https://api.test/status-lists/list-1',
      now: clock.now,
    });
    expect(verified.ok).toBe(true);
    if (verified.ok) expect(verified.list.get(3)).toBe(1);
    expect(maxAgeSeconds).toBe(300);
  });

  it('serves the published list while it is younger than its ttl, and signs again after', async () => {
    const clock = { now: new Date('2026-11-27T08:00:00Z') };
    const { publishing, loads } = deps(clock);
    const first = await currentStatusList('list-1', publishing);
    clock.now = new Date('2026-11-27T08:04:00Z');
    const again = await currentStatusList('list-1', publishing);
    expect(again.token).toBe(first.token);
    expect(again.maxAgeSeconds).toBe(60);
    expect(loads()).toBe(1);
    clock.now = new Date('2026-11-27T08:05:01Z');
    const fresh = await currentStatusList('list-1', publishing);
    expect(fresh.token).not.toBe(first.token);
    expect(loads()).toBe(2);
  });

  it('answers an id no list can have with StatusListNotFound, asking neither cache nor store', async () => {
    const clock = { now: new Date('2026-11-27T08:00:00Z') };
    const { publishing, loads } = deps(clock);
    const asked: string[] = [];
    // Like the S3 cache, which refuses to build an object key from such an id.
    publishing.cache.get = async (id) => {
      asked.push(id);
      throw new RangeError(`not a status list id: ${id}`);
    };
    for (const id of ['a~b', 'a!b', 'a b', 'a/b', '', 'x'.repeat(201)]) {
      await expect(currentStatusList(id, publishing)).rejects.toThrow(StatusListNotFound);
    }
    expect(asked).toEqual([]);
    expect(loads()).toBe(0);
  });

  it('lets one container republish an expired list: the others answer the expired copy, uncacheable, within a grace', async () => {
    const clock = { now: new Date('2026-11-27T08:00:00Z') };
    const { publishing, claims, loads } = deps(clock);
    const first = await currentStatusList('list-1', publishing);
    // Another container claimed the republishing of this copy and is still at it.
    claims.add(`list-1@${clock.now.toISOString()}#0`);
    clock.now = new Date('2026-11-27T08:05:30Z');

    const meanwhile = await currentStatusList('list-1', publishing);

    expect(meanwhile).toEqual({ token: first.token, maxAgeSeconds: 0 });
    expect(loads()).toBe(1);
    // Past the grace the claimant is taken for dead: this container republishes itself.
    clock.now = new Date(Date.parse('2026-11-27T08:05:00Z') + REBUILD_GRACE_SECONDS * 1000);
    const late = await currentStatusList('list-1', publishing);
    expect(late.token).not.toBe(first.token);
    expect(late.maxAgeSeconds).toBe(300);
    expect(loads()).toBe(2);
  });

  it('in a later round, waits for the claimant’s copy rather than serving one long expired, and rebuilds if none comes', async () => {
    const clock = { now: new Date('2026-11-27T08:00:00Z') };
    const { publishing, claims, stored, loads } = deps(clock);
    const first = await currentStatusList('list-1', publishing);
    // Nobody asked for an hour; another container just claimed this round's republishing.
    clock.now = new Date('2026-11-27T09:00:00Z');
    const round = Math.floor((3600 - 300) / REBUILD_GRACE_SECONDS);
    claims.add(`list-1@2026-11-27T08:00:00.000Z#${round}`);
    let waits = 0;
    publishing.wait = async () => {
      waits += 1;
      // The claimant publishes its copy while this container waits.
      if (waits === 3)
        stored.set('list-1', { token: 'claimant-copy', issuedAt: new Date('2026-11-27T09:00:00Z') });
    };

    expect(await currentStatusList('list-1', publishing)).toEqual({
      token: 'claimant-copy',
      maxAgeSeconds: 300,
    });
    expect(waits).toBe(3);
    expect(loads()).toBe(1);

    // A claimant that never publishes: this container rebuilds after its wait.
    stored.set('list-1', { token: first.token, issuedAt: new Date('2026-11-27T08:00:00Z') });
    waits = 0;
    publishing.wait = async () => {
      waits += 1;
    };
    const own = await currentStatusList('list-1', publishing);
    expect(own.token).not.toBe(first.token);
    expect(own.maxAgeSeconds).toBe(300);
    expect(waits).toBe(40);
    expect(loads()).toBe(2);
  });

  it('republishes an expired list whose claim it wins, once; a claim the store fails to answer is lost, then won', async () => {
    const clock = { now: new Date('2026-11-27T08:00:00Z') };
    const { publishing, claims, loads } = deps(clock);
    await currentStatusList('list-1', publishing);
    clock.now = new Date('2026-11-27T08:05:01Z');
    const renewed = await currentStatusList('list-1', publishing);
    expect(renewed.maxAgeSeconds).toBe(300);
    expect([...claims]).toEqual(['list-1@2026-11-27T08:00:00.000Z#0']);
    expect(loads()).toBe(2);

    // A store that fails to answer the claim: in the first round that is a lost claim (the
    // expired copy, uncacheable); after it, a won one — a failing store delays the list a round.
    publishing.cache.claimRebuild = async () => {
      throw new Error('S3 unavailable');
    };
    clock.now = new Date('2026-11-27T08:10:02Z');
    expect(await currentStatusList('list-1', publishing)).toEqual({ token: renewed.token, maxAgeSeconds: 0 });
    expect(loads()).toBe(2);
    clock.now = new Date('2026-11-27T08:11:02Z');
    expect((await currentStatusList('list-1', publishing)).maxAgeSeconds).toBe(300);
    expect(loads()).toBe(3);
  });
});

describe('RememberedStatusLists', () => {
  function store() {
    const kept = new Map<string, PublishedStatusList>();
    const reads: string[] = [];
    return {
      kept,
      reads,
      get: async (id: string) => {
        reads.push(id);
        return kept.get(id);
      },
      put: async (id: string, p: PublishedStatusList) => void kept.set(id, p),
      claimRebuild: async () => true,
    };
  }
  const at = (iso: string) => ({ token: `token@${iso}`, issuedAt: new Date(iso) });

  it('reads a list from the store once while it is younger than its ttl, and again once it is not', async () => {
    const clock = { now: new Date('2026-11-27T08:00:10Z') };
    const inner = store();
    inner.kept.set('list-1', at('2026-11-27T08:00:00Z'));
    const lists = new RememberedStatusLists(inner, { ttlSeconds: 300, now: () => clock.now });

    for (let i = 0; i < 3; i++) expect((await lists.get('list-1'))?.token).toBe('token@2026-11-27T08:00:00Z');
    expect(inner.reads).toEqual(['list-1']);
    // Expired: asked of the store each time (another container may have republished it).
    clock.now = new Date('2026-11-27T08:05:00Z');
    await lists.get('list-1');
    inner.kept.set('list-1', at('2026-11-27T08:05:00Z'));
    expect((await lists.get('list-1'))?.token).toBe('token@2026-11-27T08:05:00Z');
    expect(await lists.get('list-1')).toMatchObject({ token: 'token@2026-11-27T08:05:00Z' });
    expect(inner.reads).toEqual(['list-1', 'list-1', 'list-1']);
    // What it puts it remembers; an unknown list is asked each time.
    await lists.put('list-2', at('2026-11-27T08:05:00Z'));
    expect((await lists.get('list-2'))?.token).toBe('token@2026-11-27T08:05:00Z');
    expect(await lists.get('list-3')).toBeUndefined();
    expect(await lists.get('list-3')).toBeUndefined();
    expect(inner.reads).toEqual(['list-1', 'list-1', 'list-1', 'list-3', 'list-3']);
  });

  it('remembers at most its limit of lists, forgetting the one remembered longest ago', async () => {
    const clock = { now: new Date('2026-11-27T08:00:10Z') };
    const inner = store();
    const lists = new RememberedStatusLists(inner, { ttlSeconds: 300, now: () => clock.now, limit: 2 });
    for (const id of ['a', 'b', 'c']) await lists.put(id, at('2026-11-27T08:00:00Z'));
    for (const id of ['b', 'c', 'a']) await lists.get(id);
    expect(inner.reads).toEqual(['a']);
  });
});
