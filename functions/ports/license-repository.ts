import type { AuditEvent } from '#core/audit/event.ts';
import type { StatusChange, StoredStatus } from '#core/lifecycle.ts';
import type { StoredDocument } from './document-store.ts';
import type { Page, PageRequest } from './page.ts';

// Where issued licenses live, and the writes that must happen together with them. Every write
// here is all or nothing, together with its audit event: a use case never has to undo half a
// write, and no change exists without its audit record. Failures are the typed errors of
// core/storage-errors.ts (LicenseAlreadyExists, ConcurrentModification, GrantUseRefused, …).

/** A license's entry in a Token Status List: which list, which index. */
export interface StatusSlot {
  listId: string;
  index: number;
}

/** What is stored about the license's content; the repository keeps it as given and never reads into it. */
export type LicenseContent = Readonly<Record<string, unknown>>;

/** A license version as the issue use case hands it over (identifier assigned, slot drawn, fields encrypted). */
export interface NewLicense {
  /** GB/T 36904 identifier of this version; type, issuer, serial and version are read from it. */
  id: string;
  /** Blind index (HMAC) of the holder's code type and code: the holder index key. */
  holderIndex: string;
  /** The slot drawn from the status-list store; claimed for good by the write. */
  statusSlot: StatusSlot;
  /** RFC 3339 UTC with milliseconds; also orders the issuer listing. */
  issuedAt: string;
  /** Encrypted fields, the signed SD-JWT VC, the layout document reference, validity, … */
  content: LicenseContent;
  /**
   * The keyed digest of the issuer's request (its Idempotency-Key) that wrote this version — a
   * re-issue, or an issue under a serial the issuer chose — so the same request run again after
   * its idempotency record was lost knows the version for its own. Absent otherwise.
   */
  requestDigest?: string | undefined;
}

/** A stored license version. */
export interface LicenseRecord extends NewLicense {
  /** The identifier without version and check character, shared by every version. */
  licenseKey: string;
  typeCode: string;
  issuerCode: string;
  /** 3 digits, `001` first. */
  licenseVersion: string;
  /** The data domain (人口库 person, 法人库 legal-entity, …) whose tables hold it. */
  dataDomain: string;
  status: StoredStatus;
  /** The most recent status changes (at most MAX_KEPT_STATUS_CHANGES, core/lifecycle.ts) in the order they happened; the audit log has them all. */
  history: StatusChange[];
  /** Set once superseded: the identifier of the version that replaced this one. */
  supersededBy?: string;
  /** Optimistic-lock counter (1 at issue, +1 per change); not the license version. */
  version: number;
}

export interface StatusChangeWrite {
  licenseId: string;
  /** The `version` the caller read; the write fails with ConcurrentModification if it moved. */
  expectedVersion: number;
  /**
   * The `history` the caller read with `expectedVersion`. The write stores it with `change`, the
   * last MAX_KEPT_STATUS_CHANGES (keptHistory), in place of the stored one — which is that same
   * history as long as the version has not moved, which the write is conditioned on.
   */
  history: readonly StatusChange[];
  /** From the core lifecycle: suspend, reinstate or revoke (re-issue has its own write). */
  change: StatusChange;
  /** The license's status-list entry; its new value follows from `change.to`. */
  statusSlot: StatusSlot;
  auditEvent: AuditEvent;
}

/**
 * The holder's device key a new license is bound to (its cnf.jwk), as the holder store keys it:
 * the license is written only while that key is still active, so a key revoked while the license
 * was being signed never ends up bound (DeviceKeyChangedMeanwhile).
 */
export interface BoundDeviceKey {
  account: string;
  /** The key's id (its RFC 7638 thumbprint). */
  keyId: string;
}

export interface ReissueWrite {
  /** The version being superseded, as the caller read it; its history is kept as StatusChangeWrite's is. */
  current: Pick<LicenseRecord, 'id' | 'version' | 'statusSlot' | 'holderIndex' | 'issuedAt' | 'history'>;
  /** The lifecycle's supersede change; `supersededBy` must name `next.id`. */
  change: StatusChange;
  /** The next version: same license key, version + 1. */
  next: NewLicense;
  auditEvent: AuditEvent;
  /** The device key the next version is bound to, if any: checked still active in the write. */
  deviceKey?: BoundDeviceKey | undefined;
}

export interface DocumentAttachWrite {
  licenseId: string;
  /** The `version` the caller read; the write fails with ConcurrentModification if it moved. */
  expectedVersion: number;
  /** The stored layout document; recorded as `content.document`, binding it to the license by digest. */
  document: StoredDocument;
  auditEvent: AuditEvent;
}

/**
 * A license of a holder, as the holder index lists it: its current version — or, for a license
 * re-issued to another holder (`former`), the last version that was this holder's.
 */
export interface HolderLicense {
  licenseKey: string;
  /** Identifier of the current version; of this holder's last version when `former`. */
  licenseId: string;
  typeCode: string;
  issuerCode: string;
  dataDomain: string;
  /** When that version was issued. */
  issuedAt: string;
  /** Set when the license was re-issued to another holder: it was this holder's, it is no longer. */
  former?: true;
}

