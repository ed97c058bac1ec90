import type { AuditEvent } from '#core/audit/event.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';

/**
 * Records a holder's read of their own data — written before the answer, whose `auditEventId`
 * it becomes. The details name ids and counts, never the data read.
 */
export async function recordHolderRead(
  account: string,
  action: string,
  details: NonNullable<AuditEvent['details']>,
  deps: { audit: AuditLogWriter; now: () => Date; newEventId: () => string },
): Promise<string> {
  const id = deps.newEventId();
  await deps.audit.record({
    id,
    time: deps.now().toISOString(),
    actor: { kind: 'holder', id: account },
    action,
    outcome: 'success',
    details,
  });
  return id;
}
