import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { checkHealth } from '#app/check-health.ts';
import { auditSealLagSeconds, reportedSealLagSeconds, sealedLayoutsBesides } from '#app/seal-audit-log.ts';
import { sealBatch } from '#core/audit/checkpoint.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditEvents } from '../audit/fixtures.ts';
import { MemorySealStore } from './audit-fakes.ts';

const now = () => new Date('2025-03-01T08:10:00.000Z');

/** A chain with one batch sealed (events at 08:00:00–08:00:02) and its head moved on to `through`. */
async function sealedChain(through: string): Promise<MemorySealStore> {
  const store = new MemorySealStore();
  const sealed = await sealBatch(
    { logId: 'audit-main', seq: 0, events: auditEvents(0, 3), previous: null, sealedAt: now() },
    new SoftwareEs256Signer('platform-test'),
  );
  await store.append({ expected: store.head, batch: { sealed }, through });
  return store;
}

/** Seal stores whose heads were moved to these positions in turn (null: never sealed). */
async function chains(...positions: (string[] | null)[]): Promise<MemorySealStore[]> {
  const stores: MemorySealStore[] = [];
  for (const throughs of positions) {
    const store = new MemorySealStore();
    for (const through of throughs ?? []) await store.append({ expected: store.head, through });
    stores.push(store);
  }
  return stores;
}

describe('auditSealLagSeconds', () => {
  it('is the time since the sealed position, and null before the first seal', async () => {
    const [seals] = await chains(null);
    expect(await auditSealLagSeconds({ seals: [seals!], now })).toBeNull();
    await seals!.append({ expected: seals!.head, through: '2025-03-01T08:07:30.000Z' });
    expect(await auditSealLagSeconds({ seals: [seals!], now })).toBe(150);
  });

  it('is the lag of the seal group furthest behind', async () => {
    const groups = await chains(
      ['2025-03-01T08:09:00.000Z'],
      ['2025-03-01T08:02:00.000Z'],
      ['2025-03-01T08:09:30.000Z'],
    );
    expect(await auditSealLagSeconds({ seals: groups, now })).toBe(480);
    const report = await checkHealth([], {
      sealLag: { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals: groups, now }) },
    });
    expect(report).toMatchObject({ status: 'degraded', auditSeal: { status: 'behind', lagSeconds: 480 } });
  });

  it('counts a group never sealed from the earliest start of the sealed ones: behind, not unknown', async () => {
    // Group 1's rule never ran; the others began sealing at 07:40 and are up to date.
    const groups = await chains(['2025-03-01T07:40:00.000Z', '2025-03-01T08:09:00.000Z'], null, [
      '2025-03-01T07:41:00.000Z',
      '2025-03-01T08:09:00.000Z',
    ]);
    expect(await auditSealLagSeconds({ seals: groups, now })).toBe(1800);
    const report = await checkHealth([], {
      sealLag: { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals: groups, now }) },
    });
    expect(report).toMatchObject({ status: 'degraded', auditSeal: { status: 'behind', lagSeconds: 1800 } });

    // Moments after a first deploy, one group sealed and the other not yet: a short lag, healthy.
    const fresh = await chains(['2025-03-01T08:09:00.000Z'], null);
    expect(await auditSealLagSeconds({ seals: fresh, now })).toBe(60);
    expect(await auditSealLagSeconds({ seals: await chains(null, null), now })).toBeNull();
  });

  it('fails the health check when a sealed position is ahead of the clock, where nothing is sealed', async () => {
    const groups = await chains(['2025-03-01T08:09:00.000Z'], ['2025-03-01T08:25:00.000Z']);
    await expect(auditSealLagSeconds({ seals: groups, now })).rejects.toMatchObject({
      code: 'AUDIT_SEAL_HEAD_AHEAD',
    });
    const report = await checkHealth([], {
      sealLag: { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals: groups, now }) },
    });
    expect(report.status).toBe('degraded');
    expect(report.auditSeal).toMatchObject({
      status: 'ahead',
      lagSeconds: null,
      error: expect.stringContaining('2025-03-01T08:25:00.000Z'),
    });
  });
});

