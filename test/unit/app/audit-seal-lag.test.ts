import { describe, expect, it } from 'vitest';
import { checkHealth } from '#app/check-health.ts';
import { auditSealLagSeconds } from '#app/seal-audit-log.ts';
import { MemorySealStore } from './audit-fakes.ts';

describe('auditSealLagSeconds', () => {
  it('is the time since the sealed position, and null before the first seal', async () => {
    const seals = new MemorySealStore();
    const now = () => new Date('2025-03-01T08:10:00.000Z');
    expect(await auditSealLagSeconds({ seals, now })).toBeNull();
    await seals.append({ expected: seals.head, through: '2025-03-01T08:07:30.000Z' });
    expect(await auditSealLagSeconds({ seals, now })).toBe(150);
  });

  it('fails the health check when the sealed position is ahead of the clock, where nothing is sealed', async () => {
    const seals = new MemorySealStore();
    const now = () => new Date('2025-03-01T08:10:00.000Z');
    await seals.append({ expected: seals.head, through: '2025-03-01T08:25:00.000Z' });

    await expect(auditSealLagSeconds({ seals, now })).rejects.toMatchObject({
      code: 'AUDIT_SEAL_HEAD_AHEAD',
    });
    const report = await checkHealth([], {
      sealLag: { maxLagSeconds: 300, lagSeconds: () => auditSealLagSeconds({ seals, now }) },
    });
    expect(report.status).toBe('degraded');
    expect(report.auditSeal).toMatchObject({
      status: 'ahead',
      lagSeconds: null,
      error: expect.stringContaining('2025-03-01T08:25:00.000Z'),
    });
  });
});
