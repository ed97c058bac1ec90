// Writing one audit event on its own, for actions whose change is not a license or grant write
// (a duty-based retrieval changes nothing but the log). Writes that change a license or a grant
// carry their event in their own transaction instead (LicenseRepository, GrantStore).
import type { AuditEvent } from '#core/audit/event.ts';

export interface AuditLogWriter {
  /**
   * Records the event durably before resolving: once this resolves the event is in the log. The
   * same event recorded again resolves and stays one record (a retried write is not a clash); a
   * different event under an id already recorded (at its time) fails with AuditEventExists and
   * never replaces it; an event that is not well formed fails with AuditEventInvalid, writing
   * nothing.
   */
  record(event: AuditEvent): Promise<void>;
}
