// Reading the audit log back in seal order — by time, then event id — over any time range.
// The sealer reads validated events; `elicense audit verify` reads them as stored, so that an
// altered event becomes a finding of the verifier rather than a failure of the read.
import type { AuditEvent } from '#core/audit/event.ts';
import type { Page, PageRequest } from './page.ts';
import type { StoredItemIssue } from './stored-item-invalid.ts';

/** Half-open: events with `from` ≤ time < `to`. */
export interface AuditTimeRange {
  from: Date;
  to: Date;
}

/** An event as stored: its place in the order, and the event JSON parsed but not validated. */
export interface StoredAuditEvent {
  time: string;
  id: string;
  /** The stored event JSON parsed; the stored text itself when it does not parse. */
  event: unknown;
  /**
   * Set when the item is not an event at the place it is stored (its keys and copies disagree
   * with each other or with its event, or its text is not the RFC 8785 form of the event it
   * parses to): evidence in itself, not read as an event. `time` and `id` are then taken from its
   * sort key.
   */
  unreadable?: { key: string; issues: readonly StoredItemIssue[] };
}

export interface AuditLogReader {
  /**
   * Events in the range, validated against the audit event schema (a stored item that is not
   * a valid event is refused with StoredItemInvalid). A page may hold fewer than `limit`
   * events, even none, and still carry a cursor: keep reading until the cursor is absent.
   */
  readRange(range: AuditTimeRange, page?: PageRequest): Promise<Page<AuditEvent>>;
  /**
   * The same range and order with each event exactly as stored, for verification; an item that
   * readRange would refuse for its keys is handed out marked `unreadable`, and reading goes on.
   */
  readStoredRange(range: AuditTimeRange, page?: PageRequest): Promise<Page<StoredAuditEvent>>;
}

/** Where an event sits in the log's order: its time and id (the audit sort key `<time>#<id>`). */
export interface AuditPosition {
  time: string;
  id: string;
}

/** Events about one license, newest first, as far as one read took them. */
export interface LicenseAuditSlice {
  events: AuditEvent[];
  /** True when older events of the license may follow the last one returned. */
  more: boolean;
}

/**
 * The events whose subject names a license (any of its versions), for its holder's access
 * history. Kept apart from AuditLogReader so that readers of time ranges need not implement it.
 */
export interface LicenseAuditReader {
  /**
   * Up to `limit` (1–100) events of the license key, newest first, strictly older than
   * `before` when given; validated as readRange validates them.
   */
  readByLicense(
    licenseKey: string,
    options?: { limit?: number; before?: AuditPosition },
  ): Promise<LicenseAuditSlice>;
  /**
   * The same, for the events that name a grant but no license: a type-scoped grant's creation and
   * revocation, a retrieval under it that met no license.
   */
  readByGrant(
    grantId: string,
    options?: { limit?: number; before?: AuditPosition },
  ): Promise<LicenseAuditSlice>;
}
