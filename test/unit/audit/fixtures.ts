import type { AuditEvent } from '#core/audit/event.ts';

const START = Date.parse('2025-03-01T08:00:00.000Z');

/** The n-th event of a deterministic day of platform activity, one second apart. */
export function auditEvent(n: number): AuditEvent {
  const kinds = ['license.issued', 'license.retrieved', 'grant.created', 'license.verified'] as const;
  const action = kinds[n % kinds.length]!;
  return {
    id: `evt-${String(n).padStart(5, '0')}`,
    time: new Date(START + n * 1000).toISOString(),
    actor:
      action === 'license.issued'
        ? { kind: 'agency', id: '11100000000013338W' }
        : { kind: 'holder', id: `holder-${n % 7}` },
    action,
    subject: {
      licenseId: `1.2.156.3005.2.11100000000013338W032.11220000013544541J.${2430599 + n}.001.F`,
      licenseVersion: '001',
      ...(action === 'grant.created' ? { grantId: `grant-${n}` } : {}),
    },
    ...(action === 'license.retrieved'
      ? { basis: { purpose: '办理营业执照变更', caseNumber: `BJ-2025-${n}`, serviceItemCode: 'S-001' } }
      : {}),
    outcome: 'success',
    details: { channel: 'api', attempt: 1 },
  };
}

export function auditEvents(from: number, count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, i) => auditEvent(from + i));
}
