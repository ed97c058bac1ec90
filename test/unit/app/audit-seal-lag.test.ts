import { describe, expect, it } from 'vitest';
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
});
