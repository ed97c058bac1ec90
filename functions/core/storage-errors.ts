// Outcomes of storage writes that the use cases decide on: a license that already exists, a
// race lost to another writer, a grant that can no longer be used. Adapters translate their
// store's failures (DynamoDB transaction cancellation reasons) into these, so the use cases and
// the HTTP mapping never see a storage SDK's error. Each carries a stable `code`.

/** Issuing an identifier (license id and version) that is already stored. */
export class LicenseAlreadyExists extends Error {
  readonly code = 'LICENSE_ALREADY_EXISTS';
  readonly licenseId: string;
  constructor(licenseId: string) {
    super(`expected license ${licenseId} not to exist yet, found it already issued`);
    this.name = 'LicenseAlreadyExists';
    this.licenseId = licenseId;
  }
}

/** A write addressed a license version that is not stored. */
export class LicenseNotFound extends Error {
  readonly code = 'LICENSE_NOT_FOUND';
  readonly licenseId: string;
  constructor(licenseId: string) {
    super(`expected license ${licenseId} to exist, found no such license`);
    this.name = 'LicenseNotFound';
    this.licenseId = licenseId;
  }
}

/**
 * Optimistic locking lost: the record changed since the caller read it (another status change
 * or re-issue won the race). Re-read and decide again.
 */
export class ConcurrentModification extends Error {
  readonly code = 'CONCURRENT_MODIFICATION';
  readonly subject: string;
  readonly expectedVersion: number;
  /** The version found, when the store reported it. */
  readonly foundVersion: number | undefined;
  constructor(subject: string, expectedVersion: number, foundVersion?: number) {
    super(
      `expected ${subject} at version ${expectedVersion}, found ${foundVersion === undefined ? 'it changed by another writer' : `version ${foundVersion}`}`,
    );
    this.name = 'ConcurrentModification';
    this.subject = subject;
    this.expectedVersion = expectedVersion;
    this.foundVersion = foundVersion;
  }
}

/** A status-list index was already claimed by another license. Allocation bug or a reused key: never retry blindly. */
export class StatusSlotTaken extends Error {
  readonly code = 'STATUS_SLOT_TAKEN';
  readonly listId: string;
  readonly index: number;
  constructor(listId: string, index: number) {
    super(`expected index ${index} of status list ${listId} to be free, found it claimed by another license`);
    this.name = 'StatusSlotTaken';
    this.listId = listId;
    this.index = index;
  }
}

/** A status change named a status-list slot that is not the license's own. */
export class StatusSlotMismatch extends Error {
  readonly code = 'STATUS_SLOT_MISMATCH';
  readonly listId: string;
  readonly index: number;
  constructor(listId: string, index: number, licenseId: string) {
    super(
      `expected index ${index} of status list ${listId} to belong to license ${licenseId}, found it does not`,
    );
    this.name = 'StatusSlotMismatch';
    this.listId = listId;
    this.index = index;
  }
}

/** An audit event id (at its time) was already recorded; events are written once and never replaced. */
export class AuditEventExists extends Error {
  readonly code = 'AUDIT_EVENT_EXISTS';
  readonly eventId: string;
  constructor(eventId: string) {
    super(`expected audit event ${eventId} to be new, found it already recorded`);
    this.name = 'AuditEventExists';
    this.eventId = eventId;
  }
}

export type GrantUseRefusal = 'not-found' | 'revoked' | 'exhausted' | 'expired';

/** A grant use was not counted; nothing (not even its audit event) was written. */
export class GrantUseRefused extends Error {
  readonly code = 'GRANT_USE_REFUSED';
  readonly grantId: string;
  readonly reason: GrantUseRefusal;
  constructor(grantId: string, reason: GrantUseRefusal, detail: string) {
    super(`expected grant ${grantId} to be active, unexpired and below its use limit, found ${detail}`);
    this.name = 'GrantUseRefused';
    this.grantId = grantId;
    this.reason = reason;
  }
}

/** A status list id that names no stored list. */
export class StatusListNotFound extends Error {
  readonly code = 'STATUS_LIST_NOT_FOUND';
  readonly listId: string;
  constructor(listId: string) {
    super(`expected status list ${listId} to exist, found no such list`);
    this.name = 'StatusListNotFound';
    this.listId = listId;
  }
}

/**
 * The store refused a write for load — throttled, or contended past the writer's own retries —
 * and wrote none of it: a dependency unavailable for now (503), which the caller may send again.
 * Earlier writes of the same request may have landed (an approval's decision before its issue
 * step): the message speaks of this write only.
 */
export class StoreBusy extends Error {
  readonly code = 'STORE_BUSY';
  constructor(operation: string, reasons: readonly string[]) {
    super(
      `the store is busy: ${operation} was refused for load (${reasons.join(', ')}) and not written; send the request again`,
    );
    this.name = 'StoreBusy';
  }
}

/**
 * The store refused a write because an item it would leave is larger than it holds (DynamoDB: 400
 * KB): nothing was written. Issuing never meets it — a license type's data is held well within one
 * item (core/catalog/license-size.ts) — but a record that grows by its writes could; answered as
 * the write's own input being too large, never as an internal error.
 */
export class RecordTooLarge extends Error {
  readonly code = 'RECORD_TOO_LARGE';
  constructor(operation: string, detail: string, options?: ErrorOptions) {
    super(
      `${operation} was refused and nothing was written: a record it would leave is larger than the store holds (${detail})`,
      options,
    );
    this.name = 'RecordTooLarge';
  }
}

/**
 * The device key a new license was bound to (its cnf.jwk) was no longer active when the license
 * was written — revoked by its holder meanwhile: nothing was written. Bind to the key active now.
 */
export class DeviceKeyChangedMeanwhile extends Error {
  readonly code = 'DEVICE_KEY_CHANGED_MEANWHILE';
  readonly keyId: string;
  constructor(keyId: string) {
    // The agency reads this: no holder account, only that the key moved under the request.
    super(
      "expected the holder's device key the license was bound to (cnf) to stay active while it was issued, found it revoked meanwhile, and again the key read after it: nothing was written for this license — send it again (a batch item: the batch, with the same Idempotency-Key; an approval: approve again), and it is bound to the key active then",
    );
    this.name = 'DeviceKeyChangedMeanwhile';
    this.keyId = keyId;
  }
}

/**
 * Whether a failed write is one the store refused, having written none of it: a condition it
 * checked (the errors above, translated from a cancelled transaction) or load (StoreBusy). Any
 * other failure — a timeout, a connection reset — may have been written all the same, now or a
 * moment later: what was prepared for the write (stored bytes it points at) must then stay.
 */
export function writeRefused(error: unknown): boolean {
  return (
    error instanceof LicenseAlreadyExists ||
    error instanceof LicenseNotFound ||
    error instanceof ConcurrentModification ||
    error instanceof StatusSlotTaken ||
    error instanceof StatusSlotMismatch ||
    error instanceof AuditEventExists ||
    error instanceof DeviceKeyChangedMeanwhile ||
    error instanceof GrantUseRefused ||
    error instanceof StoreBusy ||
    error instanceof RecordTooLarge ||
    // A cancelled transaction no adapter translated (a ValidationError reason, say) wrote nothing
    // either; the adapters' TransactionCancelled is known here by its code alone (core imports no
    // adapter).
    (error instanceof Error && (error as { code?: unknown }).code === 'TRANSACTION_CANCELLED')
  );
}
