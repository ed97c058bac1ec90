import { describe, expect, it } from 'vitest';
import { checkHealth } from '#app/check-health.ts';
import { auditSealLagSeconds, reportedSealLagSeconds } from '#app/seal-audit-log.ts';
import { MemorySealStore } from './audit-fakes.ts';

describe('auditSealLagSeconds', () => {
  it('is the time since the sealed position, and null before the first seal', async () => {
    const seals = new MemorySealStore();
    const now = () => new Date('2025-03-01T08:10:00.000Z');
    expect(await auditSealLagSeconds({ seals: [seals], now })).toBeNull();
    await seals.append({ expected: seals.head, through: '2025-03-01T08:07:30.000Z' });
    expect(await auditSealLagSeconds({ seals: [seals], now })).toBe(150);
  });

  it('is the lag of the seal group furthest behind, and unknown while any group was never sealed', async () => {
    const groups = [new MemorySealStore(), new MemorySealStore(), new MemorySealStore()];
    const now = () => new Date('2025-03-01T08:10:00.000Z');
    await groups[0]!.append({ expected: groups[0]!.head, through: '2025-03-01T08:09:00.000Z' });
    await groups[2]!.append({ expected: groups[2]!.head, through: '2025-03-01T08:09:30.000Z' });
    expect(await auditSealLagSeconds({ seals: groups, now })).toBeNull();

    await groups[1]!.append({ expected: groups[1]!.head, through: '2025-03-01T08:02:00.000Z' });
    expect(await auditSealLagSeconds({ seals: groups, now })).toBe(480);
    const report = await checkHealth([], {
      sealLag: { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals: groups, now }) },
    });
    expect(report.auditSeal).toMatchObject({ status: 'behind', lagSeconds: 480 });
  });

  it('fails the health check when the sealed position is ahead of the clock, where nothing is sealed', async () => {
    const behind = new MemorySealStore();
    const seals = new MemorySealStore();
    const now = () => new Date('2025-03-01T08:10:00.000Z');
    await behind.append({ expected: behind.head, through: '2025-03-01T08:09:00.000Z' });
    await seals.append({ expected: seals.head, through: '2025-03-01T08:25:00.000Z' });

    await expect(auditSealLagSeconds({ seals: [behind, seals], now })).rejects.toMatchObject({
      code: 'AUDIT_SEAL_HEAD_AHEAD',
    });
    const report = await checkHealth([], {
      sealLag: { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals: [behind, seals], now }) },
    });
    expect(report.status).toBe('degraded');
    expect(report.auditSeal).toMatchObject({
      status: 'ahead',
      lagSeconds: null,
      error: expect.stringContaining('2025-03-01T08:25:00.000Z'),
    });
  });
});

describe('reportedSealLagSeconds', () => {
  const now = () => new Date('2025-03-01T08:10:00.000Z');

  it('is the run’s own lag while every chain is further on', async () => {
    const groups = [new MemorySealStore(), new MemorySealStore()];
    for (const g of groups) await g.append({ expected: g.head, through: '2025-03-01T08:09:00.000Z' });
    expect(await reportedSealLagSeconds({ lagSeconds: 75 }, { seals: groups, now })).toBe(75);
  });

  it('is the time since a stopped group’s sealed position when that is longer', async () => {
    const groups = [new MemorySealStore(), new MemorySealStore(), new MemorySealStore()];
    await groups[0]!.append({ expected: groups[0]!.head, through: '2025-03-01T08:09:00.000Z' });
    await groups[1]!.append({ expected: groups[1]!.head, through: '2025-03-01T07:40:00.000Z' });
    expect(await reportedSealLagSeconds({ lagSeconds: 10 }, { seals: groups, now })).toBe(1800);
  });

  it('leaves a chain never sealed, or ahead of the clock, to its own runs', async () => {
    const groups = [new MemorySealStore(), new MemorySealStore()];
    await groups[1]!.append({ expected: groups[1]!.head, through: '2025-03-01T09:00:00.000Z' });
    expect(await reportedSealLagSeconds({ lagSeconds: 12 }, { seals: groups, now })).toBe(12);
  });
});
