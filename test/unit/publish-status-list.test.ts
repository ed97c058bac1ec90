import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { currentStatusList, type StatusListPublishing } from '#app/publish-status-list.ts';
import { StatusList } from '#core/status-list.ts';
import { verifyStatusListToken } from '#core/status-list-token.ts';
import { StatusListNotFound } from '#core/storage-errors.ts';
import type { PublishedStatusList } from '#ports/status-list-cache.ts';

const platform = new SoftwareEs256Signer('platform');

function deps(clock: { now: Date }) {
  const list = StatusList.create(16, 2);
  list.set(3, 1);
  const stored = new Map<string, PublishedStatusList>();
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
    cache: { get: async (id) => stored.get(id), put: async (id, p) => void stored.set(id, p) },
    publicBaseUrl: 'https://api.test',
    now: () => clock.now,
    ttlSeconds: 300,
    validitySeconds: 86_400,
  };
  return { publishing, list, loads: () => loads };
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
});
