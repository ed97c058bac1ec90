// Where license applications and their history live. The store keeps the application's state in
// the clear (type, agency, account, state, times — what listings need) and what the applicant
// wrote only sealed (the applied data and every note, sealed by the use cases with the field
// cipher); it never sees a holder code in the clear. Every write carries its audit event in the
// same transaction, so no application changes without its audit record.
import type { Application, ApplicationState, ApplicationStep } from '#core/applications/application.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Page, PageRequest } from './page.ts';

/** An attachment as the application records it: a document in the documents bucket, bound by digest. */
export interface AttachmentRef {
  /** SHA-256 of the bytes, unpadded base64url: the attachment's name in routes and history. */
  sha256: string;
  /** The document store's opaque key; never shown to callers. */
  key: string;
  size: number;
  mediaType: string;
  /** The step that added it. */
  step: number;
  added: string;
}

/** The application's stored state: the core record, its sealed content and its attachments. */
export interface StoredApplication {
  application: Application;
  /**
   * The applied data (and holder code, validity), sealed by the field cipher; once an approval's
   * decision is recorded, the data as decided — what its license is issued with.
   */
  sealedContent: Uint8Array;
  /**
   * The data as the holder applied with it (or last corrected it in a response), sealed as it was,
   * kept when the decision changed it: the decided data replaces `sealedContent`, and this keeps
   * the applicant's own beside it. Absent while no decision was recorded, or when it changed nothing.
   */
  sealedApplied?: Uint8Array;
  attachments: AttachmentRef[];
  /**
   * The license id, once the license of the application's approval was written (set by that
   * write, LicenseRepository.issue `approving`): from then on only the step to approved is stored.
   */
  licenseWritten?: string;
}

/** A step as stored: its note, when it has one, sealed. */
export interface StoredStep extends Omit<ApplicationStep, 'note'> {
  sealedNote?: Uint8Array;
  /**
   * On the first step of an application made with an Idempotency-Key: the keyed digest of that
   * request (HMAC under the blind index's secret), which tells a retry (the same request) from
   * another. Decisions written before approvals told a retry from the sealed contents carry one
   * too; it is ignored.
   */
  requestDigest?: string;
}

/** What listings show: no content, no notes. */
export type ApplicationSummary = Application;

export interface ApplicationWrite {
  /** The application after the step; its version is the step's seq. */
  next: StoredApplication;
  step: StoredStep;
  auditEvent: AuditEvent;
}

export interface ApplicationStore {
  /** Stores a new application (version 1) with its first step and audit event. */
  create(write: ApplicationWrite): Promise<void>;
  /** The application and its whole history (oldest step first), read strongly consistent. */
  get(applicationId: string): Promise<{ stored: StoredApplication; history: StoredStep[] } | undefined>;
  /**
   * Records one step: the application is replaced by `next` only if it is still at
   * `next.application.version - 1` (else ConcurrentModification), with the step and audit event.
   * Once the application's license was written (`licenseWritten`), any step but the one to
   * approved is refused the same way: a license never stands beside a rejected or withdrawn one.
   */
  advance(write: ApplicationWrite): Promise<void>;
  /** An agency's applications in one state, least recently changed first (a work queue). */
  listByAgency(
    agency: string,
    state: ApplicationState,
    page?: PageRequest,
  ): Promise<Page<ApplicationSummary>>;
  /** A holder account's applications, newest first. */
  listByHolder(holderAccount: string, page?: PageRequest): Promise<Page<ApplicationSummary>>;
}

/** Which attachments an application holds: what the sweep of documents nothing holds asks. */
export interface HeldAttachments {
  typeCode: string;
  /** The document keys of every attachment the application records, from every step. */
  keys: string[];
}

/** The sweep's read of applications: their attachments alone, never their content. */
export interface ApplicationAttachmentReader {
  /** The application's attachments, read strongly consistent; undefined when there is no such application (rejects for an id no application can have). */
  heldAttachments(applicationId: string): Promise<HeldAttachments | undefined>;
}
