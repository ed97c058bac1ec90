// The platform's registry: agencies with their request-signing keys, license types and
// duty-based sharing agreements, as the operator registers them. Every record carries a
// version; a registration is either a create (refused when the record exists) or an update
// naming the version it replaces (refused when someone else changed it first), so no
// registration ever silently overwrites another.
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency, ApiKey } from '#core/catalog/agency.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import type { Page, PageRequest, Versioned } from './page.ts';

export type ConfigRecordKind = 'agency' | 'license-type' | 'sharing-agreement';

/** What request authentication needs from one key id, read in one request. */
export interface ApiKeyRecord {
  /** The agency owning the key, as of `agencyVersion`. */
  agency: Agency;
  /** The key itself; `status` says whether it is still accepted. */
  key: ApiKey;
  agencyVersion: number;
}

/**
 * The calling operator agency's own record as a change was decided on it (its signing key active,
 * its operator role held): a write given it holds only while that record is still at `version`.
 */
export interface OperatorStanding {
  /** USCC of the operator agency signing the request. */
  agency: string;
  version: number;
}

/**
 * The license type an agreement was checked against, as read. A type update checks the agreements
 * naming it as it lists them, and an agreement write the type as it reads it; without a condition
 * on each side, a type update and an agreement write at the same moment could each pass a check
 * the other's write makes wrong, leaving an agreement that names a field the type lacks or no
 * longer discloses. Both sides meet on the type's record: an agreement write given this holds only
 * while the type is still at `version`, and counts itself on the type's record (its agreement
 * writes, see agreementWritesOfType); a type update holds only while that count is as it read it
 * before listing the agreements. Whichever commits second is refused, writing nothing
 * (LicenseTypeChanged on the agreement side, SharingAgreementsChanged on the type's). The count
 * is not the type's version: that is the ETag operators update the type under, and an agreement
 * written beside it does not change the type.
 */
export interface LicenseTypeAsRead {
  code: string;
  version: number;
}

/** An agency of a chain of successors with the successor it named when read (undefined: none). */
export interface SuccessorAsRead {
  uscc: string;
  successor: string | undefined;
}

export interface AgreementListRequest extends PageRequest {
  /** Only agreements for this license type. */
  typeCode?: string;
}

/**
 * Every write takes the audit event that records it, written in the same transaction: both or
 * neither (AuditEventExists when the event id is taken). Writes without one are for seeding.
 * A write that fails before any of it is sent throws its error marked {@link writeNotSent}.
 */
export interface ConfigStore {
  /**
   * Registers a new agency and its key ids (version 1); {@link ConfigRecordExists} if registered.
   * With `standing`, only while the calling operator's own record is still at its version, checked
   * in the same write: {@link OperatorRecordChanged} otherwise, writing nothing.
   */
  createAgency(
    agency: Agency,
    auditEvent?: AuditEvent,
    standing?: OperatorStanding,
  ): Promise<Versioned<Agency>>;
  /**
   * Registers the stage's first operator agency, as createAgency does, and marks the registry
   * bootstrapped in the same write: {@link RegistryAlreadyBootstrapped} for every later attempt,
   * whatever its agency, so two bootstraps at once cannot both succeed.
   */
  createFirstOperator(agency: Agency, auditEvent: AuditEvent): Promise<Versioned<Agency>>;
  /**
   * Replaces an agency's record, keys included (add, revoke or remove keys this way), when
   * its stored version is `expectedVersion`; {@link ConfigVersionConflict} otherwise. With
   * `standing`, only while the calling operator's own record is still at its version, checked in
   * the same write: {@link OperatorRecordChanged} otherwise, writing nothing.
   */
  updateAgency(
    agency: Agency,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    standing?: OperatorStanding,
  ): Promise<Versioned<Agency>>;
  /**
   * Writes an agency with a new successor as updateAgency does, only while every agency of `chain`
   * — the successor's chain of successors from the successor itself, as the designation checked it
   * for a loop back to the agency — still names the successor it named then, checked in the same
   * write: {@link SuccessionChanged} otherwise, writing nothing. So two designations at the same
   * moment cannot both pass a check the other's write makes wrong (A → B beside B → A). At most
   * MAX_SUCCESSION_LINKS agencies.
   */
  designateSuccessor(
    agency: Agency,
    expectedVersion: number,
    chain: readonly SuccessorAsRead[],
    auditEvent?: AuditEvent,
  ): Promise<Versioned<Agency>>;
  getAgency(uscc: string): Promise<Versioned<Agency> | undefined>;
  /** Agencies by USCC. */
  listAgencies(page?: PageRequest): Promise<Page<Versioned<Agency>>>;
  /** The key with this key id and its agency, active or revoked; undefined when unknown. */
  findApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;