export interface HolderListingOptions {
  /**
   * Also the licenses re-issued to another holder (entries marked `former`). Only for reading the
   * holder's own past (their listing, their access history): anything that acts on a license as
   * the holder's own (grants, presentations, retrieval by holder and type) must not see them.
   */
  includeFormer?: boolean;
}

export interface IssuerListingQuery {
  issuerCode: string;
  typeCode: string;
  /** `yyyy-MM` (UTC) of issue. */
  month: string;
}

export interface IssuerListingEntry {
  licenseId: string;
  issuedAt: string;
}

/** A license version as a retrieval read it: its write is refused if the version has changed since. */
export interface RetrievedVersion {
  licenseId: string;
  /** The record's `version` (optimistic lock) when read. */
  version: number;
}

export interface LicenseRepository {
  /**
   * Stores a new license version with its holder index entry, status-list slot, issuer listing
   * entry and audit event, in one write. Fails with LicenseAlreadyExists (that id and version is
   * stored), StatusSlotTaken or AuditEventExists, leaving nothing behind. With `approving` (the
   * license of an application's approval) it is written only while that application is
   * approving, and marks it so in the same write (StoredApplication.licenseWritten); else it fails
   * with ConcurrentModification — a rejection or withdrawal and the license exclude each other.
   * With `deviceKey` (the key its cnf.jwk holds) it is written only while that key is active;
   * else it fails with DeviceKeyChangedMeanwhile.
   */
  issue(
    license: NewLicense,
    auditEvent: AuditEvent,
    options?: { approving?: string | undefined; deviceKey?: BoundDeviceKey | undefined },
  ): Promise<LicenseRecord>;

  /** The license version with this full identifier, read consistently; undefined when none. */
  get(licenseId: string): Promise<LicenseRecord | undefined>;

  /** The current (highest) version of a license, by its license key, in one read; undefined when none. */
  getCurrent(licenseKey: string): Promise<LicenseRecord | undefined>;

  /**
   * Suspends, reinstates or revokes: license status, status-list entry and audit event in one
   * write, on condition that the license is still at `expectedVersion` and status `change.from`.
   * Returns the new `version`. Fails with LicenseNotFound, ConcurrentModification or
   * StatusSlotMismatch (the slot is not this license's).
   */
  changeStatus(write: StatusChangeWrite): Promise<{ version: number }>;

  /**
   * 换发/补发: supersedes the current version and stores the next one — old version, new
   * version, both status-list entries, holder index, issuer listing and audit event in one write.
   * When the next version names another holder, the earlier holder's index entry becomes a
   * `former` one pointing at their last version, in the same write. With `deviceKey`, only while
   * that key is active (else DeviceKeyChangedMeanwhile).
   */
  reissue(write: ReissueWrite): Promise<{ superseded: { version: number }; current: LicenseRecord }>;

  /**
   * Records the layout document of a license version in its content (replacing any earlier
   * reference) with its audit event, in one write, on condition that the license is still at
   * `expectedVersion`. Returns the new `version`. Fails with LicenseNotFound or ConcurrentModification.
   */
  attachDocument(write: DocumentAttachWrite): Promise<{ version: number }>;

  /**
   * Counts one use of a grant together with the retrieval's audit event. Fails with
   * GrantUseRefused (not found, revoked, exhausted or expired at `now`), writing neither; with
   * `retrieved`, also with ConcurrentModification when that license version changed since it was
   * read (a revocation meanwhile), or LicenseNotFound.
   */
  recordGrantUse(
    grantId: string,
    now: string,
    auditEvent: AuditEvent,
    retrieved?: RetrievedVersion,
  ): Promise<void>;

  /**
   * Writes the audit event of a retrieval on a duty basis, on condition that the license version
   * handed out is still as it was read: ConcurrentModification (or LicenseNotFound) otherwise,
   * writing nothing.
   */
  recordRetrieval(auditEvent: AuditEvent, retrieved: RetrievedVersion): Promise<void>;

  /** Every stored version of a license, by its license key, oldest first; empty when none. */
  listVersions(licenseKey: string): Promise<LicenseRecord[]>;

  /**
   * As listVersions, but from every shard of the license's data domain, not only the one the shard
   * map routes its key to: for concluding that a license does not exist, which a shard count that
   * differs between its writers and this reader (a misconfiguration, a re-shard under way) would
   * otherwise conclude of a license in another shard. One Query per shard: for rare paths only.
   */
  listVersionsInEveryShard(licenseKey: string): Promise<LicenseRecord[]>;

  /**
   * The licenses the holder holds (current versions), optionally of one type, ordered by type and
   * key; with `includeFormer`, also those re-issued from them to another holder.
   */
  listByHolder(
    holderIndex: string,
    typeCode?: string,
    options?: HolderListingOptions,
  ): Promise<HolderLicense[]>;

  /**
   * Licenses an issuer issued of a type in a month, in issue order, one page at a time (limit
   * 1–500, default 100). A cursor of another listing fails with InvalidCursor.
   */
  listByIssuer(query: IssuerListingQuery, page?: PageRequest): Promise<Page<IssuerListingEntry>>;
}