describe('a seal head at odds with its signed checkpoint', () => {
  it('fails the health check: its lastEvent moved ahead would stop sealing with no lag', async () => {
    const groups = [
      await sealedChain('2025-03-01T08:09:00.000Z'),
      await sealedChain('2025-03-01T08:09:00.000Z'),
    ];
    const sealLag = { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals: groups, now }) };
    expect(await checkHealth([], { sealLag })).toMatchObject({ status: 'ok', auditSeal: { status: 'ok' } });

    groups[1]!.head = { ...groups[1]!.head, lastEvent: { time: '9999-12-31T23:59:59.999Z', id: 'zzzz' } };

    await expect(auditSealLagSeconds({ seals: groups, now })).rejects.toMatchObject({
      code: 'AUDIT_SEAL_HEAD_MISMATCH',
    });
    const report = await checkHealth([], { sealLag });
    expect(report.status).toBe('degraded');
    expect(report.auditSeal).toMatchObject({
      status: 'mismatch',
      lagSeconds: null,
      error: expect.stringContaining('9999-12-31T23:59:59.999Z'),
    });
  });

  it('is left to its own runs by another group’s reported lag', async () => {
    const groups = [
      await sealedChain('2025-03-01T08:09:00.000Z'),
      await sealedChain('2025-03-01T08:09:00.000Z'),
    ];
    groups[1]!.head = { ...groups[1]!.head, through: '2025-03-01T06:00:00.000Z', lastEvent: null };
    expect(await reportedSealLagSeconds({ lagSeconds: 3 }, { seals: groups, now, settleSeconds: 60 })).toBe(
      3,
    );
  });
});

describe('reportedSealLagSeconds', () => {
  const settleSeconds = 60;

  it('counts an up-to-date chain from its last run, not from its last run and the settle window', async () => {
    // Each chain's last run, a minute ago, sealed up to a settle window before it.
    const groups = await chains(['2025-03-01T08:08:00.000Z'], ['2025-03-01T08:08:30.000Z']);
    expect(await reportedSealLagSeconds({ lagSeconds: 0 }, { seals: groups, now, settleSeconds })).toBe(60);
    expect(await reportedSealLagSeconds({ lagSeconds: 75 }, { seals: groups, now, settleSeconds })).toBe(75);
  });

  it('is a stopped group’s lag when that is longer', async () => {
    const groups = await chains(['2025-03-01T08:09:00.000Z'], ['2025-03-01T07:40:00.000Z']);
    expect(await reportedSealLagSeconds({ lagSeconds: 10 }, { seals: groups, now, settleSeconds })).toBe(
      1740,
    );
  });

  it('counts a group never sealed from the earliest start of the others', async () => {
    const groups = await chains(['2025-03-01T07:40:00.000Z', '2025-03-01T08:09:00.000Z'], null);
    expect(await reportedSealLagSeconds({ lagSeconds: 5 }, { seals: groups, now, settleSeconds })).toBe(1740);
  });

  it('leaves a chain ahead of the clock, or whose head cannot be read, to its own runs', async () => {
    const groups = await chains(['2025-03-01T09:00:00.000Z'], ['2025-03-01T08:09:00.000Z']);
    const unreadable = { readHead: () => Promise.reject(new Error('throttled')) };
    expect(
      await reportedSealLagSeconds(
        { lagSeconds: 12 },
        { seals: [...groups, unreadable], now, settleSeconds },
      ),
    ).toBe(12);
  });
});

describe('sealedLayoutsBesides', () => {
  /** A chain that has sealed a batch (seq 0) by its run at `through`. */
  async function sealedChain(through: string): Promise<MemorySealStore> {
    const [store] = await chains([through]);
    store!.head = { ...store!.head, seq: 0 };
    return store!;
  }

  it('names the other layouts with a batch sealed or a head unreadable, and none whose runs met no event', async () => {
    const unreadable = {
      readHead: () => Promise.reject(new StoredItemInvalid('audit-seals', 'H#x / HEAD', [])),
    };
    expect(
      await sealedLayoutsBesides([
        { count: 1, chains: [await sealedChain('2025-03-01T06:00:00.000Z')] },
        // Runs that found no event moved `through` alone: nothing sealed, no count held in place.
        { count: 2, chains: await chains(['2025-03-01T06:00:00.000Z'], null) },
        { count: 8, chains: [...(await chains(null)), unreadable] },
      ]),
    ).toEqual([1, 8]);
    expect(await sealedLayoutsBesides([{ count: 2, chains: await chains(null, null) }])).toEqual([]);
  });

  it('fails on a head it could not read for another reason, rather than take it for a layout', async () => {
    const throttled = { readHead: () => Promise.reject(new Error('ThrottlingException')) };
    await expect(sealedLayoutsBesides([{ count: 1, chains: [throttled] }])).rejects.toThrow(
      'ThrottlingException',
    );
  });
});