  createLicenseType(type: LicenseType, auditEvent?: AuditEvent): Promise<Versioned<LicenseType>>;
  /**
   * How many agreement writes given a LicenseTypeAsRead of this type have committed (0 for none,
   * or no such type); read before listing the type's agreements to check an update against them.
   */
  agreementWritesOfType(code: string): Promise<number>;
  /**
   * Replaces a type at `expectedVersion`. With `agreementWrites` (agreementWritesOfType as read
   * before the agreements were checked), only while no agreement write has committed since:
   * {@link SharingAgreementsChanged} otherwise, writing nothing. The count is kept as it is.
   */
  updateLicenseType(
    type: LicenseType,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    agreementWrites?: number,
  ): Promise<Versioned<LicenseType>>;
  getLicenseType(code: string): Promise<Versioned<LicenseType> | undefined>;
  /** License types by type code. */
  listLicenseTypes(page?: PageRequest): Promise<Page<Versioned<LicenseType>>>;

  /**
   * Registers an agreement (version 1). With `typeAsRead`, only while its license type is still at
   * the version the agreement was checked against, checked in the same write:
   * {@link LicenseTypeChanged} otherwise, writing nothing; written, it counts in the type's
   * agreementWritesOfType.
   */
  createSharingAgreement(
    agreement: SharingAgreement,
    auditEvent?: AuditEvent,
    typeAsRead?: LicenseTypeAsRead,
  ): Promise<Versioned<SharingAgreement>>;
  /** Replaces an agreement at `expectedVersion`, with `typeAsRead` as createSharingAgreement. */
  updateSharingAgreement(
    agreement: SharingAgreement,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    typeAsRead?: LicenseTypeAsRead,
  ): Promise<Versioned<SharingAgreement>>;
  getSharingAgreement(id: string): Promise<Versioned<SharingAgreement> | undefined>;
  /** All agreements by id. */
  listSharingAgreements(page?: PageRequest): Promise<Page<Versioned<SharingAgreement>>>;
  /** A relying agency's agreements by type code then id, optionally for one type only. */
  listSharingAgreementsOfAgency(
    relyingAgency: string,
    request?: AgreementListRequest,
  ): Promise<Page<Versioned<SharingAgreement>>>;
  /** The agreements naming a license type, by relying agency then id. */
  listSharingAgreementsOfType(
    typeCode: string,
    page?: PageRequest,
  ): Promise<Page<Versioned<SharingAgreement>>>;
}

/** A bootstrap of a registry that was bootstrapped before. */
export class RegistryAlreadyBootstrapped extends Error {
  readonly code = 'REGISTRY_ALREADY_BOOTSTRAPPED';
  constructor() {
    super('the registry was bootstrapped before: register further agencies through the operator API');
    this.name = 'RegistryAlreadyBootstrapped';
  }
}

/** A create for a record that is already registered. */
export class ConfigRecordExists extends Error {
  readonly code = 'CONFIG_RECORD_EXISTS';
  readonly kind: ConfigRecordKind;
  readonly id: string;
  constructor(kind: ConfigRecordKind, id: string) {
    super(`${kind} ${id} is already registered; update it with its current version instead`);
    this.name = 'ConfigRecordExists';
    this.kind = kind;
    this.id = id;
  }
}

/** An update of a record that is not registered. */
export class ConfigRecordNotFound extends Error {
  readonly code = 'CONFIG_RECORD_NOT_FOUND';
  readonly kind: ConfigRecordKind;
  readonly id: string;
  constructor(kind: ConfigRecordKind, id: string) {
    super(`${kind} ${id} is not registered; create it first`);
    this.name = 'ConfigRecordNotFound';
    this.kind = kind;
    this.id = id;
  }
}

/** An update whose expected version is not the stored one, or that raced another write. */
export class ConfigVersionConflict extends Error {
  readonly code = 'CONFIG_VERSION_CONFLICT';
  readonly kind: ConfigRecordKind;
  readonly id: string;
  /** The version the write expected; 0 for a create. */
  readonly expected: number;
  /** The stored version when known; undefined when the write lost a race mid-transaction. */
  readonly found: number | undefined;
  constructor(kind: ConfigRecordKind, id: string, expected: number, found: number | undefined) {
    const attempt = expected === 0 ? 'creating it' : `updating version ${expected}`;
    super(
      found === undefined
        ? `${kind} ${id} was written concurrently while ${attempt}; read it again`
        : `${kind} ${id} is at version ${found}, expected version ${expected}; read it again`,
    );
    this.name = 'ConfigVersionConflict';
    this.kind = kind;
    this.id = id;
    this.expected = expected;
    this.found = found;
  }
}

