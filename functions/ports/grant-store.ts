// Holder grants (用证授权) and their authorisation codes. The store generates the grant id
// and the code; it hands the code out once, on creation, and keeps only the code's SHA-256.
// Counting a use is not here: it happens in the retrieval's transaction, next to its audit
// event (see the license repository).
import type { AuditEvent } from '#core/audit/event.ts';
import type { Grant, GrantTerms } from '#core/grants/grant.ts';
import type { Page, PageRequest, Versioned } from './page.ts';

export interface CreatedGrant {
  grant: Versioned<Grant>;
  /** The authorisation code: shown to the holder now, never again retrievable. */
  code: string;
}

export interface RevokeOptions {
  /** Revoke only when the grant belongs to this holder; another holder's grant reads as not found. */
  holderIndex?: string;
  /** Recorded in the same write as the revocation: both or neither (AuditEventExists when its id is taken). */
  auditEvent?: AuditEvent;
  /**
   * Revoke only the grant as read, at its version (ConcurrentModification when a use or another
   * change came in between): what the audit event says of it — its uses — is then what it was,
   * and the revoked grant answered is this one revoked, not read again.
   */
  asRead?: Versioned<Grant>;
}

/** The audit event of a grant's creation, made once the grant (and its generated id) exists. */
export type GrantAuditEventOf = (grant: Grant) => AuditEvent;

export interface GrantStore {
  /**
   * Creates an active grant with no uses, a generated id and a fresh authorisation code; with
   * `auditEventOf`, the event it makes is recorded in the same write (both or neither).
   */
  create(terms: GrantTerms, auditEventOf?: GrantAuditEventOf): Promise<CreatedGrant>;
  get(grantId: string): Promise<Versioned<Grant> | undefined>;
  /** The grant this authorisation code belongs to, whatever its status; undefined for any other code. */
  findByCode(code: string): Promise<Versioned<Grant> | undefined>;
  /**
   * Revokes an active grant; {@link GrantNotFound} when there is none (for this holder),
   * {@link GrantAlreadyRevoked} when it was revoked before.
   */
  revoke(grantId: string, options?: RevokeOptions): Promise<Versioned<Grant>>;
  /** A holder's grants, newest first. */
  listByHolder(holderIndex: string, page?: PageRequest): Promise<Page<Versioned<Grant>>>;
}

export class GrantNotFound extends Error {
  readonly code = 'GRANT_NOT_FOUND';
  readonly grantId: string;
  constructor(grantId: string) {
    super(`no grant ${grantId}`);
    this.name = 'GrantNotFound';
    this.grantId = grantId;
  }
}

export class GrantAlreadyRevoked extends Error {
  readonly code = 'GRANT_ALREADY_REVOKED';
  readonly grantId: string;
  readonly revoked: string;
  constructor(grantId: string, revoked: string) {
    super(`grant ${grantId} was already revoked at ${revoked}`);
    this.name = 'GrantAlreadyRevoked';
    this.grantId = grantId;
    this.revoked = revoked;
  }
}

/** Grant terms refused before writing: schema violations, or an expiry not in the future. */
export class GrantInvalid extends Error {
  readonly code = 'GRANT_INVALID';
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    super(`invalid grant: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'GrantInvalid';
    this.issues = issues;
  }
}