/**
 * A change that could take away an operator's access (revoke an operator agency's key, remove its
 * operator role), refused: the calling operator agency's own record changed since the change was
 * decided on it — another operator revoked its key or took its role at the same moment. Of two
 * operators revoking each other at once, one is written and the other gets this, so an active
 * operator key always remains.
 */
export class OperatorRecordChanged extends Error {
  readonly code = 'OPERATOR_RECORD_CHANGED';
  /** USCC of the calling operator agency. */
  readonly agency: string;
  constructor(agency: string, detail: string) {
    super(
      `the operator agency ${agency} signing this request changed meanwhile (${detail}); nothing was written — sign the request again with an active key of an operator agency`,
    );
    this.name = 'OperatorRecordChanged';
    this.agency = agency;
  }
}

/**
 * A license type update refused: a sharing agreement naming the type was written after the update
 * checked the type's agreements, so the check did not see it (LicenseTypeAsRead).
 */
export class SharingAgreementsChanged extends Error {
  readonly code = 'SHARING_AGREEMENTS_CHANGED';
  readonly typeCode: string;
  constructor(typeCode: string) {
    super(
      `a sharing agreement naming license type ${typeCode} was written while the type's agreements were being checked against the update; nothing was written — send the update again to have it checked against the agreements as they are now`,
    );
    this.name = 'SharingAgreementsChanged';
    this.typeCode = typeCode;
  }
}

/** An agreement write refused: its license type changed since the agreement was checked against it. */
export class LicenseTypeChanged extends Error {
  readonly code = 'LICENSE_TYPE_CHANGED';
  readonly typeCode: string;
  constructor(typeCode: string, agreementId: string) {
    super(
      `license type ${typeCode} changed while sharing agreement ${agreementId} was being checked against it; nothing was written — send the agreement again to have it checked against the type as it is now`,
    );
    this.name = 'LicenseTypeChanged';
    this.typeCode = typeCode;
  }
}

/**
 * A designation of successor refused: the successor's chain of successors, checked for a loop back
 * to the agency, changed before the designation was written — another designation made at the
 * same moment somewhere in that chain. Of A → B and B → A sent together, one is written and the
 * other gets this, so no loop forms. Nothing was written.
 */
export class SuccessionChanged extends Error {
  readonly code = 'SUCCESSION_CHANGED';
  /** USCC of the agency whose successor was to be designated. */
  readonly agency: string;
  /** USCC of the agency of the chain whose successor changed meanwhile. */
  readonly changed: string;
  constructor(agency: string, successor: string, changed: string) {
    super(
      `the successors of ${successor} changed while ${successor} was being designated the successor of ${agency} (the successor of ${changed} was designated, changed or removed meanwhile); nothing was written — read the agencies again and designate again`,
    );
    this.name = 'SuccessionChanged';
    this.agency = agency;
    this.changed = changed;
  }
}

/** A request-signing key id already registered to another agency: key ids are global. */
export class ApiKeyIdTaken extends Error {
  readonly code = 'API_KEY_ID_TAKEN';
  readonly keyId: string;
  constructor(keyId: string) {
    super(`key id ${keyId} is registered to another agency; choose another key id`);
    this.name = 'ApiKeyIdTaken';
    this.keyId = keyId;
  }
}

/** A record refused before writing: it does not satisfy its catalog schema. */
export class ConfigRecordInvalid extends Error {
  readonly code = 'CONFIG_RECORD_INVALID';
  readonly kind: ConfigRecordKind;
  readonly issues: readonly { path: string; message: string }[];
  /** The issues as the problem's `errors` (domain-problems.ts), as a request schema reports them. */
  readonly errors: readonly { path: string; message: string }[];
  constructor(kind: ConfigRecordKind, issues: readonly { path: string; message: string }[]) {
    super(`invalid ${kind}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigRecordInvalid';
    this.kind = kind;
    this.issues = issues;
    this.errors = issues;
  }
}

const NOT_SENT = Symbol('elicense.registryWriteNotSent');

/**
 * Marks an error that stopped a registry write before any of it was sent — a read the write
 * needed first failed, or what the write was to name could not be made — so that what was made
 * for the write is given up (admin-change.ts isCertainRefusal): by its type alone a throttled or
 * unreachable read looks like a failed write, which may have landed. The error itself is kept, so
 * it is answered as before (503 for a dependency unavailable). Returns it, to be thrown.
 */
export function writeNotSent<E>(error: E): E {
  if (typeof error === 'object' && error !== null && !wasWriteNotSent(error) && Object.isExtensible(error)) {
    Object.defineProperty(error, NOT_SENT, { value: true });
  }
  return error;
}

/** Whether a registry write failed before any of it was sent ({@link writeNotSent}): nothing was written. */
export function wasWriteNotSent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && NOT_SENT in error;
}
